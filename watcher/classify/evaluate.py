"""``opco-watch eval``: the classifier against labelled notices, beside a naive baseline.

Input: JSONL records with the notice fields plus ``label_training`` (bool) and ``domain`` (a
short French label). Figures:

- relevance = stage 1 (``Verdict.training``) against ``label_training``: precision, recall, F1,
  accuracy and the confusion matrix, for the classifier and for the baseline (a notice is
  relevant when its text contains "formation", any case);
- domain accuracy, over the labelled training calls whose ``domain`` label maps to the general
  taxonomy: the classifier's first topic must be one of the label's topics. The label is mapped
  by ``LABEL_KEYWORDS``: each keyword found at the start of a word of the accent-folded label
  adds its topic ("bilan de compétences / recrutement" -> bilans, rh);
- the worst misses: missed training calls with the lowest probability, false alarms with the
  highest, with their reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TextIO

from watcher.classify.batch import require_utf8
from watcher.classify.classifier import Classifier, Verdict
from watcher.classify.document import Document, RecordError, from_record
from watcher.classify.metrics import Figures, confusion
from watcher.classify.text import fold
from watcher.classify.topics import TOPIC_LABELS

WORST = 5
TITLE_WIDTH = 90

#: (keyword at the start of a word of the folded label, topic). A trailing "$" means whole word.
LABEL_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("langue", "langues"),
    ("fle$", "langues"),
    ("anglais", "langues"),
    ("asl$", "langues"),
    ("securite", "securite"),
    ("sst$", "securite"),
    ("caces", "securite"),
    ("incendie", "securite"),
    ("prevention", "securite"),
    ("reglementaire", "securite"),
    ("transport", "transport"),
    ("permis", "transport"),
    ("fimo", "transport"),
    ("numerique", "numerique"),
    ("bureautique", "numerique"),
    ("informatique", "numerique"),
    ("rgpd", "numerique"),
    ("management", "management"),
    ("coaching", "management"),
    ("bilan", "bilans"),
    ("vae$", "bilans"),
    ("orientation", "bilans"),
    ("rh$", "rh"),
    ("gpec", "rh"),
    ("mobilite", "rh"),
    ("recrutement", "rh"),
    ("relation client", "relation_client"),
    ("accueil", "relation_client"),
    ("commerce", "relation_client"),
    ("vente", "relation_client"),
    ("sante", "sante_social"),
    ("medico", "sante_social"),
    ("social", "sante_social"),
    ("btp$", "btp_energie"),
    ("renovation", "btp_energie"),
    ("energ", "btp_energie"),
    ("handicap", "handicap"),
    ("savoirs de base", "savoirs_base"),
    ("competences de base", "savoirs_base"),
    ("restauration", "restauration"),
    ("hygiene", "proprete"),
    ("proprete", "proprete"),
    ("bafa", "animation"),
    ("animation", "animation"),
    ("elus$", "juridique"),
    ("gouvernance", "juridique"),
    ("associati", "juridique"),
    ("juridique", "juridique"),
    ("poec$", "emploi"),
    ("insertion", "emploi"),
    ("demandeurs d'emploi", "emploi"),
    ("ingenierie", "ingenierie"),
)
_LABEL_PATTERNS = [
    (re.compile(r"\b" + re.escape(kw.rstrip("$")) + (r"\b" if kw.endswith("$") else "")), topic)
    for kw, topic in LABEL_KEYWORDS
]


def label_topics(label: str) -> set[str]:
    """Topics of a free-text domain label, by ``LABEL_KEYWORDS``."""
    text = fold(label)
    return {topic for pattern, topic in _LABEL_PATTERNS if pattern.search(text)}


def baseline_relevant(doc: Document) -> bool:
    """The naive baseline: the notice's text contains "formation" (any case)."""
    return "formation" in fold(doc.text())


@dataclass(frozen=True)
class Miss:
    id: str | None
    title: str
    label: bool
    score: int
    probability: float
    reasons: tuple[str, ...]


@dataclass
class EvalReport:
    classifier: Figures
    baseline: Figures
    domain_correct: int
    domain_total: int
    misses: list[Miss] = field(default_factory=list)
    domain_misses: list[tuple[str | None, str, str]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)

    @property
    def n(self) -> int:
        return int(
            self.classifier.tp + self.classifier.fp + self.classifier.fn + self.classifier.tn
        )

    @property
    def domain_accuracy(self) -> float:
        return self.domain_correct / self.domain_total if self.domain_total else 0.0


@dataclass
class _Row:
    doc: Document
    label: bool
    domain: str
    verdict: Verdict
    baseline: bool


def evaluate_jsonl(
    classifier: Classifier, input: TextIO, *, today: date | None = None
) -> EvalReport:
    """Read labelled JSONL and measure; bad lines are listed in ``skipped``, never fatal."""
    today = today or date.today()
    skipped: list[tuple[int, str]] = []
    rows = list(_rows(classifier, input, today, skipped))
    labels = [row.label for row in rows]
    report = EvalReport(
        classifier=confusion(labels, [row.verdict.training for row in rows]),
        baseline=confusion(labels, [row.baseline for row in rows]),
        domain_correct=0,
        domain_total=0,
        skipped=skipped,
    )
    _domains(rows, report)
    report.misses = _worst(rows)
    return report


def _rows(
    classifier: Classifier, input: TextIO, today: date, skipped: list[tuple[int, str]]
) -> Iterator[_Row]:
    for line_no, line in enumerate(input, start=1):
        if not line.strip():
            continue
        try:
            require_utf8(line)
            record, label = _labelled(json.loads(line))
            doc = from_record(record)
        except (ValueError, RecordError, UnicodeError) as error:
            skipped.append((line_no, str(error)))
            continue
        verdict = classifier.assess(doc, today=today)
        yield _Row(doc, label, str(record.get("domain") or ""), verdict, baseline_relevant(doc))


def _labelled(record: Any) -> tuple[dict[str, Any], bool]:
    if not isinstance(record, dict):
        raise RecordError("expected a JSON object")
    label = record.get("label_training")
    if not isinstance(label, bool):
        raise RecordError("field 'label_training': expected true or false")
    return record, label


def _domains(rows: list[_Row], report: EvalReport) -> None:
    for row in rows:
        expected = label_topics(row.domain) if row.label else set()
        if not expected:
            continue
        report.domain_total += 1
        got = row.verdict.topics[0] if row.verdict.topics else ""
        if got in expected:
            report.domain_correct += 1
        else:
            wanted = ", ".join(sorted(expected))
            report.domain_misses.append((row.doc.id, wanted, got or "-"))


def _worst(rows: list[_Row]) -> list[Miss]:
    missed = sorted((r for r in rows if r.label and not r.verdict.training), key=_p)
    false = sorted((r for r in rows if not r.label and r.verdict.training), key=lambda r: -_p(r))
    return [_miss(row) for row in [*missed[:WORST], *false[:WORST]]]


def _p(row: _Row) -> float:
    return row.verdict.probability


def _miss(row: _Row) -> Miss:
    match = row.verdict.match
    return Miss(row.doc.id, row.doc.title, row.label, match.score, _p(row), match.reasons)


# ------------------------------------------------------------------------ text report


def format_report(report: EvalReport) -> str:
    """A plain-text report for a terminal."""
    c = report.classifier
    lines = [
        f"Relevance (training call or not) on {report.n} notices: "
        f"{int(c.tp + c.fn)} training calls, {int(c.fp + c.tn)} others",
        "",
        f"{'':<26}{'precision':>10}{'recall':>8}{'F1':>8}{'accuracy':>10}",
        _figures_row("classifier", report.classifier),
        _figures_row('baseline ("formation")', report.baseline),
        "",
        "Confusion matrix (rows: label; columns: predicted yes / no)",
        f"{'':<16}{'classifier':>16}{'baseline':>16}",
        _confusion_row("training call", report.classifier.tp, report.classifier.fn, report),
        _confusion_row("other", report.classifier.fp, report.classifier.tn, report),
        "",
        f"Domain accuracy (first topic among the label's topics): {report.domain_accuracy:.3f} "
        f"({report.domain_correct}/{report.domain_total})",
    ]
    lines += [
        f"  {id_}: expected {want}, got {TOPIC_LABELS.get(got, got)}"
        for id_, want, got in report.domain_misses
    ]
    lines += _misses_lines(report.misses)
    lines += [f"skipped line {n}: {msg}" for n, msg in report.skipped]
    return "\n".join(lines)


def _figures_row(name: str, f: Figures) -> str:
    return f"{name:<26}{f.precision:>10.3f}{f.recall:>8.3f}{f.f1:>8.3f}{f.accuracy:>10.3f}"


def _confusion_row(name: str, yes: float, no: float, report: EvalReport) -> str:
    b = report.baseline
    base = (b.tp, b.fn) if name == "training call" else (b.fp, b.tn)
    return f"{name:<16}{int(yes):>8}{int(no):>8}{int(base[0]):>8}{int(base[1]):>8}"


def _misses_lines(misses: list[Miss]) -> list[str]:
    if not misses:
        return ["", "Worst misses: none"]
    lines = ["", "Worst misses"]
    for miss in misses:
        kind = "missed training call" if miss.label else "false alarm"
        title = (
            miss.title if len(miss.title) <= TITLE_WIDTH else miss.title[: TITLE_WIDTH - 1] + "…"
        )
        lines.append(f"- {kind}: {miss.id} (score {miss.score}, p={miss.probability:.2f})")
        lines.append(f"    {title}")
        lines += [f"    · {reason}" for reason in miss.reasons]
    return lines
