"""One number for one call: what a user types resolves to a call; calls listed by deadline;
a call's notices in order with their changes. On a real SQLite store, through the pipeline's
grouping step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.notify_data import CLAIRE, SOFIA, T0, notice, poll, settings
from watcher import activity
from watcher.calls import CallFilter, call_view, list_calls, resolve
from watcher.models import PARIS, Match, NoticeKind
from watcher.notify.digest import gather, view
from watcher.notify.routing import Router
from watcher.notify.settings import NotifySettings
from watcher.notify.week import Week
from watcher.store import Store

SOON = datetime(2026, 3, 20, 12, 0, tzinfo=PARIS)
NOW = T0 + timedelta(days=2)


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


@pytest.fixture
def store(tmp_path: Path, config: NotifySettings) -> Iterator[Store]:
    """n° 1 management (corrected, then awarded), n° 2 anglais (later deadline), n° 3 out of
    scope without deadline, n° 4 past deadline; the opco2i notice of n° 3 has the reference
    "1", as OPCO 2i's numeric references do."""
    with Store.open(tmp_path / "db.sqlite") as opened:
        poll(
            opened,
            [
                notice("A1", "Formation management", deadline=SOON),
                notice("A2", "Cours d'anglais", deadline=SOON + timedelta(days=5)),
                notice("1", "Nettoyage hors sujet", source="opco2i", deadline=None),
                notice("A4", "Formation bureautique", deadline=T0 - timedelta(days=1)),
            ],
            config,
        )
        later = [
            notice(
                "A1-R",
                "Rectificatif management",
                kind=NoticeKind.CORRIGENDUM,
                related_refs=("A1",),
                deadline=SOON + timedelta(days=1),
            ),
        ]
        poll(opened, later, config, at=T0 + timedelta(hours=1))
        award = notice(
            "A1-W",
            "Attribution management",
            kind=NoticeKind.AWARD,
            related_refs=("A1",),
            winner="Formateurs Réunis",
        )
        poll(opened, [award], config, at=T0 + timedelta(hours=2))
        yield opened


@pytest.mark.parametrize("typed", ["2", "#2", "n° 2", "N°2", "no 2", " 2 "])
def test_a_call_number_in_every_spelling(store: Store, typed: str) -> None:
    found = resolve(store, typed).tender
    assert found is not None and found.id == 2 and found.title == "Cours d'anglais"


@pytest.mark.parametrize(
    ("typed", "number"),
    [("akto:A1", 1), ("A1", 1), ("akto:A1-R", 1), ("A1-W", 1), ("A2", 2), ("opco2i:1", 3)],
)
def test_a_notice_key_or_reference_names_its_call(store: Store, typed: str, number: int) -> None:
    found = resolve(store, typed).tender
    assert found is not None and found.id == number


def test_a_bare_number_that_is_also_a_reference_is_ambiguous(store: Store) -> None:
    both = resolve(store, "1")  # call n° 1, and the reference of a notice of call n° 3
    assert both.tender is None and both.ambiguous
    assert [c.number for c in both.candidates] == [1, 3]
    assert resolve(store, "#1").tender.id == 1  # type: ignore[union-attr]


def test_unknown_words_find_nothing(store: Store) -> None:
    for typed in ("99", "#99", "akto:nope", "nope", "", "9" * 30, "#" + "9" * 30):
        found = resolve(store, typed)
        assert found.tender is None and found.candidates == ()


def test_row_ids_are_not_addresses(store: Store) -> None:
    """The corrigendum A1-R is notice row 5; "5" is no call, and never that notice."""
    with store.transaction() as conn:
        row_id = conn.exec_driver_sql("SELECT id FROM notices WHERE key = 'akto:A1-R'").scalar()
    assert row_id == 5 and resolve(store, "5").tender is None


def test_a_notice_stored_without_a_call_gets_one(store: Store) -> None:
    store.upsert([notice("X9", "Formation management X9")], seen_at=T0)  # no grouping step
    first = resolve(store, "X9").tender
    assert first is not None and first.id == 5
    assert resolve(store, "akto:X9").tender.id == 5  # type: ignore[union-attr]
    assert resolve(store, "5").tender.title == "Formation management X9"  # type: ignore[union-attr]


def test_two_calls_with_one_reference_are_both_offered(
    store: Store, config: NotifySettings
) -> None:
    poll(
        store,
        [
            notice("26-1234", "Cours d'anglais B"),
            notice("26-1234", "Formation management B", source="atlas"),
        ],
        config,
    )
    found = resolve(store, "26-1234")
    assert found.ambiguous and sorted(c.key for c in found.candidates) == [
        "akto:26-1234",
        "atlas:26-1234",
    ]
    assert "n° 5 — akto:26-1234 — Cours d'anglais B" in [c.describe() for c in found.candidates]


# ------------------------------------------------------------------------------------ list


def numbers(store: Store, config: NotifySettings, **chosen: object) -> list[int]:
    rows = list_calls(store, CallFilter(**chosen), now=NOW, router=Router(config))  # type: ignore[arg-type]
    return [row.tender.id for row in rows]


def test_calls_by_deadline_next_first_then_unknown_then_closed(
    store: Store, config: NotifySettings
) -> None:
    assert numbers(store, config) == [2, 3, 1, 4]  # 1 is awarded: with the closed ones


def test_list_filters(store: Store, config: NotifySettings) -> None:
    assert numbers(store, config, open_only=True) == [2, 3]
    assert numbers(store, config, relevant=True) == [2, 1, 4]
    assert numbers(store, config, owner="claire") == [1]  # the owner of Management
    assert numbers(store, config, owner="SOFIA@") == [2]
    assert numbers(store, config, source="opco2i") == [3]
    assert numbers(store, config, text="ANGLAIS") == [2]
    assert numbers(store, config, since=T0 + timedelta(minutes=1)) == []
    rows = list_calls(store, CallFilter(), now=NOW, router=Router(config), limit=2)
    assert [row.tender.id for row in rows] == [2, 3]


# ------------------------------------------------------------------------------- one call


def test_a_call_shows_its_notices_in_order_with_their_changes(
    store: Store, config: NotifySettings
) -> None:
    changed = notice("A1", "Formation management", deadline=SOON, summary="Lieu : Rennes")
    poll(store, [changed], config, at=T0 + timedelta(hours=3))
    tender = resolve(store, "#1").tender
    assert tender is not None
    verdict = Match(True, 80, ("Management",))
    view = call_view(store, tender, verdict, Router(config))
    assert [m.notice.key for m in view.notices] == ["akto:A1", "akto:A1-R", "akto:A1-W"]
    assert [sorted(c.fields) for c in view.notices[0].history] == [["summary"]]
    assert view.owners == (CLAIRE,) and view.number == 1
    assert tender.closed and tender.winner == "Formateurs Réunis"
    assert tender.deadline == SOON + timedelta(days=1)  # the corrigendum's
    assert call_view(store, tender, None, Router(config)).owners == ()
    assert SOFIA not in view.owners


def test_an_assigned_owner_wins_over_the_domains_owners(
    store: Store, config: NotifySettings
) -> None:
    """The person assigned in the console (or by « Je prends ») owns the call in ``list``,
    ``show`` and the digest alike; a call nobody was assigned to is its domains' owners'."""
    activity.set_owner(store, 2, "Bea@of.fr", actor="admin@of.fr", at=NOW)
    assert numbers(store, config, owner="bea") == [2]
    assert numbers(store, config, owner="sofia") == []  # Langues is hers, n° 2 is Béa's
    assert numbers(store, config, owner="claire") == [1]
    tender = resolve(store, "#2").tender
    assert tender is not None and tender.owner == "bea@of.fr"
    verdict = Match(True, 80, ("Langues",))
    assert call_view(store, tender, verdict, Router(config)).owners == ("bea@of.fr",)
    digest = view(gather(store, config, Week.of(T0.date()), NOW), config, None)
    owners = {c["id"]: c["owner"] for c in [*digest["calls"], *digest["set_aside"]]}
    assert (owners[2], owners[1]) == ("bea@of.fr", CLAIRE)
    activity.set_owner(store, 2, "", actor="admin@of.fr", at=NOW)  # nobody assigned again
    assert numbers(store, config, owner="sofia") == [2]
