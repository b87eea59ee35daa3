"""Alerts: routing, grouping per recipient, updates, idempotence, French wording, escaping."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.notify_data import (
    BRETAGNE,
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
from watcher.errors import NotifyError
from watcher.models import PARIS, Lot, Match, NoticeKind, Tender
from watcher.notify.compose import compose_alerts
from watcher.notify.outbox import AlertItem, enqueue_alerts
from watcher.notify.routing import Router, regions_of, selects
from watcher.notify.sender import drain
from watcher.notify.settings import NotifySettings, Route
from watcher.notify.subjects import alert_subject
from watcher.store import Store
from watcher.store.schema import notices, outbox
from watcher.tenders import TenderEvent


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


def sent(store: Store, config: NotifySettings) -> Collect:
    transport = Collect()
    drain(store, config, transport)
    return transport


def rows(store: Store) -> list[sa.Row]:
    with store.transaction() as conn:
        return list(conn.execute(sa.select(outbox).order_by(outbox.c.id)))


# ------------------------------------------------------------------------------ routing


def test_a_new_call_goes_to_the_owner_of_its_domain(store: Store, config: NotifySettings) -> None:
    assert poll(store, [notice("A1")], config) == 1
    (message,) = sent(store, config).sent
    assert message["To"] == CLAIRE
    assert message["Subject"] == "[opco-watch] 1 nouvel appel d'offres — AKTO"
    text, html = parts(message)
    assert "Formation management des équipes" in text and "Formation management" in html
    assert "vendredi 20 mars 2026 à 12h00 (J-18)" in text
    assert "Lot 1 — Île-de-France" in text and "80/100 — Management" in text
    assert "https://www.akto.fr/ao/A1" in html


def test_one_email_per_recipient_per_poll(store: Store, config: NotifySettings) -> None:
    calls = [
        notice("A1", "Formation management de proximité"),
        notice("A2", "Parcours management hybride", buyer="Afdas"),
        notice("A3", "Cours d'anglais professionnel", buyer="OPCO ATLAS"),
        notice("A4", "Accompagnement management et anglais", buyer="CONSTRUCTYS"),
    ]
    assert poll(store, calls, config) == 2
    mails = sent(store, config).by_recipient()
    assert set(mails) == {CLAIRE, SOFIA}
    assert mails[CLAIRE]["Subject"] == (
        "[opco-watch] 3 nouveaux appels d'offres — AKTO, AFDAS, Constructys"
    )
    assert mails[SOFIA]["Subject"] == (
        "[opco-watch] 2 nouveaux appels d'offres — Atlas, Constructys"
    )
    text, _ = parts(mails[CLAIRE])
    assert text.count("Date limite\u00a0:") == 3


@pytest.mark.parametrize(
    ("title", "places", "expected"),
    [
        ("Formation bureautique", (), {VEILLE}),  # a domain without owner
        ("Prestation de formation générale", (), {VEILLE}),  # no domain at all
        ("Formation management", ("Rennes (35)",), {CLAIRE, BRETAGNE}),  # owner + route
        ("Formation bureautique", ("Bretagne",), {BRETAGNE}),  # the route claims it
    ],
)
def test_routing(
    store: Store, config: NotifySettings, title: str, places: tuple[str, ...], expected: set[str]
) -> None:
    poll(store, [notice("R1", title, places=places, lots=())], config)
    assert set(sent(store, config).by_recipient()) == expected


def test_an_irrelevant_call_is_not_alerted(store: Store, config: NotifySettings) -> None:
    assert poll(store, [notice("X1", "Travaux hors sujet")], config) == 0
    assert rows(store) == []


def _tender(buyer: str = "AKTO", places: tuple[str, ...] = ()) -> Tender:
    return Tender(1, (notice("T1", buyer=buyer, places=places, lots=()),))


def test_a_route_needs_each_of_its_criteria() -> None:
    route = Route(recipient=BRETAGNE, opcos=["akto"], regions=["bretagne"], domains=["Langues"])
    langues = Match(True, 70, ("Langues",))
    assert route.opcos == ["AKTO"] and route.regions == ["Bretagne"]
    assert selects(route, _tender(places=("29",)), langues)
    assert not selects(route, _tender(buyer="Afdas", places=("29",)), langues)
    assert not selects(route, _tender(places=("Normandie",)), langues)
    assert not selects(route, _tender(places=("29",)), Match(True, 70, ("Management",)))
    assert selects(Route(recipient=BRETAGNE, buyers=["akt"]), _tender(), langues)


def test_a_national_call_is_in_every_region() -> None:
    assert "Bretagne" in regions_of(_tender(places=("France entière",)))
    assert regions_of(_tender(places=("quelque part",))) == set()


def test_an_unknown_opco_or_region_in_a_route_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown OPCO 'OPCO Lune'"):
        Route(recipient=BRETAGNE, opcos=["OPCO Lune"])
    with pytest.raises(ValueError, match="unknown region 'Atlantide'"):
        Route(recipient=BRETAGNE, regions=["Atlantide"])


def test_everyone_lists_owners_routes_and_the_default(config: NotifySettings) -> None:
    assert Router(config).everyone() == (CLAIRE, SOFIA, BRETAGNE, VEILLE)


# ------------------------------------------------------------------------------ updates


def test_a_moved_deadline_is_sent_as_an_update_to_who_was_alerted(
    store: Store, config: NotifySettings
) -> None:
    first = notice("U1", lots=(Lot("Île-de-France", "1"),))
    poll(store, [first], config)
    sent(store, config)
    later = first.with_changes(
        deadline=datetime(2026, 3, 27, 12, 0, tzinfo=PARIS),
        lots=(Lot("Île-de-France", "1"), Lot("Bretagne", "2")),
    )
    assert poll(store, [later], config, at=T0 + timedelta(days=1)) == 1
    (message,) = sent(store, config).sent
    assert message["To"] == CLAIRE  # not the Bretagne route: it was never told of this call
    assert message["Subject"] == "[opco-watch] 1 appel d'offres mis à jour — AKTO"
    text, html = parts(message)
    assert "[MISE À JOUR]" in text and "MISE À JOUR" in html
    assert "date limite repoussée au vendredi 27 mars 2026 à 12h00" in text
    assert "lot ajouté\u00a0: Bretagne" in html


def test_a_corrigendum_on_another_source_is_an_update(store: Store, config: NotifySettings) -> None:
    poll(store, [notice("C1", folder_id="F-1")], config)
    sent(store, config)
    corrigendum = notice(
        "C1-R",
        "Rectificatif formation management",
        source="boamp",
        folder_id="F-1",
        kind=NoticeKind.CORRIGENDUM,
        deadline=datetime(2026, 3, 25, 12, 0, tzinfo=PARIS),
    )
    assert poll(store, [corrigendum], config, at=T0 + timedelta(hours=2)) == 1
    text, _ = parts(sent(store, config).sent[0])
    assert "date limite repoussée au mercredi 25 mars 2026 à 12h00" in text


def test_the_same_call_seen_on_another_source_says_nothing(
    store: Store, config: NotifySettings
) -> None:
    poll(store, [notice("M1", folder_id="F-2")], config)
    again = notice("M1", source="boamp", folder_id="F-2")
    assert poll(store, [again], config, at=T0 + timedelta(hours=1)) == 0
    assert len(rows(store)) == 1


def test_an_award_is_told_to_who_was_alerted_only(store: Store, config: NotifySettings) -> None:
    poll(store, [notice("W1", folder_id="F-3")], config)
    award = notice(
        "W1-A",
        "Attribution formation management",
        source="boamp",
        folder_id="F-3",
        kind=NoticeKind.AWARD,
        winner="Formatek",
    )
    assert poll(store, [award], config, at=T0 + timedelta(days=20)) == 1
    last = rows(store)[-1]
    assert last.recipient == CLAIRE and "attribué à Formatek" in str(last.payload)


# ------------------------------------------------------------------- exactly once (queue)


def test_queueing_the_same_poll_twice_inserts_once(store: Store, config: NotifySettings) -> None:
    poll(store, [notice("I1")], config)
    with store.transaction(write=True) as conn:
        tender_id = conn.execute(sa.select(notices.c.tender_id)).scalar_one()
    from watcher.tenders import get_tender

    tender = get_tender(store, tender_id)
    assert tender is not None
    item = AlertItem(
        tender, Match(True, 80, ("Management",)), TenderEvent(tender_id, "new", "akto:I1")
    )
    with store.transaction(write=True) as conn:
        assert enqueue_alerts(conn, [item], config=config, now=T0) == 0  # already told
    with store.transaction(write=True) as conn:
        conn.execute(sa.text("DELETE FROM alert_log"))
        assert enqueue_alerts(conn, [item], config=config, now=T0) == 0  # same Message-ID
    assert len(rows(store)) == 1


def test_alerts_commit_with_the_notices_or_not_at_all(store: Store, config: NotifySettings) -> None:
    def explode(tender: Tender) -> Match:
        raise RuntimeError("crash in the middle of the poll")

    with pytest.raises(RuntimeError):
        poll(store, [notice("Z1")], config, verdict=explode)
    assert rows(store) == [] and store.count_notices() == 0
    assert poll(store, [notice("Z1")], config) == 1  # the next poll sees it as new


def test_the_sources_of_one_poll_make_one_email_per_recipient(
    store: Store, config: NotifySettings
) -> None:
    assert poll(store, [notice("P1", "Formation management de proximité")], config) == 1
    boamp = notice("P2", "Cours d'anglais et management", source="boamp", buyer="Afdas")
    assert poll(store, [boamp], config, at=T0 + timedelta(seconds=5)) == 2  # Claire and Sofia
    assert compose_alerts(store, config, T0 + timedelta(minutes=1)) == 2
    assert compose_alerts(store, config, T0 + timedelta(minutes=2)) == 0  # parts consumed
    mails = sent(store, config).by_recipient()
    assert set(mails) == {CLAIRE, SOFIA}
    assert mails[CLAIRE]["Subject"] == "[opco-watch] 2 nouveaux appels d'offres — AKTO, AFDAS"
    assert [r.kind for r in rows(store)].count("alert") == 2


# ------------------------------------------------------------------------ wording, safety


def test_subjects_in_french() -> None:
    def call(opco: str, buyer: str = "x") -> dict[str, str]:
        return {"opco": opco, "buyer": buyer}

    assert alert_subject([call("AKTO")], []) == "[opco-watch] 1 nouvel appel d'offres — AKTO"
    assert alert_subject([call("AKTO")] * 2, [call("", "Ville de\r\nRennes")]) == (
        "[opco-watch] 2 nouveaux appels d'offres, 1 mis à jour — AKTO, Ville de Rennes"
    )
    many = [call(name) for name in ("AKTO", "AFDAS", "OCAPIAT", "OPCO EP", "OPCO 2i")]
    assert alert_subject([], many).endswith(
        "5 appels d'offres mis à jour — AKTO, AFDAS, OCAPIAT et 2 autres"
    )


def test_hostile_titles_are_shown_literally_and_escaped(
    store: Store, config: NotifySettings
) -> None:
    hostile = notice(
        "H1",
        f"Formation management {HOSTILE}",
        buyer=f"AKTO {HOSTILE}",
        platform_url="javascript:alert(2)",
        estimated_value=None,
    )
    poll(store, [hostile], config)
    (message,) = sent(store, config).sent
    text, html = parts(message)
    assert HOSTILE in text and "{{ 7*7 }}" in str(message["Subject"]) + text
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;quotes&#34; &amp; &#39;apostrophes&#39; {{ 7*7 }}" in html
    # {{ 7*7 }} never rendered: no 49 in the words (a link's random token may hold one)
    assert "49" not in re.sub(r"https?://[^\s\"'<>]+", "", text + html)
    assert "javascript:" not in html


def test_a_user_template_overrides_the_shipped_one(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "mes-modeles" / "email"
    folder.mkdir(parents=True)
    (folder / "alert.txt.j2").write_text(
        "Nouveautés : {% for c in new %}{{ c.title }}{% endfor %}\n"
    )
    config = settings(tmp_path, templates_dir=tmp_path / "mes-modeles")
    poll(store, [notice("O1", HOSTILE + " management")], config)
    text, html = parts(sent(store, config).sent[0])
    assert text == f"Nouveautés : {HOSTILE} management\n"
    assert "Bonjour" in html  # the shipped HTML template still serves


def test_a_user_template_cannot_escape_the_sandbox(tmp_path: Path, store: Store) -> None:
    folder = tmp_path / "t" / "email"
    folder.mkdir(parents=True)
    (folder / "alert.txt.j2").write_text("{{ new.__class__.__mro__[1].__subclasses__() }}")
    config = settings(tmp_path, templates_dir=tmp_path / "t")
    poll(store, [notice("S1")], config)
    report = drain(store, config, Collect())
    assert report.sent == 0 and report.retried == 1
    (email,) = [row for row in rows(store) if row.kind == "alert"]
    assert "cannot be rendered" in str(email.last_error)
    from watcher.notify.render import render

    with pytest.raises(NotifyError, match="unsafe"):
        render("email/alert.txt.j2", {"new": []}, tmp_path / "t")


def test_the_email_follows_french_typography(store: Store, config: NotifySettings) -> None:
    """A no-break space before « : », « ; » and « » » and after « « »: no line of the email
    breaks before its colon, in the text part as in the HTML one."""
    calls = [notice("A1"), notice("A2", "Parcours management hybride", buyer="Afdas")]
    assert poll(store, calls, config) == 1
    (message,) = sent(store, config).sent
    text, html = parts(message)
    words = unescape(re.sub(r"<[^>]+>", " ", html[html.index("<body") :]))
    for part in (text, words):
        assert re.findall(r".{0,20}(?: [:;»]|« ).{0,20}", part) == []
    assert "Date limite\u00a0: vendredi 20 mars 2026" in text
    assert "(liens personnels\u00a0: ne les transférez pas)" in words


def test_an_opco_written_in_capitals_is_named_once(store: Store, config: NotifySettings) -> None:
    """« CONSTRUCTYS » is Constructys: the card names it once, not « Constructys · CONSTRUCTYS »."""
    assert poll(store, [notice("A4", "Accompagnement management", buyer="CONSTRUCTYS")], config)
    (message,) = sent(store, config).sent
    text, html = parts(message)
    assert "  Constructys · n°\u00a01\n" in text
    assert "CONSTRUCTYS" not in text and "CONSTRUCTYS" not in html
