"""French date and deadline wordings -> aware datetimes (Europe/Paris).

Wordings seen on the real sources (see shared/sources.md):

    Date limite de réponse le 05/02/2026 à 16h00        dd/mm/yyyy à HHhMM
    Limite de réponse : 05/02/2026                      date only (kept at 23:59, see below)
    Date et heure limite de réception des PLIS : 5 mars 2026 à 12h00
    Date limite de réception des offres : 12 Mars 2026 à 10 h 00
    DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H   (no year: the next such date)
    Clôture de l'appel à projets : 21 avril – 12h00          (no year)
    Date limite : 3 mars 2026 à midi                    "midi" is 12:00
    31/01/26                                            dd/mm/yy (marches-publics.info)
    2026-08-25+02:00 and 23:59:00+02:00                 ISO date and time with offsets (TED)

A date given without a time means "that day": it is kept at 23:59 local time, which is what
buyers mean and what a reader expects; ``has_time`` on the result says whether a time was read.
Text that holds no readable date gives None; callers keep the raw text next to it. So does a
date outside ``YEARS`` (a typing slip such as 9999 or 0202) or an offset no clock has (+72:05):
whatever the text, these functions return a value or None, they never raise.

``parse_wall_clock`` reads an ISO date-time as the wall-clock time it writes, whatever offset
it is labelled with, in Paris: BOAMP's ``datelimitereponse`` writes the buyer's local time
labelled ``+00:00`` (see ``scrapers/boamp.py``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from watcher.models import PARIS

MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
}

_MONTH_WORDS = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMERIC = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})\b")
_WORDED = re.compile(rf"\b(\d{{1,2}})(?:er)?\s+({_MONTH_WORDS})\.?(?:\s+(\d{{4}}))?\b")
_ISO = re.compile(
    r"\b(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?)?"
    r"([+-]\d{2}:?\d{2}|z)?"
)
_TIME = re.compile(r"(?<![\d/])(\d{1,2})\s*(?:h|:)\s*(\d{2})?(?!\s*(?:/|\d{2}/))", re.IGNORECASE)
_NOON = re.compile(r"(?<!apres-)(?<!apres )\bmidi\b")  # "le 3 mars 2026 à midi"
_END_OF_DAY = time(23, 59)
#: the years a deadline or a publication date can have; others are typing slips, left unread
YEARS = range(1990, 2101)


@dataclass(frozen=True, slots=True)
class ParsedDate:
    value: datetime
    has_time: bool


def fold(text: str) -> str:
    """Lower case, accents stripped: 'Févr. 12H00' -> 'fevr. 12h00'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def parse_french_datetime(text: str, *, today: date | None = None) -> ParsedDate | None:
    """The first date (and the time after it) in ``text``, as an aware Paris datetime.

    ``today`` resolves a date written without a year: the next such date on or after today
    (a deadline is in the future when published). Without ``today`` such dates give None.
    """
    folded = fold(text)
    iso = _parse_iso(folded)
    if iso is not None:
        return iso
    found = _find_date(folded, today)
    if found is None:
        return None
    day, end = found
    clock = _find_time(folded[end:])
    moment = datetime.combine(day, clock or _END_OF_DAY, tzinfo=PARIS)
    return ParsedDate(moment, has_time=clock is not None)


def parse_deadline(text: str, *, today: date | None = None) -> datetime | None:
    parsed = parse_french_datetime(text, today=today)
    return parsed.value if parsed else None


def parse_french_date(text: str, *, today: date | None = None) -> date | None:
    """A calendar date ('Publié le 4 janvier 2026', '04/01/2026')."""
    found = _find_date(fold(text), today)
    return found[0] if found else None


def combine_iso_date_time(day: str, clock: str | None) -> datetime | None:
    """TED's split fields: '2026-08-25+02:00' and '23:59:00+02:00' -> aware datetime. The
    time's offset wins, else the date's; a value without either is read as UTC (TED's)."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$", day.strip())
    clock_match = _CLOCK.match((clock or "23:59:00").strip())
    if not match or not clock_match:
        return None
    y, m, d, day_offset = match.groups()
    hh, mm, ss, offset = clock_match.groups()
    try:
        naive = datetime(int(y), int(m), int(d), int(hh), int(mm), int(ss or 0))
        if naive.year not in YEARS:
            return None
        zone = _offset_zone((offset or day_offset or "Z").lower())
        return naive.replace(tzinfo=zone).astimezone(PARIS)
    except (ValueError, OverflowError):
        return None


_CLOCK = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$")


def _parse_iso(folded: str, *, wall_clock: bool = False) -> ParsedDate | None:
    match = _ISO.search(folded)
    if not match:
        return None
    y, mo, d, hh, mm, ss, offset = match.groups()
    try:
        naive = datetime(int(y), int(mo), int(d), int(hh or 23), int(mm or 59), int(ss or 0))
        if naive.year not in YEARS:
            return None
        zone = _offset_zone(offset) if offset else None  # an impossible offset: unread
        if zone is not None and not wall_clock:
            aware = naive.replace(tzinfo=zone).astimezone(PARIS)
        else:
            aware = naive.replace(tzinfo=PARIS)
    except (ValueError, OverflowError):  # "2026-02-30", "+72:05"
        return None
    return ParsedDate(aware, has_time=hh is not None)


def parse_wall_clock(text: str) -> ParsedDate | None:
    """An ISO date-time read as the wall-clock time it writes, in Paris, its offset ignored:
    '2026-07-16T12:00:00+00:00' -> 12:00 Paris (summer time, +02:00)."""
    return _parse_iso(fold(text), wall_clock=True)


def _offset_zone(offset: str) -> tzinfo:
    if offset == "z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4])
    if hours > 14 or minutes > 59:  # no clock on Earth is further from UTC
        raise ValueError(f"offset out of range: {offset}")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _find_date(folded: str, today: date | None) -> tuple[date, int] | None:
    candidates = []
    numeric = _NUMERIC.search(folded)
    if numeric:
        candidates.append((numeric.start(), _numeric_date(numeric), numeric.end()))
    worded = _WORDED.search(folded)
    if worded:
        candidates.append((worded.start(), _worded_date(worded, today), worded.end()))
    for _, day, end in sorted(candidates, key=lambda c: c[0]):
        if day is not None:
            return day, end
    return None


def _numeric_date(match: re.Match[str]) -> date | None:
    d, m, y = (int(g) for g in match.groups())
    year = y + 2000 if y < 100 else y
    return _safe_date(year, m, d)


def _worded_date(match: re.Match[str], today: date | None) -> date | None:
    d, month_word, y = match.groups()
    month = MONTHS[month_word]
    if y:
        return _safe_date(int(y), month, int(d))
    if today is None:
        return None
    for year in (today.year, today.year + 1):
        candidate = _safe_date(year, month, int(d))
        if candidate and candidate >= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    if year not in YEARS:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _find_time(rest: str) -> time | None:
    """The first 'HHhMM', 'HH h MM', 'HH:MM', 'HHh' or 'midi' shortly after the date."""
    match = _TIME.search(rest[:40])
    if not match:
        return time(12, 0) if _NOON.search(rest[:40]) else None
    hours, minutes = int(match.group(1)), int(match.group(2) or 0)
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)
