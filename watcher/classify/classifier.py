"""The ``Classifier``: built once from a profile, then one verdict per notice.

Verdict of a notice, in order:

1. stage 1 (``relevance.py``): the rules' probability ``p`` that it is a call a training
   organisation can answer; ``training = p >= 0.5``;
2. stage 2 (``scoring.py``): the fit to the profile's domains and catalogue, and
   ``score = round(100 x p x (0.3 + 0.7 x fit))``; with a learner (``learn.py``) that the users'
   judgements made trustworthy, the score of a notice like judged ones moves towards their
   judgements (and the reason « appris de vos retours : … » says so);
3. ``Match.relevant`` = ``score >= profile.min_score``, for a training call or for a notice the
   learner moved;
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
from watcher.classify.analysis import Analysed, analyse, compile_phrases, read_rest
from watcher.classify.document import Document, from_notice, from_record
from watcher.classify.frozen import draft_of
from watcher.classify.profile import Profile
from watcher.classify.relevance import Stage1, assess, undecided
from watcher.classify.scoring import Fit, ProfileScorer, profile_phrases, score, topics_of
from watcher.classify.topics import TOPIC_LABELS
from watcher.classify.vocabulary import AF
from watcher.models import Match, Notice

if TYPE_CHECKING:
    from watcher.classify.learn import Adjustment, Learner

log = logging.getLogger(__name__)

#: A verdict explains itself in a few lines, one per idea: what makes it a training call (or
#: not), how it fits the organisation's domains, where it takes place, what users taught.
MAX_STAGE1_REASONS = 3
MAX_FIT_REASONS = 2
#: Stage-1 probability from which a relevant call counts as a clear training call.
CLEAR_TRAINING = 0.9


@dataclass(frozen=True, slots=True)
class Verdict:
    """A ``Match`` with what stage 1 and the evaluation need."""

    match: Match
    training: bool
    probability: float
    points: float
    topics: tuple[str, ...]


class Classifier:
    """Precompiles the vocabulary and the profile once; ``classify`` is then pure and fast.

    ``model``: a ``Learner`` holding the users' judgements (``learn.py``), or None."""

    def __init__(self, profile: Profile | None = None, *, model: Learner | None = None):
        self.profile = profile if profile is not None else Profile()
        self.model = model
        self._index = compile_phrases(profile_phrases(self.profile))
        self._scorer = ProfileScorer(self.profile)
        self._checks = bl.Checks(self.profile)
        self._has_domains = bool(self.profile.domains)
        log.debug("classifier ready: %d phrases, model=%s", len(self._index), model is not None)

    def classify(self, notice: Notice, *, today: date) -> Match:
        return self.assess(from_notice(notice), today=today).match

    def classify_record(self, record: dict[str, Any], *, today: date) -> Match:
        """Verdict on a JSONL record; raises ``RecordError`` when a field has a wrong type."""
        return self.assess(from_record(record), today=today).match

    def assess(self, doc: Document, *, today: date) -> Verdict:
        # (``rules``, written out: this runs once per notice)
        an = analyse(doc, self._index)
        stage1 = assess(an)
        if an.rest and undecided(stage1) and read_rest(an, self._index):
            stage1 = assess(an)
        training = stage1.training
        model = self.model
        fit = self._scorer.fit(an) if training or model else _NO_FIT
        rule_score = score(stage1.probability, fit.fit)
        learned = self._learned(an, stage1, rule_score) if model is not None else None
        value = rule_score if learned is None else learned.score
        reasons = stage1.reasons[:MAX_STAGE1_REASONS]
        if training:
            reasons += fit.shown(MAX_FIT_REASONS)
        if learned is not None:
            reasons.append(learned.reason)
        categories = (stage1.categories or _AF) if training else None
        place_reasons, blockers = self._checks.check(doc, categories, today)
        if place_reasons:
            reasons += place_reasons
        relevant = (training or learned is not None) and value >= self.profile.min_score
        if training:
            topics = tuple(topics_of(an))
            domains = tuple(fit.domains) if self._has_domains else _labels(topics)
        else:
            topics = domains = ()
        match = _match(relevant, value, domains, tuple(reasons), blockers)
        return _verdict(match, training, stage1.probability, stage1.points, topics)

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

    def teach(self, learner: Learner, key: str, doc: Document, relevant: bool) -> None:
        """Give ``learner`` one judgement on ``doc``, as these rules see the notice."""
        from watcher.classify.learn import features_of

        an, stage1, _fit, rule_score = self.rules(doc)
        learner.add(
            key,
            doc.title,
            features_of(an),
            relevant,
            rule_score=rule_score,
            min_score=self.profile.min_score,
            clear=self._clear(stage1, rule_score),
        )

    def _learned(self, an: Analysed, stage1: Stage1, rule_score: int) -> Adjustment | None:
        if self.model is None or not self.model.trusted:
            return None
        from watcher.classify.learn import features_of

        clear = self._clear(stage1, rule_score)
        found = self.model.adjust(features_of(an), rule_score, self.profile.min_score, clear=clear)
        return None if found is None or found.score == rule_score else found

    def _clear(self, stage1: Stage1, rule_score: int) -> bool:
        """A clear training call of the organisation's domains: guarded against bad judgements."""
        return stage1.probability >= CLEAR_TRAINING and rule_score >= self.profile.min_score


_AF = frozenset({AF})
#: The fit of a notice that is not a training call (only its value is read).
_NO_FIT = Fit(0.0)


def _labels(topics: tuple[str, ...]) -> tuple[str, ...]:
    return tuple([TOPIC_LABELS[key] for key in topics])


#: ``Match`` and ``Verdict`` filled in as plain objects (``frozen.draft_of``)
_MatchDraft = draft_of(Match)
_VerdictDraft = draft_of(Verdict)


def _match(
    relevant: bool,
    score: int,
    domains: tuple[str, ...],
    reasons: tuple[str, ...],
    blockers: tuple[str, ...],
) -> Match:
    """``Match(...)`` without the frozen dataclass's ``__init__`` (one ``object.__setattr__``
    per field): each field stored once on a draft, which becomes the match before anyone sees
    it; a score out of range goes through the constructor, which refuses it."""
    if not 0 <= score <= 100:
        return Match(relevant, score, domains, reasons, blockers)
    match = _MatchDraft()
    match.relevant = relevant
    match.score = score
    match.domains = domains
    match.reasons = reasons
    match.blockers = blockers
    match.__class__ = Match
    return match


def _verdict(
    match: Match, training: bool, probability: float, points: float, topics: tuple[str, ...]
) -> Verdict:
    """``Verdict(...)``, built as ``_match`` builds a match."""
    verdict = _VerdictDraft()
    verdict.match = match
    verdict.training = training
    verdict.probability = probability
    verdict.points = points
    verdict.topics = topics
    verdict.__class__ = Verdict
    return verdict
