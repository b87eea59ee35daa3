"""Deadline reminders (J-7, J-2) for calls marked go, and the iCalendar export."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.conftest import Database
from tests.notify_data import CLAIRE, HOSTILE, T0, Collect, notice, parts, poll, settings
from watcher import tenders
from watcher.models import PARIS, Match, Tender
from watcher.notify.calendar import calendar_ics, write_calendar
from watcher.notify.digest import _deadlines as digest_deadlines
from watcher.notify.reminders import enqueue_reminders, milestone
from watcher.notify.sender import drain
from watcher.notify.settings import NotifySettings
from watcher.store import Store

DEADLINE = datetime(2026, 3, 20, 12, 0, tzinfo=PARIS)


def day(days_left: int, hour: int = 7) -> datetime:
    """A moment ``days_left`` days before the deadline's day."""
    return datetime.combine(
        DEADLINE.date() - timedelta(days=days_left), datetime.min.time(), PARIS
    ).replace(hour=hour)


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


@pytest.fixture
def store(database: Database, config: NotifySettings) -> Store:
    with Store.open(database.url) as opened:
        calls = [
            notice("G1", "Formation management go", deadline=DEADLINE, lots=()),
            notice("N1", "Formation management ignorée", deadline=DEADLINE),
            notice("X1", f"Formation management no-go {HOSTILE}; a,b", deadline=DEADLINE),
            notice("H1", "Travaux hors sujet", deadline=DEADLINE),
        ]
        poll(opened, calls, config)
        tenders.set_status(opened, 1, "go", at=T0)
        tenders.set_status(opened, 3, "no-go", at=T0)
        yield opened


def reminders(store: Store, config: NotifySettings) -> list[EmailMessage]:
    transport = Collect()
    drain(store, config, transport)
    return [m for m in transport.sent if m["X-Opco-Watch-Kind"] == "reminder"]


def test_milestones() -> None:
    days = [7, 2]
    assert [milestone(d, days) for d in (9, 8, 7, 5, 3, 2, 1, 0, -1)] == [
        None,
        None,
        7,
        7,
        7,
        2,
        2,
        2,
        None,
    ]


def test_reminders_at_j7_and_j2_once_each(store: Store, config: NotifySettings) -> None:
    assert enqueue_reminders(store, config, day(8)) == 0
    assert enqueue_reminders(store, config, day(7)) == 1
    assert enqueue_reminders(store, config, day(7, hour=18)) == 0
    assert enqueue_reminders(store, config, day(4)) == 0
    assert enqueue_reminders(store, config, day(2)) == 1
    assert enqueue_reminders(store, config, day(0)) == 0
    sent = reminders(store, config)
    assert [m["Subject"] for m in sent] == [
        "[opco-watch] Rappel J-7\u00a0: Formation management go",
        "[opco-watch] Rappel J-2\u00a0: Formation management go",
    ]
    assert all(m["To"] == CLAIRE for m in sent)
    text, _ = parts(sent[1])
    assert "marqué «\u00a0go\u00a0», approche (J-2)" in text
    assert "opco-watch status 1 submitted" in text


def test_a_missed_day_is_caught_up_and_a_moved_deadline_reminds_again(
    store: Store, config: NotifySettings
) -> None:
    assert enqueue_reminders(store, config, day(5)) == 1  # the J-7 job did not run
    moved = notice("G1", "Formation management go", deadline=DEADLINE + timedelta(days=7), lots=())
    poll(store, [moved], config, at=day(5))
    assert enqueue_reminders(store, config, day(5) + timedelta(days=7)) == 1
    assert [m["Subject"] for m in reminders(store, config)] == [
        "[opco-watch] Rappel J-5\u00a0: Formation management go",
        "[opco-watch] Rappel J-5\u00a0: Formation management go",
    ]


def test_the_calendar_lists_followed_deadlines(store: Store, config: NotifySettings) -> None:
    feed = Calendar.from_ical(calendar_ics(store, config, T0))
    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {"tender-1@of.fr", "tender-2@of.fr"}  # go and relevant; not no-go
    event = events["tender-1@of.fr"]
    assert event.decoded("dtstart") == DEADLINE and "dtend" not in event  # the instant
    assert str(event["summary"]) == "12h00 — Date limite\u00a0: AKTO — Formation management go"
    assert "statut\u00a0: go" in str(event["description"]) and str(event["url"]).startswith(
        "https://"
    )
    assert str(feed["x-wr-calname"]) == "opco-watch — dates limites OF Test"
    everything = Calendar.from_ical(calendar_ics(store, config, T0, everything=True))
    titles = [str(e["summary"]) for e in everything.walk("VEVENT")]
    assert f"12h00 — Date limite\u00a0: AKTO — Formation management no-go {HOSTILE}; a,b" in titles
    assert len(titles) == 4


def test_the_calendar_file_is_written_in_the_data_dir(store: Store, config: NotifySettings) -> None:
    path = write_calendar(store, config, T0)
    assert path == config.data_dir / "opco-watch.ics"
    assert path.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert [p.name for p in config.data_dir.glob("*opco-watch.ics*")] == ["opco-watch.ics"]


def test_the_calendar_follows_the_deadlines_the_digest_lists(
    database: Database, config: NotifySettings
) -> None:
    """One rule: a relevant call that is blocked (a region not served) is « écarté » in the
    digest and absent from the calendar, unless someone marked it go."""

    def verdict(tender: Tender) -> Match:
        blockers = ("région non desservie\u00a0: Occitanie",) if "Occitanie" in tender.title else ()
        return Match(
            True, 80, ("Management",), ("«\u00a0management\u00a0» dans le titre",), blockers
        )

    with Store.open(database.url) as store:
        calls = [
            notice("B1", "Formation management Occitanie", deadline=DEADLINE),
            notice("B2", "Formation management Occitanie go", deadline=DEADLINE),
            notice("F1", "Formation management Bretagne", deadline=DEADLINE),
        ]
        poll(store, calls, config, verdict=verdict)
        tenders.set_status(store, 2, "go", at=T0)
        feed = Calendar.from_ical(calendar_ics(store, config, T0))
        with store.transaction() as conn:
            listed = {j.tender.id for j in digest_deadlines(conn, DEADLINE - timedelta(days=7))}
    assert {str(e["uid"]) for e in feed.walk("VEVENT")} == {"tender-2@of.fr", "tender-3@of.fr"}
    assert listed == {2, 3}
