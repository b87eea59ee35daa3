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
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tests.conftest import Database
from tests.notify_data import CLAIRE, settings
from tests.notify_data import notice as alert_notice
from tests.notify_data import poll as notify_poll
from tests.test_store import notice
from watcher.notify import compose
from watcher.store import Store, UpsertResult, state
from watcher.store.schema import alert_log, notice_changes, outbox
from watcher.store.schema import tenders as tenders_table

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


def wait_until_blocked(store: Store, writer: threading.Thread, started: threading.Event) -> None:
    """Until writer B waits for writer A: on PostgreSQL a lock wait is visible; SQLite's busy
    wait is not, and B cannot get past BEGIN IMMEDIATE while A holds the write lock. A writer
    B that never waits (code without the lock) ends first: the test's checks then tell."""
    assert started.wait(WAIT)
    if store.engine.dialect.name != "postgresql":
        return
    deadline = time.monotonic() + WAIT
    while lock_waiters(store) == 0 and writer.is_alive():
        assert time.monotonic() < deadline, "writer B neither waited nor finished"
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
    wait_until_blocked(store, writer_b, writer_b.started)
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


# ----------------------------------------------- tenders and alerts, forced races


def alert_poll(
    store: Store, notices: list[Any], config: Any, hold: Callable[..., None] | None = None
) -> int:
    """The pipeline's step (store, group, judge, queue alerts) in one transaction; ``hold``
    runs at its end, before the commit."""
    if hold is None:
        return notify_poll(store, notices, config)
    original = store.upsert

    def upsert_then_hold(items: Any, *, seen_at: Any, in_transaction: Any, **kw: Any) -> Any:
        def step(conn: Connection, result: UpsertResult) -> None:
            in_transaction(conn, result)
            hold(conn, result)

        return original(items, seen_at=seen_at, in_transaction=step, **kw)

    store.upsert = upsert_then_hold  # type: ignore[method-assign]
    return notify_poll(store, notices, config)


def test_one_call_on_two_sources_stored_at_once_is_one_tender(
    database: Database, store: Store, tmp_path: Path
) -> None:
    """Writer A stores AKTO's notice and groups it, then holds; writer B stores the BOAMP
    notice of the same call and groups it meanwhile: one tender, one alert."""
    config = settings(tmp_path)
    on_akto = alert_notice("A1", "Formation management des équipes", source="akto")
    on_boamp = alert_notice("26-1", "Formation management des équipes", source="boamp")
    first, second = race(
        store,
        database.url,
        lambda s, hold: alert_poll(s, [on_akto], config, hold=hold),
        lambda s: alert_poll(s, [on_boamp], config),
    )
    assert (first, second) == (1, 0)  # the second source's notice is the same call
    with store.transaction() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tenders_table)).scalar() == 1
        told = conn.execute(sa.select(alert_log.c.recipient)).scalars().all()
    assert told == [CLAIRE]


def test_two_senders_composing_at_once_put_each_call_in_one_email(
    database: Database, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sender A has read (and claimed) the pending parts and is merging them; a late poll adds
    a part; sender B composes meanwhile: B takes only the new part, never A's."""
    config = settings(tmp_path)
    alert_poll(store, [alert_notice("A1", "Formation management 1")], config)
    merging, release = threading.Event(), threading.Event()
    original = compose._merged
    sender_a: list[threading.Thread] = []

    def slow_merge(*args: Any) -> Any:
        if threading.current_thread() in sender_a:
            merging.set()
            assert release.wait(WAIT)
        return original(*args)

    monkeypatch.setattr(compose, "_merged", slow_merge)
    writer_a = Writer(database.url, lambda s: compose.compose_alerts(s, config, T0))
    sender_a.append(writer_a)
    writer_a.start()
    assert merging.wait(WAIT)
    if database.dialect == "postgresql":  # SQLite: the poll would wait for A's write lock
        alert_poll(store, [alert_notice("A2", "Formation management 2")], config)
    writer_b = Writer(database.url, lambda s: compose.compose_alerts(s, config, T0))
    writer_b.start()
    if database.dialect == "sqlite":
        wait_until_blocked(store, writer_b, writer_b.started)
    else:
        assert writer_b.join(WAIT) is None and not writer_b.is_alive()
    release.set()
    writer_a.outcome(), writer_b.outcome()
    with store.transaction() as conn:
        emails = conn.execute(
            sa.select(outbox.c.recipient, outbox.c.payload).where(outbox.c.kind == "alert")
        ).all()
    calls = Counter((r.recipient, c["id"]) for r in emails for c in r.payload["context"]["new"])
    assert calls and all(n == 1 for n in calls.values()), calls
