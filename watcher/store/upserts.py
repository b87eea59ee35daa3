"""Race-free writes of a row by its key: ``INSERT … ON CONFLICT``, on SQLite and PostgreSQL.

Several processes may share a store. SQLite serialises writers with its database lock, but on
PostgreSQL two transactions may both find a key absent and both insert it: one then fails on
the unique index. ``ON CONFLICT`` makes the database decide, atomically: the second insert
waits for the first to commit, then updates the row (``upsert``) or skips it
(``insert_ignoring``). Other dialects get a read-then-write fallback, safe only for one writer.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from importlib import import_module
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.errors import StoreError
from watcher.store.engine import executemany


class _DialectInserts(Mapping[str, Any]):
    """Dialect name -> its ``insert`` (with ON CONFLICT), the dialect's module imported when
    first used: a command on SQLite never loads the PostgreSQL dialect (issue 12)."""

    names = ("sqlite", "postgresql")

    def __getitem__(self, name: str) -> Any:
        if name not in self.names:
            raise KeyError(name)
        return import_module(f"sqlalchemy.dialects.{name}").insert

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)


_INSERTS = _DialectInserts()


def has_on_conflict(conn: Connection) -> bool:
    return conn.dialect.name in _INSERTS


def upsert(
    conn: Connection,
    table: sa.Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    on_update: Mapping[str, Any] | None = None,
    returning: sa.ColumnElement[Any] | None = None,
) -> Any:
    """Insert ``key`` + ``values``, or update the row with ``key`` to ``on_update`` (default
    ``values``). ``on_update`` may use ``table.c`` (the stored row) and ``excluded(name)``
    (the proposed value). Returns the ``returning`` column of the row written, if asked."""
    changes = dict(values if on_update is None else on_update)
    if not has_on_conflict(conn):
        return _merge_fallback(conn, table, key, values, changes, returning)
    insert = _INSERTS[conn.dialect.name](table).values(**key, **values)
    statement = insert.on_conflict_do_update(index_elements=list(key), set_=changes)
    if returning is None:
        conn.execute(statement)
        return None
    return conn.execute(statement.returning(returning)).scalar_one()


def upsert_many(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    """``upsert`` of several rows (all with the same columns) in one executemany: each row is
    inserted, or the row with its ``keys`` updated to its other values. SQLite and PostgreSQL
    only (``has_on_conflict``); a key given twice: the last row wins."""
    if not rows:
        return
    last = {tuple(row[k] for k in keys): row for row in rows}  # one row per key
    statement = _INSERTS[conn.dialect.name](table)
    others = [name for name in rows[0] if name not in keys]
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={name: statement.excluded[name] for name in others}
    )
    conn.execute(statement, list(last.values()))


def excluded(name: str) -> sa.ColumnElement[Any]:
    """The value an upsert proposed for column ``name`` (``EXCLUDED.name``, both dialects)."""
    return sa.literal_column(f"excluded.{name}")


#: bound parameters in one multi-row statement: under SQLite's historical limit (999)
MAX_PARAMETERS = 900


def insert_ignoring(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> int:
    """INSERT the rows whose ``keys`` are not already there; returns how many went in.

    One multi-row ``INSERT … VALUES (…), (…) ON CONFLICT DO NOTHING RETURNING`` per run of
    rows with the same columns (at most ``MAX_PARAMETERS`` values each): the rows returned
    are the rows inserted, on SQLite and PostgreSQL alike, where ``rowcount`` is not
    (psycopg 3 reports -1 for some of these statements through SQLAlchemy:
    sqlalchemy/sqlalchemy#10696) and RETURNING with executemany varies by driver. A key given
    twice goes in once (the second row conflicts with the first)."""
    if not rows:
        return 0
    if not has_on_conflict(conn):
        return sum(_insert_if_absent(conn, table, row, keys) for row in rows)
    build = _INSERTS[conn.dialect.name]
    marker = table.c[keys[0]]
    inserted = 0
    for chunk in _same_columns(rows):
        statement = build(table).values(chunk).on_conflict_do_nothing(index_elements=list(keys))
        inserted += len(conn.execute(statement.returning(marker)).all())
    return inserted


def _same_columns(rows: Sequence[Mapping[str, Any]]) -> Iterator[list[Mapping[str, Any]]]:
    """Consecutive rows with the same columns, ``MAX_PARAMETERS`` values at most a chunk."""
    chunk: list[Mapping[str, Any]] = []
    for row in rows:
        if chunk and (
            row.keys() != chunk[0].keys() or (len(chunk) + 1) * len(row) > MAX_PARAMETERS
        ):
            yield chunk
            chunk = []
        chunk.append(row)
    if chunk:
        yield chunk


def insert_all_ignoring(
    conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]], keys: Sequence[str]
) -> None:
    """``insert_ignoring`` in one statement, for callers that need no count."""
    if not rows:
        return
    if not has_on_conflict(conn):
        insert_ignoring(conn, table, rows, keys)
        return
    statement = _INSERTS[conn.dialect.name](table).on_conflict_do_nothing(index_elements=list(keys))
    conn.execute(statement, list(rows))


def insert_new(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], key: str) -> set[Any]:
    """Bulk INSERT … ON CONFLICT (key) DO NOTHING; returns the keys this statement inserted.

    PostgreSQL: COPY into a temporary table, then one INSERT … SELECT … ON CONFLICT DO
    NOTHING RETURNING (a multi-row VALUES statement spends most of its time in the driver's
    parsing of thousands of placeholders). SQLite: the fast executemany; its count must be
    all the rows, as the write transaction (BEGIN IMMEDIATE) keeps other writers out between
    the caller's lookup and this insert."""
    if not rows:
        return set()
    keys = {row[key] for row in rows}
    name = conn.dialect.name
    if name == "postgresql":
        return _copy_new(conn, table, rows, key)
    if name == "sqlite":
        statement = _INSERTS["sqlite"](table).on_conflict_do_nothing(index_elements=[key])
        if executemany(conn, statement, rows) != len(rows):
            raise StoreError(f"{table.name}: rows inserted meanwhile outside a write transaction")
        return keys
    conn.execute(sa.insert(table), rows)
    return keys


def _copy_new(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], key: str) -> set[Any]:
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    staging = f"_opco_new_{table.name}"
    values = [_bound_column(conn, table, name, [row[name] for row in rows]) for name in names]
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS"
            f" SELECT {columns} FROM {table.name} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
        # in COPY order (the listing's): ids follow it, as with the other dialects
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {staging}"
            f' ORDER BY ctid ON CONFLICT ("{key}") DO NOTHING RETURNING "{key}"'
        )
        return {found for (found,) in cursor.fetchall()}


def _bound_column(conn: Connection, table: sa.Table, name: str, values: list[Any]) -> list[Any]:
    """The values as the column's SQLAlchemy type would send them (e.g. UTCDateTime)."""
    process = table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return values if process is None else [process(value) for value in values]


def _merge_fallback(
    conn: Connection,
    table: sa.Table,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    changes: Mapping[str, Any],
    returning: sa.ColumnElement[Any] | None,
) -> Any:
    match = [table.c[name] == value for name, value in key.items()]
    if conn.execute(sa.update(table).where(*match).values(**changes)).rowcount == 0:
        conn.execute(sa.insert(table).values(**key, **values))
    if returning is None:
        return None
    return conn.execute(sa.select(returning).where(*match)).scalar_one()


def _insert_if_absent(
    conn: Connection, table: sa.Table, row: Mapping[str, Any], keys: Sequence[str]
) -> int:
    match = [table.c[k] == row[k] for k in keys]
    if conn.execute(sa.select(sa.literal(1)).select_from(table).where(*match)).first():
        return 0
    conn.execute(sa.insert(table).values(**row))
    return 1
