"""The scheduler: its jobs and their options, a short real run, catch-up, and SIGTERM."""

from __future__ import annotations

import json
import os
import queue as queues
import re
import signal
import subprocess
import sys
import textwrap
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scrapers.registry import SOURCES
from tests.conftest import ROOT, Database, write_config
from tests.notify_data import T0
from tests.test_cli import cli
from watcher.config import Config, load_config
from watcher.demo import snapshot_server
from watcher.devserver import DevServer
from watcher.judging import Judge
from watcher.models import PARIS
from watcher.notify import jobs, queue
from watcher.notify.settings import ScheduleConfig
from watcher.scheduler import Service, build_scheduler, start
from watcher.starter import write_starter
from watcher.store import Store

NOW = T0 + timedelta(days=7, hours=-1)  # Monday 2026-03-09 08:00, the digest slot


def only(*names: str, interval: int = 30) -> str:
    """TOML enabling only ``names`` among the registered sources."""
    tables = [f"[sources.{n}]\nenabled = {str(n in names).lower()}\n" for n in SOURCES]
    return "".join(f"{table}interval_minutes = {interval}\n" for table in tables)


@pytest.fixture
def config(tmp_path: Path, database: Database) -> Config:
    return load_config(write_config(tmp_path, only("akto", "afdas")))


def test_the_jobs_and_their_options(config: Config) -> None:
    service = Service(config)
    service.settings = type(service.settings)(
        **{
            **service.settings.__dict__,
            "schedule": ScheduleConfig(
                digest_day="tue", digest_time="9:15", jitter_seconds=30, misfire_grace_seconds=600
            ),
        },
    )
    scheduler = build_scheduler(service)
    scheduler.start(paused=True)
    try:
        found = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(found) == {"poll:akto", "poll:afdas", "send", "digest", "reminders"}
    poll = found["poll:akto"]
    assert isinstance(poll.trigger, IntervalTrigger) and poll.args == ("akto",)
    assert poll.trigger.interval == timedelta(minutes=30) and poll.trigger.jitter == 30
    assert found["send"].trigger.interval == timedelta(seconds=60)
    digest = found["digest"].trigger
    assert isinstance(digest, CronTrigger) and str(digest.timezone) == "Europe/Paris"
    fields = {f.name: str(f) for f in digest.fields}
    assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("tue", "9", "15")
    assert {f.name: str(f) for f in found["reminders"].trigger.fields}["hour"] == "7"
    for job in found.values():
        assert job.coalesce is True and job.max_instances == 1
        expected = 6 * 24 * 3600 if job.id == "digest" else 600
        assert job.misfire_grace_time == expected, job.id


def test_catch_up_sends_the_missed_digest_once(config: Config) -> None:
    clock = [NOW + timedelta(hours=5)]
    service = Service(config, clock=lambda: clock[0])
    service.catch_up()
    outbox = config.data_dir / "outbox"
    digests = sorted(p.name for p in outbox.iterdir() if p.name.startswith("digest."))
    assert len(digests) == 1  # the default recipient: no domain owner in this profile
    with Store.open(config.database) as store, store.transaction() as conn:
        assert jobs.get(conn, "digest:last_week") == "2026-W10"
    clock[0] = NOW + timedelta(days=1)
    service.catch_up()  # restarted the next day
    assert len([p for p in outbox.iterdir() if p.name.startswith("digest.")]) == 1
    assert (config.data_dir / "opco-watch.ics").exists()


def test_a_short_real_run(
    demo_server: DevServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_config(write_config(tmp_path, only("akto")))
    caplog.set_level("INFO")
    polled = threading.Event()
    scheduler = start(Service(config, mirror=demo_server.base_url))
    scheduler.add_listener(
        lambda event: polled.set() if event.job_id == "poll:akto" else None,
        EVENT_JOB_EXECUTED | EVENT_JOB_ERROR,
    )
    try:
        assert polled.wait(120), caplog.text
    finally:
        scheduler.shutdown(wait=True)
    (started,) = [r.getMessage() for r in caplog.records if "opco-watch running" in r.getMessage()]
    assert all(job in started for job in ("poll:akto", "send", "digest", "reminders"))
    assert "job poll akto: 4 new, 0 changed" in caplog.text
    with Store.open(config.database) as store:
        assert store.count_notices("akto") == 4


def test_a_crashed_poll_is_a_failure_of_its_source(
    demo_server: DevServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever breaks outside a source's own isolation (here the judge, as the shared stemmer
    did) is counted in that source's health and reaches the admin, not only a log line."""
    file = write_config(tmp_path, only("akto") + "[mail]\nadmin_recipient = 'admin@test-of.fr'\n")
    service = Service(load_config(file), mirror=demo_server.base_url)

    def crash(*_: object, **__: object) -> None:
        raise IndexError("string index out of range")

    monkeypatch.setattr(Judge, "from_config", crash)
    for _ in range(3):  # mail.admin_after_failures
        service.poll("akto")
    with Store.open(service.config.database) as store:
        state = store.source_state("akto")
        assert state is not None and state.consecutive_failures == 3
        assert state.last_error == "poll crashed: IndexError('string index out of range')"
        assert [(m.kind, m.recipient) for m in queue.messages(store)] == [
            ("admin", "admin@test-of.fr")
        ]
    shown = cli(tmp_path, "sources", "--json")
    (akto,) = [row for row in json.loads(shown.stdout) if row["source"] == "akto"]
    assert akto["consecutive_failures"] == 3 and "IndexError" in akto["last_error"]
    monkeypatch.undo()
    service.poll("akto")  # repaired: the source works again, and the admin hears of it
    with Store.open(service.config.database) as store:
        assert store.source_state("akto").consecutive_failures == 0  # type: ignore[union-attr]
        assert [m.kind for m in queue.messages(store)] == ["admin", "admin"]


RUN = textwrap.dedent(
    """
    import logging, sys
    from watcher.config import load_config
    from watcher.scheduler import run
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    sys.exit(run(load_config(sys.argv[1]), mirror=sys.argv[2]))
    """
)


def test_sigterm_finishes_the_job_in_progress_then_exits(
    demo_server: DevServer, tmp_path: Path
) -> None:
    file = write_config(tmp_path, only("akto"))
    demo_server.latency = 1.0  # every answer takes a second: the poll is in progress for a while
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", RUN, str(file), demo_server.base_url],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert demo_server.wait_for_requests(1, timeout=120)  # the poll is under way
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, errors
    for line in ("received SIGTERM", "job poll akto:", "stopped"):
        assert line in errors, errors
    received, polled, stopped = (
        errors.index("received SIGTERM"),
        errors.index("job poll akto:"),  # its outcome depends on the machine's load; its end
        errors.index("stopped"),
    )
    assert received < polled < stopped, errors  # the poll under way was finished, not cut
    assert PARIS.key == "Europe/Paris"


def run_until_every_source_polled(folder: Path, base_url: str) -> tuple[dict[str, str], str, int]:
    """Start ``opco-watch run`` (the real entry point) and read its log as it comes, until each
    enabled source's first poll has ended; then SIGTERM. (outcome per source, log, exit code)"""
    config_file = folder / "opco-watch.toml"
    write_starter(config_file)
    names = set(load_config(config_file).enabled_sources())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("OPCO_WATCH_CONFIG", None)
    command = ["--config", str(config_file), "run", "--mirror", base_url]
    process = subprocess.Popen(
        [sys.executable, "-m", "watcher", *command],
        cwd=folder,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queues.Queue[str | None] = queues.Queue()
    reader = threading.Thread(target=_read_lines, args=(process, lines))
    reader.start()
    outcome: dict[str, str] = {}
    log: list[str] = []
    try:
        while not names <= set(outcome):
            line = lines.get(timeout=300)
            if line is None:  # the process ended before polling everything
                break
            log.append(line)
            if found := POLLED.search(line):
                outcome[found["source"]] = "ok" if found["ok"] else "failed"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
        reader.join()
        assert process.stderr is not None
        process.stderr.close()
    log += [line for line in iter(lines.get_nowait, None)]
    return outcome, "".join(log), process.returncode


#: a poll job's outcome line: "4 new, 0 changed" (ok) or "failed (1 in a row): …"
POLLED = re.compile(r"job poll (?P<source>\S+): (?:(?P<ok>\d+ new)|(?P<failed>failed))")


def _read_lines(process: subprocess.Popen[str], lines: queues.Queue[str | None]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        lines.put(line)
    lines.put(None)


@pytest.mark.parametrize("start_number", range(1, 6))
def test_run_polls_every_source_on_start_with_no_job_crash(
    tmp_path: Path, start_number: int
) -> None:
    """The production mode, as an admin starts it: every source polled at start-up, in the
    scheduler's threads at once, and no job crashes (the shared stemmer crashed 2-3 of 13)."""
    with snapshot_server(datetime.now(PARIS).date()) as server:
        outcome, log, code = run_until_every_source_polled(tmp_path, server.base_url)
    assert outcome == dict.fromkeys(SOURCES, "ok"), log
    for sign in ("crashed", "Traceback", "unexpected error", "IndexError"):
        assert sign not in log, log
    assert code == 0 and "stopped" in log, log
    with Store.open(tmp_path / "data" / "opco-watch.db") as store:
        failing = [s.source for s in store.source_states() if s.consecutive_failures]
    assert failing == [], log
