"""Binary classification figures: precision, recall, F1, confusion matrix, AUC, Brier score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Figures:
    tp: float
    fp: float
    fn: float
    tn: float
    auc: float = float("nan")
    brier: float = float("nan")

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        total = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / total if total else 0.0

    def row(self) -> str:
        return (
            f"{self.precision:9.3f} {self.recall:7.3f} {self.f1:6.3f} "
            f"{self.auc:7.3f} {self.brier:7.3f}"
        )

    @classmethod
    def mean(cls, runs: Sequence[Figures]) -> Figures:
        """Field-wise mean (the confusion counts become average counts)."""
        values = {f.name: sum(getattr(r, f.name) for r in runs) / len(runs) for f in fields(cls)}
        return cls(**values)


def confusion(labels: Sequence[bool], predicted: Sequence[bool]) -> Figures:
    pairs = list(zip(labels, predicted, strict=True))
    return Figures(
        tp=sum(1 for y, p in pairs if y and p),
        fp=sum(1 for y, p in pairs if not y and p),
        fn=sum(1 for y, p in pairs if y and not p),
        tn=sum(1 for y, p in pairs if not y and not p),
    )


def figures(labels: Sequence[bool], probabilities: Sequence[float]) -> Figures:
    """Confusion at 0.5, ranking quality (AUC) and calibration (Brier) of probabilities."""
    base = confusion(labels, [p >= 0.5 for p in probabilities])
    brier = sum((p - float(y)) ** 2 for y, p in zip(labels, probabilities, strict=True))
    return Figures(
        base.tp, base.fp, base.fn, base.tn, auc(labels, probabilities), brier / len(labels)
    )


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """Area under the ROC curve: the chance a positive outscores a negative (ties count half)."""
    pos = [s for y, s in zip(labels, scores, strict=True) if y]
    neg = [s for y, s in zip(labels, scores, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))
