"""What of the organisation fits a call: catalogue courses, trainers, lots, territorial cover.

Courses are ranked with a small overlap score built on the classifier's text normalisation
(``watcher/classify/text.py``: accents, plurals, elisions, stems) and its list of words too
generic to tell courses apart (``scoring.GENERIC_STEMS``). The classifier itself only exposes
the single best course of a notice, while a draft needs every course that fits each lot:

    similarity = 0.7 x share of the course title's content stems found in the text
               + 0.3 x share of its description's;   citing its RNCP/RS code counts 1.

A title counts by its best part: "Sauveteur secouriste du travail (SST)" is fully found in a
text that says "SST", "Excel perfectionnement : tableaux croisés dynamiques" in one that says
"Excel". Courses at 0.4 or more are proposed, best first, at most ``MAX_COURSES`` per lot. Trainers
fit when one of their skills names a domain the classifier matched, or is found in the call's
text or in a proposed course's title.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from responses.settings import Trainer
from watcher.classify import blockers, geo
from watcher.classify.document import Document
from watcher.classify.profile import Course, Profile
from watcher.classify.scoring import GENERIC_STEMS
from watcher.classify.text import AND, fold, stems
from watcher.errors import DraftError
from watcher.models import Lot, Notice, number_in

TITLE_SHARE = 0.7
MIN_SIMILARITY = 0.4
MAX_COURSES = 4


@dataclass(frozen=True, slots=True)
class RankedCourse:
    course: Course
    similarity: float


def content_stems(text: str) -> set[str]:
    return {s for s in stems(text) if s != AND and s not in GENERIC_STEMS and len(s) > 1}


def course_similarity(course: Course, seen: set[str], folded: str) -> float:
    """How much of the course is found in a text (its content stems ``seen``, ``folded``)."""
    if course.certification and _cites(course.certification, folded):
        return 1.0
    title = max((_found(words, seen) for words in _title_parts(course.title)), default=0.0)
    description = _found(content_stems(course.description), seen)
    return TITLE_SHARE * title + (1 - TITLE_SHARE) * description


def _title_parts(title: str) -> list[set[str]]:
    """The whole title and its parts around brackets, colons and dashes."""
    parts = [title, *re.split(r"[():]| [-–—] ", title)]
    return [words for words in map(content_stems, parts) if words]


def _found(words: set[str], seen: set[str]) -> float:
    return len(words & seen) / len(words) if words else 0.0


def _cites(code: str, folded: str) -> bool:
    """True when the text cites the code: "RS5252", "RS 5252", "rs5252"."""
    found = re.fullmatch(r"([A-Z]+)(\d+)", code)
    if found is None:
        return fold(code) in folded
    prefix, digits = found.groups()
    return re.search(rf"\b{prefix.lower()}\s?{digits}\b", folded) is not None


def rank_courses(catalogue: Iterable[Course], *texts: str) -> list[RankedCourse]:
    """The courses that fit the texts, best first (see the module docstring)."""
    text = "\n".join(texts)
    seen, folded = content_stems(text), fold(text)
    ranked = [RankedCourse(c, course_similarity(c, seen, folded)) for c in catalogue]
    fitting = [r for r in ranked if r.similarity >= MIN_SIMILARITY]
    fitting.sort(key=lambda r: -r.similarity)
    return fitting[:MAX_COURSES]


# ------------------------------------------------------------------------------------- lots


def lot_key(lot: Lot, index: int) -> str:
    """The lot's number as a short key: "Lot 03" -> "3"; its position when unnumbered."""
    return _number_key(lot.number) if lot.number else str(index + 1)


def _number_key(text: str) -> str:
    number = number_in(text)  # the lot numbers' one reading (``Lot.ordinal``)
    return str(number) if number is not None else fold(text).strip()


def lot_label(lot: Lot, index: int) -> str:
    return f"Lot {lot_key(lot, index)}"


def select_lots(notice: Notice, wanted: str | None) -> list[tuple[int, Lot]]:
    """(index, lot) pairs to answer: all of them, or the one asked with ``--lot``."""
    lots = list(enumerate(notice.lots))
    if wanted is None:
        return lots
    if not lots:
        raise DraftError(f"--lot {wanted}: the call {notice.key} has no lots")
    key = _number_key(wanted)
    chosen = [(i, lot) for i, lot in lots if lot_key(lot, i) == key]
    if not chosen:
        known = ", ".join(lot_key(lot, i) for i, lot in lots)
        raise DraftError(f"--lot {wanted}: no such lot in {notice.key} (lots: {known})")
    return chosen[:1]


#: what separates a lot title's parts: « Lot 2 – Bretagne », « Lot 3 : Rennes (35) »,
#: « Bretagne et Normandie », « Bretagne & Normandie »
_TITLE_PARTS = re.compile(r"\s+-\s+|\s+(?:et|ou)\s+|[–—:;,/()&+]")
#: the words before a place that say where without naming a subject (folded): « Lot 2 :
#: Région Bretagne », « LOT2- », « Lot B », « Lot IV », « Départements 22 », « Sessions en
#: Normandie », « Formations dans le Finistère »
_WHERE_PREFIX = re.compile(
    r"^(?:(?:lot\s*(?:\d+\s*(?:bis|ter)?|[a-z]|[ivxl]+)\b|lots?|n|no|numero|regions?|"
    r"departements?|territoires?|secteurs?|zones?|sites?|agences?|delegations?|perimetre|"
    r"geographique|sessions?|formations?|actions?|interventions?|prestations?|de|du|des|"
    r"la|le|les|l|d|en|sur|a|au|aux|dans|pour|\d+(?:\s*(?:bis|ter))?)\b\W*)*"
)
_POINTS = re.compile(r"(?:nord|sud|est|ouest|centre)(?:[-\s]+(?:nord|sud|est|ouest))*")
#: a place then a cardinal point: « Occitanie Est », « Bretagne nord-ouest »
_POINT_AFTER = re.compile(r"\s+" + _POINTS.pattern + "$")
#: a part that takes away from a place: « Auvergne-Rhône-Alpes (hors Lyon) »
_EXCEPT = re.compile(r"(?:hors|sauf|excepte)\b")


def says_only_where(lot: Lot) -> bool:
    """Whether a lot's title says only where, no subject: « Lot 2 – Bretagne », « Lot 3 :
    Département du Finistère (29) », « Secteur nord-est », « Bretagne et Normandie »,
    « Outre-mer ». Such a lot is answered with the call's courses; a lot that names
    anything else is a subject of its own."""
    places = {fold(place).strip() for place in lot.places}
    named = False  # « hors … » takes away from a place named before it, or says nothing
    for part in _TITLE_PARTS.split(lot.title):
        rest = _WHERE_PREFIX.sub("", fold(part).strip()).strip(" .-")
        if not rest or (named and _EXCEPT.match(rest)):
            continue
        if not _says_where(rest, places):
            return False
        named = True
    return True


def _says_where(part: str, places: set[str]) -> bool:
    """Whether one folded part of a lot's title (its prefix words gone) says where."""
    if _POINTS.fullmatch(part) or part in places:
        return True
    return geo.names_a_place(part) or geo.names_a_place(_POINT_AFTER.sub("", part))


# --------------------------------------------------------------------------------- trainers


def fitting_trainers(
    trainers: Iterable[Trainer], text: str, domains: Iterable[str], courses: Iterable[Course]
) -> list[Trainer]:
    """Trainers with a skill named like a matched domain, or whose skill phrase is found in
    the call's text or in the title of a proposed course; best covered first."""
    wanted = {fold(d) for d in domains}
    seen = set(stems(" ".join([text, *(c.title for c in courses)])))
    scored = [(_skill_hits(t, wanted, seen), t) for t in trainers]
    return [t for hits, t in sorted(scored, key=lambda p: -p[0]) if hits]


def _skill_hits(trainer: Trainer, domains: set[str], seen: set[str]) -> int:
    hits = 0
    for skill in trainer.skills:
        words = [s for s in stems(skill) if s != AND]
        if fold(skill) in domains or (words and all(w in seen for w in words)):
            hits += 1
    return hits


# ----------------------------------------------------------------------------------- places


def coverage(places: Iterable[str], profile: Profile) -> str:
    """French: is the place of a lot served by the organisation ([profile] regions)?"""
    listed = tuple(p for p in places if p.strip())
    if not listed:
        return "lieu non précisé"
    reasons, blocked = blockers.place_check(Document(places=listed), profile)
    if blocked:
        return "hors de la zone déclarée\u00a0: implantation à organiser"
    if reasons:
        return reasons[0]
    served = not profile.regions and not profile.departments
    return "zone desservie" if served else "lieu non reconnu\u00a0: à vérifier"
