"""The deadlines as an iCalendar (.ics) feed, for Outlook, Thunderbird or any calendar.

One event per deadline of a followed call (``answerable.followed``, the digest's rule: marked
go or submitted, or relevant and neither blocked, closed nor set aside; not no-go, won, lost):
a lot closing on another day than its call has an event of its own, titled with the lot
(« Date limite (lot 2) : … », ``watcher.deadlines``). The event *is* the deadline: it starts
at the deadline instant (no end: an instant, RFC 5545 §3.6.1), its title starts with the time
(« 12h00 — Date limite : AKTO — … »), two alarms ring two days and two hours before, and its
description gives the call number (« Appel n° 40 », the number of every command and email)
and the call's links. UIDs are stable (``tender-ID@domain``, ``tender-ID-lot-2@domain``), so
a subscribed calendar moves an event when a deadline moves.

The file is written atomically: a temporary file of its own in the same folder, then
``os.replace``; two threads (the scheduler's poll jobs) or two processes writing at once each
publish a whole file, never a mix, and never trip over each other's temporary file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Alarm, Calendar, Event

from watcher import deadlines
from watcher.fr import NBSP
from watcher.models import PARIS, Tender
from watcher.notify import queries
from watcher.notify.answerable import followed
from watcher.notify.context import STATUS_LABELS, tender_context
from watcher.notify.settings import NotifySettings, served
from watcher.store import Store

FILE_NAME = "opco-watch.ics"
ALL_FILE_NAME = "opco-watch-all.ics"
PAST = timedelta(days=30)
AHEAD = timedelta(days=730)
#: when the alarms ring, before the deadline, with the words they show
ALARMS = ((timedelta(days=2), "dans 2 jours"), (timedelta(hours=2), "dans 2 heures"))
#: control characters (C0 but tab and newline, DEL, C1) and bidirectional overrides: text
#: from the web is never passed on with them
_UID_WORDS = re.compile("[^0-9A-Za-z]+")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def calendar_ics(
    store: Store, settings: NotifySettings, now: datetime, *, everything: bool = False
) -> bytes:
    """The feed: deadlines from 30 days ago on, of followed calls (every open call with
    ``everything``)."""
    with store.transaction() as conn:
        settings = served(settings, conn)
        ids = queries.open_deadlines_between(conn, now - PAST, now + AHEAD)
        chosen = [j for j in queries.load(conn, ids) if everything or followed(j, now)]
    feed = Calendar()
    feed.add("prodid", "-//opco-watch//dates limites//FR")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-wr-calname", f"opco-watch — dates limites {settings.organisation}".strip())
    feed.add("x-wr-timezone", "Europe/Paris")
    for judged in chosen:
        moments = deadlines.of(judged.tender).between(now - PAST, now + AHEAD)
        if not moments:
            continue
        # the call's context once, for each of its deadlines' events
        call = tender_context(judged.tender, judged.match, now, settings.links)
        for moment in moments:
            feed.add_component(_event(judged.tender, call, moment, settings, now))
    return bytes(feed.to_ical())


def _event(
    tender: Tender,
    call: dict[str, Any],
    moment: deadlines.Moment,
    settings: NotifySettings,
    now: datetime,
) -> Event:
    deadline = moment.at
    which = f" ({moment.named})" if moment.named else ""
    title = plain(f"Date limite{which}{NBSP}: {call['opco'] or call['buyer']} — {tender.title}")
    event = Event()
    event.add("uid", _uid(tender.id, moment, settings.domain))
    event.add("dtstamp", now.astimezone(UTC))
    event.add("dtstart", deadline.astimezone(UTC))  # UTC ("Z"): no VTIMEZONE needed
    event.add("summary", f"{clock_time(deadline)} — {title}")
    event.add("description", _description(call))
    if call["links"]:
        event.add("url", call["links"][0]["url"])
    event.add("categories", [STATUS_LABELS.get(tender.status, tender.status)])
    for before, words in ALARMS:
        event.add_component(_alarm(before, f"Date limite {words} ({clock_time(deadline)}){NBSP}: "))
    return event


def _uid(tender_id: int, moment: deadlines.Moment, domain: str) -> str:
    """``tender-40@domain`` for the call's deadline (as before lots had events of their own),
    ``tender-40-lot-2@domain`` for a lot closing apart: each moves with its own deadline."""
    if not moment.lots:
        return f"tender-{tender_id}@{domain}"
    return f"tender-{tender_id}-{_UID_WORDS.sub('-', moment.lots).strip('-')}@{domain}"


def clock_time(moment: datetime) -> str:
    """'12h00', in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{local.hour}h{local.minute:02d}"


def _description(call: dict[str, Any]) -> str:
    lines = [
        f"Appel n°{NBSP}{call['id']} — statut{NBSP}: {call['status_label']}",
        f"Date limite{NBSP}: {call['deadline']}",
    ]
    if call["score"] is not None:
        lines.append(f"Pertinence{NBSP}: {call['score']}/100")
    lines += [f"Lot{NBSP}: {lot}" for lot in call["lots"]]
    lines.append(f"Dans la console{NBSP}: {call['page_url']}")
    lines += [f"{link['label']}{NBSP}: {link['url']}" for link in call["links"]]
    lines.append(f"Dans opco-watch{NBSP}: opco-watch show {call['id']}")
    return plain("\n".join(lines))


def _alarm(before: timedelta, words: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", words.rstrip(f" {NBSP}:"))
    alarm.add("trigger", -before)
    return alarm


def plain(text: str) -> str:
    """``text`` without control characters (a title from the web may carry some)."""
    return _CONTROLS.sub("", text)


def write_calendar(
    store: Store,
    settings: NotifySettings,
    now: datetime,
    path: Path | None = None,
    *,
    everything: bool = False,
) -> Path:
    """Write the feed atomically; by default ``opco-watch.ics`` (``opco-watch-all.ics`` with
    ``everything``) in the data directory, which is created if needed. An explicit ``path``
    must be in an existing folder (``FileNotFoundError`` otherwise: nothing is created)."""
    if path is None:
        path = settings.data_dir / (ALL_FILE_NAME if everything else FILE_NAME)
        path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, calendar_ics(store, settings, now, everything=everything))
    return path


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file of its own (same folder, so that
    ``os.replace`` is atomic); the temporary file never outlives a failure."""
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(name, mode)
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
