"""The jobs on procrastinate's queue, in the store's PostgreSQL database.

Jobs: ``poll`` (one source), ``send`` (one outbox pass), ``digest``, ``reminders`` — the
methods of ``scheduler.Service``, as for ``opco-watch run``. A periodic ``tick`` (every
``send_interval_seconds``, at most a minute) is deferred once per tick for the whole cluster
of workers; whichever worker runs it defers what is due: each source whose interval has passed
since its last run (``source_state.last_run``, so polls made by ``opco-watch poll`` count), a
send pass, the digest when its week is due and not yet queued, the reminders once a day after
``reminders_time``. Each deferred job carries a queueing lock (one waiting job per source, one
send...), so slow workers never pile up copies.

Exactly once, where the queue cannot promise it, is kept by the store: a poll holds the
source's poll lock, the sender claims each message, a digest or reminder has a deterministic
Message-ID. A worker that dies (kill -9, a lost machine) stops sending heartbeats; the next
tick after ``stalled_after`` seconds puts its unfinished jobs back in the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued, UniqueViolation
from procrastinate.jobs import Status
from procrastinate.schema import SchemaManager

from watcher.models import PARIS
from watcher.notify import jobs as job_state
from watcher.notify.digest import STATE as DIGEST_STATE
from watcher.notify.week import due_week
from watcher.scheduler import Service
from watcher.store import Store, locks

log = logging.getLogger(__name__)

POLL, SEND, DIGEST, REMINDERS, TICK = (
    f"opco_watch.{name}" for name in ("poll", "send", "digest", "reminders", "tick")
)
#: jobs_state: the last day (Europe/Paris) the worker cluster queued the reminders
REMINDERS_STATE = "worker:reminders_day"
#: the queue's own tables, created beside opco-watch's by ``ensure_queue_tables``
QUEUE_TABLE = "procrastinate_jobs"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    concurrency: int = 1
    #: seconds between two heartbeats of a worker; a worker silent for 3 of them is dead
    heartbeat: float = 10.0

    @property
    def stalled_after(self) -> float:
        return 3 * self.heartbeat


def conninfo(database_url: str) -> str:
    """The libpq connection string of a SQLAlchemy PostgreSQL URL (psycopg's own form)."""
    url = sa.make_url(database_url)
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_queue_tables(store: Store) -> bool:
    """Create the queue's tables when absent (serialised with migrations); True if created."""
    with store.transaction(write=True) as conn:
        locks.serialise(conn, "migrate")
        if sa.inspect(conn).has_table(QUEUE_TABLE):
            return False
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.execute(SchemaManager.get_schema())  # no parameters: several statements
    log.info("created the job queue's tables")
    return True


def has_queue_tables(store: Store) -> bool:
    with store.transaction() as conn:
        return sa.inspect(conn).has_table(QUEUE_TABLE)


def tick_cron(send_interval_seconds: int) -> str:
    """procrastinate's cron (a 6th field for seconds): every send interval, at most a minute,
    rounded down to a divisor of 60 so that ticks stay evenly spaced."""
    if send_interval_seconds >= 60:
        return "* * * * *"
    step = max(d for d in (5, 6, 10, 12, 15, 20, 30) if d <= max(send_interval_seconds, 5))
    return f"* * * * * */{step}"


def build_app(service: Service, options: WorkerOptions) -> App:
    """The procrastinate app of this config: its jobs and its tick."""
    connector = PsycopgConnector(conninfo=conninfo(service.config.database))
    app = App(connector=connector)
    app.task(name=POLL, pass_context=False)(_poll_job(service))
    app.task(name=SEND)(lambda: _log_send(service))
    app.task(name=DIGEST)(service.digest)
    app.task(name=REMINDERS)(_reminders_job(service))
    cron = tick_cron(service.settings.schedule.send_interval_seconds)
    tick = app.task(name=TICK, queueing_lock="tick")(_tick_job(app, service, options))
    app.periodic(cron=cron, periodic_id="tick")(tick)
    return app


def _poll_job(service: Service) -> Callable[[str], None]:
    def poll(source: str) -> None:
        if not _poll_due(service, source, service.clock()):
            log.info("job poll %s: skipped, polled since it was queued", source)
            return
        log.info("job poll %s: started", source)
        service.poll(source)

    return poll


def _log_send(service: Service) -> None:
    report = service.send()
    log.info("job send: %d sent, %d to retry", report.sent, report.retried)


def _reminders_job(service: Service) -> Callable[[], None]:
    def reminders() -> None:
        service.reminders()
        today = service.clock().astimezone(PARIS).date().isoformat()
        with Store.open(service.config.database) as store, store.transaction(write=True) as conn:
            job_state.put(conn, REMINDERS_STATE, today, service.clock())

    return reminders


def _tick_job(app: App, service: Service, options: WorkerOptions) -> Callable[..., Any]:
    async def tick(timestamp: int) -> None:
        await recover_stalled(app, options.stalled_after)
        running = await _polls_in_progress(app)
        for name, kwargs, lock in await asyncio.to_thread(due_jobs, service, service.clock()):
            if name == POLL and kwargs["source"] in running:
                continue  # not a second poll while one runs (or waits to be run again)
            with contextlib.suppress(AlreadyEnqueued):  # one is waiting already: enough
                await app.configure_task(name, queueing_lock=lock).defer_async(**kwargs)

    return tick


async def _polls_in_progress(app: App) -> set[str]:
    """The sources whose poll job is running (on a live worker or a dead one)."""
    doing = await app.job_manager.list_jobs_async(task=POLL, status="doing")
    return {str(job.task_kwargs.get("source")) for job in doing}


def due_jobs(service: Service, now: datetime) -> list[tuple[str, dict[str, Any], str]]:
    """(task, arguments, queueing lock) of every job due at ``now``."""
    due: list[tuple[str, dict[str, Any], str]] = []
    with Store.open(service.config.database) as store:
        states = {state.source: state for state in store.source_states()}
        with store.transaction() as conn:
            digest_week = job_state.get(conn, DIGEST_STATE)
            reminders_day = job_state.get(conn, REMINDERS_STATE)
    for name in service.config.enabled_sources():
        state = states.get(name)
        last_run = state.last_run if state else None
        if last_run is None or _interval(service, name) <= now - last_run:
            due.append((POLL, {"source": name}, f"poll:{name}"))
    due.append((SEND, {}, "send"))
    week = due_week(now, service.settings.schedule)
    if digest_week is None or digest_week < week.label:
        due.append((DIGEST, {}, "digest"))
    if _reminders_due(service, now, reminders_day):
        due.append((REMINDERS, {}, "reminders"))
    return due


def _interval(service: Service, source: str) -> timedelta:
    configured = service.config.sources.get(source)
    return timedelta(minutes=configured.interval_minutes if configured else 60)


def _poll_due(service: Service, source: str, now: datetime) -> bool:
    with Store.open(service.config.database) as store:
        state = store.source_state(source)
    if state is None or state.last_run is None:
        return True
    # a little slack: a tick rounds, and a poll records its run when it ends
    return now - state.last_run >= _interval(service, source) - timedelta(minutes=1)


def _reminders_due(service: Service, now: datetime, last_day: str | None) -> bool:
    schedule = service.settings.schedule
    local = now.astimezone(PARIS)
    hour, minute = schedule.hour_minute(schedule.reminders_time)
    after = (local.hour, local.minute) >= (hour, minute)
    return after and (last_day is None or last_day < local.date().isoformat())


async def recover_stalled(app: App, stalled_after: float) -> int:
    """Put back in the queue the jobs of workers that stopped sending heartbeats."""
    manager = app.job_manager
    recovered = 0
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        log.warning("job %s #%s: its worker stopped answering; queued again", job.task_name, job.id)
        try:
            await manager.retry_job(job, retry_at=datetime.now(UTC))
        except (UniqueViolation, AlreadyEnqueued):  # the same job is already waiting
            await manager.finish_job(job, Status.FAILED, delete_job=False)
        recovered += 1
    return recovered
