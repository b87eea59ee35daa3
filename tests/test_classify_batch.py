"""``classify_jsonl``: streaming, one verdict a line, bad lines reported and skipped."""

from __future__ import annotations

import io
import json
from datetime import date

from watcher.classify import Classifier, classify_jsonl

TODAY = date(2026, 3, 2)

LINES = [
    json.dumps({"id": "a", "title": "Formation SST des agents", "cpv": ["80550000"]}),
    "{not json",
    json.dumps(["a", "list"]),
    json.dumps({"id": "d", "title": 42}),
    "",
    json.dumps({"id": "e", "title": "Fourniture de mobilier", "lots": None, "deadline": None}),
    json.dumps({"id": "f", "lots": {"title": "x"}}),
    json.dumps({"id": "g", "cpv": ["8055"]}),
    json.dumps({"id": "h", "deadline": "le 3 mars"}),
    json.dumps({}),
]


def run(lines: list[str]) -> tuple[object, list[tuple[int, str]], list[dict[str, object]]]:
    errors: list[tuple[int, str]] = []
    out = io.StringIO()
    stats = classify_jsonl(
        Classifier(),
        io.StringIO("\n".join(lines) + "\n"),
        out,
        today=TODAY,
        on_error=lambda n, msg: errors.append((n, msg)),
    )
    return stats, errors, [json.loads(line) for line in out.getvalue().splitlines()]


def test_bad_lines_are_reported_with_their_number_and_skipped() -> None:
    stats, errors, verdicts = run(LINES)
    assert [n for n, _msg in errors] == [2, 3, 4, 7, 8, 9]
    messages = dict(errors)
    assert messages[2].startswith("invalid JSON")
    assert messages[3] == "expected a JSON object, got a list"
    assert messages[4] == "field 'title': expected a string, got a number"
    assert "field 'lots'" in messages[7] and "field 'cpv'" in messages[8]
    assert "field 'deadline'" in messages[9]
    assert (stats.read, stats.written, stats.skipped) == (9, 3, 6)  # type: ignore[attr-defined]
    assert [v["id"] for v in verdicts] == ["a", "e", None]


def test_verdict_lines_have_the_documented_fields() -> None:
    _stats, _errors, verdicts = run(LINES[:1])
    verdict = verdicts[0]
    assert list(verdict) == ["id", "relevant", "score", "domains", "reasons", "blockers"]
    assert verdict["relevant"] is True
    assert verdict["domains"] == ["Sécurité et prévention"]
    assert (
        "appel de formation\u00a0: «\u00a0formation\u00a0», «\u00a0SST\u00a0» dans le titre"
        in verdict["reasons"]
    )  # type: ignore[operator]


def test_empty_input() -> None:
    stats, errors, verdicts = run([])
    assert (stats.read, stats.written, stats.skipped, errors, verdicts) == (0, 0, 0, [], [])  # type: ignore[attr-defined]
