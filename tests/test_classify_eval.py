"""``evaluate_jsonl``: known figures on a small inline file, and the targets on the dev set."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from watcher.classify import Classifier, evaluate_jsonl, format_report, label_topics

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-notices.jsonl"

RECORDS = [
    # caught by both
    {"id": "tp", "title": "Formation SST des agents", "label_training": True, "domain": "sécurité"},
    # missed by both (nothing in the text says training)
    {"id": "fn", "title": "Prestations diverses", "label_training": True, "domain": "langues"},
    # a false alarm for both
    {"id": "fp", "title": "Formation des agents", "label_training": False, "domain": "x"},
    # the baseline is fooled, the classifier is not
    {
        "id": "tn",
        "title": "Fourniture d'un logiciel et formation des utilisateurs",
        "label_training": False,
        "domain": "logiciel",
    },
    {"id": "tn2", "title": "Travaux de voirie", "label_training": False, "domain": "travaux"},
]


def report_of(records: list[dict[str, object]], extra: str = "") -> object:
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n" + extra
    return evaluate_jsonl(Classifier(), io.StringIO(text))


def test_known_figures_on_a_small_file() -> None:
    report = report_of(RECORDS, extra='{"id": "bad"}\nnot json\n')
    c, b = report.classifier, report.baseline  # type: ignore[attr-defined]
    assert (c.tp, c.fp, c.fn, c.tn) == (1, 1, 1, 2)
    assert (b.tp, b.fp, b.fn, b.tn) == (1, 2, 1, 1)
    assert c.precision == pytest.approx(0.5) and c.recall == pytest.approx(0.5)
    assert b.precision == pytest.approx(1 / 3)
    assert (report.domain_correct, report.domain_total) == (1, 2)  # type: ignore[attr-defined]
    assert [n for n, _m in report.skipped] == [6, 7]  # type: ignore[attr-defined]
    assert [m.id for m in report.misses] == ["fn", "fp"]  # type: ignore[attr-defined]


def test_format_report_shows_both_columns_and_misses() -> None:
    text = format_report(report_of(RECORDS))  # type: ignore[arg-type]
    assert 'baseline ("formation")' in text and "classifier" in text
    assert "Domain accuracy" in text and "(1/2)" in text
    assert "- missed training call: fn" in text and "- false alarm: fp" in text
    assert "· appel de formation\u00a0: «\u00a0formation\u00a0» dans le titre" in text


def test_label_topics_mapping() -> None:
    assert label_topics("bilan de compétences / recrutement") == {"bilans", "rh"}
    assert label_topics("langues (FLE)") == {"langues"}
    assert label_topics("RH / GPEC") == {"rh"}
    assert label_topics("Rhône") == set()


@pytest.fixture(scope="module")
def dev_report() -> object:
    if not DEV_SET.is_file():
        pytest.skip(f"development set not found at {DEV_SET} (it lives in the shared folder)")
    with DEV_SET.open(encoding="utf-8") as stream:
        return evaluate_jsonl(Classifier(), stream)


def test_dev_set_targets(dev_report: object) -> None:
    c, b = dev_report.classifier, dev_report.baseline  # type: ignore[attr-defined]
    assert c.recall >= 0.95
    assert c.precision >= 0.90
    assert c.f1 >= b.f1 + 0.15, "clearly above the naive baseline"
    assert dev_report.skipped == []  # type: ignore[attr-defined]


def test_dev_set_domain_accuracy(dev_report: object) -> None:
    assert dev_report.domain_accuracy >= 0.85  # type: ignore[attr-defined]
