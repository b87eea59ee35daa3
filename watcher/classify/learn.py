"""Learning from the users' judgements: a logistic regression that refines the rules.

Features: TF-IDF of the notice's stems (unigrams and bigrams; title words counted twice; CPV
prefixes as ``cpv:805``-style tokens) plus the rules' own view: stage-1 points, the exclusion
flag and the rule score for the profile, so that the model learns *corrections* to the rules
rather than starting from nothing.

Blending: ``p = (1 - w) x p_rules + w x p_model`` with ``w = min(0.5, n / 200)``, n the number
of judgements: 20 judgements weigh 0.1, 100 or more weigh 0.5. The model never trains below
``MIN_PER_CLASS`` judgements of each class (``train`` returns None).

Persistence: none. The model is retrained when the classifier is built (a few hundred
judgements train in well under a second), so it never goes stale and no pickle is loaded.
``cross_validate`` measures rules alone, the model alone and the blend by stratified k-fold on a
labelled JSONL file (the development set).
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from watcher.classify.analysis import Analysed
from watcher.classify.document import Document, from_notice, from_record
from watcher.classify.metrics import Figures, figures
from watcher.classify.profile import Profile
from watcher.classify.relevance import Stage1
from watcher.classify.text import AND
from watcher.models import Notice

log = logging.getLogger(__name__)

MIN_PER_CLASS = 10
MAX_WEIGHT = 0.5
FULL_WEIGHT_AT = 200
POINTS_SCALE = 5.0
#: The rule features are scaled up so that the regularised model leans on them and learns
#: corrections; RULE_SCALE and C were chosen among {1, 3} x {1, 4} by the cross-validation below.
RULE_SCALE = 3.0
C = 4.0

Example = Notice | dict[str, Any] | Document


def to_document(item: Example) -> Document:
    if isinstance(item, Document):
        return item
    if isinstance(item, Notice):
        return from_notice(item)
    return from_record(item)


def _tokens(an: Analysed) -> list[str]:
    tokens: list[str] = []
    for seg in an.content_segments():
        words = [s for s in seg.seq if s != AND]
        tokens += words * 2 if seg.field == "title" else words
    tokens += [f"cpv:{code[:3]}" for code in an.doc.cpv]
    return tokens


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _bigrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


Features = tuple[Analysed, Stage1, int]


@dataclass
class LearnedModel:
    """A trained relevance model; build it with ``LearnedModel.train``."""

    vectorizer: TfidfVectorizer
    estimator: LogisticRegression
    n_examples: int
    profile: Profile

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[Example, bool]],
        *,
        profile: Profile | None = None,
        min_per_class: int = MIN_PER_CLASS,
    ) -> LearnedModel | None:
        """A model trained on (notice, relevant) judgements; None with too few of a class.

        ``profile`` is the one of the classifier the model will refine: its rule score is a
        feature, so the model learns corrections to the rules.
        """
        positives = sum(1 for _item, label in examples if label)
        if min(positives, len(examples) - positives) < min_per_class:
            log.info(
                "not enough judgements to learn: %d relevant, %d irrelevant",
                positives,
                len(examples) - positives,
            )
            return None
        profile = profile if profile is not None else Profile()
        rows = _rule_view(profile, [to_document(item) for item, _label in examples])
        vectorizer = TfidfVectorizer(analyzer=_bigrams, sublinear_tf=True)
        matrix = _matrix(vectorizer.fit_transform([_tokens(row[0]) for row in rows]), rows)
        labels = np.array([bool(label) for _item, label in examples])
        estimator = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
        estimator.fit(matrix, labels)
        log.info("learned model trained on %d judgements (%d relevant)", len(examples), positives)
        return cls(vectorizer, estimator, len(examples), profile)

    @property
    def weight(self) -> float:
        return min(MAX_WEIGHT, self.n_examples / FULL_WEIGHT_AT)

    def blend(self, rule_probability: float, model_probability: float) -> float:
        return (1 - self.weight) * rule_probability + self.weight * model_probability

    def probability(self, item: Example) -> float:
        """Probability that the users would judge this notice relevant."""
        return self.probability_of(*_rule_view(self.profile, [to_document(item)])[0])

    def probability_of(self, an: Analysed, stage1: Stage1, rule_score: int) -> float:
        matrix = _matrix(self.vectorizer.transform([_tokens(an)]), [(an, stage1, rule_score)])
        return float(self.estimator.predict_proba(matrix)[0, 1])


def _rule_view(profile: Profile, docs: Sequence[Document]) -> list[Features]:
    from watcher.classify.classifier import Classifier

    rules = Classifier(profile)
    views = (rules.rules(doc) for doc in docs)
    return [(an, stage1, rule_score) for an, stage1, _fit, rule_score in views]


def _matrix(text: Any, rows: Sequence[Features]) -> Any:
    extra = np.array(
        [
            [RULE_SCALE * s.points / POINTS_SCALE, float(s.excluded), RULE_SCALE * score / 100]
            for _an, s, score in rows
        ]
    )
    return sparse.hstack([text, sparse.csr_matrix(extra)]).tocsr()


# ------------------------------------------------------------------------ cross-validation


@dataclass(frozen=True)
class CrossValidation:
    """Pooled out-of-fold figures, averaged over repeats."""

    title: str
    folds: int
    repeats: int
    n: int
    positives: int
    rules: Figures
    model: Figures
    blended: Figures

    def format(self) -> str:
        head = (
            f"{self.title}: {self.folds}-fold cross-validation x {self.repeats} repeats, "
            f"{self.n} notices ({self.positives} relevant)"
        )
        rows = [
            ("rules alone", self.rules),
            ("model alone", self.model),
            ("rules + model", self.blended),
        ]
        lines = [head, f"{'':<15} precision  recall     F1     AUC   Brier"]
        lines += [f"{name:<15} {f.row()}" for name, f in rows]
        return "\n".join(lines)


def load_labelled(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def cross_validate(
    dev_path: Path | str, *, folds: int = 5, repeats: int = 5, seed: int = 0
) -> CrossValidation:
    """Stage 1 against ``label_training``: rules vs model vs blend (p >= 0.5), out of fold."""
    from watcher.classify.classifier import Classifier

    records = load_labelled(Path(dev_path))
    labels = [bool(r["label_training"]) for r in records]
    runs = [
        _one_run(Classifier, None, records, labels, _Split(folds, seed + k)) for k in range(repeats)
    ]
    return _summary("Training call (label_training)", folds, records, labels, runs)


def cross_validate_profile(
    dev_path: Path | str,
    profile: Profile,
    wanted_topics: set[str],
    *,
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> CrossValidation:
    """Relevance to an organisation, judged by simulated users, out of fold.

    The simulated users judge relevant the labelled training calls whose ``domain`` label maps
    (``evaluate.label_topics``) to one of ``wanted_topics``. Decision: ``Match.relevant``.
    """
    from watcher.classify.classifier import Classifier
    from watcher.classify.evaluate import label_topics

    records = load_labelled(Path(dev_path))
    labels = [
        bool(r["label_training"]) and bool(label_topics(str(r.get("domain"))) & wanted_topics)
        for r in records
    ]
    runs = [
        _one_run(Classifier, profile, records, labels, _Split(folds, seed + k))
        for k in range(repeats)
    ]
    return _summary("Relevant to the organisation (simulated users)", folds, records, labels, runs)


@dataclass(frozen=True)
class _Split:
    folds: int
    seed: int

    def assign(self, labels: list[bool]) -> list[int]:
        """Stratified: each fold gets its share of each class."""
        rng = random.Random(self.seed)
        fold_of = [0] * len(labels)
        for value in (True, False):
            indices = [i for i, label in enumerate(labels) if label == value]
            rng.shuffle(indices)
            for rank, i in enumerate(indices):
                fold_of[i] = rank % self.folds
        return fold_of


def _one_run(
    make: Any,
    profile: Profile | None,
    records: list[dict[str, Any]],
    labels: list[bool],
    split: _Split,
) -> tuple[Figures, Figures, Figures]:
    today = date(2000, 1, 1)
    docs = [from_record(r) for r in records]
    rules = make(profile)
    fold_of = split.assign(labels)
    out: dict[str, list[float]] = {"rules": [], "model": [], "blend": []}
    order: list[int] = []
    for fold in range(split.folds):
        test = [i for i, f in enumerate(fold_of) if f == fold]
        train = [(docs[i], labels[i]) for i, f in enumerate(fold_of) if f != fold]
        model = LearnedModel.train(train, profile=profile)
        if model is None:
            raise ValueError("a training fold has fewer than 10 judgements of a class")
        blended = make(profile, model=model)
        for i in test:
            order.append(i)
            out["rules"].append(_decision(rules.assess(docs[i], today=today), profile))
            out["model"].append(model.probability(docs[i]))
            out["blend"].append(_decision(blended.assess(docs[i], today=today), profile))
    truth = [labels[i] for i in order]
    return figures(truth, out["rules"]), figures(truth, out["model"]), figures(truth, out["blend"])


def _decision(verdict: Any, profile: Profile | None) -> float:
    """A number that is >= 0.5 exactly when the verdict says relevant, ranked for the AUC."""
    if profile is None:
        return float(verdict.probability)
    threshold = profile.min_score
    scaled = verdict.match.score / 100
    if verdict.match.relevant:
        return 0.5 + 0.5 * (verdict.match.score - threshold) / max(1, 100 - threshold)
    return min(0.499, 0.5 * scaled * 100 / max(1, threshold))


def _summary(
    title: str, folds: int, records: list[dict[str, Any]], labels: list[bool], runs: list[Any]
) -> CrossValidation:
    rules, model, blended = ([run[k] for run in runs] for k in range(3))
    return CrossValidation(
        title,
        folds,
        len(runs),
        len(records),
        sum(labels),
        Figures.mean(rules),
        Figures.mean(model),
        Figures.mean(blended),
    )
