"""Learning from the users' judgements: calls like those judged move the verdict.

Each judged notice is kept as a set of weighted features: the distinctive stems of its title,
lots, summary and body head (procurement boilerplate left out), its general topics and its CPV
prefixes. A new notice's neighbours are the judged notices most like it (cosine similarity of
the features, at least ``MIN_SIMILARITY``, the ``K`` nearest). Their judgements, weighted by
similarity, are blended with the rules' score taken as a prior worth ``PRIOR`` judgements:

    p = (Σ sim x [judged relevant] + PRIOR x rule_score / 100) / (Σ sim + PRIOR)

so one close judgement moves a verdict a little, a handful of agreeing ones flip it, and
neighbours judged both ways cancel out. The learner is a nearest-neighbour memory, so adding or
replacing a judgement is incremental (a few microseconds of indexing) and 5,000 judgements are
learnt in well under two seconds; nothing is pickled, nothing goes stale.

Guard rails, so that bad or contradictory judgements cannot make things worse than the rules:

- **trust**: each new judgement is first predicted, by the learner (without the guard below)
  and by the rules; the learner
  is heard only while, over the judgements where the two disagreed, it was right clearly more
  often than the rules (``L - R >= 1.5 sqrt(L + R)`` and at least ``MIN_WINS`` more). Random or
  contradictory judgements never build that lead, so the verdicts stay the rules';
- **clear trainings**: a call the rules find a clear training call of the organisation's domains
  is turned down only by at least ``MIN_AGAINST`` similar calls judged not relevant that carry
  ``MIN_AGAINST_SHARE`` of the neighbours' weight; otherwise it stays relevant.

The reason « appris de vos retours : … » is shown beside the rules' reasons whenever the learner
moved a score.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from watcher.classify.analysis import Analysed
from watcher.classify.document import Document, from_notice, from_record
from watcher.classify.scoring import GENERIC_STEMS, topics_of
from watcher.classify.text import AND, stems
from watcher.models import Notice

if TYPE_CHECKING:
    from watcher.classify.profile import Profile

log = logging.getLogger(__name__)

K = 10
MIN_SIMILARITY = 0.3
PRIOR = 1.0
MIN_WINS = 3
#: How many standard deviations of a coin toss the learner's lead over the rules must reach.
TRUST_SIGMAS = 1.5
MIN_AGAINST = 3
MIN_AGAINST_SHARE = 0.75
TOPIC_WEIGHT = 1.0
CPV_WEIGHT = 1.0
#: A feature held by more than this share of the judged notices (once there are enough of
#: them) tells them apart too little to be looked up: it keeps queries fast.
COMMON_SHARE = 0.05
COMMON_FROM = 100

#: Words of every call for tenders: they make notices look alike and say nothing about them.
_BOILERPLATE = """
marché marchés accord-cadre accords-cadres bons commande prestation prestations lot lots
réalisation mise oeuvre objet consultation procédure adaptée mapa numéro année relatif relative
concernant besoin besoins compte ville commune département région conseil général départemental
régional mission missions dispositif service services public publique caisse centre national
nationale collectivité établissement
"""
BOILERPLATE = frozenset(stems(_BOILERPLATE)) | GENERIC_STEMS

Example = Notice | dict[str, Any] | Document
Features = dict[str, float]


def to_document(item: Example) -> Document:
    if isinstance(item, Document):
        return item
    if isinstance(item, Notice):
        return from_notice(item)
    return from_record(item)


def features_of(an: Analysed) -> Features:
    """The weighted features of an analysed notice (see the module docstring)."""
    out: Features = {}
    for seg in an.content_segments():
        for s in seg.seq:
            if s != AND and len(s) > 2 and not s.isdigit() and s not in BOILERPLATE:
                out[s] = 1.0
    for key in topics_of(an):
        out[f"topic:{key}"] = TOPIC_WEIGHT
    for code in an.doc.cpv:
        out[f"cpv:{code[:5]}"] = CPV_WEIGHT
    return out


@dataclass(frozen=True, slots=True)
class Judged:
    key: str
    title: str
    relevant: bool
    features: Features
    norm: float


@dataclass(frozen=True, slots=True)
class Neighbour:
    similarity: float
    judged: Judged


@dataclass(frozen=True, slots=True)
class Adjustment:
    """What the judgements did to one verdict: the new score and the reason to show."""

    score: int
    reason: str


@dataclass
class Learner:
    """The users' judgements, indexed for nearest-neighbour look-ups; safe across threads."""

    wins: int = 0  # judgements the learner predicted right where the rules did not
    losses: int = 0  # judgements the rules predicted right where the learner did not
    _judged: dict[str, Judged] = field(default_factory=dict)
    #: feature -> {key of a judged notice holding it: its weight there}
    _postings: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __len__(self) -> int:
        return len(self._judged)

    @property
    def n_examples(self) -> int:
        return len(self._judged)

    @property
    def trusted(self) -> bool:
        """The learner predicted the users' judgements clearly better than the rules."""
        lead = self.wins - self.losses
        return lead >= MIN_WINS and lead >= TRUST_SIGMAS * math.sqrt(self.wins + self.losses)

    # -------------------------------------------------------------------- learning

    def add(
        self,
        key: str,
        title: str,
        features: Features,
        relevant: bool,
        *,
        rule_score: int,
        min_score: int,
        clear: bool,
    ) -> None:
        """Learn one judgement (replacing an earlier one on the same notice). It is first
        predicted, by the learner and by the rules, to keep the trust score (see above)."""
        with self._lock:
            self.remove(key)
            mine = self._score(features, rule_score, min_score, clear=False)  # its own view
            if mine is not None:
                learner_says, rules_say = mine[0] >= min_score, rule_score >= min_score
                if learner_says != rules_say:
                    if learner_says == relevant:
                        self.wins += 1
                    else:
                        self.losses += 1
            norm = math.sqrt(sum(w * w for w in features.values())) or 1.0
            self._judged[key] = Judged(key, title, relevant, features, norm)
            for name, weight in features.items():
                self._postings[name][key] = weight

    def remove(self, key: str) -> None:
        with self._lock:
            judged = self._judged.pop(key, None)
            if judged is not None:
                for name in judged.features:
                    self._postings[name].pop(key, None)

    def keys(self) -> set[str]:
        with self._lock:
            return set(self._judged)

    def relevant_of(self, key: str) -> bool | None:
        judged = self._judged.get(key)
        return None if judged is None else judged.relevant

    # -------------------------------------------------------------------- predicting

    def adjust(
        self, features: Features, rule_score: int, min_score: int, *, clear: bool
    ) -> Adjustment | None:
        """The learnt score of a notice, or None when the learner is not trusted or knows no
        similar judged notice."""
        if not self.trusted:
            return None
        with self._lock:
            found = self._score(features, rule_score, min_score, clear=clear)
        if found is None:
            return None
        value, neighbours = found
        return Adjustment(value, _reason(neighbours))

    def _score(
        self, features: Features, rule_score: int, min_score: int, *, clear: bool
    ) -> tuple[int, list[Neighbour]] | None:
        neighbours = self.neighbours(features)
        if not neighbours:
            return None
        yes = sum(n.similarity for n in neighbours if n.judged.relevant)
        no = sum(n.similarity for n in neighbours if not n.judged.relevant)
        p = (yes + PRIOR * rule_score / 100) / (yes + no + PRIOR)
        value = max(0, min(100, round(100 * p)))
        if clear and value < min_score and not _enough_against(neighbours, yes, no):
            value = max(value, min_score)
        return value, neighbours

    def neighbours(self, features: Features) -> list[Neighbour]:
        """The ``K`` judged notices most like these features (similarity >= MIN_SIMILARITY)."""
        if not self._judged or not features:
            return []
        norm = math.sqrt(sum(w * w for w in features.values())) or 1.0
        common = max(COMMON_FROM, COMMON_SHARE * len(self._judged))
        dots: dict[str, float] = defaultdict(float)
        for name, weight in features.items():
            holders = self._postings.get(name)
            if not holders or len(holders) > common:
                continue
            for key, theirs in holders.items():
                dots[key] += weight * theirs
        found = []
        for key, dot in dots.items():
            judged = self._judged[key]
            similarity = dot / (norm * judged.norm)
            if similarity >= MIN_SIMILARITY:
                found.append(Neighbour(similarity, judged))
        found.sort(key=lambda n: (-n.similarity, n.judged.key))
        return found[:K]


def _enough_against(neighbours: list[Neighbour], yes: float, no: float) -> bool:
    against = sum(1 for n in neighbours if not n.judged.relevant)
    return against >= MIN_AGAINST and no >= MIN_AGAINST_SHARE * (yes + no)


def _reason(neighbours: list[Neighbour]) -> str:
    """« appris de vos retours : 4 appels semblables jugés pas pertinents (« … ») »."""
    yes = [n for n in neighbours if n.judged.relevant]
    no = [n for n in neighbours if not n.judged.relevant]
    major, minor = (yes, no) if len(yes) >= len(no) else (no, yes)
    verdict = "pertinent" if major is yes else "pas pertinent"
    count = len(major)
    head = "1 appel semblable jugé" if count == 1 else f"{count} appels semblables jugés"
    verdict = verdict if count == 1 else verdict.replace("pertinent", "pertinents")
    example = major[0].judged.title
    example = example if len(example) <= 60 else example[:59].rstrip() + "…"
    other = f", {len(minor)} dans l'autre sens" if minor else ""
    return f"appris de vos retours\u00a0: {head} {verdict} («\u00a0{example}\u00a0»){other}"


# ------------------------------------------------------------------------ building one


def train(
    examples: Iterable[tuple[str, Example, bool]], *, profile: Profile | None = None
) -> Learner:
    """A learner fed with (key, notice, relevant) judgements in order, as the rules of this
    profile see them (the trust score is kept as in real use, judgement after judgement)."""
    from watcher.classify.classifier import Classifier

    rules = Classifier(profile)
    learner = Learner()
    for key, item, relevant in examples:
        rules.teach(learner, key, to_document(item), relevant)
    log.info(
        "learnt %d judgements (trusted: %s, %d wins, %d losses)",
        len(learner),
        learner.trusted,
        learner.wins,
        learner.losses,
    )
    return learner


def keyed(examples: Sequence[tuple[Example, bool]]) -> list[tuple[str, Example, bool]]:
    """(key, notice, relevant) for (notice, relevant) pairs: the notice's key, else its id,
    else its position."""
    out = []
    for i, (item, relevant) in enumerate(examples):
        doc = to_document(item)
        out.append((doc.id or f"#{i}", item, relevant))
    return out
