"""Cross-validation of what is learnt or tuned: rules alone against rules + the users' learner.

The learner is trained, in each fold, on judgements that are the labels of the other folds
(simulated users), then every notice of the held-out fold is judged. Folds are stratified;
``repeats`` shuffles give the fold-to-fold spread. Two questions:

- ``label_training`` (stage 1, empty profile): is it a call a training organisation can answer;
- an organisation's relevance (``wanted_topics``): the simulated users judge relevant the
  labelled training calls whose ``domain`` label maps (``evaluate.label_topics``) to one of
  their topics; the decision is ``Match.relevant`` for the profile.
"""

from __future__ import annotations

import json
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from watcher.classify.classifier import Classifier
from watcher.classify.document import Document, from_record
from watcher.classify.learn import train
from watcher.classify.metrics import Figures, confusion
from watcher.classify.profile import Profile

TODAY = date(2000, 1, 1)  # deadlines are not what is measured here


@dataclass(frozen=True)
class CrossValidation:
    """Pooled out-of-fold figures, averaged over repeats, and F1 per fold."""

    title: str
    folds: int
    repeats: int
    n: int
    positives: int
    rules: Figures
    learned: Figures
    rules_f1: list[float] = field(default_factory=list)
    learned_f1: list[float] = field(default_factory=list)

    def format(self) -> str:
        head = (
            f"{self.title}: {self.folds}-fold cross-validation x {self.repeats} repeats, "
            f"{self.n} notices ({self.positives} relevant)"
        )
        lines = [head, f"{'':<24} precision  recall     F1   F1 fold spread (sd)"]
        for name, f, per_fold in (
            ("rules alone", self.rules, self.rules_f1),
            ("rules + learnt", self.learned, self.learned_f1),
        ):
            spread = statistics.pstdev(per_fold) if per_fold else 0.0
            lines.append(
                f"{name:<24} {f.precision:9.3f} {f.recall:7.3f} {f.f1:6.3f}   {spread:.3f}"
            )
        return "\n".join(lines)


def load_labelled(path: Path | str) -> list[dict[str, Any]]:
    with Path(path).open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def stratified_folds(labels: Sequence[bool], folds: int, seed: int) -> list[int]:
    """The fold of each item: each fold gets its share of each class."""
    rng = random.Random(seed)
    fold_of = [0] * len(labels)
    for value in (True, False):
        indices = [i for i, label in enumerate(labels) if label == value]
        rng.shuffle(indices)
        for rank, i in enumerate(indices):
            fold_of[i] = rank % folds
    return fold_of


def training_labels(records: Sequence[dict[str, Any]]) -> list[bool]:
    return [bool(r["label_training"]) for r in records]


def cross_validate(
    dev_path: Path | str,
    *,
    profile: Profile | None = None,
    labels_of: Callable[[Sequence[dict[str, Any]]], list[bool]] = training_labels,
    title: str = "Training call (label_training)",
    folds: int = 5,
    repeats: int = 5,
    seed: int = 0,
) -> CrossValidation:
    """Rules alone vs rules + a learner trained on the other folds' labels, out of fold."""
    records = load_labelled(dev_path)
    labels = labels_of(records)
    docs = [from_record(r) for r in records]
    rules = Classifier(profile)
    rule_says = [rules.assess(doc, today=TODAY).match.relevant for doc in docs]
    runs = [
        _one_repeat(profile, docs, labels, rule_says, stratified_folds(labels, folds, seed + k))
        for k in range(repeats)
    ]
    return CrossValidation(
        title,
        folds,
        repeats,
        len(records),
        sum(labels),
        Figures.mean([run[0] for run in runs]),
        Figures.mean([run[1] for run in runs]),
        [f for run in runs for f in run[2]],
        [f for run in runs for f in run[3]],
    )


def _one_repeat(
    profile: Profile | None,
    docs: list[Document],
    labels: list[bool],
    rule_says: list[bool],
    fold_of: list[int],
) -> tuple[Figures, Figures, list[float], list[float]]:
    truth: list[bool] = []
    rules_pred: list[bool] = []
    learned_pred: list[bool] = []
    rules_f1: list[float] = []
    learned_f1: list[float] = []
    for fold in sorted(set(fold_of)):
        test = [i for i, f in enumerate(fold_of) if f == fold]
        judged = [(f"#{i}", docs[i], labels[i]) for i, f in enumerate(fold_of) if f != fold]
        learnt = Classifier(profile, model=train(judged, profile=profile))
        mine = [learnt.assess(docs[i], today=TODAY).match.relevant for i in test]
        fold_truth = [labels[i] for i in test]
        rules_f1.append(confusion(fold_truth, [rule_says[i] for i in test]).f1)
        learned_f1.append(confusion(fold_truth, mine).f1)
        truth += fold_truth
        rules_pred += [rule_says[i] for i in test]
        learned_pred += mine
    return confusion(truth, rules_pred), confusion(truth, learned_pred), rules_f1, learned_f1
