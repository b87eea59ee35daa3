"""Migrations on SQLite and PostgreSQL: from an empty database and from every earlier version,
with data written at that version kept at head. A step added later is covered by the
parametrisation without a new test."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import Operations

from tests.conftest import Database
from tests.test_store import T0, notice
from watcher import tenders
from watcher.store import SCHEMA_HEAD, Store, head, head_sqlite, migrations
from watcher.store.engine import create, resolve_url, transaction
from watcher.store.migrations import MIGRATIONS, current_version, describe_step, migrate
from watcher.store.records import Prepared
from watcher.store.schema import http_cache, notices, source_state


@pytest.fixture
def engine(database: Database) -> Iterator[sa.Engine]:
    url = resolve_url(database.url)
    if database.dialect == "sqlite":
        Path(database.url).parent.mkdir(parents=True, exist_ok=True)
    built = create(url)
    try:
        yield built
    finally:
        built.dispose()


def at_version(engine: sa.Engine, version: int) -> None:
    """The database as opco-watch at schema ``version`` left it, with a notice, a source's
    health and an HTTP validator written then (those tables date from version 1)."""
    with transaction(engine, write=True) as conn:
        assert migrate(conn, target=version) == version
        if version == 0:
            return
        old = Prepared.of(notice())
        stamps = {"first_seen": T0, "last_seen": T0, "last_changed": T0, "listing_hash": "h1"}
        conn.execute(sa.insert(notices).values(key=old.notice.key, **old.columns(), **stamps))
        conn.execute(
            sa.insert(source_state).values(source="akto", last_run=T0, consecutive_failures=2)
        )
        conn.execute(
            sa.insert(http_cache).values(url="https://www.akto.fr/", etag='W/"1"', saved_at=T0)
        )


@pytest.mark.parametrize("start", range(SCHEMA_HEAD))
def test_every_earlier_version_reaches_head_with_its_data(
    database: Database, engine: sa.Engine, start: int
) -> None:
    at_version(engine, start)
    with transaction(engine, write=False) as conn:
        assert current_version(conn) == start
    with Store.open(database.url) as store:
        assert store.schema_version == SCHEMA_HEAD
        if start:
            stored = store.get_notice(notice().key)
            assert stored is not None and stored.notice == notice() and stored.first_seen == T0
            assert store.listing_hashes([notice().key]) == {notice().key: "h1"}
            assert store.validators("https://www.akto.fr/") == ('W/"1"', None)
            health = store.source_state("akto")
            assert health is not None and health.consecutive_failures == 2
            assert store.upsert([notice()], seen_at=T0).same == 1
        else:
            assert store.upsert([notice()], seen_at=T0).new == [notice()]
        # the tables of later steps work: feedback (2), tender keys (3), alert log (4)...
        store.add_feedback(notice().key, True, at=T0)
        assert store.feedback() == [(notice(), True)]
        with store.transaction(write=True) as conn:
            (event,) = tenders.assign(conn, [notice()], at=datetime.now(UTC))
        assert event.kind == "new"
    with transaction(engine, write=False) as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY 1"))
        assert list(versions.scalars()) == list(range(1, SCHEMA_HEAD + 1))


def test_parallel_opens_of_an_old_database_migrate_it_once(
    database: Database, engine: sa.Engine
) -> None:
    at_version(engine, 1)
    barrier, versions, errors = threading.Barrier(4), [], []

    def opener() -> None:
        try:
            barrier.wait(30)
            with Store.open(database.url) as store:
                versions.append(store.schema_version)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=opener) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and versions == [SCHEMA_HEAD] * 4
    with transaction(engine, write=False) as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM schema_version")).scalar()
    assert rows == SCHEMA_HEAD  # each step applied once


def test_every_step_says_what_it_brings() -> None:
    words = [describe_step(step) for step in range(1, len(MIGRATIONS) + 1)]
    assert all(words) and len(set(words)) == len(words)


# -- a new SQLite database built at head at once (watcher.store.head) ----------------------


def _sqlite_engine(path: Path) -> sa.Engine:
    return create(resolve_url(path))


def _schema_and_rows(engine: sa.Engine) -> tuple[list[str], dict[str, list[tuple[object, ...]]]]:
    """Every statement of the schema, and every row of every table (shadow tables of the
    search index included; the moments the steps were applied left out)."""
    with transaction(engine, write=False) as conn:
        found = head.statements(conn)
        names = conn.exec_driver_sql(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
        )
        rows = {
            name: [tuple(row) for row in conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY 1')]
            for (name,) in names
            if name != "schema_version"
        }
        rows["schema_version"] = [
            tuple(row) for row in conn.exec_driver_sql("SELECT version FROM schema_version")
        ]
    return found, rows


def _built(path: Path, *, replay: bool) -> sa.Engine:
    engine = _sqlite_engine(path)
    with transaction(engine, write=True) as conn:
        assert migrate(conn, replay=replay) == SCHEMA_HEAD
    return engine


def test_a_new_sqlite_database_gets_the_schema_the_steps_build(tmp_path: Path) -> None:
    at_once, replayed = (
        _built(tmp_path / "a.db", replay=False),
        _built(tmp_path / "b.db", replay=True),
    )
    try:
        schema, rows = _schema_and_rows(at_once)
        assert (schema, rows) == _schema_and_rows(replayed)
        assert len(rows["schema_version"]) == SCHEMA_HEAD
        assert {"notices_search_config", "notices_search_data"} <= set(rows)
        assert any(s.startswith("CREATE TRIGGER notices_search_update") for s in schema)
        # a step added without writing the snapshot again fails here (and is replayed)
        assert head_sqlite.VERSION == SCHEMA_HEAD, "run: python -m watcher.store.head"
        assert list(head_sqlite.STATEMENTS) == schema, "run: python -m watcher.store.head"
    finally:
        at_once.dispose()
        replayed.dispose()


def _step_10(op: Operations) -> None:
    """A later step of the kind that rebuilds a SQLite table (batch mode)."""
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("extra", sa.Text, nullable=False, server_default=""))
    op.create_index("ix_notices_extra", "notices", ["extra"])


def test_a_later_step_applies_to_a_database_built_at_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_once, replayed = (
        _built(tmp_path / "a.db", replay=False),
        _built(tmp_path / "b.db", replay=True),
    )
    try:
        for engine in (at_once, replayed):
            with transaction(engine, write=True) as conn:
                old = Prepared.of(notice())
                stamps = {"first_seen": T0, "last_seen": T0, "last_changed": T0}
                conn.execute(
                    sa.insert(notices).values(key=old.notice.key, **old.columns(), **stamps)
                )
        monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, _step_10))
        monkeypatch.setattr(migrations, "HEAD", SCHEMA_HEAD + 1)
        for engine in (at_once, replayed):
            with transaction(engine, write=True) as conn:
                assert migrate(conn) == SCHEMA_HEAD + 1
        schema, rows = _schema_and_rows(at_once)
        assert (schema, rows) == _schema_and_rows(replayed)
        assert "CREATE INDEX ix_notices_extra ON notices (extra)" in schema
        assert len(rows["notices"]) == 1
        with transaction(at_once, write=False) as conn:  # the search index still follows
            query = "SELECT rowid FROM notices_search WHERE notices_search MATCH :word"
            word = notice().title.split()[0]
            assert conn.execute(sa.text(query), {"word": f'"{word}"'}).scalars().all()
    finally:
        at_once.dispose()
        replayed.dispose()


def test_a_new_database_is_created_without_alembic(tmp_path: Path) -> None:
    program = (
        "import sys\n"
        "from watcher.store import Store\n"
        f"with Store.open({str(tmp_path / 'new.db')!r}) as store:\n"
        "    assert store.schema_version > 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]", done.stderr
