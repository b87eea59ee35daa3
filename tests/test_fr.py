"""French wording of amounts and dates, as users read them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from watcher import fr
from watcher.cli.call_views import status_words
from watcher.models import PARIS, Notice, NoticeKind, Tender

NNBSP = fr.NARROW_NBSP


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (Decimal(75000), None, f"75{NNBSP}000 € HT"),
        (Decimal(75000), Decimal(75000), f"75{NNBSP}000 € HT"),
        # a BOAMP "fourchette" whose floor is the 1 € typed to fill the form (26-7308)
        (Decimal(1), Decimal(75000), f"jusqu'à 75{NNBSP}000 € HT"),
        (None, Decimal(75000), f"jusqu'à 75{NNBSP}000 € HT"),
        (Decimal(10000), Decimal(75000), f"entre 10{NNBSP}000 et 75{NNBSP}000 € HT"),
        (Decimal("1234.5"), None, f"1{NNBSP}234,50 € HT"),
        (None, None, ""),
    ],
)
def test_an_estimate_never_shows_a_range_by_its_floor(
    low: Decimal | None, high: Decimal | None, expected: str
) -> None:
    assert fr.estimate(low, high) == expected


def test_a_range_survives_the_store_round_trip() -> None:
    notice = Notice(
        "boamp",
        "26-7308",
        "Travaux",
        "https://www.boamp.fr/pages/avis/?q=idweb:26-7308",
        estimated_value=Decimal(1),
        estimated_value_max=Decimal(75000),
    )
    back = Notice.from_json(notice.to_json())
    assert (back.estimated_value, back.estimated_value_max) == (Decimal(1), Decimal(75000))


def test_long_datetime_is_paris_wall_clock_in_winter_and_summer() -> None:
    assert fr.long_datetime(datetime(2026, 2, 16, 11, 0, tzinfo=UTC)) == (
        "lundi 16 février 2026 à 12h00"
    )
    assert fr.long_datetime(datetime(2026, 7, 1, 12, 0, tzinfo=PARIS)) == (
        "mercredi 1er juillet 2026 à 12h00"
    )


def test_an_awarded_amount_is_not_called_an_estimate() -> None:
    from watcher.models import NoticeKind, Tender
    from watcher.notify.context import tender_context

    award = Notice(
        "boamp",
        "26-89004",
        "Formation des salariés du BTP — Avis d'attribution",
        "https://www.boamp.fr/pages/avis/?q=idweb:26-89004",
        kind=NoticeKind.AWARD,
        estimated_value=Decimal(96000),
        winner="Bâti Formation Conseil",
    )
    call = award.with_changes(kind=NoticeKind.CALL, ref="26-71002")
    now = datetime(2026, 12, 2, tzinfo=UTC)
    awarded = tender_context(Tender(1, (award,), closed=True), None, now)
    assert (awarded["value_label"], awarded["value"]) == ("Montant attribué", f"96{NNBSP}000 € HT")
    assert tender_context(Tender(2, (call,)), None, now)["value_label"] == "Montant estimé"


def test_nuts_places_are_said_as_their_region_alone() -> None:
    """Users do not know NUTS codes: « Bretagne », never « Bretagne (FRH) »; a code and the
    region it names are said once."""
    from watcher.notify.context import unique_places

    ted = Notice(
        "ted",
        "162418-2026",
        "Accord-cadre de formations",
        "https://ted.europa.eu/fr/notice/-/detail/162418-2026",
        places=("FRK", "FRE11", "FR", "35", "France entière", "FRH03", "Bretagne"),
    )
    assert unique_places((ted,)) == [
        "Auvergne-Rhône-Alpes",
        "Hauts-de-France",
        "France entière",
        "35",
        "Bretagne",
    ]


def test_a_draft_says_the_places_as_an_email_does(tmp_path: Path) -> None:
    """One wording of a call's places everywhere: a region given twice in other cases or
    spacing (« Bretagne », « BRETAGNE », « Pays  de la Loire ») is said once in the draft's
    lot table as in the alert. Before, the draft kept « Bretagne, BRETAGNE, Pays de la Loire,
    pays de la loire »."""
    from responses.sample import SAMPLE_NOW, sample_notice
    from tests.drafts import example_draft
    from watcher.models import Lot
    from watcher.notify.context import unique_places

    places = ("FRH03", "BRETAGNE", "Pays  de la Loire", "pays de la loire")
    notice = replace(sample_notice(), places=places, lots=(Lot("Management", "1", places=places),))
    assert unique_places((notice,)) == ["Bretagne", "Pays de la Loire"]
    memoire = example_draft(tmp_path, notice, now=SAMPLE_NOW)["memoire-technique.md"]
    text = memoire.read_text("utf-8")
    assert "| Management | Bretagne, Pays de la Loire |" in text and "BRETAGNE" not in text


def _tender(*kinds: NoticeKind, closed: bool = True, winner: str = "") -> Tender:
    notices = tuple(
        Notice("akto", f"ref-{i}", "Formation SST", f"https://www.akto.fr/{i}", kind=kind)
        for i, kind in enumerate((NoticeKind.CALL, *kinds))
    )
    return Tender(22, notices, closed=closed, winner=winner)


@pytest.mark.parametrize(
    ("tender", "words"),
    [
        (_tender(NoticeKind.AWARD), "attribué"),  # an award without its winner: not « clôturé »
        (_tender(NoticeKind.AWARD, winner="Formacoop"), "attribué"),
        (_tender(NoticeKind.CANCELLATION), "annulé"),
        (_tender(), "clôturé"),
        (_tender(closed=False), ""),
    ],
)
def test_what_closed_a_call_is_said_one_way_by_the_console_and_the_cli(
    tender: Tender, words: str
) -> None:
    assert fr.closed_words(tender) == words
    assert status_words(tender) == ("nouveau · " + words if words else "nouveau")
