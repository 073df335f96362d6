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
LOGIN_SEALED = sealed("the login holder's (login_subject)", "a login, to show it")
LOGIN_IX = blind_index("login", "to match a login exactly without storing it")


def _feature_modules() -> tuple[ModuleType, ...]:
    from projections import platform_columns
    from projections.access import columns as access
    from projections.consent import columns as consent
    from projections.directory import columns as directory
    from projections.incidents import columns as incidents
    from projections.staff_cases import columns as staff_cases

    return (platform_columns, directory, access, incidents, staff_cases, consent)


def data_map() -> dict[str, Table]:
    """Every table's columns, classified, from every feature's ``TABLES``."""
    tables: dict[str, Table] = {}
    for module in _feature_modules():
        for name, columns in module.TABLES.items():
            if name in tables:
                raise ValueError(f"table {name} is classified twice")
            tables[name] = columns
    return tables


def markdown() -> str:
    """The data map as the README shows it: table by table, column, class and whose key."""
    lines = ["| table | column | class | key | why |", "|---|---|---|---|---|"]
    for table, columns in sorted(data_map().items()):
        for name, column in columns.items():
            lines.append(
                f"| `{table}` | `{name}` | {column.kind} | {column.key or ''} | {column.reason} |"
            )
    return "\n".join(lines) + "\n"
