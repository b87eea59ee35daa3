"""The ``Classifier``: built once from a profile, then one verdict per notice.

Verdict of a notice, in order:

1. stage 1 (``relevance.py``): the rules' probability ``p_rules`` that it is a call a training
   organisation can answer; ``training = p >= 0.5`` where ``p = p_rules``, or with a learned model
   ``p = (1 - w) p_rules + w p_model`` (``learn.py``);
2. stage 2 (``scoring.py``): the fit to the profile's domains and catalogue, and
   ``score_rules = round(100 x p_rules x (0.3 + 0.7 x fit))``; with a learned model
   ``score = (1 - w) score_rules + w x 100 p_model`` (the same weight), else ``score_rules``;
3. ``Match.relevant`` = training call **and** ``score >= profile.min_score``;
4. blockers (``blockers.py``) are listed whatever the score; ``Match.go`` is relevant and
   unblocked.

``Match.domains`` holds the profile's domain names that matched; with a profile without domains
it holds the labels of the general topics (``topics.py``). Reasons and blockers are in French.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from watcher.classify import blockers as bl
from watcher.classify.analysis import Analysed, analyse, base_index, read_rest
from watcher.classify.document import Document, from_notice, from_record
from watcher.classify.profile import Profile
from watcher.classify.relevance import Stage1, assess, undecided
from watcher.classify.scoring import Fit, ProfileScorer, add_profile_phrases, score, topics_of
from watcher.classify.topics import TOPIC_LABELS
from watcher.classify.vocabulary import AF
from watcher.models import Match, Notice

if TYPE_CHECKING:
    from watcher.classify.learn import LearnedModel

log = logging.getLogger(__name__)

#: A verdict explains itself in a few lines, one per idea: what makes it a training call (or
#: not), how it fits the organisation's domains, where it takes place, what users taught.
MAX_STAGE1_REASONS = 3
MAX_FIT_REASONS = 2


@dataclass(frozen=True, slots=True)
class Verdict:
    """A ``Match`` with what stage 1 and the evaluation need."""

    match: Match
    training: bool
    probability: float
    points: float
    topics: tuple[str, ...]


class Classifier:
    """Precompiles the vocabulary and the profile once; ``classify`` is then pure and fast."""

    def __init__(self, profile: Profile | None = None, *, model: LearnedModel | None = None):
        self.profile = profile if profile is not None else Profile()
        self.model = model
        self._index = base_index()
        add_profile_phrases(self._index, self.profile)
        self._scorer = ProfileScorer(self.profile)
        log.debug("classifier ready: %d phrases, model=%s", len(self._index), model is not None)

    def classify(self, notice: Notice, *, today: date) -> Match:
        return self.assess(from_notice(notice), today=today).match

    def classify_record(self, record: dict[str, Any], *, today: date) -> Match:
        """Verdict on a JSONL record; raises ``RecordError`` when a field has a wrong type."""
        return self.assess(from_record(record), today=today).match

    def assess(self, doc: Document, *, today: date) -> Verdict:
        an, stage1, fit, rule_score = self.rules(doc)
        learned = self.model.probability_of(an, stage1, rule_score) if self.model else None
        probability = self._blend(stage1.probability, learned)
        training = probability >= 0.5
        value = (
            rule_score if learned is None else round(100 * self._blend(rule_score / 100, learned))
        )
        reasons = [
            *stage1.reasons[:MAX_STAGE1_REASONS],
            *(fit.reasons[:MAX_FIT_REASONS] if training else ()),
        ]
        if learned is not None:
            reasons.append(self._model_reason(learned))
        blockers = self._blockers(doc, stage1, training, today, reasons)
        relevant = training and value >= self.profile.min_score
        topics = tuple(topics_of(an)) if training else ()
        domains = tuple(self._domains(topics, fit)) if training else ()
        match = Match(relevant, value, domains, tuple(reasons), tuple(blockers))
        return Verdict(match, training, probability, stage1.points, topics)

    def rules(self, doc: Document) -> tuple[Analysed, Stage1, Fit, int]:
        """The rules' view of a document: analysis, stage 1, profile fit and rule score.

        The head of the document is read first; the rest of a long body only when the head
        leaves stage 1 undecided (training words found, but near the threshold)."""
        an = analyse(doc, self._index)
        stage1 = assess(an)
        if an.rest and undecided(stage1) and read_rest(an, self._index):
            stage1 = assess(an)
        fit = self._scorer.fit(an) if stage1.training or self.model else Fit(0.0)
        return an, stage1, fit, score(stage1.probability, fit.fit)

    def _blend(self, rules: float, learned: float | None) -> float:
        return rules if self.model is None or learned is None else self.model.blend(rules, learned)

    def _model_reason(self, learned: float) -> str:
        n = self.model.n_examples if self.model is not None else 0
        return f"modèle appris sur {n} avis : probabilité {learned:.2f}".replace(".", ",")

    def _domains(self, topics: tuple[str, ...], fit: Fit) -> list[str]:
        if self.profile.domains:
            return fit.domains
        return [TOPIC_LABELS[key] for key in topics]

    def _blockers(
        self, doc: Document, stage1: Stage1, training: bool, today: date, reasons: list[str]
    ) -> list[str]:
        place_reasons, blockers = bl.place_check(doc, self.profile)
        reasons += place_reasons
        blockers = bl.kind_blockers(doc) + bl.deadline_blockers(doc, self.profile, today) + blockers
        if training:
            categories = stage1.categories or {AF}
            blockers += bl.qualiopi_blockers(categories, doc, self.profile, today)
        return blockers
