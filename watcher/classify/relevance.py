"""Stage 1: is this a call a training organisation can answer at all?

Evidence points, all explained in the reasons:

- each group of training terms found counts once, at its best field: weight x 1.5 in the title,
  x 1.2 in a lot, x 1 in the summary, x 0.6 in the body (the buyer's name is not read here);
- terms made incidental by the rules of ``vocabulary.py`` do not count;
- CPV: +2 for a training code (``cpv.py``), +1 for the root 80000000, else -1.5 for a code of
  goods, works, IT or other non-training services;
- -1.5 when the title names a purchase object (fourniture, travaux, logiciel...) before any
  training word; each exclusion family found subtracts its points once;
- a call for projects addressed to companies or funders, not to providers, is excluded outright.

A notice is a training call when it is not excluded and its points reach
``TRAINING_THRESHOLD`` (2: one training word in the summary, or in a lot with nothing against).
``probability`` is a logistic squashing of the points (0.5 at the threshold), the quantity a
learned model is blended with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from watcher.classify import cpv as cpv_codes
from watcher.classify import vocabulary as voc
from watcher.classify.analysis import FIELD_NAMES, Analysed, Entry, Segment
from watcher.classify.text import AND, Hit

STAGE1_FIELD_WEIGHTS = {"title": 1.5, "lots": 1.2, "summary": 1.0, "body": 0.6}
CPV_TRAINING_POINTS = 2.0
CPV_WEAK_POINTS = 1.0
CPV_OTHER_PENALTY = 1.5
OBJECT_HEAD_PENALTY = 1.5
#: How far (in content words) a bare "formation" and a product service may be in a list.
ENUMERATION_SPAN = 2
EXCLUDED_PROBABILITY = 0.02
SLOPE = 1.5


@dataclass(slots=True)
class Stage1:
    """The stage-1 verdict with its evidence."""

    training: bool
    points: float
    probability: float
    excluded: bool = False
    categories: set[str] = field(default_factory=set)
    reasons: list[str] = field(default_factory=list)


def points_probability(points: float) -> float:
    """Logistic squashing: 0.5 just below the threshold, 0.84 at 1 point above, 0.96 at 2."""
    return 1.0 / (1.0 + math.exp(-SLOPE * (points - voc.TRAINING_THRESHOLD + 0.1)))


def assess(an: Analysed) -> Stage1:
    reasons: list[str] = []
    groups = _count_terms(an, reasons)
    points = sum(best[0] for best in groups.values())
    points += _cpv_points(an.doc.cpv, reasons)
    points -= _object_head_penalty(an, reasons)
    points -= _family_penalties(an, reasons)
    excluded = _non_provider_call(an, reasons)
    training = not excluded and points >= voc.TRAINING_THRESHOLD
    probability = EXCLUDED_PROBABILITY if excluded else points_probability(points)
    categories = _categories(an, groups) if training else set()
    head = "appel de formation" if training else "pas un appel de formation"
    reasons.insert(0, f"{head} (indices : {_fr(points)} points)")
    return Stage1(training, round(points, 2), probability, excluded, categories, reasons)


def _fr(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


# ------------------------------------------------------------------------ training terms


def _count_terms(an: Analysed, reasons: list[str]) -> dict[str, tuple[float, voc.Term, str]]:
    """Best (points, term, field) per group of counted terms; adds the reasons."""
    product = _buys_a_product(an)
    groups: dict[str, tuple[float, voc.Term, str]] = {}
    for seg in an.content_segments():
        counted, note = _segment_terms(seg, product)
        if note and note not in reasons:
            reasons.append(note)
        for term in counted:
            pts = term.weight * STAGE1_FIELD_WEIGHTS[seg.field]
            if pts > groups.get(term.group, (0.0,))[0]:
                groups[term.group] = (pts, term, seg.field)
    for _pts, term, fld in sorted(groups.values(), key=lambda g: -g[0]):
        reasons.append(f"« {term.label} » dans {FIELD_NAMES[fld]}")
    return groups


def _buys_a_product(an: Analysed) -> bool:
    if any(True for _ in an.hits("object")):
        return True
    return any(cpv_codes.is_non_training(code) for code in an.doc.cpv)


def _segment_terms(seg: Segment, product: bool) -> tuple[list[voc.Term], str | None]:
    terms = seg.of("term")
    if not terms:
        return [], None
    kept, note = _drop_incidental(terms, seg.of("incidental"))
    objects = seg.of("object")
    if kept and objects and min(o.start for o in objects) < min(h.start for h in kept):
        obj = min(objects, key=lambda o: o.start).payload.ref
        label = kept[0].payload.ref.label
        return [], f"« {label} » non compté : l'objet de l'achat est « {obj} »"
    listed = [h for h in kept if h.payload.ref.generic and _ancillary(seg, h, product)]
    if listed:
        note = f"« {listed[0].payload.ref.label} » non compté : service annexe d'un produit"
    return [h.payload.ref for h in kept if h not in listed], note


def _drop_incidental(
    terms: list[Hit[Entry]], spans: list[Hit[Entry]]
) -> tuple[list[Hit[Entry]], str | None]:
    kept: list[Hit[Entry]] = []
    note = None
    for hit in terms:
        span = next((s for s in spans if s.start < hit.end and hit.start < s.end), None)
        if span is None:
            kept.append(hit)
        elif note is None:
            note = f"« {hit.payload.ref.label} » non compté : « {span.payload.ref} »"
    return kept, note


def _ancillary(seg: Segment, hit: Hit[Entry], product: bool) -> bool:
    """A bare "formation" listed with a product service, or "formation des utilisateurs"."""
    for other in seg.of("ancillary"):
        if 0 < other.start - hit.end <= ENUMERATION_SPAN and AND in seg.seq[hit.end : other.start]:
            return True
        if 0 < hit.start - other.end <= ENUMERATION_SPAN and AND in seg.seq[other.end : hit.start]:
            return True
    users = seg.of("users")
    return product and any(u.start <= hit.start < u.end for u in users)


# ------------------------------------------------------------------------ other evidence


def _cpv_points(codes: tuple[str, ...], reasons: list[str]) -> float:
    training = [c for c in codes if cpv_codes.is_training(c)]
    if training:
        reasons.append(cpv_codes.label(training[0]))
        return CPV_TRAINING_POINTS
    weak = [c for c in codes if cpv_codes.is_weak_training(c)]
    if weak:
        reasons.append(cpv_codes.label(weak[0]))
        return CPV_WEAK_POINTS
    other = [c for c in codes if cpv_codes.is_non_training(c)]
    if other:
        reasons.append(f"{cpv_codes.label(other[0])} : achat hors formation")
        return CPV_OTHER_PENALTY * -1
    return 0.0


def _object_head_penalty(an: Analysed, reasons: list[str]) -> float:
    title = next((seg for seg in an.segments if seg.field == "title"), None)
    if title is None:
        return 0.0
    objects = title.of("object")
    if not objects:
        return 0.0
    first_obj = min(o.start for o in objects)
    terms = [h.start for h in title.of("term")]
    if terms and min(terms) < first_obj:
        return 0.0
    obj = min(objects, key=lambda o: o.start).payload.ref
    reasons.append(f"objet de l'achat : « {obj} » (titre)")
    return OBJECT_HEAD_PENALTY


def _family_penalties(an: Analysed, reasons: list[str]) -> float:
    seen: dict[str, str] = {}
    penalty = 0.0
    for _seg, hit in an.hits("family"):
        family, phrase = hit.payload.ref
        if family.key not in seen:
            seen[family.key] = phrase
            penalty += family.penalty
            reasons.append(f"exclusion : {family.label} (« {phrase} »)")
    return penalty


def _non_provider_call(an: Analysed, reasons: list[str]) -> bool:
    call = next((hit.payload.ref for _s, hit in an.hits("call")), None)
    applicant = next((hit.payload.ref for _s, hit in an.hits("applicant")), None)
    if call is None or applicant is None or any(True for _ in an.hits("provider")):
        return False
    reasons.append(
        f"exclusion : « {call} » dont les candidats sont des entreprises ou des financeurs "
        f"(« {applicant} »), pas des prestataires de formation"
    )
    return True


def _categories(an: Analysed, groups: dict[str, tuple[float, voc.Term, str]]) -> set[str]:
    """Qualiopi categories the call needs: from its terms, and apprenticeship phrases."""
    categories = {term.category for _pts, term, _fld in groups.values()}
    if any(True for _ in an.hits("apprentice")):
        categories.add(voc.CFA)
    return categories or {voc.AF}
