"""Sources: the health of each source, and « interroger maintenant » for one source, run in
a background thread with its progress on a page that refreshes itself (no JavaScript)."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scrapers.registry import source_label
from watcher import fr, pipeline
from watcher.errors import OpcoWatchError
from watcher.failure_words import in_french
from watcher.isolation import error_words
from watcher.store.records import SourceState
from watcher.web.console import Console, console_of, handler, not_found, redirect
from watcher.web.render import page

log = logging.getLogger(__name__)


@dataclass
class PollJob:
    """One « interroger maintenant »: its progress lines, then its outcome."""

    source: str
    started: datetime
    by: str
    events: list[str] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    outcome: str = ""
    ok: bool = False

    def progress(self, _source: str, event: str) -> None:
        self.events.append(fr.poll_event(event))


def start_poll(console: Console, name: str, by: str) -> PollJob:
    """A poll of one source in a thread; a second request while it runs joins the first."""
    running = console.polls.get(name)
    if running is not None and not running.done.is_set():
        return running
    job = PollJob(name, datetime.now(UTC), by)
    console.polls[name] = job
    thread = threading.Thread(target=_run, args=(console, job), name=f"poll-{name}", daemon=True)
    thread.start()
    return job


def _run(console: Console, job: PollJob) -> None:
    try:
        (report,) = pipeline.poll(
            console.config, names=[job.source], mirror=console.mirror, progress=job.progress
        )
        job.ok = report.ok
        job.outcome = (
            f"{fr.plural(report.items, 'avis lu', 'avis lus')}{fr.NBSP}: "
            f"{fr.plural(report.new, 'nouveau', 'nouveaux')}, "
            f"{fr.plural(report.changed, 'modifié')}"
            if report.ok
            else f"échec{fr.NBSP}: {in_french(report.error or '')}"
        )
    except OpcoWatchError as error:
        job.outcome = f"échec{fr.NBSP}: {in_french(error_words(error))}"
    except Exception as error:  # the console must say it, not lose it
        log.exception("poll of %s from the console crashed", job.source)
        job.outcome = f"erreur interne\u00a0: {error!r}"
    finally:
        console.index.stale()
        job.done.set()


def rows(console: Console) -> list[dict[str, Any]]:
    config = console.config
    states = {s.source: s for s in console.store.source_states()}
    found = []
    for name in config.source_names():
        state = states.get(name)
        job = console.polls.get(name)
        found.append(
            {
                "name": name,
                "label": source_label(name),
                "description": config.source_class(name).description(),
                "enabled": name in config.enabled_sources(),
                "last_success": state.last_success if state else None,
                "last_run": state.last_run if state else None,
                "read": state.items_seen_last if state else 0,
                "total": state.total_items if state else 0,
                "failures": state.consecutive_failures if state else 0,
                "error": in_french(state.last_error or "")
                if state and state.consecutive_failures
                else "",
                "notes": health_notes(state) if state else [],
                "fallback": bool(state and state.on_fallback),
                "running": job is not None and not job.done.is_set(),
            }
        )
    return found


def health_notes(state: SourceState) -> list[str]:
    """What else the admin should know, as ``opco-watch sources`` says it: records left out,
    a Retry-After pause, detail pages that keep failing."""
    notes = []
    if state.skipped_last:
        skipped = fr.plural(state.skipped_last, "avis illisible ignoré", "avis illisibles ignorés")
        notes.append(f"{skipped} au dernier passage (la raison est dans le journal)")
    if state.deferred_until and state.deferred_until > datetime.now(UTC):
        until = fr.long_datetime(state.deferred_until)
        notes.append(f"en pause jusqu'au {until}{fr.NBSP}: le site l'a demandé (Retry-After)")
    if state.details_failing:
        pages = fr.plural(
            state.detail_failures, "page de détail en échec", "pages de détail en échec"
        )
        polls = fr.plural(state.detail_failure_polls, "passage")
        notes.append(
            f"{pages}, {polls} de suite{fr.NBSP}: {in_french(state.last_detail_error or '?')}"
        )
    return notes


@handler()
async def sources_page(request: Request) -> Response:
    console = console_of(request)
    return page(
        request,
        "sources.html",
        {"title": "Sources", "sources": await run_in_threadpool(rows, console)},
    )


@handler(admin=True)
async def poll_now(request: Request) -> Response:
    console = console_of(request)
    name = str(request.path_params["name"])
    if name not in console.config.source_names():
        return not_found(request, f"Aucune source «\u00a0{name}\u00a0».")
    start_poll(console, name, request.state.user.email)
    return redirect(request, f"/sources/{name}")


@handler()
async def poll_progress(request: Request) -> Response:
    console = console_of(request)
    name = str(request.path_params["name"])
    if name not in console.config.source_names():
        return not_found(request, f"Aucune source «\u00a0{name}\u00a0».")
    job = console.polls.get(name)
    context = {
        "title": f"Source {source_label(name)}",
        "name": name,
        "label": source_label(name),
        "job": job,
        "running": bool(job and not job.done.is_set()),
    }
    return page(request, "poll.html", context)


ROUTES = [
    Route("/sources", sources_page),
    Route("/sources/{name}/interroger", poll_now, methods=["POST"]),
    Route("/sources/{name}", poll_progress),
]
