"""Stage 1: is this a call a training organisation can answer at all?

Evidence points (the reasons say in plain French what was found, never the points):

- each group of training terms found counts once, at its best field: weight x 1.5 in the title,
  x 1.2 in a lot, x 1 in the summary, x 0.6 in the body (the buyer's name is not read here);
- a term counts only in a training sense: not inside an incidental phrase ("salle de
  formation"), not after the purchase object of its field ("Fourniture ... et formation"), not
  listed as a product's service; a ``needs_learner`` term ("stage", "remise à niveau") only near
  who learns or what is learnt, or beside another training term;
- CPV: +2 for a training code (``cpv.py``), +1 for the root 80000000, else -1.5 for a code of
  goods, works, IT or other non-training services;
- -1.5 when the title names a purchase object (fourniture, travaux, logiciel...) before any
  training word; each exclusion family found subtracts its points once, unless it is the
  subject of a training term before it ("formation à la démarche qualité");
- a call for projects addressed to companies or funders, not to providers, is excluded outright.

A notice is a training call when it is not excluded and its points reach
``TRAINING_THRESHOLD`` (2: one training word in the summary, or in a lot with nothing against).
``probability`` is a logistic squashing of the points (0.5 at the threshold), the quantity a
learned model is blended with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import NamedTuple

from watcher.classify import cpv as cpv_codes
from watcher.classify import vocabulary as voc
from watcher.classify.analysis import (
    APPLICANT,
    CALL,
    FAMILY,
    FIELD_NAMES,
    OBJECT,
    TERM,
    Analysed,
    Entry,
    Segment,
)
from watcher.classify.phrases import Hit
from watcher.classify.text import AND

STAGE1_FIELD_WEIGHTS = {"title": 1.5, "lots": 1.2, "summary": 1.0, "body": 0.6}
CPV_TRAINING_POINTS = 2.0
CPV_WEAK_POINTS = 1.0
CPV_OTHER_PENALTY = 1.5
OBJECT_HEAD_PENALTY = 1.5
#: How far (in content words) a bare "formation" and a product service may be in a list.
ENUMERATION_SPAN = 2
#: How far (in content words) a ``needs_learner`` term looks for who learns.
LEARNER_WINDOW = 6
EXCLUDED_PROBABILITY = 0.02
SLOPE = 1.5
#: Evidence lines shown for a training call (the strongest first).
MAX_EVIDENCE = 2
#: What stage 1 looks for, said when nothing was found.
LOOKED_FOR = (
    "formation, stage, cours, atelier, bilan de compétences, VAE, coaching, "
    "habilitations et permis, langues"
)


@dataclass(slots=True)
class Stage1:
    """The stage-1 verdict with its evidence."""

    training: bool
    points: float
    probability: float
    excluded: bool = False
    categories: set[str] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)
    #: True when a term was found at all (counted or not): the verdict rests on evidence
    seen_terms: bool = False


class Evidence(NamedTuple):
    """One counted training term at its best field."""

    points: float
    term: voc.Term
    seg: Segment
    hit: Hit[Entry]

    def words(self) -> str:
        return self.seg.quote(self.hit)


_new_evidence = tuple.__new__  # an ``Evidence`` without the Python-level constructor


#: Points from the threshold within which the rest of a long body is read.
UNDECIDED_MARGIN = 1.5


def undecided(stage1: Stage1) -> bool:
    """Training words were seen, and the points are near enough the threshold that more body
    text could change the verdict (a head without any training word is decided)."""
    near = abs(stage1.points - voc.TRAINING_THRESHOLD) < UNDECIDED_MARGIN
    return stage1.seen_terms and not stage1.excluded and near


@lru_cache(maxsize=4096)
def points_probability(points: float) -> float:
    """Logistic squashing: 0.5 just below the threshold, 0.84 at 1 point above, 0.96 at 2."""
    return 1.0 / (1.0 + math.exp(-SLOPE * (points - voc.TRAINING_THRESHOLD + 0.1)))


@lru_cache(maxsize=4096, typed=True)
def _two_decimals(points: float) -> float:
    """``round(points, 2)``, cached: rounding a float to decimals goes through its decimal
    digits (slow), and the points of a feed's notices take few values."""
    return round(points, 2)


def assess(an: Analysed) -> Stage1:
    against: list[str] = []  # counter-evidence, in plain words
    kinds = an.kinds
    if kinds & TERM:
        groups, seen = _count_terms(an, against)
        points = sum(map(_points, groups.values()))
    else:
        groups, seen, points = {}, False, 0
    cpv_points, cpv_reason = _cpv_points(an.doc.cpv)
    points += cpv_points
    # (each rule below is looked at only when its phrases were found: a rule that does not
    # apply subtracts nothing)
    segments = an.segments
    if segments and "object" in segments[0].by_kind and segments[0].field == "title":
        points -= _object_head_penalty(an, against)
    if kinds & FAMILY:
        points -= _family_penalties(an, groups, against)
    excluded = bool(kinds & CALL and kinds & APPLICANT) and _non_provider_call(an, against)
    training = not excluded and points >= voc.TRAINING_THRESHOLD
    probability = EXCLUDED_PROBABILITY if excluded else points_probability(points)
    categories = _categories(an, groups) if training else set()
    reasons = _reasons(training, groups, cpv_reason, against, an)
    rounded = _two_decimals(points)
    return Stage1(training, rounded, probability, excluded, categories, reasons, seen or excluded)


def _reasons(
    training: bool,
    groups: dict[str, Evidence],
    cpv_reason: str | None,
    against: list[str],
    an: Analysed,
) -> list[str]:
    """At most a few lines, one per idea: what was found, the CPV code, what speaks against."""
    evidence = _evidence_lines(groups)
    if training:
        lines = evidence  # (a list of its own)
        if cpv_reason:
            lines.append(cpv_reason)
        lines[0] = f"appel de formation\u00a0: {lines[0]}"
        if against:
            lines.append(f"malgré {against[0]}")
        return lines
    if against:
        return [f"pas un appel de formation\u00a0: {against[0]}", *against[1:2]]
    if evidence:
        found = ", ".join(evidence)
        return [f"pas un appel de formation\u00a0: trop peu d'indices ({found})"]
    if cpv_reason:
        return [f"pas un appel de formation\u00a0: {cpv_reason}"]
    fields = _fields_read(an)
    return [
        f"pas un appel de formation\u00a0: aucun mot de formation dans {fields} ({LOOKED_FOR}…)"
    ]


def _evidence_lines(groups: dict[str, Evidence]) -> list[str]:
    """« words » dans <field>, the strongest groups first, one line per field (the notice's
    words are quoted only for the lines shown)."""
    found = groups.values()
    if len(found) == 1:  # (the most common case: one line, one quote)
        for ev in found:
            seg = ev.seg
            return [f"«\u00a0{seg.quote(ev.hit)}\u00a0» dans {FIELD_NAMES[seg.field]}"]
    by_field: dict[str, list[str]] = {}
    # the strongest first (a stable sort: groups of equal points in the order found)
    for ev in sorted(found, key=_points, reverse=True):
        quotes = by_field.get(ev.seg.field)
        if quotes is None:
            if len(by_field) >= MAX_EVIDENCE:
                continue  # a line that would not be shown
            quotes = by_field[ev.seg.field] = []
        if len(quotes) < 3:
            words = f"«\u00a0{ev.seg.quote(ev.hit)}\u00a0»"
            if words not in quotes:
                quotes.append(words)
    lines = []
    for fld, q in by_field.items():
        lines.append(f"{', '.join(q)} dans {FIELD_NAMES[fld]}")
    return lines


_points = itemgetter(0)  # an ``Evidence``'s points
_category = attrgetter("term.category")  # an ``Evidence``'s Qualiopi category


def _fields_read(an: Analysed) -> str:
    names = [FIELD_NAMES[f] for f in ("title", "lots", "summary", "body") if _has(an, f)]
    if not names:
        return "le titre"
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} ni {names[-1]}"


def _has(an: Analysed, name: str) -> bool:
    return any(seg.field == name for seg in an.segments)


# ------------------------------------------------------------------------ training terms


def _count_terms(an: Analysed, against: list[str]) -> tuple[dict[str, Evidence], bool]:
    """Best evidence per group of counted terms; whether any term was seen at all."""
    groups: dict[str, Evidence] = {}
    seen = False
    for seg in an.segments:
        hits = seg.by_kind.get("term")
        if not hits or seg.field == "buyer":
            continue
        seen = True
        found: SegmentTerms | None = seg.terms
        if found is None:
            found = _best_terms(seg, hits, an)
        best_of_segment, note = found
        if note and note not in against:
            against.append(note)
        if not groups:
            groups = dict(best_of_segment)
            continue
        for group, ev in best_of_segment.items():
            best = groups.get(group)
            if best is None or ev.points > best.points:
                groups[group] = ev
    return groups, seen


#: The best counted term of each group in one segment (first found among equals), and a
#: note on the terms that do not count.
SegmentTerms = tuple[dict[str, Evidence], str | None]


def _best_terms(seg: Segment, hits: list[Hit[Entry]], an: Analysed) -> SegmentTerms:
    """The counted terms of a segment, best per group; kept on the segment when they depend
    on nothing else (a segment naming users looks at the rest of the notice): a complete
    value, published whole, that notices and threads sharing the segment only read (a
    segment read once keeps nothing: no reference cycle left for the garbage collector)."""
    counted, note = _segment_terms(seg, hits, an)
    field_weight = STAGE1_FIELD_WEIGHTS[seg.field]
    best_of_segment: dict[str, Evidence] = {}
    for hit in counted:
        term = hit.payload.ref
        pts = term.weight * field_weight
        best = best_of_segment.get(term.group)
        if best is None or pts > best.points:
            best_of_segment[term.group] = _new_evidence(Evidence, (pts, term, seg, hit))
    found = (best_of_segment, note)
    if seg.kept and "users" not in seg.by_kind:
        seg.terms = found
    return found


def _buys_a_product(an: Analysed) -> bool:
    if an.kinds & OBJECT:
        for seg, hit in an.hits("object"):
            if not _not_object(seg, hit):
                return True
    return any(cpv_codes.is_non_training(code) for code in an.doc.cpv)


def _objects(seg: Segment) -> list[Hit[Entry]]:
    """Purchase objects of a segment, without those that name what is learnt."""
    objects = seg.by_kind.get("object")
    if not objects or "not_object" not in seg.by_kind:
        return objects or []
    return [o for o in objects if not _not_object(seg, o)]


def _not_object(seg: Segment, hit: Hit[Entry]) -> bool:
    return any(n.start <= hit.start and hit.end <= n.end for n in seg.of("not_object"))


def _segment_terms(
    seg: Segment, terms: list[Hit[Entry]], an: Analysed
) -> tuple[list[Hit[Entry]], str | None]:
    """The terms of a segment that count, and a note on those that do not (or None). Hits
    are in reading order, so the first of a kind is the one that starts first."""
    by_kind = seg.by_kind
    if _CONTEXT.isdisjoint(by_kind):  # no phrase that makes a term not count
        return _with_learners(seg, terms), None
    if "incidental" in by_kind or "veto" in by_kind:
        kept, note = _drop_incidental(seg, terms)
    else:
        kept, note = list(terms), None
    objects = _objects(seg) if "object" in by_kind else []
    if kept and objects and objects[0].start < kept[0].start:
        obj = seg.quote(objects[0])
        return (
            [],
            f"l'objet de l'achat est «\u00a0{obj}\u00a0», "
            "la formation n'en est qu'un service annexe",
        )
    if "ancillary" in by_kind or "users" in by_kind:
        listed = [h for h in kept if h.payload.ref.generic and _ancillary(seg, h, an)]
        if listed:
            note = "la formation y est un service annexe d'un produit"
            kept = [h for h in kept if h not in listed]
    return _with_learners(seg, kept), note


#: The kinds of phrase that may make a term of a segment not count (``_segment_terms``).
_CONTEXT = frozenset({"incidental", "veto", "object", "ancillary", "users"})


def _drop_incidental(seg: Segment, terms: list[Hit[Entry]]) -> tuple[list[Hit[Entry]], str | None]:
    spans = seg.of("incidental")
    vetoed = {hit.payload.ref for hit in seg.of("veto")}
    kept: list[Hit[Entry]] = []
    note = None
    for hit in terms:
        if hit.payload.ref.label in vetoed:
            continue
        span = next((s for s in spans if s.start < hit.end and hit.start < s.end), None)
        if span is None:
            kept.append(hit)
        elif note is None and hit.payload.ref.generic:
            words = seg.quote(span)
            note = f"«\u00a0{words}\u00a0»\u00a0: la formation n'est pas ce qui est acheté"
    return kept, note


def _with_learners(seg: Segment, kept: list[Hit[Entry]]) -> list[Hit[Entry]]:
    """Drop the ``needs_learner`` terms that name no learner, unless a plain term is there."""
    for hit in kept:
        if not hit.payload.ref.needs_learner:
            return kept  # a plain term: every term counts
    if not kept:
        return kept
    learners = seg.of("learner")
    return [h for h in kept if _near_learner(h, learners)]


def _near_learner(hit: Hit[Entry], learners: list[Hit[Entry]]) -> bool:
    for other in learners:
        overlaps = other.start < hit.end and hit.start < other.end
        near = hit.start - LEARNER_WINDOW <= other.start <= hit.end + LEARNER_WINDOW
        if near and not overlaps:
            return True
    return False


def _ancillary(seg: Segment, hit: Hit[Entry], an: Analysed) -> bool:
    """A bare "formation" listed with a product service, or "formation des utilisateurs"
    when the notice buys a product (looked at only when the segment names users)."""
    for other in seg.of("ancillary"):
        if 0 < other.start - hit.end <= ENUMERATION_SPAN and AND in seg.seq[hit.end : other.start]:
            return True
        if 0 < hit.start - other.end <= ENUMERATION_SPAN and AND in seg.seq[other.end : hit.start]:
            return True
    users = seg.of("users")
    return any(u.start <= hit.start < u.end for u in users) and _buys_a_product(an)


# ------------------------------------------------------------------------ other evidence


@lru_cache(maxsize=4096)
def _cpv_points(codes: tuple[str, ...]) -> tuple[float, str | None]:
    """Points and reason of a notice's CPV codes (cached: the same codes recur in a feed)."""
    training = [c for c in codes if cpv_codes.is_training(c)]
    if training:
        return CPV_TRAINING_POINTS, f"code {cpv_codes.label(training[0])}"
    weak = [c for c in codes if cpv_codes.is_weak_training(c)]
    if weak:
        return CPV_WEAK_POINTS, f"code {cpv_codes.label(weak[0])}"
    other = [c for c in codes if cpv_codes.is_non_training(c)]
    if other:
        return (
            -CPV_OTHER_PENALTY,
            f"code {cpv_codes.label(other[0])}\u00a0: un achat hors formation",
        )
    return 0.0, None


def _object_head_penalty(an: Analysed, against: list[str]) -> float:
    segments = an.segments
    title = segments[0] if segments and segments[0].field == "title" else None
    if title is None or "object" not in title.by_kind:
        return 0.0
    objects = _objects(title)
    if not objects:
        return 0.0
    terms = title.of("term")
    if terms and terms[0].start < objects[0].start:
        return 0.0
    words = title.quote(objects[0])
    note = f"l'objet de l'achat est «\u00a0{words}\u00a0»"
    for line in against:
        if line.startswith(note):
            return OBJECT_HEAD_PENALTY
    against.append(note)
    return OBJECT_HEAD_PENALTY


def _family_penalties(an: Analysed, groups: dict[str, Evidence], against: list[str]) -> float:
    if not an.kinds & FAMILY:
        return 0.0
    seen: set[str] = set()
    penalty = 0.0
    for seg, hit in an.hits("family"):
        family, _phrase = hit.payload.ref
        if family.key in seen or _subject_of_training(seg, hit, groups):
            continue
        seen.add(family.key)
        penalty += family.penalty
        against.append(f"«\u00a0{seg.quote(hit)}\u00a0» ({family.label})")
    return penalty


def _subject_of_training(seg: Segment, hit: Hit[Entry], groups: dict[str, Evidence]) -> bool:
    """True when a counted term of the same field comes before the phrase, not as another
    item of a list: "Formation à la démarche qualité" trains people in quality management."""
    for ev in groups.values():
        if ev.seg is seg and ev.hit.end <= hit.start and AND not in seg.seq[ev.hit.end : hit.start]:
            return True
        if ev.seg is seg and ev.hit.start <= hit.start < ev.hit.end:
            return True
    return False


def _non_provider_call(an: Analysed, against: list[str]) -> bool:
    if not an.kinds & CALL or not an.kinds & APPLICANT:
        return False
    call = next((hit.payload.ref for _s, hit in an.hits("call")), None)
    applicant = next((hit.payload.ref for _s, hit in an.hits("applicant")), None)
    if call is None or applicant is None or an.hits("provider"):
        return False
    against.insert(
        0,
        f"«\u00a0{call}\u00a0» ouvert aux entreprises ou aux financeurs "
        f"(«\u00a0{applicant}\u00a0»), pas aux organismes de formation",
    )
    return True


def _categories(an: Analysed, groups: dict[str, Evidence]) -> set[str]:
    """Qualiopi categories the call needs: from its terms, and apprenticeship phrases."""
    categories = set(map(_category, groups.values()))
    if an.hits("apprentice"):
        categories.add(voc.CFA)
    return categories or {voc.AF}
