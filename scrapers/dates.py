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
Text that holds no readable date gives None; callers keep the raw text next to it.
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
    r"\b(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{2}):(\d{2})(?::(\d{2}))?)?([+-]\d{2}:\d{2}|z)?"
)
_TIME = re.compile(r"(?<![\d/])(\d{1,2})\s*(?:h|:)\s*(\d{2})?(?!\s*(?:/|\d{2}/))", re.IGNORECASE)
_NOON = re.compile(r"(?<!apres-)(?<!apres )\bmidi\b")  # "le 3 mars 2026 à midi"
_END_OF_DAY = time(23, 59)


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
    """TED's split fields: '2026-08-25+02:00' and '23:59:00+02:00' -> aware datetime."""
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?", day.strip())
    if not match:
        return None
    y, m, d, offset = match.groups()
    moment = f"{y}-{m}-{d}T{(clock or '23:59:00').strip()}"
    if not re.search(r"(Z|[+-]\d{2}:\d{2})$", moment):
        moment += offset or "+00:00"
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(PARIS)
    except ValueError:
        return None


def _parse_iso(folded: str) -> ParsedDate | None:
    match = _ISO.search(folded)
    if not match:
        return None
    y, mo, d, hh, mm, ss, offset = match.groups()
    try:
        naive = datetime(int(y), int(mo), int(d), int(hh or 23), int(mm or 59), int(ss or 0))
    except ValueError:
        return None
    if offset:
        aware = naive.replace(tzinfo=_offset_zone(offset)).astimezone(PARIS)
    else:
        aware = naive.replace(tzinfo=PARIS)
    return ParsedDate(aware, has_time=hh is not None)


def _offset_zone(offset: str) -> tzinfo:
    if offset == "z":
        return UTC
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
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
