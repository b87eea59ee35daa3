"""The weekly digest for a fixed week and clock; its scheduling state; the HTML file."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.notify_data import (
    CLAIRE,
    HOSTILE,
    SOFIA,
    T0,
    VEILLE,
    Collect,
    notice,
    parts,
    poll,
    settings,
)
from watcher import tenders
from watcher.errors import ConfigError
from watcher.models import PARIS, Match, Tender
from watcher.notify.digest import (
    enqueue_digest,
    gather,
    recipients,
    scheduled_digest,
    view,
    write_html,
)
from watcher.notify.sender import drain
from watcher.notify.settings import NotifySettings, ScheduleConfig
from watcher.notify.week import Week, due_week, last_slot
from watcher.store import Store

W10 = Week(2026, 10)
NOW = datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)  # the digest slot after week 10
SCORES = {"A": 90, "B": 60, "C": 75, "D": 20}


def scored(tender: Tender) -> Match:
    """Relevance and score from the first letter of the reference."""
    ref = tender.main.ref
    domains = ("Langues",) if "anglais" in tender.title else ("Management",)
    return Match(SCORES[ref[0]] >= 50, SCORES[ref[0]], domains, ("raison",), ())


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


@pytest.fixture
def store(tmp_path: Path, config: NotifySettings) -> Store:
    with Store.open(tmp_path / "db.sqlite") as opened:
        week10 = [
            notice("A1", "Formation management de proximité", buyer="AKTO"),
            notice(
                "B1",
                "Cours d'anglais professionnel",
                buyer="Afdas",
                deadline=datetime(2026, 3, 12, 12, 0, tzinfo=PARIS),
            ),
            notice("C1", f"Parcours management {HOSTILE}", buyer="Ville de Rennes"),
            notice("D1", "Travaux de voirie", buyer="CONSTRUCTYS"),
        ]
        poll(opened, week10, config, at=T0 + timedelta(days=2), verdict=scored)
        older = [notice(f"D{k}", f"Marché ancien numéro {k}", buyer="OPCO EP") for k in range(2, 5)]
        poll(opened, older, config, at=T0 - timedelta(weeks=3), verdict=scored)
        go = notice(
            "D9",
            "Étude hors profil marquée go",
            buyer="AKTO",
            deadline=datetime(2026, 3, 16, 12, 0, tzinfo=PARIS),
        )
        poll(opened, [go], config, at=T0 - timedelta(weeks=9), verdict=scored)  # outside the chart
        tenders.set_status(opened, 8, "go", at=T0)
        opened.record_success("akto", at=NOW - timedelta(hours=1), items=4, new=1, changed=0)
        for k in range(4):
            opened.record_failure(
                "afdas",
                at=NOW - timedelta(hours=k),
                error_kind="layout",
                error="layout changed: div.card found 0",
            )
        yield opened


def test_the_week_in_numbers(store: Store, config: NotifySettings) -> None:
    data = gather(store, config, W10, NOW)
    full = view(data, config, None)
    assert full["week_words"] == "semaine 10, du lundi 2 au dimanche 8 mars 2026"
    assert [c["title"][:20] for c in full["calls"]] == [
        "Formation management",
        "Parcours management ",
        "Cours d'anglais prof",
    ]  # ranked by score: 90, 75, 60
    assert [c["countdown"] for c in full["deadlines"]] == ["J-3", "J-7", "J-11", "J-11"]
    assert full["deadlines"][1]["status_label"] == "go"
    assert [c["title"] for c in full["in_progress"]] == ["Étude hors profil marquée go"]
    assert {s["label"]: s["count"] for s in full["statuses"]} == {
        "nouveau": 3,
        "go": 1,
        "no-go": 0,
        "offre déposée": 0,
        "gagné": 0,
        "perdu": 0,
    }
    assert full["per_opco"] == [
        {"name": "AKTO", "calls": 1, "relevant": 1},
        {"name": "Afdas", "calls": 1, "relevant": 1},
        {"name": "Constructys", "calls": 1, "relevant": 0},
        {"name": "Autres acheteurs", "calls": 1, "relevant": 1},
    ]
    assert full["chart"]["weeks"] == [f"S{n}" for n in range(3, 11)]
    series = {s["name"]: s["counts"] for s in full["chart"]["series"]}
    assert series["OPCO EP"] == [0, 0, 0, 0, 3, 0, 0, 0]
    assert series["AKTO"] == [0] * 7 + [1] and "Autres acheteurs" in series
    health = {h["source"]: (h["label"], h["error"]) for h in full["health"]}
    assert health == {
        "akto": ("OK", ""),
        "afdas": ("en échec (4 de suite)", "layout changed: div.card found 0"),
    }


def test_each_recipient_sees_the_calls_routed_to_them(store: Store, config: NotifySettings) -> None:
    data = gather(store, config, W10, NOW)
    claire, sofia = view(data, config, CLAIRE), view(data, config, SOFIA)
    assert len(claire["calls"]) == 2 and all("management" in c["title"] for c in claire["calls"])
    assert [c["title"] for c in sofia["calls"]] == ["Cours d'anglais professionnel"]
    assert claire["per_opco"] == sofia["per_opco"]  # counts are the same for everyone
    assert recipients(config) == {
        VEILLE: True,
        CLAIRE: False,
        SOFIA: False,
        "bretagne@of.fr": False,
    }


def test_digest_emails_once_per_week_and_recipient(store: Store, config: NotifySettings) -> None:
    assert enqueue_digest(store, config, W10, NOW) == 4
    assert enqueue_digest(store, config, W10, NOW + timedelta(hours=1)) == 0
    transport = Collect()
    drain(store, config, transport)
    mails = {m["To"]: m for m in transport.sent if m["X-Opco-Watch-Kind"] == "digest"}
    assert (
        mails[CLAIRE]["Subject"] == "[opco-watch] Synthèse de la semaine 10 — 2 appels pertinents"
    )
    text, html = parts(mails[VEILLE])
    assert (
        "APPELS PERTINENTS DE LA SEMAINE (3)" in text
        and "Afdas : 1 appel, dont 1 pertinent" in text
    )
    assert "<svg" not in html and "S10" in html  # email clients drop SVG: a table of bars
    assert "&lt;script&gt;" in html and "<script>" not in html and "49" not in html


def test_to_sends_the_full_digest_to_one_address_each_time(
    store: Store, config: NotifySettings
) -> None:
    assert enqueue_digest(store, config, W10, NOW, to="boss@of.fr") == 1
    assert enqueue_digest(store, config, W10, NOW + timedelta(minutes=1), to="boss@of.fr") == 1
    assert scheduled_digest(store, config, NOW) == 4  # --to does not count as the weekly one


def test_the_html_file_stands_alone_with_its_chart(
    tmp_path: Path, store: Store, config: NotifySettings
) -> None:
    target = tmp_path / "out" / "digest.html"
    write_html(store, config, W10, NOW, target)
    html = target.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "OPCO EP (3)" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    escaped = "&#34;quotes&#34; &amp; &#39;apostrophes&#39; {{ 7*7 }}"
    assert f"Parcours management &lt;script&gt;alert(1)&lt;/script&gt; {escaped}" in html


# ---------------------------------------------------------------------- scheduling state


def test_the_due_week_follows_the_monday_slot() -> None:
    schedule = ScheduleConfig()
    assert last_slot(NOW - timedelta(minutes=1), schedule) == NOW - timedelta(days=7)
    assert due_week(NOW - timedelta(minutes=1), schedule) == Week(2026, 9)
    assert due_week(NOW, schedule) == W10
    assert due_week(NOW + timedelta(days=6), schedule) == W10
    friday = ScheduleConfig(digest_day="fri", digest_time="17:30")
    assert last_slot(NOW, friday) == datetime(2026, 3, 6, 17, 30, tzinfo=PARIS)


def test_a_restart_neither_repeats_nor_skips_the_digest(
    store: Store, config: NotifySettings
) -> None:
    assert scheduled_digest(store, config, NOW - timedelta(hours=1)) == 4  # week 9's, late
    assert scheduled_digest(store, config, NOW - timedelta(minutes=5)) is None
    assert scheduled_digest(store, config, NOW + timedelta(hours=3)) == 4  # down at 08:00
    assert scheduled_digest(store, config, NOW + timedelta(days=2)) is None  # restarted


def test_weeks_parse_and_refuse() -> None:
    assert Week.parse("2026-W10") == Week.parse("2026w10") == W10
    assert W10.start == datetime(2026, 3, 2, tzinfo=PARIS) and W10.shifted(-10).label == "2025-W52"
    with pytest.raises(ConfigError, match="'2026-W54' is not an ISO week"):
        Week.parse("2026-W54")
