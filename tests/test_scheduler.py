"""The scheduler: its jobs and their options, a short real run, catch-up, and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scrapers.registry import SOURCES
from tests.conftest import ROOT, Database, write_config
from tests.notify_data import T0
from watcher.config import Config, load_config
from watcher.devserver import DevServer
from watcher.models import PARIS
from watcher.notify import jobs
from watcher.notify.settings import ScheduleConfig
from watcher.scheduler import Service, build_scheduler, run
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
    stop = threading.Event()
    caplog.set_level("INFO")
    runner = threading.Thread(
        target=run, args=(config,), kwargs={"mirror": demo_server.base_url, "stop": stop}
    )
    runner.start()
    try:
        deadline = time.monotonic() + 60
        while "job poll akto" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        runner.join(60)
    assert not runner.is_alive()
    (started,) = [r.getMessage() for r in caplog.records if "opco-watch running" in r.getMessage()]
    assert all(job in started for job in ("poll:akto", "send", "digest", "reminders"))
    assert "job poll akto: 4 new, 0 changed" in caplog.text and "stopped" in caplog.text
    with Store.open(config.database) as store:
        assert store.count_notices("akto") == 4


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
        deadline = time.monotonic() + 60
        while not demo_server.requests and time.monotonic() < deadline:
            time.sleep(0.05)
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
