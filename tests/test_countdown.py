"""One countdown everywhere (``watcher.deadlines.Deadlines.countdown``): at 14h00, lot 1 and
the call having closed at 12h00 today and lot 2 closing in 3 days, every surface counts down
to lot 2 (J-3); a call whose only deadline was 12h00 today says « dépassée », never
« aujourd'hui ». The alert email (through a real SMTP server), the digest, a reminder, `show`
and `list`, the draft, at a given instant; then the console's pages and the CLI's real
process, at the real time, on one store."""

from __future__ import annotations

import html
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from tests.drafts import example_draft
from tests.notify_data import Collect, loopback_settings, notice, parts, poll, settings
from tests.smtp_server import smtp_server
from tests.test_cli import cli
from tests.web_site import _notice as site_notice
from tests.web_site import build_site
from tests.web_site import verdict as site_verdict
from watcher import calls, deadlines, fr, tenders
from watcher.calls import CallFilter
from watcher.cli import call_views
from watcher.models import PARIS, Lot, Notice, Tender, tender_notice
from watcher.notify.digest import gather, view
from watcher.notify.reminders import enqueue_reminders
from watcher.notify.render import render
from watcher.notify.routing import Router
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.store import Store

NB = "\u00a0"
LOT1 = datetime(2026, 12, 3, 12, 0, tzinfo=PARIS)  # lot 1 and the call: today at 12h00
LOT2 = datetime(2026, 12, 6, 12, 0, tzinfo=PARIS)  # lot 2: in 3 days
AT = datetime(2026, 12, 3, 14, 0, tzinfo=PARIS)  # two hours after lot 1 closed


def split() -> Notice:
    lots = (Lot("Rennes", "1", deadline=LOT1), Lot("Brest", "2", deadline=LOT2))
    return notice("S1", "Formation management par lots", deadline=LOT1, lots=lots)


def gone() -> Notice:
    return notice("G1", "Formation management close à midi", deadline=LOT1)


#: (notice, what is told, the countdown, the draft's note)
CASES = {
    "split": (
        split,
        f"{fr.long_datetime(LOT1)} — lot 2{NB}: {fr.long_datetime(LOT2)}",
        "J-3",
        "dans 3 jours",
    ),
    "gone": (gone, fr.long_datetime(LOT1), "dépassée", "dépassée"),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[Notice, str, str, str]:
    make, told, countdown, note = CASES[request.param]
    return make(), told, countdown, note


def test_the_rule(case: tuple[Notice, str, str, str]) -> None:
    made, _told, countdown, _note = case
    counted = deadlines.of(Tender(1, (made,))).countdown(AT)
    assert counted is not None and counted.words == countdown
    assert counted.moment.at == (LOT2 if made.lots[1:] else LOT1)
    # at 12h00 sharp lot 1 is still due: « aujourd'hui », to lot 1
    due = deadlines.of(Tender(1, (made,))).countdown(LOT1)
    assert due is not None and (due.words, due.moment.at) == ("aujourd'hui", LOT1)


def test_the_alert_email(tmp_path: Path, store: Store, case: tuple[Notice, str, str, str]) -> None:
    made, told, countdown, _note = case
    with smtp_server() as server:
        mail = loopback_settings(tmp_path, server.port)
        assert poll(store, [made], mail, at=AT) == 1
        assert drain(store, mail, clock=lambda: AT).sent == 1
        (received,) = server.handler.received
    text, page = parts(received.message)
    assert f"Date limite{NB}: {told} ({countdown})" in text
    assert f"<strong>{told}</strong>" in page
    assert re.search(rf"<strong>{re.escape(told)}</strong> <span [^>]*>\({countdown}\)", page)
    assert "aujourd'hui" not in text + html.unescape(page)


def test_the_digest(tmp_path: Path, store: Store, case: tuple[Notice, str, str, str]) -> None:
    made, told, countdown, _note = case
    config = settings(tmp_path)
    poll(store, [made], config, at=AT)
    context = view(gather(store, config, Week.of(AT.date()), AT), config, None)
    (card,) = context["calls"] + context["set_aside"]
    assert (card["deadline"], card["countdown"]) == (told, countdown)
    text = render("digest/digest.txt.j2", {**context, "subject": "s"})
    if made.lots[1:]:  # to answer: its card counts down; lot 2's row in « dates limites »
        assert f"{told} ({countdown})" in text
        assert [row["countdown"] for row in context["deadlines"]] == [countdown]
    else:  # set aside as passed, no row to come
        assert f"date limite dépassée ({told})" in text and not context["deadlines"]
    assert "aujourd'hui" not in text


def test_the_reminder(tmp_path: Path, store: Store, case: tuple[Notice, str, str, str]) -> None:
    made, told, countdown, _note = case
    config = settings(tmp_path)
    poll(store, [made], config, at=AT - timedelta(days=10))
    tenders.set_status(store, 1, "go", at=AT - timedelta(days=10))
    transport = Collect()
    drain(store, config, transport, clock=lambda: AT - timedelta(days=10))  # the alert
    if not made.lots[1:]:  # its only deadline passed: nothing to remind
        assert enqueue_reminders(store, config, AT) == 0
        return
    assert enqueue_reminders(store, config, AT) == 1  # lot 2's J-7, lot 1's passed
    drain(store, config, transport, clock=lambda: AT)
    (reminder,) = [m for m in transport.sent if m["X-Opco-Watch-Kind"] == "reminder"]
    assert reminder["Subject"].startswith(f"[opco-watch] Rappel {countdown} (lot 2)")
    text, _page = parts(reminder)
    assert f"Date limite{NB}: {told} ({countdown})" in text
    assert "aujourd'hui" not in text


def _stored(tmp_path: Path, store: Store, made: Notice) -> Tender:
    poll(store, [made], settings(tmp_path), at=AT - timedelta(days=1))
    tender = tenders.get_tender(store, 1)
    assert tender is not None
    return tender


def test_show(tmp_path: Path, store: Store, case: tuple[Notice, str, str, str]) -> None:
    made, told, countdown, _note = case
    tender = _stored(tmp_path, store, made)
    view = calls.call_view(store, tender, None, Router(settings(tmp_path)))
    out = io.StringIO()
    Console(file=out, width=240, color_system=None).print(call_views.call_panel(view, AT))
    assert f"{told} ({countdown})" in out.getvalue()
    assert "aujourd'hui" not in out.getvalue()


def test_list(tmp_path: Path, store: Store, case: tuple[Notice, str, str, str]) -> None:
    made, _told, countdown, _note = case
    _stored(tmp_path, store, made)
    rows = calls.list_calls(store, CallFilter(), now=AT, router=Router(settings(tmp_path)))
    out = io.StringIO()
    call_views.print_calls(Console(file=out, width=140, color_system=None), rows, AT)
    counted = f"{(LOT2 if made.lots[1:] else LOT1):%d/%m/%Y %H:%M} {countdown}"
    assert counted in out.getvalue()
    assert "aujourd'hui" not in out.getvalue()


def test_the_draft(tmp_path: Path, case: tuple[Notice, str, str, str]) -> None:
    made, told, _countdown, note = case
    found = example_draft(tmp_path, tender_notice(Tender(1, (made,))), now=AT)
    checklist = found["checklist.md"].read_text("utf-8")
    assert f"**Date limite de remise des offres{NB}: {told} ({note})**" in checklist
    memoire = found["memoire-technique.md"].read_text("utf-8")
    assert f"| Date limite de remise des offres | {told} ({note}) |" in memoire


def test_the_draft_counts_days_gone_by() -> None:
    """The day after, and later: « dépassée depuis 1 jour », « … depuis 3 jours »."""
    from responses.context import _deadline_note

    made = tender_notice(Tender(1, (gone(),)))
    assert _deadline_note(made, AT + timedelta(days=1)) == "dépassée depuis 1 jour"
    assert _deadline_note(made, AT + timedelta(days=3)) == "dépassée depuis 3 jours"
    assert _deadline_note(replace(made, deadline=None), AT) == ""


# ------------------------------------------- the console and the CLI, at the real time


def _row_of(page: str, number: int) -> str:
    rows = re.findall(r"<tr.*?</tr>", page, flags=re.S)
    (row,) = [r for r in rows if f'/appels/{number}"' in r]
    return re.sub(r"[ \n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row)))


def _cli(folder: Path, *args: str) -> str:
    result = cli(folder, *args, columns=240)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_console_show_and_list_agree_at_the_real_time(tmp_path: Path) -> None:
    """Lot 1 (and the call) closed earlier today, lot 2 closes in 3 days; another call's only
    deadline was earlier today: the console's list and call page, `show` and `list` (each
    reading the clock) all count down to lot 2 (J-3), and say the other « dépassée »."""
    site = build_site(tmp_path)
    now = datetime.now(UTC).astimezone(PARIS)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    earlier = midnight + (now - midnight) / 2  # today, passed
    lot2 = (midnight + timedelta(days=3)).replace(hour=12)
    lots = (Lot("Rennes", "1", deadline=earlier), Lot("Brest", "2", deadline=lot2))
    both = site_notice("cd-s", "Formation management par lots", deadline=earlier, lots=lots)
    past = site_notice("cd-g", "Formation management close ce matin", deadline=earlier)
    with site.store() as store:
        poll(store, [both, past], settings_of(site.config), at=now, verdict=site_verdict)
    ids = site.ids()
    with site.client() as client:
        every = client.get("/appels", params={"masques": "1"}).text
        pages = {ref: html.unescape(client.get(f"/appels/{ids[ref]}").text) for ref in ids}
    shown = {ref: _cli(site.folder, "show", str(ids[ref])) for ref in ("cd-s", "cd-g")}
    listed = _cli(site.folder, "list")
    told = f"{fr.long_datetime(earlier)} — lot 2{NB}: {fr.long_datetime(lot2)}"
    alone = fr.long_datetime(earlier)
    found = {
        "console list": (
            f"lot 2{NB}: {lot2:%d/%m/%Y} 12h00 J-3" in _row_of(every, ids["cd-s"]),
            "dépassée" in _row_of(every, ids["cd-g"]),
        ),
        "console page": (
            f'{told}</strong> <span class="countdown soon">(J-3)' in pages["cd-s"],
            f'{alone}</strong> <span class="countdown soon">(dépassée)' in pages["cd-g"],
        ),
        "show": (f"{told} (J-3)" in shown["cd-s"], f"{alone} (dépassée)" in shown["cd-g"]),
        "list": (
            f"{lot2:%d/%m/%Y} 12:00 J-3" in listed,
            f"{earlier:%d/%m/%Y %H:%M} dépassée" in listed,
        ),
    }
    assert found == dict.fromkeys(found, (True, True))
    rows = [_row_of(every, ids["cd-s"]), _row_of(every, ids["cd-g"]), *shown.values()]
    assert not [words for words in rows if "aujourd'hui" in words]
