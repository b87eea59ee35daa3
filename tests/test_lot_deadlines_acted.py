"""A call whose lot 2 is still open once lot 1 (and the call's own deadline) has closed is
*acted on* as open: ``list`` sorts it with the open calls by lot 2's day, the console's
« échéance » filter and countdown go by lot 2, the console's re-judging and the documents'
check take it in, and the classifier blocks a call by its deadlines only when every lot is
blocked. The real TED record with lot-level deadlines, given a second lot inside the test."""

from __future__ import annotations

import copy
import html
import io
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console

from responses.demo import write_demo_files
from responses.settings import load_example
from responses.vault import Vault
from tests.notify_data import notice, poll, settings
from tests.test_lot_deadlines import _ted
from tests.test_lot_deadlines import real_record as real_record  # a fixture
from tests.web_site import NOW as SITE_NOW
from tests.web_site import _day as site_day
from tests.web_site import _notice as site_notice
from tests.web_site import build_site
from tests.web_site import verdict as site_verdict
from watcher import calls, fr, tenders
from watcher.calls import CallFilter, CallRow
from watcher.classify import Classifier, Profile
from watcher.cli import call_views
from watcher.judging import Judge
from watcher.models import PARIS, Lot, Match, Tender, tender_notice
from watcher.notify.queries import Judged
from watcher.notify.routing import Router
from watcher.notify.settings import NotifySettings, settings_of
from watcher.pertinence import documents_deadline
from watcher.store import Store
from watcher.store.schema import matches
from watcher.web.learning import rejudge_open

NB = "\u00a0"
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)
YESTERDAY = datetime(2026, 12, 2, 12, 0, tzinfo=PARIS)
IN_3_DAYS = datetime(2026, 12, 6, 12, 0, tzinfo=PARIS)


def half_open(ref: str = "H1", title: str = "Formation management à moitié close") -> Any:
    """Lot 1 (and the call) closed yesterday, lot 2 closes in 3 days."""
    lots = (Lot("Rennes", "1", deadline=YESTERDAY), Lot("Brest", "2", deadline=IN_3_DAYS))
    return notice(ref, title, deadline=YESTERDAY, lots=lots)


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


def _ids(store: Store) -> dict[str, int]:
    return {row.notice.ref: row.tender_id or 0 for row in store.list_notices()}


# ------------------------------------------------------------------------ list, its sort


def test_list_sorts_a_call_open_by_lot_2_with_the_open_ones(
    store: Store, config: NotifySettings
) -> None:
    """Open first by their next deadline (lot 2's: in 3 days, before the call in 5), then
    the undated, then the passed. Before, the half-open call sorted with the passed ones."""
    poll(
        store,
        [
            notice("A", "Formation management ouverte", deadline=NOW + timedelta(days=5)),
            half_open(),
            notice("U", "Formation management sans date", deadline=None),
            notice("P", "Formation management passée", deadline=NOW - timedelta(days=2)),
        ],
        config,
        at=NOW - timedelta(days=10),
    )
    router = Router(config)
    listed = calls.list_calls(store, CallFilter(), now=NOW, router=router)
    ids = _ids(store)
    assert [row.judged.tender.id for row in listed] == [ids[r] for r in ("H1", "A", "U", "P")]
    still_open = calls.list_calls(store, CallFilter(open_only=True), now=NOW, router=router)
    assert [row.judged.tender.id for row in still_open] == [ids[r] for r in ("H1", "A", "U")]


def _table(rows: list[CallRow], now: datetime) -> list[str]:
    out = io.StringIO()
    call_views.print_calls(Console(file=out, width=140, color_system=None), rows, now)
    return out.getvalue().splitlines()


def _date_column(lines: list[str]) -> list[str]:
    """The « date limite » column of a drawn table, one entry per drawn line."""
    return [line.split("│")[2].strip() for line in lines if line.startswith("│")]


def test_list_s_deadline_cell_keeps_the_column_as_narrow_as_without_lots() -> None:
    """Lot 2 on lines of its own under the call's date; the countdown beside the date it
    counts to (the call's, then lot 2's once lot 1 has closed). The column is as wide as a
    call without lots makes it (21: « 31/12/2026 12:00 J-28 »), where it was 50."""
    call, lot2 = (
        datetime(2026, 12, 31, 12, 0, tzinfo=PARIS),
        datetime(2027, 1, 7, 12, 0, tzinfo=PARIS),
    )
    lots = (Lot("Rennes", "1", deadline=call), Lot("Brest", "2", deadline=lot2))
    split = Tender(1, (notice("S", deadline=call, lots=lots),))
    plain = Tender(2, (notice("N", "Formation management simple", deadline=call),))
    rows = [CallRow(Judged(t, Match(True, 80), NOW), ()) for t in (split, plain)]
    header = _table(rows, NOW)[1]
    width = len(header.split("┃")[2]) - 2
    assert width == len("31/12/2026 12:00 J-28")
    assert _date_column(_table(rows, NOW)) == [
        "31/12/2026 12:00 J-28",
        f"lot 2{NB}:",
        "07/01/2027 12:00",
        "31/12/2026 12:00 J-28",
    ]
    untitled = (Lot("Rennes", "1", deadline=call), Lot("Bretagne\nnord", None, deadline=lot2))
    named = Tender(3, (notice("T", deadline=call, lots=untitled),))
    assert call_views._deadline_short(named, NOW).splitlines()[1] == (
        f"lot «{NB}Bretagne nord{NB}»{NB}:"
    )
    after_lot1 = datetime(2027, 1, 2, 9, 0, tzinfo=PARIS)
    assert _date_column(_table(rows, after_lot1)) == [
        "31/12/2026 12:00",
        f"lot 2{NB}:",
        "07/01/2027 12:00 J-5",
        "31/12/2026 12:00 dépassée",
    ]
    # lot 1 closed an hour ago: the countdown is lot 2's, the one `list` sorts by, all day
    same_day = datetime(2026, 12, 31, 13, 0, tzinfo=PARIS)
    assert _date_column(_table(rows[:1], same_day)) == [
        "31/12/2026 12:00",
        f"lot 2{NB}:",
        "07/01/2027 12:00 J-7",
    ]


# ------------------------------------------------------------- the console's re-judging


def test_the_console_judges_again_a_call_open_by_lot_2(
    store: Store, config: NotifySettings
) -> None:
    """``rejudge_open`` takes in the call whose lot 2 is open (its verdict is saved anew), not
    the call whose every deadline has passed."""
    today = datetime.now(PARIS)
    lots = (
        Lot("Rennes", "1", deadline=today - timedelta(days=1)),
        Lot("Brest", "2", deadline=today + timedelta(days=20)),
    )
    poll(
        store,
        [
            notice("H", deadline=today - timedelta(days=1), lots=lots),
            notice("P", "Formation management passée", deadline=today - timedelta(days=2)),
        ],
        config,
        at=today - timedelta(days=10),
    )
    judge = Judge(Classifier(Profile()))
    assert rejudge_open(store, judge) == 1
    ids = _ids(store)
    with store.transaction() as conn:
        reasons = dict(conn.execute(sa.select(matches.c.tender_id, matches.c.reasons)).all())
    expected = judge.judge(tender_notice(_tender(store, ids["H"])), today=today.date()).reasons
    assert tuple(reasons[ids["H"]]) == expected
    assert (
        tuple(reasons[ids["P"]])
        != judge.judge(tender_notice(_tender(store, ids["P"])), today=today.date()).reasons
    )  # untouched: the poll's verdict


def _tender(store: Store, number: int) -> Tender:
    found = tenders.get_tender(store, number)
    assert found is not None
    return found


# ------------------------------------------------------------------------- the documents


def test_documents_are_judged_against_lot_2_s_day(store: Store, config: NotifySettings) -> None:
    """A call being answered (go) whose lot 2 is open: the evidence vault is judged against
    lot 2's deadline. Before, the call was out (its own deadline passed), another taken."""
    poll(
        store,
        [
            notice("A", "Formation management ouverte", deadline=NOW + timedelta(days=5)),
            half_open(),
        ],
        config,
        at=NOW - timedelta(days=10),
    )
    ids = _ids(store)
    tenders.set_status(store, ids["H1"], "go", at=NOW - timedelta(days=1))
    with store.transaction() as conn:
        followed = documents_deadline(conn, NOW)
    assert followed is not None
    assert (followed.id, followed.deadline) == (ids["H1"], IN_3_DAYS)
    assert fr.long_datetime(followed.deadline) == "dimanche 6 décembre 2026 à 12h00"


# --------------------------------------------------------------------------- the console


def _row_of(page: str, number: int) -> str:
    rows = re.findall(r"<tr.*?</tr>", page, flags=re.S)
    (row,) = [r for r in rows if f'/appels/{number}"' in r]
    return re.sub(r"[ \n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row)))


def test_the_console_s_deadline_filter_and_countdown_go_by_lot_2(tmp_path: Path) -> None:
    """Lot 1 closed 3 days ago, lot 2 closes in 5: « échéance 7 jours » keeps the call, its
    row says lot 2's day and J-5, never « dépassée ». A call whose lot 2 closes in 10 days
    is out of « 7 jours », in « 14 jours ». Both sort by lot 2's day among the open calls."""
    site = build_site(tmp_path)

    def lots(first: int, second: int) -> tuple[Lot, ...]:
        return (
            Lot("Rennes", "1", deadline=site_day(first)),
            Lot("Brest", "2", deadline=site_day(second)),
        )

    half = site_notice(
        "lot-h", "Formation management à moitié close", deadline=site_day(-3), lots=lots(-3, 5)
    )
    later = site_notice(
        "lot-l", "Formation management plus tard", deadline=site_day(-3), lots=lots(-3, 10)
    )
    with site.store() as store:
        poll(store, [half, later], settings_of(site.config), at=SITE_NOW, verdict=site_verdict)
    ids = site.ids()
    with site.client() as client:
        week = client.get("/appels", params={"echeance": "7"}).text
        fortnight = client.get("/appels", params={"echeance": "14"}).text
        plain = client.get("/appels").text
    lot2 = site_day(5).astimezone(PARIS)
    shown = f"lot 2{NB}: {lot2:%d/%m/%Y} {lot2.hour}h00 J-5"
    assert shown in _row_of(week, ids["lot-h"])
    assert f'/appels/{ids["lot-l"]}"' not in week
    assert f'/appels/{ids["lot-l"]}"' in fortnight
    for page in (week, plain):
        assert "dépassée" not in _row_of(page, ids["lot-h"])
    assert "J-10" in _row_of(plain, ids["lot-l"])
    # the pipeline's order: by the next deadline, lot 2's (J-5, J-10) around « anglais » (J-9)
    where = {ref: plain.index(f'/appels/{ids[ref]}"') for ref in ("lot-h", "ang-1", "lot-l")}
    assert where["lot-h"] < where["ang-1"] < where["lot-l"]


def test_a_call_dated_only_by_its_lots_is_hidden_filtered_and_counted_down(
    tmp_path: Path,
) -> None:
    """No deadline of its own, both lots closing the same day: the call goes by that day. Past
    (3 days ago), it is hidden as « date limite passée »; in 5 days, « échéance 7 jours »
    keeps it and its row counts down, J-5, with the other calls in date order."""
    site = build_site(tmp_path)

    def lots(days: int) -> tuple[Lot, ...]:
        return (
            Lot("Rennes", "1", deadline=site_day(days)),
            Lot("Brest", "2", deadline=site_day(days)),
        )

    past = site_notice("lots-p", "Formation management passée", deadline=None, lots=lots(-3))
    soon = site_notice("lots-s", "Formation management bientôt", deadline=None, lots=lots(5))
    with site.store() as store:
        poll(store, [past, soon], settings_of(site.config), at=SITE_NOW, verdict=site_verdict)
    ids = site.ids()
    with site.client() as client:
        plain = client.get("/appels").text
        every = client.get("/appels", params={"masques": "1"}).text
        week = client.get("/appels", params={"echeance": "7"}).text
    assert f'/appels/{ids["lots-p"]}"' not in plain
    assert f'/appels/{ids["lots-p"]}"' in every
    assert "date limite passée" in plain
    day = site_day(5).astimezone(PARIS)
    assert f"{day:%d/%m/%Y} {day.hour}h00 J-5" in _row_of(week, ids["lots-s"])
    # the pipeline's order: by the lots' day (J-5), before « anglais » (J-9)
    assert plain.index(f'/appels/{ids["lots-s"]}"') < plain.index(f'/appels/{ids["ang-1"]}"')


def test_the_console_counts_down_to_lot_2_from_the_minute_lot_1_closes(tmp_path: Path) -> None:
    """Lot 1 (and the call) closed at midnight today, lot 2 closes in 5 days: the row, which
    sorts by lot 2, says lot 2's day and J-5 all day long, not lot 1's closed one."""
    site = build_site(tmp_path)
    midnight = SITE_NOW.astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    lots = (Lot("Rennes", "1", deadline=midnight), Lot("Brest", "2", deadline=site_day(5)))
    half = site_notice("lot-m", "Formation management close ce matin", deadline=midnight, lots=lots)
    with site.store() as store:
        poll(store, [half], settings_of(site.config), at=SITE_NOW, verdict=site_verdict)
    with site.client() as client:
        plain = client.get("/appels").text
    row = _row_of(plain, site.ids()["lot-m"])
    lot2 = site_day(5).astimezone(PARIS)
    assert f"lot 2{NB}: {lot2:%d/%m/%Y} {lot2.hour}h00 J-5" in row
    assert "lot 1" not in row


# ------------------------------------------------------------------------ the classifier


def _two_lot_record(record: dict[str, Any]) -> Any:
    """TED 476004-2026 given a second lot closing a week after its own one (25 August 2026,
    23h59 Paris): lot 2 on 1 September 2026 at 12h00."""
    record = copy.deepcopy(record)
    record["title-lot"] = {"swe": ["Del 1", "Del 2"]}
    record["identifier-lot"] = ["LOT-0001", "LOT-0002"]
    record["deadline-receipt-tender-date-lot"] = ["2026-08-25+02:00", "2026-09-01+02:00"]
    record["deadline-receipt-tender-time-lot"] = ["23:59:00+02:00", "12:00:00+02:00"]
    return _ted(record)


@pytest.mark.parametrize(
    ("today", "blockers", "said"),
    [
        # lot 1 in 3 days, lot 2 in 10: not blocked, lot 1 told
        (date(2026, 8, 22), (), f"lot 1 — délai trop court{NB}: 3 jours (minimum 5)"),
        # lot 1 closed yesterday, lot 2 in 6 days: not blocked, lot 1 told
        (date(2026, 8, 26), (), "lot 1 — date limite dépassée (mardi 25 août 2026)"),
        # lot 1 closed, lot 2 in 4 days: every lot blocked, by lot 2's lead time
        (date(2026, 8, 28), (f"délai trop court{NB}: 4 jours (minimum 5)",), None),
        # both closed: by the last deadline
        (date(2026, 9, 2), ("date limite dépassée (mardi 1er septembre 2026)",), None),
    ],
)
def test_a_call_is_blocked_by_its_deadlines_only_when_every_lot_is(
    real_record: dict[str, Any], today: date, blockers: tuple[str, ...], said: str | None
) -> None:
    found = _two_lot_record(real_record)
    assert [lot.deadline for lot in found.lots] == [
        datetime(2026, 8, 25, 23, 59, tzinfo=PARIS),
        datetime(2026, 9, 1, 12, 0, tzinfo=PARIS),
    ]
    match = Classifier(Profile(min_lead_days=5)).classify(found, today=today)
    assert match.blockers == blockers
    lot_reasons = [r for r in match.reasons if r.startswith("lot ")]
    assert lot_reasons == ([said] if said else [])


def test_a_verdict_judges_the_vault_against_the_open_lot(tmp_path: Path) -> None:
    """Without ``[profile.qualiopi]``, the vault's certificate is the verdict's Qualiopi check:
    valid until 31 March 2027, lot 1 (the call's deadline) closed on 15 March, lot 2 closes on
    15 April. On 20 March the certificate blocks (lot 2 is what can be answered); on 10 March
    it does not (lot 1 is). Before, the call's own deadline was used: never a blocker."""
    documents, _ = load_example()
    write_demo_files(documents, tmp_path / documents.folder)
    judge = Judge(Classifier(Profile()), Vault.load(documents, tmp_path))
    call = datetime(2027, 3, 15, 12, tzinfo=PARIS)
    lots = (Lot("Rennes", "1", deadline=call), Lot("Brest", "2", deadline=call.replace(month=4)))
    judged = notice("Q", deadline=call, lots=lots)
    expiring = (
        "certificat Qualiopi expiré à la date limite (valable jusqu'au mercredi 31 mars 2027)"
    )
    assert expiring in judge.judge(judged, today=date(2027, 3, 20)).blockers
    assert expiring not in judge.judge(judged, today=date(2027, 3, 10)).blockers
