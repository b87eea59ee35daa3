"""The weekly digest for a fixed week and clock; its scheduling state; the HTML file."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import PAGE_DAY, Database
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
from tests.smtp_server import smtp_server
from watcher import tenders
from watcher.config import Config, load_config
from watcher.demo import snapshot_server
from watcher.errors import ConfigError
from watcher.fetch import Fetcher
from watcher.judging import Judge
from watcher.models import PARIS, Match, NoticeKind, Tender
from watcher.notify.digest import (
    default_week,
    enqueue_digest,
    gather,
    recipients,
    scheduled_digest,
    view,
    write_html,
)
from watcher.notify.sender import drain
from watcher.notify.settings import NotifySettings, ScheduleConfig, settings_of
from watcher.notify.week import Week, due_week, last_slot
from watcher.pipeline import RunContext, build_sources, run_once
from watcher.starter import write_starter
from watcher.store import Store
from watcher.store.schema import matches, notices
from watcher.store.schema import tenders as tender_table

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
def store(database: Database, config: NotifySettings) -> Store:
    with Store.open(database.url) as opened:
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
        "Cours d'anglais prof",
        "Formation management",
        "Parcours management ",
    ]  # by deadline (12 March, then 20 March twice), then by score: 90, 75
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
        {"name": "AFDAS", "calls": 1, "to_answer": 1},  # ties by name
        {"name": "AKTO", "calls": 1, "to_answer": 1},
        {"name": "Constructys", "calls": 1, "to_answer": 0},
        {"name": "Autres acheteurs", "calls": 1, "to_answer": 1},
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


def test_a_personal_digest_says_which_figures_count_the_whole_team(
    store: Store, config: NotifySettings
) -> None:
    """Claire's digest lists her calls, but its follow-up counts, per-OPCO table and chart
    count everyone's: their headings say « toute l'équipe »; the full digest's do not."""
    enqueue_digest(store, config, W10, NOW)
    transport = Collect()
    drain(store, config, transport)
    mails = {m["To"]: parts(m) for m in transport.sent if m["X-Opco-Watch-Kind"] == "digest"}
    (claire_text, claire_html), (full_text, full_html) = mails[CLAIRE], mails[VEILLE]
    team = [
        "SUIVI DES APPELS (8 semaines, toute l'équipe, statuts au",
        "APPELS DE LA SEMAINE PAR OPCO (toute l'équipe)",
        "APPELS PAR SEMAINE (8 semaines, toute l'équipe)",
    ]
    for heading in team:
        assert heading in claire_text, heading
    for heading in [
        "Suivi sur 8 semaines, toute l'équipe (statuts au",
        "Appels de la semaine par OPCO (toute l'équipe)",
        "Appels par OPCO, 8 dernières semaines (toute l'équipe)",
    ]:
        assert heading in unescape(claire_html), heading
    assert "toute l'équipe" not in full_text and "toute l'équipe" not in unescape(full_html)
    assert "SUIVI DES APPELS (8 semaines, statuts au" in full_text


def test_digest_emails_once_per_week_and_recipient(store: Store, config: NotifySettings) -> None:
    assert enqueue_digest(store, config, W10, NOW) == 4
    assert enqueue_digest(store, config, W10, NOW + timedelta(hours=1)) == 0
    transport = Collect()
    drain(store, config, transport)
    mails = {m["To"]: m for m in transport.sent if m["X-Opco-Watch-Kind"] == "digest"}
    assert mails[CLAIRE]["Subject"] == "[opco-watch] Synthèse de la semaine 10 — 2 appels à traiter"
    text, html = parts(mails[VEILLE])
    assert "APPELS À TRAITER (3)" in text and "AFDAS\u00a0: 1 appel, dont 1 à traiter" in text
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


def test_the_emailed_calls_go_by_deadline_as_their_first_column_and_say_so(
    store: Store, tmp_path: Path
) -> None:
    """The table opens on the deadline: the soonest comes first (12 March before two of 20
    March, these by score), in the email received over SMTP, text and HTML alike."""
    with smtp_server() as server:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none"}
        smtp_config = settings(tmp_path, timeout_seconds=30, **mail)
        enqueue_digest(store, smtp_config, W10, NOW, to=VEILLE)
        assert drain(store, smtp_config, clock=lambda: NOW).ok
        received = [r.message for r in server.handler.received]
    (message,) = [m for m in received if m["X-Opco-Watch-Kind"] == "digest"]
    text, page = parts(message)
    html = unescape(page)
    titles = ["Cours d'anglais professionnel", "Formation management de proximité", "Parcours"]
    heading = "APPELS À TRAITER (3), par date limite, la plus proche d'abord"
    rows = text[text.index(heading) : text.index("DATES LIMITES DANS LES")]
    assert [rows.index(t) for t in titles] == sorted(rows.index(t) for t in titles)
    assert rows.index("jeudi 12 mars 2026") < rows.index("vendredi 20 mars 2026")
    table = html[html.index("Appels à traiter (3)") : html.index("Dates limites dans les")]
    assert "Par date limite, la plus proche d'abord." in table
    assert [table.index(t) for t in titles] == sorted(table.index(t) for t in titles)
    cards = text[text.index("LE DÉTAIL DES APPELS À TRAITER, par date limite") :]
    assert [cards.index(t) for t in titles] == sorted(cards.index(t) for t in titles)


def test_a_past_week_counts_its_own_weeks_and_says_what_is_of_today(
    store: Store, config: NotifySettings
) -> None:
    """Week 9 seen on 9 March: its follow-up counts no call first seen in week 10, and the
    digest says which parts are of today (the last full week, the regular one, does not)."""
    past = view(gather(store, config, W10.shifted(-1), NOW), config, None)
    assert {s["label"]: s["count"] for s in past["statuses"]}["nouveau"] == 0
    assert {s["label"]: s["count"] for s in past["statuses"]}["go"] == 1  # still in progress
    assert past["as_of"] == "lundi 9 mars 2026"
    assert past["past_note"] == (
        "Semaine passée\u00a0: les appels sont ceux relevés pendant la semaine 9, mais ce qui "
        "peut encore y être répondu, les dates limites à venir, les appels en cours, leurs "
        "statuts et l'état des sources sont ceux d'aujourd'hui, lundi 9 mars 2026."
    )
    assert view(gather(store, config, W10, NOW), config, None)["past_note"] == ""
    enqueue_digest(store, config, W10.shifted(-1), NOW, to=VEILLE)
    transport = Collect()
    drain(store, config, transport)
    (mail,) = [m for m in transport.sent if m["X-Opco-Watch-Kind"] == "digest"]
    text, page = parts(mail)
    html = unescape(page)
    assert past["past_note"] in text and past["past_note"] in html
    for heading in (
        "DATES LIMITES DANS LES 14 PROCHAINS JOURS, au lundi 9 mars 2026",
        "APPELS EN COURS (go, offre déposée), au lundi 9 mars 2026",
        "SUIVI DES APPELS (8 semaines, statuts au lundi 9 mars 2026)",
        "ÉTAT DES SOURCES, au lundi 9 mars 2026",
    ):
        assert heading in text, heading
    assert "État des sources, au lundi 9 mars 2026" in html


def test_the_console_opens_on_the_newest_week_a_digest_was_made_for(
    store: Store, config: NotifySettings, tmp_path: Path
) -> None:
    """The last full week by default; the current one once a digest of it was written (the
    demo's); never back to an older week, never a week not begun."""
    wednesday = NOW + timedelta(days=2)  # week 11
    assert default_week(store, wednesday) == W10
    write_html(store, config, W10.shifted(-4), wednesday, tmp_path / "old.html")
    assert default_week(store, wednesday) == W10
    write_html(store, config, W10.shifted(1), wednesday, tmp_path / "now.html")
    assert default_week(store, wednesday) == W10.shifted(1)
    enqueue_digest(store, config, W10, wednesday, to=VEILLE)  # an older week: kept the newest
    assert default_week(store, wednesday) == W10.shifted(1)
    assert default_week(store, wednesday + timedelta(weeks=1)) == W10.shifted(1)
    assert default_week(store, wednesday + timedelta(weeks=2)) == W10.shifted(2)
    sunday = NOW - timedelta(days=1)  # week 10: week 11 not begun, week 9 the last full one
    assert default_week(store, sunday) == W10.shifted(-1)


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


# ------------------------------------------------------- honest counts: only calls to answer

#: ref -> (score, blockers); every one relevant
HONEST = {
    "A1": (90, ()),
    "W1": (88, ()),
    "X1": (87, ()),
    "P1": (86, ()),
    "R1": (85, ("région non desservie : Occitanie",)),
    "N1": (84, ()),
}


def honest_verdict(tender: Tender) -> Match:
    score, blockers = HONEST.get(tender.main.ref, (10, ()))
    return Match(score >= 50, score, ("Management",), ("raison",), blockers)


@pytest.fixture
def honest_store(tmp_path: Path, config: NotifySettings) -> Store:
    with Store.open(tmp_path / "honest.sqlite") as opened:
        week = [
            notice("A1", "Formation management à traiter", buyer="AKTO"),
            notice(
                "W1",
                "Management attribué",
                buyer="AKTO",
                kind=NoticeKind.AWARD,
                winner="Formatech",
                deadline=None,
            ),
            notice("X1", "Management annulé", buyer="Afdas", kind=NoticeKind.CANCELLATION),
            notice(
                "P1",
                "Management dépassé",
                buyer="Afdas",
                deadline=datetime(2026, 3, 6, 12, 0, tzinfo=PARIS),
            ),
            notice("R1", "Management en Occitanie", buyer="AKTO"),
            notice("N1", "Management écarté par l'équipe", buyer="AKTO"),
            notice("Z1", "Travaux de voirie", buyer="AKTO"),
        ]
        poll(opened, week, config, at=T0 + timedelta(days=2), verdict=honest_verdict)
        with opened.transaction() as conn:
            ids = dict(conn.execute(sa.select(tender_table.c.title, tender_table.c.id)).all())
        tenders.set_status(opened, ids["Management écarté par l'équipe"], "no-go", at=T0)
        yield opened


def test_the_digest_counts_only_calls_a_user_can_still_answer(
    honest_store: Store, config: NotifySettings
) -> None:
    full = view(gather(honest_store, config, W10, NOW), config, None)
    assert [c["title"] for c in full["calls"]] == ["Formation management à traiter"]
    assert [(c["title"], c["reason"], c["why"]) for c in full["set_aside"]] == [
        ("Management attribué", "closed", "attribué à Formatech"),
        ("Management annulé", "closed", "annulé par l'acheteur"),
        ("Management dépassé", "passed", "date limite dépassée (vendredi 6 mars 2026 à 12h00)"),
        ("Management en Occitanie", "blocked", "bloqué\u00a0: région non desservie : Occitanie"),
        ("Management écarté par l'équipe", "set_aside", "marqué «\u00a0no-go\u00a0»"),
    ]
    assert [f["label"] for f in full["figures"]] == [
        "1 appel à traiter",
        "1 date limite dans les 14 jours",
        "0 appel en cours (go, offre déposée)",
        "5 écartés (2 attribués ou annulés, 1 marqué no-go, gagné ou perdu, "
        "1 date limite dépassée, 1 bloqué)",
        "0 source en échec",
    ]
    assert [c["title"] for c in full["deadlines"]] == ["Formation management à traiter"]
    (call,) = full["calls"]
    assert (call["owner"], call["deadline_short"], call["score"]) == (
        CLAIRE,
        "vendredi 20 mars 2026 à 12h00",
        90,
    )
    assert {r["name"]: r["to_answer"] for r in full["per_opco"]} == {"AKTO": 1, "AFDAS": 0}


def test_figures_and_the_compact_table_come_before_the_cards_in_text_and_html(
    honest_store: Store, config: NotifySettings
) -> None:
    enqueue_digest(honest_store, config, W10, NOW, to=VEILLE)
    transport = Collect()
    drain(honest_store, config, transport)
    (mail,) = [m for m in transport.sent if m["X-Opco-Watch-Kind"] == "digest"]
    assert mail["Subject"] == "[opco-watch] Synthèse de la semaine 10 — 1 appel à traiter"
    text, html = parts(mail)
    call_id = view(gather(honest_store, config, W10, NOW), config, None)["calls"][0]["id"]
    row = (
        f"  - n°\u00a0{call_id} · vendredi 20 mars 2026 à 12h00 (J-11) · AKTO"
        f" · Formation management à traiter · score 90 · nouveau · {CLAIRE}"
    )
    assert row in text.splitlines()
    order = ["EN BREF", "1 appel à traiter", "APPELS À TRAITER (1)", row, "ÉCARTÉS (5)"]
    order += ["attribué à Formatech", "LE DÉTAIL DES APPELS À TRAITER"]
    assert [text.index(part) for part in order] == sorted(text.index(part) for part in order)
    assert text.count("Management attribué") == 1, "a set-aside call gets no card"
    sections = ["Appels à traiter (1)", "Écartés (5)", "Le détail des appels à traiter"]
    assert [html.index(s) for s in sections] == sorted(html.index(s) for s in sections)
    table = html[html.index("Appels à traiter (1)") : html.index("Écartés (5)")]
    for cell in (
        "vendredi 20 mars 2026 à 12h00",
        "AKTO",
        f"(n°&nbsp;{call_id})",
        ">90<",
        "nouveau",
        CLAIRE,
    ):
        assert cell in table, cell
    assert "Management attribué" not in table and "Management en Occitanie" not in table
    cards = html[html.index("Le détail des appels à traiter") :]
    assert "Formation management à traiter" in cards and "Management attribué" not in cards


# ------------------------------------------------------------------- the demo's own digest


def test_the_demo_digest_counts_what_the_demo_data_say(tmp_path: Path) -> None:
    config_file = tmp_path / "opco-watch.toml"
    write_starter(config_file)
    demo_config = load_config(config_file)
    polled, now = datetime(2026, 3, 2, 7, 0, tzinfo=PARIS), datetime(2026, 3, 2, 8, tzinfo=PARIS)
    with snapshot_server(PAGE_DAY) as server, Store.open(demo_config.database) as store:
        reports = asyncio.run(demo_poll(demo_config, store, server.base_url, polled))
        assert all(r.ok for r in reports)
        settings_ = settings_of(demo_config)
        week = Week.of(PAGE_DAY)
        full = view(gather(store, settings_, week, now), settings_, None)
        truth = demo_truth(store, now)
        write_html(store, settings_, week, now, tmp_path / "digest.html")
    html = (tmp_path / "digest.html").read_text("utf-8")
    assert truth["awarded"] and truth["blocked"] and truth["open"], "the demo has each kind"
    assert {c["id"] for c in full["calls"]} == truth["open"]
    aside = {c["id"]: c["why"] for c in full["set_aside"]}
    assert truth["awarded"] <= set(aside) and truth["blocked"] <= set(aside)
    assert all(aside[i].startswith("attribué") for i in truth["awarded"])
    assert all(aside[i].startswith("bloqué\u00a0: ") for i in truth["blocked"] - truth["awarded"])
    count = len(truth["open"])
    assert f"Appels à traiter ({count})" in html and f"Écartés ({len(aside)})" in html
    table = html[html.index(f"Appels à traiter ({count})") : html.index("Écartés (")]
    assert sorted(int(n) for n in re.findall(r"\(n°&nbsp;(\d+)\)", table)) == sorted(truth["open"])
    assert full["figures"][0]["label"] == f"{count} appel{'s' if count > 1 else ''} à traiter"
    listed = html[html.index(f"Appels à traiter ({count})") : html.index("Le détail des appels")]
    rows = re.findall(r"<tr>(?:(?!</tr>).)*?\(n°&nbsp;(\d+)", listed, re.S)
    linked = re.findall(r'<tr>(?:(?!</tr>).)*?href="[^"]*/appels/(\d+)"', listed, re.S)
    assert len(rows) > len(truth["open"]) and linked == rows, "every call listed links to its page"


async def demo_poll(config: Config, store: Store, mirror: str, at: datetime) -> list[Any]:
    """The demo's poll (every source, the starter's profile), on a fixed clock."""
    async with Fetcher(config.fetch_settings(mirror=mirror)) as fetcher:
        ctx = RunContext(
            store=store,
            fetcher=fetcher,
            today=PAGE_DAY,
            now=lambda: at,
            judge=Judge.from_config(config, store),
            notify=settings_of(config),
        )
        return await run_once(build_sources(config), ctx)


def demo_truth(store: Store, now: datetime) -> dict[str, set[int]]:
    """From the tables themselves: the relevant calls one can answer, awarded, blocked."""
    with store.transaction() as conn:
        rows = conn.execute(
            sa.select(tender_table, matches.c.relevant, matches.c.blockers).join(
                matches, matches.c.tender_id == tender_table.c.id
            )
        ).all()
        kinds: dict[int, set[str]] = {}
        for tender_id, kind in conn.execute(sa.select(notices.c.tender_id, notices.c.kind)):
            kinds.setdefault(tender_id, set()).add(kind)
    relevant = [r for r in rows if r.relevant]
    ending = {"award", "cancellation"}
    awarded = {r.id for r in relevant if kinds[r.id] & ending or r.closed}
    passed = {r.id for r in relevant if r.deadline is not None and r.deadline < now}
    blocked = {r.id for r in relevant if r.blockers}
    dropped = {r.id for r in relevant if r.status in ("no-go", "won", "lost")}
    everyone = {r.id for r in relevant}
    return {
        "open": everyone - awarded - passed - blocked - dropped,
        "awarded": awarded,
        "blocked": blocked - awarded - passed,
    }
