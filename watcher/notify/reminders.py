"""Deadline reminders for the calls marked "go": at J-7 and J-2 by default.

A reminder is due from its milestone on (J-7 covers 7 down to 3 days left, J-2 the last two
days), so a job that did not run on the day sends it the next day rather than never; its
Message-ID (tender, milestone, deadline, recipient) makes it once only. A deadline moved by a
corrigendum is a new deadline: its reminders are due again. A lot closing on another day than
its call (``watcher.deadlines``) has reminders of its own, which name the lot.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from watcher import deadlines, fr
from watcher.models import PARIS, Match
from watcher.notify import queries
from watcher.notify.context import tender_context
from watcher.notify.outbox import OutboxMessage, insert, message_id
from watcher.notify.queries import Judged
from watcher.notify.routing import Router
from watcher.notify.settings import NotifySettings, served
from watcher.notify.subjects import reminder_subject
from watcher.store import Store

log = logging.getLogger(__name__)


def milestone(days_left: int, days: list[int]) -> int | None:
    """The reminder due with ``days_left`` days to go: the smallest milestone not yet passed."""
    due = [d for d in days if days_left <= d]
    return min(due) if due and days_left >= 0 else None


def enqueue_reminders(store: Store, settings: NotifySettings, now: datetime) -> int:
    """Queue the reminders due at ``now``; returns how many were new."""
    days = settings.schedule.reminder_days
    if not days:
        return 0
    today = now.astimezone(PARIS).date()
    horizon = datetime.combine(today + timedelta(days=max(days) + 1), datetime.min.time(), PARIS)
    router, queued = Router(settings), 0
    with store.transaction(write=True) as conn:
        settings = served(settings, conn)
        ids = queries.open_deadlines_between(conn, now, horizon)
        going = [j for j in queries.load(conn, ids) if j.tender.status == "go"]
        told = queries.alerted(conn, [j.tender.id for j in going])
        for judged in going:
            people = told.get(judged.tender.id) or router.recipients(
                judged.tender, judged.match or Match(False, 0)
            )
            queued += _queue(conn, judged, people, settings, now)
    if queued:
        log.info("queued %d deadline reminder(s)", queued)
    return queued


def _queue(
    conn: Connection,
    judged: Judged,
    people: tuple[str, ...],
    settings: NotifySettings,
    now: datetime,
) -> int:
    """One reminder per recipient for each of the call's deadlines at a milestone: a lot
    closing on another day than the call has its own (``watcher.deadlines``)."""
    queued = 0
    context: dict[str, Any] | None = None  # the call's, made once if some deadline is due
    for moment in deadlines.of(judged.tender).moments:
        days_left = deadlines.paris_days(moment.at, now)
        step = milestone(days_left, settings.schedule.reminder_days)
        if step is not None and moment.at >= now:
            if context is None:
                context = tender_context(judged.tender, judged.match, now, settings.links)
            queued += sum(
                insert(conn, _message(judged, context, moment, step, r, settings, now))
                for r in people
            )
    return queued


def _message(
    judged: Judged,
    context: dict[str, Any],
    moment: deadlines.Moment,
    step: int,
    recipient: str,
    settings: NotifySettings,
    now: datetime,
) -> OutboxMessage:
    call = {**context, "countdown": deadlines.countdown(moment.at, now)}
    parts = [str(judged.tender.id), f"J-{step}", moment.at.isoformat(), recipient]
    return OutboxMessage(
        message_id=message_id("reminder", parts, settings.domain),
        kind="reminder",
        recipient=recipient,
        subject=reminder_subject(call["countdown"], call["title"], moment.named),
        template="email/reminder",
        context={
            "organisation": settings.organisation,
            "generated": fr.long_datetime(now),
            "milestone": step,
            "call": call,
            # « pour le lot 2 : jeudi 7 janvier 2027 à 12h00 » when a lot closes apart
            "for_lots": _for_lots(moment),
        },
        created_at=now,
    )


def _for_lots(moment: deadlines.Moment) -> str:
    if not moment.named:
        return ""
    article = "les" if moment.named.startswith("lots ") else "le"
    return f"pour {article} {deadlines.named_words(moment)}"
