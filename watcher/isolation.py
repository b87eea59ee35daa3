"""Each source in isolation: whatever goes wrong in one source's poll is that source's report.

``run_source`` wraps one source's poll (``pipeline._poll_source``):

- the poll holds the source's lock (``Store.poll_lock``: never two polls of one source at
  once, whatever the processes sharing the store);
- a source whose site asked to be left alone (a long Retry-After, kept in its health as
  ``deferred_until``) is skipped until then, with a line saying so;
- the poll has ``fetch.source_deadline_seconds`` in all, waiting for the lock included (each
  request has its own deadline in the fetch layer); past it, the poll is recorded as failed
  ("timeout");
- a fetch, parse or other error is recorded in the source's health (a ``RateLimited`` with
  the moment to come back); a bug is logged with its traceback and recorded as "bug";
- a ``StoreError`` is not written to the store that just failed: it becomes this source's
  report (kind "store"), and the other sources go on. ``raise_store_failures`` then turns
  the reports of a poll into one ``StoreError`` for the command's exit code.

``run_source`` never raises (but for cancellation): ``asyncio.gather`` of the sources cannot
be cut short by one of them, so the shared HTTP client is never closed under the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime

from scrapers.base import Source
from scrapers.registry import source_label
from watcher.errors import FetchError, OpcoWatchError, RateLimited, StoreError
from watcher.fr import NBSP, noun, plural
from watcher.models import PARIS
from watcher.runs import RunContext, SourceReport
from watcher.store import SourceState

log = logging.getLogger(__name__)

Poll = Callable[[Source, RunContext, SourceState | None], Awaitable[SourceReport]]


class PastDeadline(OpcoWatchError):
    """A source's poll took longer than ``fetch.source_deadline_seconds``."""

    kind = "timeout"


async def run_source(source: Source, ctx: RunContext, poll: Poll) -> SourceReport:
    """``poll`` one source; never raises: whatever fails is this source's report."""
    started = time.perf_counter()
    ctx.say(source.name, "start")
    try:
        report = await _poll_or_record(source, ctx, poll)
    except StoreError as error:  # the poll, or recording its failure, could not be stored
        log.error("[%s] %s", source.name, error)
        report = SourceReport(source.name, False, error=str(error), error_kind=error.kind)
    except Exception as error:
        log.exception("[%s] unexpected error while recording a failure", source.name)
        report = SourceReport(source.name, False, error=f"internal error: {error!r}")
    ctx.say(source.name, "done" if report.ok else "failed")
    return replace(report, seconds=round(time.perf_counter() - started, 3))


async def _poll_or_record(source: Source, ctx: RunContext, poll: Poll) -> SourceReport:
    """The poll, or its failure recorded in the source's health (a StoreError goes up)."""
    try:
        return await _within_deadline(source, ctx, poll)
    except StoreError:
        raise  # the store is the problem: do not write the failure to it as well
    except RateLimited as error:
        return _failure(source, ctx, error.kind, error_words(error), deferred_until=error.until)
    except OpcoWatchError as error:
        return _failure(source, ctx, error.kind, error_words(error))
    except Exception as error:  # a bug in one parser must not stop the other sources
        log.exception("[%s] unexpected error", source.name)
        return _failure(source, ctx, "bug", f"internal error: {error!r}")


async def _within_deadline(source: Source, ctx: RunContext, poll: Poll) -> SourceReport:
    """The poll holding the source's lock (never two polls of a source at once, whatever the
    processes sharing the store), waiting for it included, within the source's deadline."""
    deadline = asyncio.timeout(ctx.source_deadline)
    try:
        async with deadline, ctx.store.poll_lock(source.name):
            state = ctx.store.source_state(source.name)  # read once the lock is held
            if state is not None and state.deferred_until and ctx.now() < state.deferred_until:
                return _skipped(source, state.deferred_until)
            return await poll(source, ctx, state)
    except TimeoutError:
        if not deadline.expired():
            raise
        seconds = f"{ctx.source_deadline:g} s"
        words = f"poll not finished within {seconds} (fetch.source_deadline_seconds)"
        raise PastDeadline(words) from None


def _skipped(source: Source, until: datetime) -> SourceReport:
    """The report of a source not polled because its site asked us to wait."""
    when = until.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    words = f"not polled: the site asked (Retry-After) to wait until {when}"
    log.info("[%s] %s", source.name, words)
    return SourceReport(
        source.name, False, error=words, error_kind="deferred", deferred_until=until
    )


def _failure(
    source: Source,
    ctx: RunContext,
    kind: str,
    words: str,
    *,
    deferred_until: datetime | None = None,
) -> SourceReport:
    count = ctx.store.record_failure(
        source.name, at=ctx.now(), error_kind=kind, error=words, deferred_until=deferred_until
    )
    log.warning("[%s] poll failed (%d in a row): %s", source.name, count, words)
    return SourceReport(
        source.name,
        False,
        error=words,
        error_kind=kind,
        consecutive_failures=count,
        deferred_until=deferred_until,
    )


def error_words(error: OpcoWatchError) -> str:
    """The error as a person reads it in the health table ("site unreachable: URL")."""
    if isinstance(error, FetchError):
        return f"{error.reason}: {error.url}"
    return str(error).split("] ", 1)[-1]


def raise_store_failures(reports: Sequence[SourceReport]) -> None:
    """One ``StoreError`` naming the sources whose poll the store refused, if any."""
    failed = [r for r in reports if r.error_kind == StoreError.kind]
    if not failed:
        return
    names = ", ".join(source_label(r.source) for r in failed)
    others = len(reports) - len(failed)
    polled = noun(others, "a été interrogée", "ont été interrogées")
    done = f"{NBSP}; {plural(others, 'autre source', 'autres sources')} {polled}" if others else ""
    count = len(failed)
    refused = noun(count, "n'a pas pu être enregistrée", "n'ont pas pu être enregistrées")
    raise StoreError(
        f"{plural(count, 'source')} {refused} ({names}){NBSP}: {failed[0].error}{done}"
    )
