"""What every column of every table holds at rest: the data map a DPO needs.

Each column is one of three classes:

- **plain**: identifiers, timestamps, enumerations, counts and organisations' names: nothing that
  identifies a person on its own, so nothing to erase;
- **sealed**: encrypted with the data key of the column's subject (a pupil, an incident, the
  person who holds a login, ...), opened per request; destroying that key erases the value
  everywhere (crypto-shredding);
- **blind index**: an HMAC of the value keyed with the blind-index key from the key store
  (``domain.shared.blind_index``), stored where a view must match on equality ("is this user
  the subject?"); it reveals nothing without the key, and nothing once the value is erased.

Each feature declares its own tables (``TABLES`` in ``projections/<feature>/columns.py``);
:func:`data_map` collects them, and ``tests/integration/test_data_map.py`` checks them against
the database catalogue: a column nobody classified fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType


class Kind(StrEnum):
    PLAIN = "plain"
    SEALED = "sealed"
    BLIND_INDEX = "blind index"


PLAIN, SEALED, BLIND_INDEX = Kind.PLAIN, Kind.SEALED, Kind.BLIND_INDEX


@dataclass(frozen=True)
class Column:
    kind: Kind
    reason: str
    key: str | None = None  # sealed: whose data key; blind index: of what, in what scope

    @property
    def stored_as_bytes(self) -> bool:
        """Sealed values and blind indexes are ``bytea``: never text a query could print."""
        return self.kind is not Kind.PLAIN


def plain(reason: str) -> Column:
    return Column(Kind.PLAIN, reason)


def sealed(key: str, reason: str = "personal data") -> Column:
    """Sealed with ``key``: whose data key, e.g. "the pupil's"."""
    return Column(Kind.SEALED, reason, key)


def blind_index(of: str, reason: str) -> Column:
    """A blind index of ``of`` (e.g. "login"), matched on equality for ``reason``."""
    return Column(Kind.BLIND_INDEX, reason, of)


Table = dict[str, Column]

# The reasons most columns share.
ID = plain("an identifier (a random or derived uuid): names no one by itself")
SEQ = plain("an event position or sequence number")
AT = plain("a timestamp or date of the record's life")
ENUM = plain("one of a fixed set of values (an enumeration)")
FLAG = plain("a yes/no answer")
COUNT = plain("a count, version or size")
ORGANISATION = plain("the name of a school or trust: an organisation, not a person")
LOGIN_SEALED = sealed("the login holder's", "a login, to show it (key: logins.login_subject)")
LOGIN_IX = blind_index("login", "to match a login exactly without storing it")


def _feature_modules() -> tuple[ModuleType, ...]:
    from projections import idempotency_columns, platform_columns
    from projections.access import columns as access
    from projections.consent import columns as consent
    from projections.directory import columns as directory
    from projections.erasure import columns as erasure
    from projections.incidents import columns as incidents
    from projections.ledger import columns as ledger
    from projections.retention import columns as retention
    from projections.staff_cases import columns as staff_cases
    from projections.webhooks import columns as webhooks

    return (
        platform_columns,
        directory,
        access,
        incidents,
        staff_cases,
        consent,
        ledger,
        erasure,
        retention,
        webhooks,
        idempotency_columns,
    )


def data_map() -> dict[str, Table]:
    """Every table's columns, classified, from every feature's ``TABLES``."""
    tables: dict[str, Table] = {}
    for module in _feature_modules():
        for name, columns in module.TABLES.items():
            if name in tables:
                raise ValueError(f"table {name} is classified twice")
            tables[name] = columns
    return tables


def markdown(exclude_prefixes: tuple[str, ...] = ()) -> str:
    """The data map as the README shows it: a row per table, its sealed columns by whose key,
    its blind indexes by what they index, and its plain columns (the reasons are in the code)."""
    lines = [
        "| table | sealed (with whose key) | blind index (of what) | plain |",
        "|---|---|---|---|",
    ]
    for table, columns in sorted(data_map().items()):
        if table.startswith(exclude_prefixes):
            continue
        by_key: dict[str, list[str]] = {}
        for name, column in columns.items():
            if column.kind is Kind.SEALED:
                by_key.setdefault(column.key or "", []).append(f"`{name}`")
        sealed_part = "; ".join(f"{', '.join(names)} ({key})" for key, names in by_key.items())
        indexes = ", ".join(
            f"`{name}` ({column.key})"
            for name, column in columns.items()
            if column.kind is Kind.BLIND_INDEX
        )
        plain_part = ", ".join(n for n, c in columns.items() if c.kind is Kind.PLAIN)
        lines.append(f"| `{table}` | {sealed_part} | {indexes} | {plain_part} |")
    return "\n".join(lines) + "\n"
