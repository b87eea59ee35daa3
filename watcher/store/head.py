"""A new SQLite database built at the head schema at once, without replaying the migrations.

Replaying the steps of ``watcher.store.migrations`` costs alembic's import (about 0.35 s
of CPU) and the steps themselves (about 0.2 s): half a second on every first run. A new,
empty SQLite database instead gets the schema the steps leave, statement for statement: the
``CREATE`` statements SQLite itself keeps in ``sqlite_schema`` after the replay, in
``watcher/store/head_sqlite.py``, written by ``python -m watcher.store.head`` and checked
against a replay by tests/test_migrations.py. Steps added later apply to it as to any
database (its ``schema_version`` rows are those of a replay). A snapshot that does not match
the head (a step added without writing it again) is never used: the steps are replayed.
PostgreSQL databases (created once, by ``db init`` on a server) always replay the steps.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.store.schema import schema_version

#: shadow tables of a virtual table are created with it, never by a statement of their own
_SCHEMA = (
    "SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL "
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow') "
    "ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END,"
    " rowid"
)


def statements(conn: Connection) -> list[str]:
    """The statements that build the schema of the SQLite database ``conn`` is on (an FTS5
    index is rebuilt after its creation, as its migration does: its shadow rows match)."""
    found = []
    for kind, name, sql in conn.exec_driver_sql(_SCHEMA):
        found.append(sql)
        if kind == "table" and sql.upper().startswith("CREATE VIRTUAL TABLE"):
            found.append(f"INSERT INTO {name}({name}) VALUES ('rebuild')")
    return found


def applies(conn: Connection, head: int) -> bool:
    """A SQLite database with nothing in it, and a snapshot of this head."""
    from watcher.store import head_sqlite

    if conn.dialect.name != "sqlite" or head != head_sqlite.VERSION:
        return False
    return conn.exec_driver_sql("SELECT count(*) FROM sqlite_schema").scalar() == 0


def create(conn: Connection, head: int) -> None:
    """Build the head schema in the current transaction and record steps 1..``head``."""
    from watcher.store import head_sqlite

    for statement in head_sqlite.STATEMENTS:
        conn.exec_driver_sql(statement)
    now = datetime.now(UTC)
    rows = [{"version": step, "applied_at": now} for step in range(1, head + 1)]
    conn.execute(sa.insert(schema_version), rows)


def render(found: list[str], version: int) -> str:
    """The source of ``head_sqlite.py``."""
    lines = [
        "# ruff: noqa: E501",
        '"""The SQLite schema at head, as the migrations leave it (``watcher.store.head``).',
        "",
        'Written by ``python -m watcher.store.head``; never edit it by hand."""',
        "",
        f"VERSION = {version}",
        "STATEMENTS: tuple[str, ...] = (",
        *(f"    {statement!r}," for statement in found),
        ")",
        "",
    ]
    return "\n".join(lines)


def _write() -> None:
    """Replay the migrations into a database in memory and write the snapshot of its schema."""
    from watcher.store.migrations import HEAD, migrate

    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        migrate(conn, replay=True)
        found = statements(conn)
    target = Path(__file__).with_name("head_sqlite.py")
    target.write_text(render(found, HEAD), encoding="utf-8")
    subprocess.run([Path(sys.executable).with_name("ruff"), "format", target], check=False)
    print(f"wrote {target} ({len(found)} statements, schema version {HEAD})", file=sys.stderr)


if __name__ == "__main__":
    _write()
