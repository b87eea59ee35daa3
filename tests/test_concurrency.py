"""Two writers on one store at the same moment, on SQLite and PostgreSQL.

Each test holds writer A's transaction open after its writes (``in_transaction`` waits on an
event), starts writer B, waits until B is blocked by A (PostgreSQL: B shows in
``pg_stat_activity`` waiting on a lock; SQLite: B waits for the database's write lock, which
A holds since BEGIN IMMEDIATE), then lets A commit. So B always runs its reads before A's
commit: the race is forced, not hoped for. Real processes racing are in
``test_concurrency_processes.py``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.conftest import Database
from tests.test_store import notice
from watcher.store import Store, UpsertResult, state
from watcher.store.schema import notice_changes

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
WAIT = 60.0


def lock_waiters(store: Store) -> int:
    """Sessions of this database waiting for a lock (PostgreSQL), else 0."""
    if store.engine.dialect.name != "postgresql":
        return 0
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    with store.transaction() as conn:
        return int(conn.execute(query).scalar_one())


def wait_until_blocked(store: Store, started: threading.Event) -> None:
    """Until writer B is waiting for writer A: on PostgreSQL a lock wait is visible; SQLite's
    busy wait is not, and B cannot get past BEGIN IMMEDIATE while A holds the write lock."""
    assert started.wait(WAIT)
    if store.engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + WAIT
    while lock_waiters(store) == 0:
        assert time.monotonic() < deadline, "writer B never waited for writer A"
        time.sleep(0.005)


class Writer(threading.Thread):
    """Runs ``work(store)`` in a thread of its own, on a store of its own; keeps the result."""

    def __init__(self, url: str, work: Callable[[Store], Any]) -> None:
        super().__init__(daemon=True)
        self.url, self.work = url, work
        self.started = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Store.open(self.url) as store:
                self.started.set()
                self.result = self.work(store)
        except BaseException as error:
            self.error = error
        finally:
            self.started.set()

    def outcome(self) -> Any:
        self.join(WAIT)
        assert not self.is_alive(), "writer did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def race(store: Store, url: str, first: Callable[..., Any], second: Callable[[Store], Any]):
    """A runs ``first(store, hold)`` where ``hold`` is an ``in_transaction`` hook; B runs
    ``second`` while A's transaction is open; returns (A's result, B's result)."""
    holding, release = threading.Event(), threading.Event()

    def hold(conn: Connection, result: UpsertResult) -> None:
        holding.set()
        assert release.wait(WAIT)

    writer_a = Writer(url, lambda s: first(s, hold))
    writer_a.start()
    assert holding.wait(WAIT)
    writer_b = Writer(url, second)
    writer_b.start()
    wait_until_blocked(store, writer_b.started)
    release.set()
    return writer_a.outcome(), writer_b.outcome()


BATCH = [notice(f"26-{i}") for i in range(20)]


def test_two_upserts_of_the_same_new_notices_store_each_once(
    database: Database, store: Store
) -> None:
    first, second = race(
        store,
        database.url,
        lambda s, hold: s.upsert(BATCH, seen_at=T0, in_transaction=hold),
        lambda s: s.upsert(BATCH, seen_at=T0 + timedelta(seconds=1)),
    )
    assert (len(first.new), len(second.new), second.same) == (20, 0, 20)
    assert store.count_notices() == 20


def test_a_change_seen_by_two_upserts_is_one_history_row(database: Database, store: Store) -> None:
    store.upsert(BATCH, seen_at=T0)
    moved = [n.with_changes(title="Titre corrigé") for n in BATCH]
    later = T0 + timedelta(hours=1)
    first, second = race(
        store,
        database.url,
        lambda s, hold: s.upsert(moved, seen_at=later, in_transaction=hold),
        lambda s: s.upsert(moved, seen_at=later),
    )
    assert (len(first.changed), len(second.changed), second.same) == (20, 0, 20)
    with store.transaction() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(notice_changes)).scalar()
    assert rows == 20
    assert [len(store.history(n.key)) for n in BATCH] == [1] * 20


def test_health_and_validators_of_a_new_source_from_two_writers(
    database: Database, store: Store
) -> None:
    def first(s: Store, hold: Callable[..., None]) -> int:
        with s.transaction(write=True) as conn:  # a new source's first failure, held open
            count = state.record_failure(conn, "akto", T0, "fetch", "HTTP 503", False)
            state.save_validators(conn, "https://www.akto.fr/", '"a"', None)
            hold(conn, None)
            return count

    def second(s: Store) -> int:
        s.save_validators("https://www.akto.fr/", '"b"', None)
        return s.record_failure("akto", at=T0, error_kind="fetch", error="HTTP 502")

    assert race(store, database.url, first, second) == (1, 2)
    health = store.source_state("akto")
    assert health is not None
    assert (health.consecutive_failures, health.last_error) == (2, "HTTP 502")
    assert store.validators("https://www.akto.fr/") == ('"b"', None)


def test_parallel_first_opens_of_a_new_database_all_work(database: Database) -> None:
    barrier = threading.Barrier(6)

    versions: list[int] = []
    errors: list[BaseException] = []

    def opener() -> None:
        try:
            barrier.wait(WAIT)
            with Store.open(database.url) as opened:
                versions.append(opened.schema_version)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert errors == []
    assert len(set(versions)) == 1 and len(versions) == 6


def test_a_second_poll_of_a_source_waits_for_the_first(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="watcher.store.locks")
    order: list[str] = []
    waiting = threading.Event()

    class Seen(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "waiting for poll:akto" in record.getMessage():
                waiting.set()

    handler = Seen()
    logging.getLogger("watcher.store.locks").addHandler(handler)
    try:
        with store.poll_lock("akto"):
            second = threading.Thread(target=_poll_after, args=(store, order))
            second.start()
            assert waiting.wait(WAIT)  # the second poll is blocked, not running
            with store.poll_lock("boamp"):  # another source is not held up
                order.append("boamp")
            order.append("first done")
        second.join(WAIT)
    finally:
        logging.getLogger("watcher.store.locks").removeHandler(handler)
    assert order == ["boamp", "first done", "second"]


def _poll_after(store: Store, order: list[str]) -> None:
    with store.poll_lock("akto"):
        order.append("second")
