"""French deadline wordings -> aware Paris datetimes: every wording of shared/sources.md §3."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scrapers.dates import parse_deadline, parse_french_date, parse_french_datetime
from watcher.models import PARIS

PUBLISHED = date(2026, 1, 10)  # resolves the wordings without a year


def paris(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=PARIS)  # type: ignore[misc]


WORDINGS = [
    # (wording as seen, deadline read, a time was written)
    ("Date limite de réponse le 05/02/2026 à 16h00", paris(2026, 2, 5, 16, 0), True),
    ("Limite de réponse : 05/02/2026", paris(2026, 2, 5, 23, 59), False),
    (
        "Date et heure limite de réception des PLIS : 5 mars 2026 à 12h00",
        paris(2026, 3, 5, 12, 0),
        True,
    ),
    (
        "Date limite de dépôt des candidatures : 23/03/2026 à 00h00",
        paris(2026, 3, 23, 0, 0),
        True,
    ),
    (
        "Date limite de réception des offres : 12 Mars 2026 à 10 h 00",
        paris(2026, 3, 12, 10, 0),
        True,
    ),
    ("DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H", paris(2026, 1, 31, 12, 0), True),
    ("Clôture de l'appel à projets : 21 avril – 12h00", paris(2026, 4, 21, 12, 0), True),
    ("Date de clôture : 14 novembre 2025", paris(2025, 11, 14, 23, 59), False),
    ("Date de clôture 1er avril 2026", paris(2026, 4, 1, 23, 59), False),
    ("31/01/26", paris(2026, 1, 31, 23, 59), False),
    ("Date limite : 3 mars 2026 à midi", paris(2026, 3, 3, 12, 0), True),
    ("Date limite : 3 mars 2026 à 17h30 (heure de Paris)", paris(2026, 3, 3, 17, 30), True),
    ("Date limite de remise des offres : 12.03.2026 - 12:00", paris(2026, 3, 12, 12, 0), True),
    ("Date limite : 5 janv. 2026", paris(2026, 1, 5, 23, 59), False),
    ("2026-08-25T23:59:00+02:00", paris(2026, 8, 25, 23, 59), True),
    ("2026-03-23T09:00:00Z", paris(2026, 3, 23, 10, 0), True),  # UTC, winter: +1 h
]


@pytest.mark.parametrize(("text", "expected", "has_time"), WORDINGS, ids=[w[0] for w in WORDINGS])
def test_every_seen_wording_is_read(text: str, expected: datetime, has_time: bool) -> None:
    parsed = parse_french_datetime(text, today=PUBLISHED)
    assert parsed is not None
    assert parsed.value == expected and parsed.value.tzinfo is not None
    assert parsed.has_time is has_time


@pytest.mark.parametrize(
    "text",
    [
        "Limite de réponse : voir le règlement de consultation",
        "Date limite : 31/02/2026",  # no such day
        "Date limite : prochainement",
    ],
)
def test_unreadable_wording_is_not_guessed(text: str) -> None:
    assert parse_deadline(text, today=PUBLISHED) is None


def test_a_date_without_year_needs_a_reference_day() -> None:
    text = "DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H"
    assert parse_deadline(text) is None
    # read after the publication: past the 31st of January, it is next year's
    assert parse_deadline(text, today=date(2026, 2, 2)) == paris(2027, 1, 31, 12, 0)


def test_afternoon_is_not_noon() -> None:
    parsed = parse_french_datetime("Date limite : 3 mars 2026 après-midi", today=PUBLISHED)
    assert parsed is not None and not parsed.has_time


def test_publication_dates() -> None:
    assert parse_french_date("Publié le 4 janvier 2026") == date(2026, 1, 4)
    assert parse_french_date("Consultation du : 25/02/2026") == date(2026, 2, 25)
    assert parse_french_date("Publié récemment") is None
