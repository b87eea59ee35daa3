"""``opco-watch run``: the long-running process, on APScheduler 3.x (Europe/Paris).

Jobs: one poll per enabled source (its ``interval_minutes``, with jitter), the outbox sender
(every ``send_interval_seconds``), the weekly digest (cron, default Monday 08:00) and the daily
deadline reminders. Every job has ``coalesce``, ``max_instances=1`` and a misfire grace time;
the digest may run up to six days late rather than never. At start-up a catch-up job queues a
digest whose slot passed while the process was down (``jobs_state`` remembers the last week
queued, so it is never queued twice) and the reminders due. SIGTERM or SIGINT: the jobs in
progress finish, then the process exits with 0.

The jobs are the plain methods of ``Service``; the CLI exposes the same work (``poll``,
``send``, ``digest``, ``reminders``), so cron users and tests never need the scheduler.

Jobs run in the threads of APScheduler's pool, at the same time. What they share, and why
it is safe (tests/test_threads.py runs each with real threads):

- each poll job opens its own ``Store`` (engine, connections), ``Judge`` (classifier, vault)
  and ``Fetcher`` inside its own event loop (``asyncio.run``): nothing of these is shared;
- the learner of the users' judgements is the process's (``judging.learner_for``), locked by
  itself; it is taught every judgement before the first job, so that no job judges with a
  learner still being taught;
- ``Config`` and ``NotifySettings`` are read, never written, once loaded;
- the classifier's text functions are pure (no shared stemmer object); the module-level
  caches (``lru_cache`` of stems, places, OPCO names; the token table) map a string to a
  string computed from it alone, so two threads can only store the same value;
- the Jinja environments (``lru_cache``) are thread-safe once built; a second one built by a
  race is equivalent and dropped;
- the calendar file: each writer has a temporary file of its own, published by ``os.replace``;
- SQLite: the database is created, switched to WAL and migrated before the first job (a new
  file's switch to WAL does not wait for a writer); every write transaction then takes the
  database's write lock first (``BEGIN IMMEDIATE``),
  so the admin check, the outbox claims and the migrations run one at a time; the sender's
  passes (the send job, and the digest and reminder jobs) also take ``Service.sending``, so
  one process never talks to the mail server twice at once;
- the modules imported lazily (the learner, the mail transports) are imported once
  before the first job, not by two jobs at once;
- logging is thread-safe; jobs print nothing on the console.

A poll job that crashes, whatever the exception, is recorded in its source's health like any
failure (``sources`` shows it; the admin hears of it after ``mail.admin_after_failures``).
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from watcher import pipeline
from watcher.config import Config
from watcher.errors import OpcoWatchError, StoreError
from watcher.judging import learner_for
from watcher.models import PARIS
from watcher.notify.admin import check_sources
from watcher.notify.calendar import write_calendar
from watcher.notify.digest import scheduled_digest
from watcher.notify.reminders import enqueue_reminders
from watcher.notify.sender import DrainReport, drain, utcnow
from watcher.notify.settings import NotifySettings, settings_of
from watcher.notify.transport import open_transport
from watcher.store import Store

log = logging.getLogger(__name__)

DIGEST_GRACE = timedelta(days=6)
#: imported inside functions the jobs call (the learner, the mail transports)
LAZY_MODULES = ("watcher.classify.learn", "watcher.notify.eml", "watcher.notify.smtp")


def _outcome(report: pipeline.SourceReport) -> str:
    """'4 new, 0 changed'; 'failed (2 in a row): …'; a source not polled (the site asked to
    wait) is no failure: its reason alone."""
    if report.ok:
        return f"{report.new} new, {report.changed} changed"
    if report.consecutive_failures == 0:
        return report.error
    return f"failed ({report.consecutive_failures} in a row): {report.error}"


class Service:
    """The work of each job, as plain methods."""

    def __init__(
        self, config: Config, *, mirror: str | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.config = config
        self.settings: NotifySettings = settings_of(config)
        self.mirror = mirror
        self.clock = clock
        #: one pass of the sender at a time in this process (send, digest and reminder jobs)
        self.sending = threading.Lock()

    def check(self) -> None:
        """Fail at start-up, not at the first email, on a mail setting that cannot work."""
        open_transport(self.settings).close()

    def poll(self, name: str) -> None:
        try:
            reports = pipeline.poll(self.config, names=[name], mirror=self.mirror)
        except Exception as error:  # any crash counts in the source's health, never silent
            self._record_crash(name, error)
            return
        for report in reports:
            log.info("job poll %s: %s", report.source, _outcome(report))
        self._after_poll()

    def _record_crash(self, name: str, error: Exception) -> None:
        words = f"poll crashed: {error!r}"
        log.error("job poll %s: %s", name, words, exc_info=error)
        try:
            with Store.open(self.config.database) as store:
                count = store.record_failure(name, at=self.clock(), error_kind="bug", error=words)
        except StoreError as store_error:
            log.error("job poll %s: the failure cannot be recorded: %s", name, store_error)
            return
        log.info("job poll %s: failed (%d in a row): %s", name, count, words)
        self._after_poll()

    def _after_poll(self) -> None:
        """Tell the admin of sources that broke or recovered; refresh the calendar file."""
        with Store.open(self.config.database) as store:
            check_sources(store, self.settings, self.clock())
            try:
                write_calendar(store, self.settings, self.clock())
            except OSError as error:  # the poll itself went well: not the source's failure
                log.error("calendar file not written: %s", error)

    def send(self) -> DrainReport:
        with self.sending, Store.open(self.config.database) as store:
            return drain(store, self.settings, clock=self.clock)

    def digest(self) -> int | None:
        with Store.open(self.config.database) as store:
            queued = scheduled_digest(store, self.settings, self.clock())
        self.send()
        return queued

    def reminders(self) -> int:
        with Store.open(self.config.database) as store:
            queued = enqueue_reminders(store, self.settings, self.clock())
            write_calendar(store, self.settings, self.clock())
        self.send()
        return queued

    def catch_up(self) -> None:
        """At start-up: a digest whose slot passed while down, and the reminders due."""
        self.digest()
        self.reminders()


def guarded(name: str, job: Callable[..., Any]) -> Callable[..., None]:
    """A job that logs an opco-watch error (site down, SMTP down) instead of a traceback."""

    def run(*args: Any) -> None:
        try:
            job(*args)
        except OpcoWatchError as error:
            log.error("job %s failed: %s", name, error)

    run.__name__ = run.__qualname__ = f"job_{name}"
    return run


def build_scheduler(service: Service) -> BackgroundScheduler:
    """The scheduler with every job added; not started."""
    schedule = service.settings.schedule
    scheduler = BackgroundScheduler(
        timezone=PARIS,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": schedule.misfire_grace_seconds,
        },
    )
    now = datetime.now(PARIS)
    for name in service.config.enabled_sources():
        _add_poll(scheduler, service, name, now)
    every = IntervalTrigger(seconds=schedule.send_interval_seconds, timezone=PARIS)
    scheduler.add_job(
        guarded("send", service.send), every, id="send", name="send", next_run_time=now
    )
    hour, minute = schedule.hour_minute(schedule.digest_time)
    weekly = CronTrigger(day_of_week=schedule.digest_day, hour=hour, minute=minute, timezone=PARIS)
    grace = int(DIGEST_GRACE.total_seconds())
    scheduler.add_job(
        guarded("digest", service.digest),
        weekly,
        id="digest",
        name="digest",
        misfire_grace_time=grace,
    )
    hour, minute = schedule.hour_minute(schedule.reminders_time)
    daily = CronTrigger(hour=hour, minute=minute, timezone=PARIS)
    scheduler.add_job(
        guarded("reminders", service.reminders), daily, id="reminders", name="reminders"
    )
    return scheduler


def _add_poll(scheduler: BackgroundScheduler, service: Service, name: str, now: datetime) -> None:
    source = service.config.sources.get(name)
    minutes = source.interval_minutes if source else 60
    jitter = service.settings.schedule.jitter_seconds or None
    trigger = IntervalTrigger(minutes=minutes, jitter=jitter, timezone=PARIS)
    scheduler.add_job(
        guarded(f"poll {name}", service.poll),
        trigger,
        args=[name],
        id=f"poll:{name}",
        name=f"poll {name}",
        next_run_time=now,
    )


def _on_event(event: JobExecutionEvent) -> None:
    if event.code == EVENT_JOB_MISSED:
        log.warning(
            "job %s missed its run at %s (too late)", event.job_id, event.scheduled_run_time
        )
    elif event.exception is not None:
        log.error("job %s crashed", event.job_id, exc_info=event.exception)


def start(service: Service) -> BackgroundScheduler:
    """Build the scheduler, import what the jobs import lazily, start it (the polls, the
    sender and the catch-up run at once); the caller shuts it down."""
    _import_lazy_modules()
    _prepare_store(service.config)
    scheduler = build_scheduler(service)
    scheduler.add_listener(_on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    scheduler.add_job(guarded("catch-up", service.catch_up), id="catch-up", name="catch-up")
    scheduler.start()
    log.info("opco-watch running: %s", ", ".join(job.id for job in scheduler.get_jobs()))
    return scheduler


def _import_lazy_modules() -> None:
    """Modules imported inside functions, imported here once: two jobs importing a package
    at the same moment can see it half initialised."""
    for name in LAZY_MODULES:
        importlib.import_module(name)


def _prepare_store(config: Config) -> None:
    """Create and migrate the database, and teach this process's learner the users'
    judgements, before the jobs start at once.

    SQLite switches a new file to WAL on its first connection, and that switch fails at once
    ("database is locked", no busy wait) while another connection writes: the first polls of a
    fresh store raced. The learner is shared by the jobs and taught by the first judge of the
    process: jobs starting beside it judged with a half-taught learner, and their verdicts
    (stored, alerted) ignored judgements the users had made."""
    with Store.open(config.database) as store:
        learner_for(config, store, wait=True)


def run(config: Config, *, mirror: str | None = None, stop: threading.Event | None = None) -> int:
    """Run until SIGTERM / SIGINT (or ``stop`` is set); the job in progress finishes first."""
    service = Service(config, mirror=mirror)
    service.check()
    stop = stop or threading.Event()
    _on_signals(stop)
    scheduler = start(service)
    stop.wait()
    log.info("stopping: waiting for the jobs in progress")
    scheduler.shutdown(wait=True)
    log.info("stopped")
    return 0


def _on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach the main thread only (tests run the scheduler in a thread)

    def handle(signum: int, _frame: object) -> None:
        log.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
