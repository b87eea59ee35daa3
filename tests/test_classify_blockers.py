"""Blockers at their boundaries: deadline, lead time, region, Qualiopi category and expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from watcher.classify import Classifier, Document, Profile
from watcher.classify.document import from_notice
from watcher.classify.geo import region_ending
from watcher.fr import long_date
from watcher.models import PARIS, Lot, Notice

TODAY = date(2026, 3, 2)  # a Monday


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=PARIS)


def blockers(doc: Document, **profile: object) -> tuple[str, ...]:
    return Classifier(Profile.model_validate(profile)).assess(doc, today=TODAY).match.blockers


TRAINING = Document(title="Formation des agents à la bureautique")


def test_french_date() -> None:
    assert long_date(date(2026, 3, 2)) == "lundi 2 mars 2026"
    assert long_date(date(2026, 8, 15)) == "samedi 15 août 2026"
    assert long_date(date(2026, 3, 1)) == "dimanche 1er mars 2026"


def test_deadline_passed() -> None:
    doc = Document(title=TRAINING.title, deadline=at(TODAY - timedelta(days=1), 23))
    assert blockers(doc) == ("date limite dépassée (dimanche 1er mars 2026)",)


def test_deadline_today_is_too_close_not_passed() -> None:
    doc = Document(title=TRAINING.title, deadline=at(TODAY, 9))
    assert blockers(doc, min_lead_days=10) == ("délai trop court\u00a0: 0 jour (minimum 10)",)
    assert blockers(doc, min_lead_days=0) == ()


def test_lead_days_boundary() -> None:
    exactly = Document(title=TRAINING.title, deadline=at(TODAY + timedelta(days=10)))
    one_short = Document(title=TRAINING.title, deadline=at(TODAY + timedelta(days=9)))
    assert blockers(exactly, min_lead_days=10) == ()
    assert blockers(one_short, min_lead_days=10) == (
        "délai trop court\u00a0: 9 jours (minimum 10)",
    )


def test_deadline_read_in_paris_time() -> None:
    # 23:30 UTC on Sunday is 00:30 on Monday in Paris: due today, not passed
    doc = Document(title=TRAINING.title, deadline=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    assert blockers(doc, min_lead_days=0) == ()


def test_region_not_served() -> None:
    doc = Document(title=TRAINING.title, places=("Corse",))
    assert blockers(doc, regions=["Bretagne"]) == ("région non desservie\u00a0: Corse",)


def test_a_region_at_the_end_of_the_title_counts_when_no_place_is_known() -> None:
    """OPCO EP's real listing: « … (Occitanie, Nouvelle-Aquitaine) » with no place field was
    « go » for an organisation serving Bretagne; the title's region now blocks it."""
    served = {"regions": ["Bretagne", "Pays de la Loire", "Normandie"]}
    away = Document(
        title="Actions collectives régionales : management (Occitanie, Nouvelle-Aquitaine)"
    )
    assert blockers(away, **served) == ("région non desservie\u00a0: Nouvelle-Aquitaine",)
    assert blockers(Document(title="Formation management – Bretagne"), **served) == ()
    assert blockers(Document(title="Animation de la réunion de Normandie"), **served) == ()
    known = Document(title=away.title, places=("Rennes (35)",))  # a known place comes first
    assert blockers(known, **served) == ()
    assert blockers(away) == ()  # no service area declared: places never block


def test_region_served_by_region_department_or_nation() -> None:
    assert blockers(Document(title="x", places=("bretagne",)), regions=["Bretagne"]) == ()
    assert blockers(Document(title="x", places=("Rennes (35)",)), regions=["Bretagne"]) == ()
    assert blockers(Document(title="x", places=("72",)), departments=["72"]) == ()
    assert blockers(Document(title="x", places=("France entière",)), regions=["Bretagne"]) == ()
    assert blockers(Document(title="x", places=("Corse",)), regions=["France entière"]) == ()


def test_unknown_place_or_open_profile_never_blocks() -> None:
    assert blockers(Document(title="x", places=("Burkina Faso",)), regions=["Bretagne"]) == ()
    assert blockers(Document(title="x", places=("Corse",))) == ()


def test_served_place_is_a_reason() -> None:
    reasons = (
        Classifier(Profile(regions=["Bretagne"]))
        .assess(Document(title=TRAINING.title, places=("Bretagne",)), today=TODAY)
        .match.reasons
    )
    assert "région Bretagne desservie" in reasons


def qualiopi(*categories: str, expires: date | None = None) -> dict[str, object]:
    return {"certificate_number": "Q-1", "categories": list(categories), "expires_on": expires}


def test_missing_qualiopi_category() -> None:
    doc = Document(title="Bilans de compétences des agents")
    assert blockers(doc, qualiopi=qualiopi("actions de formation")) == (
        "catégorie Qualiopi requise absente\u00a0: bilans de compétences",
    )
    assert blockers(doc, qualiopi=qualiopi("bilans de compétences")) == ()


def test_vae_and_apprenticeship_categories() -> None:
    vae = Document(title="Accompagnement VAE des agents")
    cfa = Document(title="Formation par apprentissage de 12 apprentis")
    assert "catégorie Qualiopi requise absente\u00a0: VAE" in blockers(vae, qualiopi=qualiopi())
    assert blockers(cfa, qualiopi=qualiopi("actions de formation")) == (
        "catégorie Qualiopi requise absente\u00a0: apprentissage",
    )


def test_no_qualiopi_section_means_no_qualiopi_blocker() -> None:
    assert blockers(Document(title="Bilans de compétences")) == ()


def test_qualiopi_not_checked_for_non_training_notices() -> None:
    doc = Document(title="Fourniture de mobilier de bureau")
    assert blockers(doc, qualiopi=qualiopi()) == ()


def test_certificate_expiry_boundaries() -> None:
    deadline = TODAY + timedelta(days=30)
    doc = Document(title=TRAINING.title, deadline=at(deadline))
    valid_on_deadline = qualiopi("actions de formation", expires=deadline)
    expires_before = qualiopi("actions de formation", expires=deadline - timedelta(days=1))
    expired = qualiopi("actions de formation", expires=TODAY - timedelta(days=1))
    assert blockers(doc, qualiopi=valid_on_deadline) == ()
    assert blockers(doc, qualiopi=expires_before) == (
        "certificat Qualiopi expiré avant la date limite (il expire le mardi 31 mars 2026)",
    )
    assert blockers(doc, qualiopi=expired) == (
        "certificat Qualiopi expiré (dimanche 1er mars 2026)",
    )


def test_award_notice_is_blocked() -> None:
    assert blockers(Document(title=TRAINING.title, kind="award")) == (
        "avis d'attribution\u00a0: consultation close",
    )


def test_blockers_do_not_change_relevance_but_go() -> None:
    doc = Document(title=TRAINING.title, deadline=at(TODAY - timedelta(days=3)))
    match = Classifier().assess(doc, today=TODAY).match
    assert match.relevant and match.blockers and not match.go


def test_ted_nuts_codes_are_read_as_regions() -> None:
    # TED writes places as NUTS codes (the demo's TED notice: ["FRK", "FRH"]).
    assert blockers(Document(title="x", places=("FRK", "FRH")), regions=["Bretagne"]) == ()
    assert blockers(Document(title="x", places=("FRL03",)), regions=["Bretagne"]) == (
        "région non desservie\u00a0: Provence-Alpes-Côte d'Azur",
    )
    assert blockers(Document(title="x", places=("FRY4",)), regions=["La Réunion"]) == ()
    assert blockers(Document(title="x", places=("FR",)), regions=["Bretagne"]) == ()
    # Not French NUTS codes: unknown, never blocking.
    for place in ("SE110", "FRZZZ", "FRY", "FR75"):
        assert blockers(Document(title="x", places=(place,)), regions=["Bretagne"]) == ()


def test_a_region_not_served_is_named_once_with_its_departments() -> None:
    doc = Document(title="x", places=("13", "Var (83)", "84", "Corse", "2A"))
    assert blockers(doc, regions=["Bretagne"]) == (
        "région non desservie\u00a0: Provence-Alpes-Côte d'Azur (13, 83, 84), Corse (2A)",
    )


def test_a_lot_named_after_a_region_is_a_place_of_the_call() -> None:
    # The demo's AKTO call: « Lot 1 : Île-de-France. Lot 2 : Hauts-de-France. » and no other
    # place; a profile serving the west must see it is not served.
    call = Notice(
        "akto",
        "manager",
        "Actions collectives : formations « Manager une équipe de proximité »",
        "https://www.akto.fr/appels-d-offres/manager/",
        lots=(Lot("Île-de-France", number="1"), Lot("Lot 2 – Hauts-de-France", number="2")),
    )
    doc = from_notice(call)
    assert doc.places == ("Île-de-France", "Hauts-de-France")
    assert blockers(doc, regions=["Bretagne"]) == (
        "région non desservie\u00a0: Île-de-France, Hauts-de-France",
    )


def test_a_lot_title_only_mentioning_a_word_of_a_region_names_no_place() -> None:
    for title in (
        "Animation de la réunion d'équipe",
        "Formation Bretagne",
        "Accueil en Corse du Sud",
    ):
        assert region_ending(title) is None, title
    assert region_ending("LOT-0001 — Lot 1 – Bretagne") == "Bretagne"
    assert region_ending("Lot n°3 - Provence-Alpes-Côte d'Azur (13)") == (
        "Provence-Alpes-Côte d'Azur"
    )


def test_certificate_checked_against_the_first_lot_still_answerable() -> None:
    """Lot 1 closed yesterday, lot 2 closes in 10 days: the certificate must last until lot 2's
    day (before: lot 1's passed one, so an expiry in 5 days went unsaid)."""
    lot1, lot2 = at(TODAY - timedelta(days=1)), at(TODAY + timedelta(days=10))
    doc = Document(
        title=TRAINING.title, deadline=lot1, lot_deadlines=(("lot 1", lot1), ("lot 2", lot2))
    )
    expires = TODAY + timedelta(days=5)
    assert blockers(doc, qualiopi=qualiopi("actions de formation", expires=expires)) == (
        f"certificat Qualiopi expiré avant la date limite (il expire le {long_date(expires)})",
    )
    # while lot 1 (in 3 days) is open, its day is the one to last until
    lot1 = at(TODAY + timedelta(days=3))
    doc = Document(
        title=TRAINING.title, deadline=lot1, lot_deadlines=(("lot 1", lot1), ("lot 2", lot2))
    )
    assert blockers(doc, qualiopi=qualiopi("actions de formation", expires=expires)) == ()
