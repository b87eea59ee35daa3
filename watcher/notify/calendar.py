"""The deadlines as an iCalendar (.ics) feed, for Outlook, Thunderbird or any calendar.

One event per followed call (relevant or marked go / submitted; not no-go, won, lost), in
the hour before its deadline, with a reminder the day before. UIDs are stable
(``tender-ID@domain``), so a subscribed calendar updates an event when a deadline moves.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Alarm, Calendar, Event

from watcher.models import PARIS
from watcher.notify import queries
from watcher.notify.context import STATUS_LABELS, tender_context
from watcher.notify.queries import Judged
from watcher.notify.settings import NotifySettings
from watcher.store import Store

FILE_NAME = "opco-watch.ics"
PAST = timedelta(days=30)
AHEAD = timedelta(days=730)
DROPPED = ("no-go", "won", "lost")


def followed(judged: Judged) -> bool:
    status = judged.tender.status
    return status not in DROPPED and (judged.relevant or status in ("go", "submitted"))


def calendar_ics(
    store: Store, settings: NotifySettings, now: datetime, *, everything: bool = False
) -> bytes:
    """The feed: deadlines from 30 days ago on, of followed calls (every open call with
    ``everything``)."""
    with store.transaction() as conn:
        ids = queries.open_deadlines_between(conn, now - PAST, now + AHEAD)
        chosen = [j for j in queries.load(conn, ids) if everything or followed(j)]
    feed = Calendar()
    feed.add("prodid", "-//opco-watch//dates limites//FR")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", f"opco-watch — dates limites {settings.organisation}".strip())
    feed.add("x-wr-timezone", "Europe/Paris")
    for judged in chosen:
        feed.add_component(_event(judged, settings, now))
    return bytes(feed.to_ical())


def _event(judged: Judged, settings: NotifySettings, now: datetime) -> Event:
    tender, deadline = judged.tender, judged.tender.deadline
    assert deadline is not None  # selected by deadline
    call = tender_context(tender, judged.match, now.astimezone(PARIS).date(), settings.links)
    event = Event()
    event.add("uid", f"tender-{tender.id}@{settings.domain}")
    event.add("dtstamp", now.astimezone(UTC))
    end = deadline.astimezone(UTC)  # UTC ("Z"): no VTIMEZONE needed by any client
    event.add("dtstart", end - timedelta(hours=1))
    event.add("dtend", end)
    event.add("summary", f"Date limite : {call['opco'] or call['buyer']} — {tender.title}")
    event.add("description", _description(call))
    event.add("url", tender.main.url)
    event.add("categories", [STATUS_LABELS.get(tender.status, tender.status)])
    event.add_component(_alarm(tender.title))
    return event


def _description(call: dict[str, Any]) -> str:
    lines = [f"Appel n° {call['id']} — statut : {call['status_label']}"]
    if call["score"] is not None:
        lines.append(f"Pertinence : {call['score']}/100")
    lines += [f"Lot : {lot}" for lot in call["lots"]]
    lines.append(f"Dans la console : {call['page_url']}")
    lines += [f"{link['label']} : {link['url']}" for link in call["links"]]
    return "\n".join(lines)


def _alarm(title: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", f"Date limite demain : {title}")
    alarm.add("trigger", timedelta(days=-1))
    return alarm


def write_calendar(
    store: Store, settings: NotifySettings, now: datetime, path: Path | None = None
) -> Path:
    """Write the feed (default: ``opco-watch.ics`` in the data directory), atomically."""
    target = path or settings.data_dir / FILE_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(calendar_ics(store, settings, now))
    os.replace(partial, target)
    return target
