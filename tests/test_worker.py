"""``opco-watch worker`` on a real PostgreSQL: two worker processes share the jobs; the one
that takes a poll is killed with SIGKILL in the middle of it, and the other runs that job
again, once."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, Database, write_config
from tests.smtp_server import SmtpServer, smtp_server
from tests.test_cli import cli
from tests.test_concurrency_processes import HOST, Sites, config_toml, tracebacks
from watcher.devserver import DevServer, Fault
from watcher.store import Store
from watcher.store.schema import notices, outbox

WAIT = 120.0
WORKER = (sys.executable, "-m", "watcher", "-v", "worker")
HEARTBEAT = "0.5"  # a worker silent for 1.5 s is dead


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with smtp_server() as running:
        yield running


@pytest.fixture
def sites() -> Iterator[Sites]:
    with DevServer() as server:
        yield Sites(server)


class Worker:
    """An ``opco-watch worker`` process whose log lines are read as they come."""

    def __init__(self, config: Path, mirror: str) -> None:
        self.process = subprocess.Popen(
            [*WORKER, "--heartbeat", HEARTBEAT, "--mirror", mirror],
            cwd=config.parent,
            env={**os.environ, "PYTHONPATH": str(ROOT), "OPCO_WATCH_CONFIG": str(config)},
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            self.lines.put(line)

    def wait_for(self, words: str) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                if words in self.lines.get(timeout=1):
                    return
            except queue.Empty:
                assert self.process.poll() is None, "".join(self.log)
        raise AssertionError(f"no {words!r} in:\n{''.join(self.log)}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(WAIT)
        self.reader.join(WAIT)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code


def jobs(url: str) -> list[sa.Row]:
    with Store.open(url) as store, store.transaction() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT id, task_name, status, args FROM procrastinate_jobs"
                    " WHERE task_name = 'opco_watch.poll' ORDER BY id"
                )
            )
        )


def unsent(url: str) -> int:
    with Store.open(url) as store, store.transaction() as conn:
        query = sa.select(sa.func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(conn.execute(query).scalar_one())


def eventually(condition: Callable[[], bool]) -> None:
    """Wait until ``condition()`` holds (checked every 0.1 s, for at most WAIT seconds)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition never met"
        time.sleep(0.1)


def events(url: str) -> Counter[tuple[int, str]]:
    with Store.open(url) as store, store.transaction() as conn:
        rows = conn.execute(sa.text("SELECT job_id, type FROM procrastinate_events")).all()
    return Counter((row.job_id, row.type) for row in rows)


def test_two_workers_share_the_jobs_and_a_dead_ones_job_runs_again_once(
    tmp_path: Path, database: Database, smtp: SmtpServer, sites: Sites
) -> None:
    database.require("postgresql")
    config = write_config(tmp_path, config_toml(smtp))
    sites.grow(1, database.url)
    # the first read of feed A hangs: the worker that takes it is killed in the middle
    sites.server.script(f"/{HOST}/flux-a.xml", [Fault.delay(WAIT)])
    workers = [Worker(config, sites.server.base_url) for _ in range(2)]
    try:
        eventually(lambda: any("job poll flux-a: started" in "".join(w.log) for w in workers))
        (doomed,) = [w for w in workers if "job poll flux-a: started" in "".join(w.log)]
        (survivor,) = [w for w in workers if w is not doomed]
        eventually(lambda: any(f"{HOST}/flux-a" in r.path for r in sites.server.requests))
        doomed.process.kill()  # SIGKILL, the poll's request in flight
        assert doomed.process.wait(WAIT) == -signal.SIGKILL
        survivor.wait_for("job poll flux-a: started")  # the dead worker's job, run again
        eventually(lambda: {r.status for r in jobs(database.url)} == {"succeeded"})
        eventually(lambda: unsent(database.url) == 0)
    finally:
        codes = [worker.stop() for worker in workers]
        for index, worker in enumerate(workers):  # shown when the test fails
            print(f"--- worker {index} (exit {codes[index]}):\n{''.join(worker.log)}")
    log = "".join(survivor.log)
    assert codes[workers.index(survivor)] == 0, log
    assert tracebacks(log) == []
    assert "job poll flux-a: 2 new" in log
    polls = {row.args["source"]: row for row in jobs(database.url)}
    assert {source: row.status for source, row in polls.items()} == {
        "flux-a": "succeeded",
        "flux-b": "succeeded",
    }
    seen = events(database.url)
    killed = polls["flux-a"].id
    assert seen[(killed, "started")] == 2 and seen[(killed, "succeeded")] == 1
    assert all(n == 1 for (job, kind), n in seen.items() if kind == "succeeded")
    with Store.open(database.url) as store, store.transaction() as conn:
        keys = set(conn.execute(sa.select(notices.c.key)).scalars())
        sent = conn.execute(sa.select(outbox.c.message_id).where(outbox.c.sent_at.is_not(None)))
        sent_ids = list(sent.scalars())
    assert keys == sites.keys()
    received = Counter(str(r.message["Message-ID"]) for r in smtp.handler.received)
    assert received and all(n == 1 for n in received.values())  # nothing sent twice
    assert {m for m in sent_ids if not m.startswith("<alert-part")} == set(received)


def test_a_worker_on_sqlite_is_refused_in_words(tmp_path: Path) -> None:
    write_config(tmp_path)
    env_free = {k: v for k, v in os.environ.items() if k != "OPCO_WATCH_DATABASE_URL"}
    done = subprocess.run(
        [sys.executable, "-m", "watcher", "worker"],
        cwd=tmp_path,
        env={**env_free, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=WAIT,
    )
    assert done.returncode == 5 and "needs a PostgreSQL database" in done.stderr
    assert "Traceback" not in done.stderr


def test_db_check_and_upgrade_say_what_they_do(tmp_path: Path, database: Database) -> None:
    write_config(tmp_path)
    if database.dialect == "sqlite":
        fresh = cli(tmp_path, "db", "check")
        assert fresh.returncode == 1 and "No database yet" in fresh.stdout
    else:
        empty = cli(tmp_path, "db", "check")
        assert empty.returncode == 1 and "schema version 0" in empty.stdout
        assert "would apply" in empty.stdout and "1. Notices and their history" in empty.stdout
    upgraded = cli(tmp_path, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "schema version 0 -> " in upgraded.stdout and "applied 1. Notices" in upgraded.stdout
    again = cli(tmp_path, "db", "upgrade")
    assert "nothing to do" in again.stdout
    checked = cli(tmp_path, "db", "check")
    assert checked.returncode == 0 and "Up to date." in checked.stdout
    if database.dialect == "postgresql":
        assert "Job queue tables: created." in upgraded.stdout
        assert "Job queue tables: present." in checked.stdout
