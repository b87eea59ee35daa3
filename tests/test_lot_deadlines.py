"""Lots closing on other days than their call (``watcher.deadlines``): one wording in the
emails (through a real SMTP server), the digest, the drafts, ``show``/``list``; a reminder and
a calendar event per distinct deadline; answerable until the last one; a corrigendum moving
one lot told as the lot's. And the real TED record whose deadline is given per lot."""

from __future__ import annotations

import copy
import html
import json
import re
from dataclasses import replace as dc_replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
import sqlalchemy as sa
from icalendar import Calendar

from responses.context import _deadline as draft_deadline
from responses.context import _deadline_note as draft_deadline_note
from responses.sample import SAMPLE_NOW, sample_notice
from scrapers.ted import Ted
from tests.conftest import Database
from tests.drafts import example_draft
from tests.notify_data import T0, Collect, loopback_settings, notice, parts, poll, settings
from tests.smtp_server import smtp_server
from tests.test_ted import REAL, SEARCH
from tests.web_site import NOW as SITE_NOW
from tests.web_site import _day as site_day
from tests.web_site import _notice as site_notice
from tests.web_site import build_site
from tests.web_site import verdict as site_verdict
from watcher import calls, deadlines, fr, grouping, tenders
from watcher.calls import CallFilter
from watcher.cli import call_views
from watcher.models import PARIS, Lot, Match, NoticeKind, Tender, tender_notice
from watcher.notify import answerable
from watcher.notify.calendar import calendar_ics
from watcher.notify.digest import DigestData, gather, view
from watcher.notify.queries import Judged, open_deadlines_between
from watcher.notify.reminders import enqueue_reminders
from watcher.notify.render import render
from watcher.notify.routing import Router
from watcher.notify.sender import drain
from watcher.notify.settings import NotifySettings, settings_of
from watcher.notify.week import Week
from watcher.store import SCHEMA_HEAD, Store
from watcher.store.engine import create, resolve_url, transaction
from watcher.store.migrations import migrate
from watcher.store.records import Prepared
from watcher.store.schema import notices
from watcher.store.schema import tenders as tenders_table
from watcher.web.calls_view import _lots as console_lots

NB = "\u00a0"
CALL = datetime(2026, 12, 31, 12, 0, tzinfo=PARIS)
LOT2 = datetime(2027, 1, 7, 12, 0, tzinfo=PARIS)
TOLD = f"jeudi 31 décembre 2026 à 12h00 — lot 2{NB}: jeudi 7 janvier 2027 à 12h00"
#: as told with its countdown at NOW: beside the date it counts to, the call's, not after lot 2's
COUNTED = f"jeudi 31 décembre 2026 à 12h00 (J-28) — lot 2{NB}: jeudi 7 janvier 2027 à 12h00"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)


def two_lots(ref: str = "L1", lot2: datetime = LOT2, **fields: Any) -> Any:
    lots = (
        Lot("Auvergne-Rhône-Alpes", "LOT-0001", deadline=CALL),
        Lot("Bretagne", "LOT-0002", deadline=lot2),
    )
    values = {"deadline": CALL, "lots": lots, **fields}
    return notice(ref, "Formation management des chantiers", source="ted", **values)


def tender_of(*notices: Any) -> Tender:
    return Tender(1, tuple(notices))


# ------------------------------------------------------------------------------ the rules


def test_one_wording_names_the_lot_closing_apart() -> None:
    told = deadlines.of(tender_of(two_lots()))
    assert deadlines.words(told) == TOLD
    assert told.last == LOT2 and told.first == CALL and told.split
    assert [m.named for m in told.moments] == ["lot 1", "lot 2"]  # reminders, calendar, table
    assert told.soonest(CALL) == told.moments[0]  # due at 12h00 still
    assert told.soonest(CALL + timedelta(minutes=1)) == told.moments[1]  # lot 1 closed


def test_the_json_deadline_wording_is_the_one_of_the_date_in_force() -> None:
    """After a corrigendum moved the date, `list --json` and `show --json` give its wording,
    not the call's old one beside the new date."""
    call = two_lots(lots=(), deadline_text="31/12/2026 à 12h00")
    moved = CALL + timedelta(days=7)
    fixed = two_lots(
        "L1-R",
        lots=(),
        deadline=moved,
        deadline_text="07/01/2027 à 12h00",
        kind=NoticeKind.CORRIGENDUM,
        related_refs=("L1",),
    )
    data = call_views.tender_json(tender_of(call, fixed))
    assert (data["deadline"], data["deadline_text"]) == (moved.isoformat(), "07/01/2027 à 12h00")
    undated = tender_of(two_lots(lots=(), deadline=None, deadline_text="voir le règlement"))
    assert call_views.tender_json(undated)["deadline_text"] == "voir le règlement"


def test_lots_closing_with_the_call_change_nothing() -> None:
    told = deadlines.of(tender_of(two_lots(lot2=CALL)))
    assert deadlines.words(told) == "jeudi 31 décembre 2026 à 12h00" and not told.split
    assert [m.named for m in told.moments] == [""]  # reminders and events as before


def test_lots_sharing_a_later_day_are_named_together() -> None:
    lots = tuple(Lot(f"Région {n}", str(n), deadline=LOT2 if n > 1 else CALL) for n in (1, 3, 2))
    told = deadlines.of(tender_of(notice("L3", deadline=CALL, lots=lots)))
    assert deadlines.words(told).endswith(f"lots 2 et 3{NB}: jeudi 7 janvier 2027 à 12h00")


def test_answerable_until_the_last_deadline() -> None:
    judged = Judged(tender_of(two_lots()), Match(True, 80), T0)
    after_lot1 = CALL + timedelta(days=1)
    assert answerable.set_aside_reason(judged, after_lot1) is None
    assert answerable.followed(judged, after_lot1)
    kind, words = answerable.set_aside_reason(judged, LOT2 + timedelta(hours=1)) or ("", "")
    assert kind == "passed"
    assert words == (
        f"dates limites dépassées (la dernière{NB}: lot 2{NB}: jeudi 7 janvier 2027 à 12h00)"
    )


def test_a_corrigendum_moving_one_lot_is_told_as_the_lots() -> None:
    moved = LOT2 + timedelta(days=7)
    corrigendum = two_lots("L1-R", lot2=moved, kind=NoticeKind.CORRIGENDUM)
    before = two_lots().lots
    assert grouping.changes(CALL, before, corrigendum) == (
        f"lot 2{NB}: date limite repoussée au jeudi 14 janvier 2027 à 12h00",
    )
    told = deadlines.of(tender_of(two_lots(), corrigendum))
    assert deadlines.words(told).endswith("jeudi 14 janvier 2027 à 12h00")
    # every lot moved to one day is the call's deadline moving
    later = CALL + timedelta(days=3)
    all_moved = two_lots(
        "L1-R",
        kind=NoticeKind.CORRIGENDUM,
        deadline=later,
        lots=tuple(Lot(lot.title, lot.number, deadline=later) for lot in before),
    )
    assert grouping.changes(CALL, before, all_moved) == (
        "date limite repoussée au dimanche 3 janvier 2027 à 12h00",
    )


# --------------------------------------------------------------------- through the store


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


def test_the_alert_email_tells_both_days(
    tmp_path: Path, store: Store, config: NotifySettings
) -> None:
    with smtp_server() as server:
        mail = loopback_settings(tmp_path, server.port)
        poll(store, [two_lots()], mail, at=NOW)
        assert drain(store, mail, clock=lambda: NOW).sent == 1
        (received,) = server.handler.received
    text, html = parts(received.message)
    assert f"Date limite{NB}: {COUNTED}" in text
    assert "<strong>jeudi 31 décembre 2026 à 12h00</strong>" in html
    counted = html[html.index("<strong>jeudi 31 décembre 2026 à 12h00</strong>") :]
    beside = rf"<strong>[^<]*</strong> <span[^>]*>\(J-28\)</span> — lot 2{NB}: jeudi 7"
    assert re.match(beside, counted)


def test_reminders_and_calendar_events_per_deadline(store: Store, config: NotifySettings) -> None:
    poll(store, [two_lots()], config, at=NOW)
    tenders.set_status(store, 1, "go", at=NOW)
    transport = Collect()
    drain(store, config, transport, clock=lambda: NOW)  # the alert
    j2_call = datetime(2026, 12, 29, 8, 0, tzinfo=PARIS)
    j7_lot = datetime(2026, 12, 31, 8, 0, tzinfo=PARIS)
    j2_lot = datetime(2027, 1, 5, 8, 0, tzinfo=PARIS)
    assert enqueue_reminders(store, config, j2_call) == 1  # the call's J-2
    assert enqueue_reminders(store, config, j7_lot) == 1  # lot 2's J-7, the call's J-2 sent
    assert enqueue_reminders(store, config, j2_lot) == 1  # after the call's own deadline
    drain(store, config, transport, clock=lambda: j2_lot)
    sent = [m for m in transport.sent if m["X-Opco-Watch-Kind"] == "reminder"]
    title = "Formation management des chantiers"
    assert [m["Subject"] for m in sent] == [
        f"[opco-watch] Rappel J-2 (lot 1){NB}: {title}",
        f"[opco-watch] Rappel J-7 (lot 2){NB}: {title}",
        f"[opco-watch] Rappel J-2 (lot 2){NB}: {title}",
    ]
    text, html = parts(sent[2])
    assert f"approche (J-2), pour le lot 2{NB}: jeudi 7 janvier 2027 à 12h00." in text
    assert "pour le lot 2" in html

    feed = Calendar.from_ical(calendar_ics(store, config, NOW))
    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {"tender-1@of.fr", "tender-1-lot-2@of.fr"}
    assert events["tender-1@of.fr"].decoded("dtstart") == CALL
    assert str(events["tender-1@of.fr"]["summary"]).startswith(f"12h00 — Date limite (lot 1){NB}:")
    lot2 = events["tender-1-lot-2@of.fr"]
    assert lot2.decoded("dtstart") == LOT2
    assert str(lot2["summary"]) == f"12h00 — Date limite (lot 2){NB}: AKTO — {title}"
    assert f"Date limite{NB}: {TOLD}" in str(lot2["description"])
    # the call's deadline out of the feed's 30 days back, lot 2's still in: selected by lot 2
    late = Calendar.from_ical(calendar_ics(store, config, CALL + timedelta(days=32)))
    assert [str(e["uid"]) for e in late.walk("VEVENT")] == ["tender-1-lot-2@of.fr"]


def test_the_update_email_says_lot_2_moved(store: Store, config: NotifySettings) -> None:
    """A corrigendum moving only lot 2 (stored and grouped like the pipeline does): the
    update email says so, and the call's deadline is not said to have moved."""
    transport = Collect()
    poll(store, [two_lots()], config, at=NOW)
    drain(store, config, transport, clock=lambda: NOW)
    corrigendum = two_lots(
        "L1-R", lot2=LOT2 + timedelta(days=7), kind=NoticeKind.CORRIGENDUM, related_refs=("L1",)
    )
    poll(store, [corrigendum], config, at=NOW + timedelta(hours=1))
    drain(store, config, transport, clock=lambda: NOW + timedelta(hours=1))
    assert len(transport.sent) == 2
    text, _ = parts(transport.sent[-1])
    assert f"lot 2{NB}: date limite repoussée au jeudi 14 janvier 2027 à 12h00" in text
    assert "date limite repoussée au jeudi 31" not in text and "avancée" not in text
    assert f"à 12h00 (J-28) — lot 2{NB}: jeudi 14 janvier 2027 à 12h00\n" in text


def test_the_digest_lists_each_deadline(store: Store, config: NotifySettings) -> None:
    poll(store, [two_lots()], config, at=NOW)
    now = datetime(2026, 12, 28, 8, 0, tzinfo=PARIS)  # both deadlines within 14 days
    data: DigestData = gather(store, config, Week.of(now.date()), now)
    context = view(data, config, None)
    assert [row["deadline"] for row in context["deadlines"]] == [
        f"lot 1{NB}: jeudi 31 décembre 2026 à 12h00",
        f"lot 2{NB}: jeudi 7 janvier 2027 à 12h00",
    ]
    assert [row["countdown"] for row in context["deadlines"]] == ["J-3", "J-10"]
    text = render("digest/digest.txt.j2", {**context, "subject": "s"})
    assert f"lot 2{NB}: jeudi 7 janvier 2027 à 12h00 (J-10)" in text


def test_the_digest_counts_down_beside_the_date_it_counts_to(
    store: Store, config: NotifySettings
) -> None:
    poll(store, [two_lots()], config, at=NOW)
    context = view(gather(store, config, Week.of(NOW.date()), NOW), config, None)
    text = render("digest/digest.txt.j2", {**context, "subject": "s"})
    html_ = render("digest/digest.html.j2", {**context, "subject": "s", "standalone": False})
    assert COUNTED in text
    beside = f'à 12h00 <strong style="white-space:nowrap;">(J-28)</strong> — lot 2{NB}: jeudi 7'
    assert beside in html_


def test_show_list_draft_and_console_tell_both_days() -> None:
    tender = tender_of(two_lots())
    assert call_views._deadline_words(tender, NOW) == COUNTED
    # `list`'s cell: lot 2 on lines of its own, the countdown beside the date it counts to
    assert call_views._deadline_short(tender, NOW) == (
        f"31/12/2026 12:00 J-28\nlot 2{NB}:\n07/01/2027 12:00"
    )
    assert call_views.tender_json(tender)["lot_deadlines"] == [
        {"lots": "lot 2", "deadline": "2027-01-07T12:00:00+01:00"}
    ]
    draft = tender_notice(tender)
    assert draft_deadline(draft) == TOLD
    assert draft_deadline_note(draft, CALL + timedelta(days=2)) == "dans 5 jours"
    corrigendum = two_lots("L1-R", lot2=LOT2 + timedelta(days=7), kind=NoticeKind.CORRIGENDUM)
    shown = console_lots(tender_of(two_lots(), corrigendum))
    assert shown[1]["deadline"] == "jeudi 14 janvier 2027 à 12h00"  # the corrigendum's


# ------------------------------------------------------------------ the real TED record


@pytest.fixture
def real_record(shared: Path) -> dict[str, Any]:
    """TED 476004-2026 as recorded: its deadline is given per lot (one lot, no lot title)."""
    data = json.loads((shared / REAL).read_text("utf-8"))
    (record,) = [n for n in data["notices"] if n["publication-number"] == "476004-2026"]
    return dict(record)


def _ted(record: dict[str, Any]) -> Any:
    answer = {"notices": [record], "totalNoticeCount": 1, "timedOut": False}
    (found,) = Ted().parse(json.dumps(answer), SEARCH).notices
    return found


def _relevant(tender: Tender) -> Match:
    return Match(True, 80, ("Management",), ("test",), ())


def test_the_real_record_s_deadline_is_the_one_emailed(
    real_record: dict[str, Any], store: Store, config: NotifySettings
) -> None:
    assert real_record["deadline-receipt-tender-date-lot"] == ["2026-08-25+02:00"]
    assert real_record["deadline-receipt-tender-time-lot"] == ["23:59:00+02:00"]
    found = _ted(real_record)
    assert found.deadline == datetime(2026, 8, 25, 23, 59, tzinfo=PARIS)
    poll(store, [found], config, at=datetime(2026, 7, 10, 9, 0, tzinfo=PARIS), verdict=_relevant)
    transport = Collect()
    drain(store, config, transport)
    text, html = parts(transport.sent[0])
    assert f"Date limite{NB}: mardi 25 août 2026 à 23h59 (J-46)" in text
    assert "mardi 25 août 2026 à 23h59" in html


def test_a_real_record_with_a_second_lot_closing_later(real_record: dict[str, Any]) -> None:
    """The record given a second lot (derived here: the fixture is never edited) closing a
    week later, at 12:00 Paris: each lot keeps its own day and hour, in Paris time."""
    record = copy.deepcopy(real_record)
    record["title-lot"] = {"swe": ["Del 1", "Del 2"]}
    record["identifier-lot"] = ["LOT-0001", "LOT-0002"]
    record["deadline-receipt-tender-date-lot"] = ["2026-08-25+02:00", "2026-09-01+02:00"]
    record["deadline-receipt-tender-time-lot"] = ["23:59:00+02:00", "12:00:00+02:00"]
    found = _ted(record)
    assert [lot.deadline for lot in found.lots] == [
        datetime(2026, 8, 25, 23, 59, tzinfo=PARIS),
        datetime(2026, 9, 1, 12, 0, tzinfo=PARIS),
    ]
    assert deadlines.words(deadlines.of(tender_of(found))) == (
        f"mardi 25 août 2026 à 23h59 — lot 2{NB}: mardi 1er septembre 2026 à 12h00"
    )


# ------------------------------------------------------------------------ migration 11


def test_migration_11_gives_stored_calls_their_lots_span(database: Database) -> None:
    """A call stored before migration 11 (at version 10) gets its first and last deadline,
    lot 2's included, so that its reminders and calendar event find lot 2."""
    if database.dialect == "sqlite":
        Path(database.url).parent.mkdir(parents=True, exist_ok=True)
    engine = create(resolve_url(database.url))
    try:
        with transaction(engine, write=True) as conn:
            assert migrate(conn, target=10) == 10
            conn.execute(sa.insert(tenders_table).values(**_v10_tender()))
            stored = Prepared.of(two_lots())
            stamps = {"first_seen": T0, "last_seen": T0, "last_changed": T0, "tender_id": 1}
            conn.execute(
                sa.insert(notices).values(key=stored.notice.key, **stored.columns(), **stamps)
            )
        with transaction(engine, write=True) as conn:
            assert migrate(conn) == SCHEMA_HEAD
            query = sa.select(tenders_table.c.first_deadline, tenders_table.c.last_deadline)
            assert tuple(conn.execute(query).one()) == (CALL, LOT2)
            late = CALL + timedelta(days=32)
            assert open_deadlines_between(conn, late - timedelta(days=30), late) == [1]
    finally:
        engine.dispose()


def _v10_tender() -> dict[str, Any]:
    return {
        "id": 1,
        "title": "Formation management des chantiers",
        "buyer": "AKTO",
        "deadline": CALL,
        "status": "go",
        "closed": False,
        "winner": "",
        "created_at": T0,
        "updated_at": T0,
        "buyer_norm": "akto",
        "title_norm": "formation management des chantiers",
        "owner": "",
    }


# --------------------------------------------------------------------------- the drafts


def test_the_draft_tells_the_lot_closing_apart(tmp_path: Path) -> None:
    """The checklist (md, html) and the mémoire (md, docx re-opened) of a call whose lot 2
    closes a week after the call (the sample call: « lundi 23 mars 2026 à 12h00 »)."""
    sample = sample_notice()
    assert sample.deadline is not None
    later = sample.deadline + timedelta(days=7)
    lots = (sample.lots[0], dc_replace(sample.lots[1], deadline=later))
    found = example_draft(tmp_path, dc_replace(sample, lots=lots), now=SAMPLE_NOW)
    told = f"lundi 23 mars 2026 à 12h00 — lot 2{NB}: lundi 30 mars 2026 à 12h00"
    counted = f"lundi 23 mars 2026 à 12h00 (dans 21 jours) — lot 2{NB}: lundi 30 mars 2026 à 12h00"
    checklist = found["checklist.md"].read_text("utf-8")
    assert f"**Date limite de remise des offres{NB}: {counted}**" in checklist
    assert counted in found["checklist.html"].read_text("utf-8")
    assert f"| Date limite de remise des offres | {counted} |" in (
        found["memoire-technique.md"].read_text("utf-8")
    )
    memoire = docx.Document(str(found["memoire-technique.docx"]))
    cells = [c.text for t in memoire.tables for row in t.rows for c in row.cells]
    assert any(told in text for text in [p.text for p in memoire.paragraphs] + cells)


# --------------------------------------------------------------------------- the console


def test_the_call_page_tells_both_days_and_the_lot_moved(tmp_path: Path) -> None:
    """The console (served on loopback): the header's deadline names lot 2, the lot list
    gives lot 2 the corrigendum's day, the timeline says lot 2's deadline moved."""
    site = build_site(tmp_path)
    call, lot2 = site_day(10), site_day(17)
    moved = site_day(24)

    def lots(second: datetime) -> tuple[Lot, ...]:
        return (Lot("Rennes", "1", deadline=call), Lot("Brest", "2", deadline=second))

    first = site_notice("lot-1", "Formation management par lots", deadline=call, lots=lots(lot2))
    corrigendum = site_notice(
        "lot-1-rect",
        "Rectificatif — Formation management par lots",
        kind=NoticeKind.CORRIGENDUM,
        related_refs=("lot-1",),
        deadline=call,
        lots=lots(moved),
    )
    # a call whose own deadline has passed while its lot 2 is still open
    passed = (Lot("Rennes", "1", deadline=site_day(-3)), Lot("Brest", "2", deadline=site_day(5)))
    half = site_notice(
        "lot-2", "Formation management à moitié close", deadline=site_day(-3), lots=passed
    )
    with site.store() as store:
        for notice_ in (first, corrigendum, half):
            poll(store, [notice_], settings_of(site.config), at=SITE_NOW, verdict=site_verdict)
        router = Router(settings_of(site.config))
        chosen = calls.list_calls(store, CallFilter(open_only=True), now=SITE_NOW, router=router)
        listed = {row.judged.tender.id for row in chosen}
    number, still_open = site.ids()["lot-1"], site.ids()["lot-2"]
    assert still_open in listed  # `list --open`
    with site.client() as client:
        pipeline = client.get("/appels").text
        page = html.unescape(client.get(f"/appels/{number}").text)
    assert f'/appels/{still_open}"' in pipeline  # not hidden as « date limite passée »
    said = re.sub(r"<[^>]+>", "", page)  # the countdown beside the date it counts to
    assert f"{fr.long_datetime(call)} (J-10) — lot 2{NB}: {fr.long_datetime(moved)}" in said
    assert f"lot 2{NB}: date limite repoussée au {fr.long_datetime(moved)}" in page
    assert fr.long_datetime(lot2) not in page  # lot 2's first day is no longer told
