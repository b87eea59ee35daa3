"""Admin alerts, apart from business alerts: a source failing ``admin_after_failures`` times in
a row is reported once; its recovery is reported once. Never a storm: the report is keyed by
the failure streak, kept in ``jobs_state`` in the same transaction as the queued email."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Connection

from scrapers.registry import source_label
from watcher import fr
from watcher.notify import jobs
from watcher.notify.outbox import OutboxMessage, insert, message_id
from watcher.notify.settings import NotifySettings
from watcher.notify.subjects import admin_subject
from watcher.store import SourceState, Store
from watcher.store.state import source_states

log = logging.getLogger(__name__)

PREFIX = "source_down:"


def check_sources(store: Store, settings: NotifySettings, now: datetime) -> int:
    """Queue the admin emails the sources' health calls for; returns how many."""
    with store.transaction(write=True) as conn:
        reported = jobs.names(conn, PREFIX)
        return sum(_check(conn, state, reported, settings, now) for state in source_states(conn))


def _check(
    conn: Connection,
    state: SourceState,
    reported: dict[str, str],
    settings: NotifySettings,
    now: datetime,
) -> int:
    key = PREFIX + state.source
    down_id = reported.get(key)
    if down_id is None and state.consecutive_failures >= settings.mail.admin_after_failures:
        message = _down(state, settings, now)
        jobs.put(conn, key, message.message_id, now)
        log.warning(
            "[%s] reported to the admin: %d failures in a row",
            state.source,
            state.consecutive_failures,
        )
        return int(insert(conn, message))
    if down_id is not None and state.consecutive_failures == 0:
        jobs.delete(conn, key)
        log.info("[%s] reported to the admin: working again", state.source)
        return int(insert(conn, _recovered(state, down_id, settings, now)))
    return 0


def _down(state: SourceState, settings: NotifySettings, now: datetime) -> OutboxMessage:
    since = state.last_success.isoformat() if state.last_success else "never"
    context = {
        **_common(state, settings, now),
        "recovered": False,
        "failures": state.consecutive_failures,
        "error_kind": state.last_error_kind or "",
        "error": state.last_error or "",
    }
    mid = message_id("source-down", [state.source, since], settings.domain)
    return _message(mid, state, settings, now, context)


def _recovered(
    state: SourceState, down_id: str, settings: NotifySettings, now: datetime
) -> OutboxMessage:
    context = {**_common(state, settings, now), "recovered": True, "failures": 0}
    context |= {"error_kind": state.last_error_kind or "", "error": state.last_error or ""}
    mid = message_id("source-up", [state.source, down_id], settings.domain)
    return _message(mid, state, settings, now, context)


def _common(state: SourceState, settings: NotifySettings, now: datetime) -> dict[str, object]:
    return {
        "organisation": settings.organisation,
        "source": state.source,  # the id, for the command to run
        "source_name": source_label(state.source),
        "generated": fr.long_datetime(now),
        "last_success": fr.long_datetime(state.last_success) if state.last_success else "",
        "threshold": settings.mail.admin_after_failures,
        "on_fallback": state.on_fallback,
    }


def _message(
    mid: str,
    state: SourceState,
    settings: NotifySettings,
    now: datetime,
    context: dict[str, object],
) -> OutboxMessage:
    return OutboxMessage(
        message_id=mid,
        kind="admin",
        recipient=settings.admin_recipient,
        subject=admin_subject(source_label(state.source), bool(context["recovered"])),
        template="email/admin",
        context=context,
        created_at=now,
    )
