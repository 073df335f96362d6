"""Every column of every table is classified in code (``projections.classification``): plain,
sealed with a named key, or a blind index. The database catalogue is the truth."""

from __future__ import annotations

from pathlib import Path

import psycopg

from projections.classification import data_map, markdown

# Features whose tables are still being classified, one a line (each branch removes its own).
PENDING_PREFIXES: tuple[str, ...] = ()


def _catalogue(conninfo: str) -> dict[str, dict[str, str]]:
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
        ).fetchall()
    tables: dict[str, dict[str, str]] = {}
    for table, column, data_type in rows:
        if not table.startswith(PENDING_PREFIXES):
            tables.setdefault(table, {})[column] = data_type
    return tables


def test_every_column_in_the_database_is_classified(server_database):
    classified = data_map()
    missing = [
        f"{table}.{column}"
        for table, columns in _catalogue(server_database.conninfo).items()
        for column in columns
        if column not in classified.get(table, {})
    ]
    assert missing == []


def test_every_classified_column_exists_in_the_database(server_database):
    catalogue = _catalogue(server_database.conninfo)
    stale = [
        f"{table}.{column}"
        for table, columns in data_map().items()
        if not table.startswith(PENDING_PREFIXES)
        for column in columns
        if column not in catalogue.get(table, {})
    ]
    assert stale == []


def test_sealed_values_and_blind_indexes_are_stored_as_bytes(server_database):
    catalogue = _catalogue(server_database.conninfo)
    not_bytes = [
        f"{table}.{name} is {catalogue[table][name]}"
        for table, columns in data_map().items()
        if table in catalogue
        for name, column in columns.items()
        if column.stored_as_bytes and catalogue[table].get(name, "bytea") != "bytea"
    ]
    assert not_bytes == []


def test_a_blind_index_column_is_named_for_what_it_indexes():
    misnamed = [
        f"{table}.{name}"
        for table, columns in data_map().items()
        for name, column in columns.items()
        if (column.kind == "blind index") != name.endswith("_ix")
    ]
    assert misnamed == []


# Features whose rows the README does not show yet: whoever puts a feature's rows in the README
# (`casework data-map`) removes its prefix here.
README_PENDING: tuple[str, ...] = ()


def test_the_readme_shows_the_data_map_as_the_code_classifies_it():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    shown = readme.split("<!-- data map: `casework data-map` -->\n")[1].split("<!-- end of")[0]
    assert shown == markdown(README_PENDING)
