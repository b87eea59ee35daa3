"""Stage 2: does a training call fit this organisation? Domains, catalogue, topics, score.

- A profile domain collects points from its phrases, each counted once at its best field
  (title 3, lot 2, summary 1.5, body 1, buyer 0.5), plus 2 for a CPV code under one of its
  codes. An excluded phrase anywhere rules the domain out. Strength = 1 - exp(-points / 3):
  one phrase in the title gives 0.63, title and CPV 0.81.
- A catalogue course is compared with the notice on content stems (words too general to tell
  courses apart, like "formation" or "agents", are ignored): similarity = 0.7 x the share of
  the course title's stems found in the notice + 0.3 x the share of its description's. Citing
  the course's RNCP/RS code counts as a full match. A course at 0.4 or more is a reason.
- fit = max(best domain strength, 0.9 x best course similarity); 1 when the profile declares
  neither domains nor catalogue (any training call fits).
- score = round(100 x p x (0.3 + 0.7 x fit)), p the probability of a training call. A certain
  training call outside every domain scores about 30, one with a title phrase of a domain 73.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from functools import lru_cache, partial
from itertools import chain, pairwise
from operator import attrgetter, itemgetter

from watcher.classify import topics as tx
from watcher.classify.analysis import (
    CERTIFICATION,
    DOMAIN,
    EXCLUDE,
    FIELD_NAMES,
    TOPIC,
    Analysed,
    Entry,
    Segment,
)
from watcher.classify.phrases import Hit
from watcher.classify.profile import Profile
from watcher.classify.text import AND, stems

DOMAIN_FIELD_WEIGHTS = {"title": 3.0, "lots": 2.0, "summary": 1.5, "body": 1.0, "buyer": 0.5}
#: The segments of a notice come in this order of fields (``analysis.analyse``), and both the
#: domains' and the topics' weights never increase along it: the first field where a phrase is
#: found is its best, so each phrase is counted there.
FIELD_ORDER = ("title", "lots", "summary", "body", "buyer")
FIRST_IS_BEST = all(
    weights[a] >= weights[b]
    for weights in (DOMAIN_FIELD_WEIGHTS, tx.FIELD_WEIGHTS)
    for a, b in pairwise(FIELD_ORDER)
)
assert FIRST_IS_BEST, "a field read later weighs more: count each phrase at its best field"
DOMAIN_CPV_POINTS = 2.0
DOMAIN_SCALE = 3.0
MIN_DOMAIN_STRENGTH = 0.35
COURSE_WEIGHT = 0.9
MIN_COURSE_SIMILARITY = 0.4
TITLE_SHARE = 0.7
BASE_SHARE = 0.3

#: Words shared by most training calls: they say nothing about which course fits.
GENERIC_WORDS = (
    "formation former formateur cours module session stage action prestation marché lot agent "
    "agents personnel salariés professionnel professionnelle public publics niveau jour jours "
    "heure heures initiation perfectionnement accord-cadre objet service services collectivité "
    "organisation mise oeuvre réalisation intervention programme"
)
GENERIC_STEMS = frozenset(stems(GENERIC_WORDS))
_TOPIC_CPV = [(prefix, topic.key) for topic in tx.TOPICS for prefix in topic.cpv]


#: A reason, or how to write it: the domains' reasons quote the notice, and only the first
#: few are shown (``Fit.shown``), so they are written only when shown.
Reason = str | Callable[[], str]


@dataclass(slots=True)
class Fit:
    """How well a training call fits the profile."""

    fit: float
    domains: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    def shown(self, count: int) -> list[str]:
        """The first ``count`` reasons, written."""
        shown = self.reasons[:count]
        for i, reason in enumerate(shown):
            if reason.__class__ is not str:
                shown[i] = reason()  # type: ignore[operator]
        return shown  # type: ignore[return-value]


def profile_phrases(profile: Profile) -> tuple[tuple[str, Entry], ...]:
    """The phrases of the profile: its domains', exclusions and certification codes."""
    phrases: list[tuple[str, Entry]] = []
    for i, domain in enumerate(profile.domains):
        phrases += [(p, Entry("domain", (i, p))) for p in domain.phrases]
        phrases += [(p, Entry("exclude", (i, p))) for p in domain.excluded_phrases]
    for i, course in enumerate(profile.catalogue):
        code = course.certification
        if code:
            spaced = code.replace("RNCP", "RNCP ") if code.startswith("RNCP") else "RS " + code[2:]
            phrases += [(code, Entry("certification", i)), (spaced, Entry("certification", i))]
    return tuple(phrases)


def topics_of(an: Analysed) -> list[str]:
    """Keys of the general topics of the notice, best first (see ``topics.py``); computed
    once per analysed notice."""
    if an.topics is None:
        an.topics = _topics(an)
    return an.topics


@lru_cache(maxsize=4096)
def _cpv_topics(code: str) -> tuple[str, ...]:
    """The topics whose CPV prefixes cover a code, in the taxonomy's order (cached: codes
    repeat across a feed)."""
    return tuple(dict.fromkeys(key for prefix, key in _TOPIC_CPV if code.startswith(prefix)))


def _topics(an: Analysed) -> list[str]:
    if not an.later_read:
        an.read_later()
    points: dict[str, float] = {}
    if an.kinds & TOPIC:
        # each phrase counts once, at its first field: the best, as the fields are read in
        # an order of non-increasing weight (``FIRST_IS_BEST``)
        weights = tx.FIELD_WEIGHTS
        counted: set[tuple[str, str]] = set()
        for seg in an.segments:  # (the buyer's too)
            hits = seg.by_kind.get("topic")
            if hits:
                pts = weights[seg.field]
                for hit in hits:
                    ref = hit[2][1]  # (topic key, phrase)
                    if ref not in counted:
                        counted.add(ref)
                        key = ref[0]
                        points[key] = points.get(key, 0.0) + pts
    for code in an.doc.cpv:
        for key in _cpv_topics(code):
            points[key] = points.get(key, 0.0) + tx.CPV_POINTS
    if not points:
        return []
    top = max(points.values())
    if top < tx.MIN_POINTS:
        return []
    if len(points) == 1:
        return list(points)
    half = top / 2
    kept = []
    for key, pts in sorted(points.items(), key=_second, reverse=True):  # stable: ties in order
        if pts >= half:
            kept.append(key)
    return kept


class ProfileScorer:
    """Precomputed profile data: domain CPV prefixes and the catalogue's inverted index."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._cpv = [tuple(_prefix(c) for c in d.cpv) for d in profile.domains]
        names = ", ".join(f"«\u00a0{d.name}\u00a0»" for d in profile.domains[:4])
        more = ", …" if len(profile.domains) > 4 else ""
        self._outside = f"hors de vos domaines ({names}{more})"
        self._courses: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, course in enumerate(profile.catalogue):
            self._index_course(i, course.title, course.description)
        self._course_stems = frozenset(self._courses)
        self._any_cpv = any(self._cpv)
        #: CPV codes of a notice -> the code found for each domain (pure results, read only)
        self._codes_of: dict[tuple[str, ...], dict[int, str]] = {}
        #: frozenset of course stems -> (best course, similarity): pure results
        self._best_of: dict[frozenset[str], tuple[int | None, float]] = {}

    @property
    def open(self) -> bool:
        """True when the profile has neither domains nor catalogue: every call fits."""
        return not self.profile.domains and not self.profile.catalogue

    def _index_course(self, i: int, title: str, description: str) -> None:
        weights: dict[str, float] = defaultdict(float)
        for share, words in (
            (TITLE_SHARE, _content(title)),
            (1 - TITLE_SHARE, _content(description)),
        ):
            for s in words:
                weights[s] += share / len(words)
        for s, w in weights.items():
            self._courses[s].append((i, w))

    def fit(self, an: Analysed) -> Fit:
        if self.open:
            return Fit(1.0)
        if not an.later_read:
            an.read_later()
        result = Fit(0.0)
        reasons = result.reasons
        strengths = self._domains(an, reasons)
        if strengths:
            domains, names = self.profile.domains, result.domains
            ranked = sorted(strengths.items(), key=_second, reverse=True)
            for i, strength in ranked:
                if strength >= MIN_DOMAIN_STRENGTH:
                    names.append(domains[i].name)
            result.fit = max(0.0, ranked[0][1])
        course, similarity = self._best_course(an)
        if course is not None and similarity >= MIN_COURSE_SIMILARITY:
            reasons.append(
                f"ressemble au cours «\u00a0{self.profile.catalogue[course].title}\u00a0»"
            )
            result.fit = max(result.fit, COURSE_WEIGHT * similarity)
        if not reasons and self.profile.domains:
            reasons.append(self._outside)
        return result

    def _domains(self, an: Analysed, reasons: list[Reason]) -> dict[int, float]:
        """Strength of each domain found (phrases, CPV), with its reasons (written lazily)."""
        kinds = an.kinds
        excluded = self._excluded(an, reasons) if kinds & EXCLUDE else _NO_DOMAINS
        points: dict[int, float] = {}
        found: dict[int, list[tuple[float, Segment, Hit[Entry]]]] = {}
        if kinds & DOMAIN:
            _domain_evidence(an, excluded, points, found)
        cpv = self._cpv_points(an, excluded, points) if self._any_cpv else _NO_CODES
        if not points:
            return {}
        # the most points first (a stable sort: ties in the order of the set)
        for i in sorted(set(found) | set(cpv), key=points.__getitem__, reverse=True):
            reasons.append(partial(self._domain_reason, i, found.get(i, _NO_EVIDENCE), cpv.get(i)))
        strengths = {}
        for i, pts in points.items():
            strengths[i] = _strength(pts)
        return strengths

    def _domain_reason(
        self, i: int, found: list[tuple[float, Segment, Hit[Entry]]], code: str | None
    ) -> str:
        """One line per domain: the notice's own words (two at most) and where, or the CPV."""
        name = self.profile.domains[i].name
        if not found:
            return f"domaine «\u00a0{name}\u00a0»\u00a0: code CPV {code}"
        quotes: list[str] = []
        for _pts, seg, hit in found:
            words = f"«\u00a0{seg.quote(hit)}\u00a0»"
            if words not in quotes:
                quotes.append(words)
                if len(quotes) == 2:
                    break  # (the rest would not be shown: not quoted at all)
        where = FIELD_NAMES[found[0][1].field]
        return f"domaine «\u00a0{name}\u00a0»\u00a0: {', '.join(quotes)} dans {where}"

    def _excluded(self, an: Analysed, reasons: list[Reason]) -> set[int]:
        excluded: set[int] = set()
        for seg, hit in an.hits("exclude", buyer=True):
            i, _phrase = hit.payload.ref
            if i not in excluded:
                excluded.add(i)
                name = self.profile.domains[i].name
                words = seg.quote(hit)
                reasons.append(
                    f"domaine «\u00a0{name}\u00a0» écarté\u00a0: «\u00a0{words}\u00a0» "
                    f"dans {FIELD_NAMES[seg.field]}"
                )
        return excluded

    def _cpv_points(
        self, an: Analysed, excluded: Set[int], points: dict[int, float]
    ) -> dict[int, str]:
        """Adds the CPV points of each domain; returns the code that gave them, per domain."""
        cpv = an.doc.cpv
        if not cpv:
            return _NO_CODES
        codes = self._codes_of.get(cpv)
        if codes is None:
            codes = self._domain_codes(cpv)
            if len(self._codes_of) >= _BEST_OF_MAX:
                self._codes_of.clear()
            self._codes_of[cpv] = codes
        if excluded:
            codes = {i: code for i, code in codes.items() if i not in excluded}
        for i in codes:
            points[i] = points.get(i, 0.0) + DOMAIN_CPV_POINTS
        return codes

    def _domain_codes(self, cpv: tuple[str, ...]) -> dict[int, str]:
        """The first code of ``cpv`` under each domain's codes, by domain (in their order)."""
        codes: dict[int, str] = {}
        for i, prefixes in enumerate(self._cpv):
            if prefixes:
                for code in cpv:
                    if code.startswith(prefixes):
                        codes[i] = code
                        break
        return codes

    def _best_course(self, an: Analysed) -> tuple[int | None, float]:
        if not self.profile.catalogue:
            return None, 0.0
        if an.kinds & CERTIFICATION:
            for _seg, hit in an.hits("certification", buyer=True):
                return hit.payload.ref, 1.0
        # the course stems of the notice (not its buyer's): the best course is a pure
        # function of them, kept (they repeat across a feed)
        # (the buyer's segment is the last one: ``analysis.analyse``; the set of stems in one
        # call, in C)
        segments = an.segments
        if segments and segments[-1].field == "buyer":
            segments = segments[:-1]
        key = self._course_stems.intersection(_chain(map(_seq, segments)))
        if not key:
            return None, 0.0
        best = self._best_of.get(key)
        if best is None:
            if len(self._best_of) >= _BEST_OF_MAX:
                self._best_of.clear()
            best = self._best_of[key] = self._best_course_of(key)
        return best

    def _best_course_of(self, found: frozenset[str]) -> tuple[int | None, float]:
        weights: dict[int, list[float]] = defaultdict(list)
        courses = self._courses
        for s in found:
            for i, weight in courses[s]:
                weights[i].append(weight)
        # a set's order changes with each process (string hashes): the sums are exact
        # (``fsum``) and ties go to the first course, so that a verdict is the same every time
        scores = {i: math.fsum(found) for i, found in weights.items()}
        best = max(sorted(scores), key=lambda i: scores[i])
        return best, scores[best]


def _domain_evidence(
    an: Analysed,
    excluded: Set[int],
    points: dict[int, float],
    found: dict[int, list[tuple[float, Segment, Hit[Entry]]]],
) -> None:
    """Each domain phrase once, at its first field (the best: ``FIRST_IS_BEST``): its points
    added to its domain's, in reading order (the order of its points too)."""
    counted: set[tuple[int, str]] = set()
    for seg in an.segments:  # (the buyer's too)
        hits = seg.by_kind.get("domain")
        if hits:
            pts = DOMAIN_FIELD_WEIGHTS[seg.field]
            for hit in hits:
                key = hit[2][1]  # (domain index, phrase)
                if key in counted:
                    continue
                counted.add(key)
                i = key[0]
                if i in excluded:
                    continue
                evidence = found.get(i)
                if evidence is None:
                    found[i] = [(pts, seg, hit)]
                    points[i] = pts
                else:
                    evidence.append((pts, seg, hit))
                    points[i] += pts


_NO_DOMAINS: frozenset[int] = frozenset()
_NO_EVIDENCE: list[tuple[float, Segment, Hit[Entry]]] = []
_NO_CODES: dict[int, str] = {}
#: Best courses kept per set of course stems (bounded: cleared when full).
_BEST_OF_MAX = 4096


@lru_cache(maxsize=1024)
def _strength(points: float) -> float:
    return 1.0 - math.exp(-points / DOMAIN_SCALE)


_second = itemgetter(1)
_seq = attrgetter("seq")
_chain = chain.from_iterable


def _prefix(code: str) -> str:
    return code.rstrip("0") or code


def _content(text: str) -> set[str]:
    return {s for s in stems(text) if s != AND and s not in GENERIC_STEMS and len(s) > 1}


def score(probability: float, fit: float) -> int:
    value = round(100 * probability * (BASE_SHARE + (1 - BASE_SHARE) * fit))
    # (``max(0, min(100, value))`` without the two calls: this runs once per notice)
    return 0 if value < 0 else 100 if value > 100 else value
