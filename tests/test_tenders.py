"""One call, one record: grouping notices into tenders in a real SQLite store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher import grouping, tenders
from watcher.models import PARIS, Lot, Notice, NoticeKind, Tender
from watcher.store import Store
from watcher.tenders import TenderEvent

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
DEADLINE = datetime(2026, 3, 20, 12, tzinfo=PARIS)


def notice(source: str, ref: str, title: str, **extra: object) -> Notice:
    values: dict[str, object] = {"buyer": "AKTO", "deadline": DEADLINE}
    values.update(extra)
    return Notice(source, ref, title, f"https://{source}.example.org/{ref}", **values)  # type: ignore[arg-type]


def store_and_group(store: Store, *batch: Notice) -> list[TenderEvent]:
    events: list[TenderEvent] = []

    def group(conn: object, result: object) -> None:
        stored = [*result.new, *(n for n, _ in result.changed)]  # type: ignore[attr-defined]
        events.extend(tenders.assign(conn, stored, at=AT))  # type: ignore[arg-type]

    store.upsert(batch, seen_at=AT, in_transaction=group)
    return events


CALL = notice("akto", "manager", "Formation « Manager une équipe de proximité » — Île-de-France")


def test_a_new_call_makes_a_new_tender(store: Store) -> None:
    (event,) = store_and_group(store, CALL)
    assert event.kind == "new"
    tender = tenders.get_tender(store, event.tender_id)
    assert tender is not None and tender.notices == (CALL,)


def test_same_call_on_boamp_merges_by_folder_id(store: Store) -> None:
    first = CALL.with_changes(folder_id="5B1E3D2A-7C4F")
    copy = notice("boamp", "26-1", "Avis de marché : autre intitulé", folder_id="5b1e3d2a-7c4f")
    (created,) = store_and_group(store, first)
    (merged,) = store_and_group(store, copy)
    assert merged.kind == "merged" and merged.tender_id == created.tender_id


def test_buyer_reference_links_two_sources(store: Store) -> None:
    on_platform = notice(
        "opco-ep", "p1", "[réf. 48213] Formations CQP assistant dentaire", buyer="OPCO EP"
    )
    on_site = notice("opcoep-site", "x", "CQP assistant(e) dentaire — réf. 48213", buyer="OPCO EP")
    (a,) = store_and_group(store, on_platform)
    (b,) = store_and_group(store, on_site)
    assert a.tender_id == b.tender_id


def test_corrigendum_moving_the_deadline_updates_the_tender(store: Store) -> None:
    initial = notice("boamp", "26-100", "Parcours CléA numérique", buyer="UNIFORMATION")
    later = datetime(2026, 4, 3, 12, tzinfo=PARIS)
    corrigendum = notice(
        "boamp",
        "26-200",
        "Rectificatif — Parcours CléA numérique",
        buyer="UNIFORMATION",
        kind=NoticeKind.CORRIGENDUM,
        related_refs=("26-100",),
        deadline=later,
        lots=(Lot("Lot 2 — Rhône"),),
    )
    (created,) = store_and_group(store, initial)
    (update,) = store_and_group(store, corrigendum)
    assert update.kind == "updated" and update.tender_id == created.tender_id
    assert update.changes == (
        "date limite repoussée au vendredi 3 avril 2026 à 12h00",
        "lot ajouté\u00a0: Lot 2 — Rhône",
    )
    tender = tenders.get_tender(store, created.tender_id)
    assert tender is not None and tender.deadline == later


SECURITY_CALL = notice(
    "afdas",
    "securite",
    "Accord-cadre « Sécurité sur les tournages » : formations SST, habilitations électriques"
    " et travail en hauteur",
    buyer="Afdas",
)


def test_a_corrigendum_naming_its_call_in_quotes_updates_that_call(store: Store) -> None:
    # The demo's Afdas rectificatif: no shared key, a title that describes the change.
    later = datetime(2026, 3, 27, 10, tzinfo=PARIS)
    corrigendum = notice(
        "afdas",
        "rectificatif",
        "Avis rectificatif — Accord-cadre « Sécurité sur les tournages » : report de la date"
        " limite",
        buyer="Afdas",
        kind=NoticeKind.CORRIGENDUM,
        deadline=later,
    )
    (created,) = store_and_group(store, SECURITY_CALL)
    (update,) = store_and_group(store, corrigendum)
    assert (update.kind, update.tender_id) == ("updated", created.tender_id)
    assert update.changes == ("date limite repoussée au vendredi 27 mars 2026 à 10h00",)
    tender = tenders.get_tender(store, created.tender_id)
    assert tender is not None and tender.deadline == later


def test_a_quoted_name_matching_two_open_calls_links_neither(store: Store) -> None:
    other = notice(
        "afdas", "securite-2", "« Sécurité sur les tournages » — équipes techniques", buyer="Afdas"
    )
    corrigendum = notice(
        "afdas",
        "rectificatif",
        "Avis rectificatif — « Sécurité sur les tournages »",
        buyer="Afdas",
        kind=NoticeKind.CORRIGENDUM,
    )
    store_and_group(store, SECURITY_CALL)
    store_and_group(store, other)
    (event,) = store_and_group(store, corrigendum)
    assert event.kind == "new"


def test_a_call_quoting_a_name_is_not_merged_by_it(store: Store) -> None:
    again = notice(
        "afdas", "securite-2027", "Accord-cadre « Sécurité sur les tournages » 2027", buyer="Afdas"
    )
    (a,) = store_and_group(store, SECURITY_CALL)
    (b,) = store_and_group(store, again)
    assert b.kind == "new" and b.tender_id != a.tender_id


def test_award_closes_the_tender_and_records_the_winner(store: Store) -> None:
    (created,) = store_and_group(
        store, notice("boamp", "26-71002", "Rénovation énergétique BTP", buyer="CONSTRUCTYS")
    )
    award = notice(
        "boamp",
        "26-89004",
        "Rénovation énergétique BTP — attribution",
        buyer="CONSTRUCTYS",
        kind=NoticeKind.AWARD,
        related_refs=("26-71002",),
        winner="Bâti Formation Conseil",
        deadline=None,
    )
    (closed,) = store_and_group(store, award)
    assert closed.kind == "closed" and closed.changes == ("attribué à Bâti Formation Conseil",)
    tender = tenders.get_tender(store, created.tender_id)
    assert tender is not None and tender.winner == "Bâti Formation Conseil"


def test_same_title_on_two_sources_merges_fuzzily(store: Store) -> None:
    boamp = notice(
        "boamp",
        "26-5",
        "Avis de marché — Formation « Manager une équipe de proximité » — Île-de-France",
        buyer="AKTO",
    )
    (a,) = store_and_group(store, CALL)
    (b,) = store_and_group(store, boamp)
    assert (b.kind, b.tender_id) == ("merged", a.tender_id)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("POEC Couvreur — région Bretagne", "POEC Couvreur — région Normandie"),
        ("Formation SST lot 1", "Formation SST lot 2"),
        ("POEC Coffreur-bancheur et Maçon VRD", "POEC Couvreur et Plaquiste"),
        ("Bilans de compétences 2026", "Bilans de compétences 2027"),
    ],
)
def test_similar_but_different_calls_do_not_merge(store: Store, first: str, second: str) -> None:
    (a,) = store_and_group(store, notice("x", "1", first, buyer="Constructys Siège"))
    (b,) = store_and_group(store, notice("x", "2", second, buyer="CONSTRUCTYS"))
    assert b.kind == "new" and b.tender_id != a.tender_id


def test_same_title_other_deadline_is_another_call(store: Store) -> None:
    later = datetime(2026, 9, 1, 12, tzinfo=PARIS)
    (a,) = store_and_group(store, CALL)
    (b,) = store_and_group(store, notice("boamp", "9", CALL.title, deadline=later))
    assert b.kind == "new" and a.tender_id != b.tender_id


def test_an_edited_notice_reports_what_changed(store: Store) -> None:
    store_and_group(store, CALL)
    moved = CALL.with_changes(deadline=datetime(2026, 3, 13, 12, tzinfo=PARIS))
    (event,) = store_and_group(store, moved)
    assert event.kind == "updated" and event.changes[0].startswith("date limite avancée au")
    assert not store_and_group(store, moved.with_changes(summary="typo fixed"))


def test_status_is_checked(store: Store) -> None:
    (created,) = store_and_group(store, CALL)
    tenders.set_status(store, created.tender_id, "go", at=AT)
    assert tenders.get_tender(store, created.tender_id).status == "go"  # type: ignore[union-attr]
    with pytest.raises(Exception, match="unknown status"):
        tenders.set_status(store, created.tender_id, "maybe", at=AT)


def test_buyer_names_are_normalised() -> None:
    assert grouping.normalise_buyer("Constructys Siège") == "constructys"
    assert grouping.normalise_buyer("OPCO ATLAS") == grouping.normalise_buyer("Atlas") == "atlas"
    assert grouping.normalise_buyer("Ville de Paris") == "ville de paris"


#: titles of the demo's change notices (watcher/demo_data: AFDAS, TED, BOAMP), the call each names
CHANGE_TITLES = [
    (
        "Avis rectificatif — Accord-cadre « Sécurité sur les tournages » : "
        "report de la date limite",
        "Sécurité sur les tournages",
    ),
    (
        "Formation linguistique (anglais, allemand) des personnels – report de la date limite",
        "Formation linguistique (anglais, allemand) des personnels",
    ),
    (
        "Rectificatif — Parcours de formation aux compétences numériques de base (CléA numérique)",
        "Parcours de formation aux compétences numériques de base (CléA numérique)",
    ),
    ("Avis d'attribution - Formation SST des agents", "Formation SST des agents"),
    ("Attribution — formation management de proximité", "Formation management de proximité"),
    ("Rectificatif", "Rectificatif"),  # nothing else to name it by
]


@pytest.mark.parametrize(("title", "call"), CHANGE_TITLES)
def test_a_call_known_by_a_change_notice_is_named_without_the_change(title: str, call: str) -> None:
    change = notice("boamp", "R1", title, kind=NoticeKind.CORRIGENDUM)
    assert Tender(1, (change,)).title == call
    original = notice("akto", "C1", "Formation SST – report de la date limite")
    assert Tender(1, (change, original)).title == original.title  # a call's own title stays


def test_the_stored_call_of_a_corrigendum_seen_first_carries_the_call_s_name(store: Store) -> None:
    (event,) = store_and_group(
        store, notice("ted", "T1", CHANGE_TITLES[1][0], kind=NoticeKind.CORRIGENDUM)
    )
    with store.transaction() as conn:
        tender = tenders.load_tender(conn, event.tender_id)
    assert tender is not None and tender.title == CHANGE_TITLES[1][1]
