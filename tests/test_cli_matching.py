"""``classify``, ``eval`` and ``feedback`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Database, write_config
from tests.test_cli import FOUNDATION, assert_clean_error, cli
from watcher.devserver import DevServer

NOTICES = [
    {
        "id": "a",
        "title": "Formation SST et gestes et postures pour les salariés",
        "cpv": ["80550000"],
        "region": "Bretagne",
        "deadline": "2099-03-02",
    },
    {"id": "b", "title": "Fourniture de mobilier de bureau", "cpv": ["39130000"]},
]


def test_classify_writes_one_verdict_per_line_and_skips_bad_ones(tmp_path: Path) -> None:
    lines = [json.dumps(NOTICES[0]), "{not json", json.dumps(NOTICES[1]), '["a list"]', ""]
    (tmp_path / "in.jsonl").write_text("\n".join(lines), encoding="utf-8")
    result = cli(tmp_path, "classify", "--input", "in.jsonl", "--output", "out.jsonl")
    assert result.returncode == 1, "skipped lines make the run partial"
    assert "line 2:" in result.stderr and "line 4:" in result.stderr
    assert "2 verdicts written, 2 skipped" in result.stderr
    verdicts = [json.loads(v) for v in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [v["id"] for v in verdicts] == ["a", "b"]
    assert set(verdicts[0]) == {"id", "relevant", "score", "domains", "reasons", "blockers"}
    assert verdicts[0]["score"] > verdicts[1]["score"]
    assert verdicts[0]["reasons"], "a verdict explains itself"


def test_classify_missing_input_is_a_usage_error(tmp_path: Path) -> None:
    result = cli(tmp_path, "classify", "--input", "absent.jsonl")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_eval_on_the_development_set(tmp_path: Path, shared: Path) -> None:
    result = cli(tmp_path, "eval", "--input", str(shared / "eval" / "dev-notices.jsonl"))
    assert result.returncode == 0, result.stderr
    assert "precision" in result.stdout.lower() and "baseline" in result.stdout.lower()


def test_feedback_is_recorded_and_unknown_ids_refused(
    tmp_path: Path, demo_server: DevServer, database: Database
) -> None:
    write_config(tmp_path)
    assert cli(tmp_path, "poll", *FOUNDATION, "--mirror", demo_server.base_url).returncode == 0
    result = cli(tmp_path, "feedback", "26-91551", "relevant", "--note", "notre cœur de métier")
    assert (
        result.returncode == 0 and "est jugé pertinent. 1\u00a0jugement en tout." in result.stdout
    )
    assert_clean_error(
        cli(tmp_path, "feedback", "999", "irrelevant"), 4, "aucun appel «\u00a0999\u00a0»"
    )
    assert cli(tmp_path, "feedback", "26-91551", "maybe").returncode == 2


def test_a_line_that_is_not_utf8_is_skipped_not_fatal(tmp_path: Path) -> None:
    good = json.dumps(NOTICES[0]).encode()
    (tmp_path / "in.jsonl").write_bytes(good + b"\n" + b'{"id": "x", "title": "\xff\xfe"}\n' + good)
    result = cli(tmp_path, "classify", "--input", "in.jsonl", "--output", "out.jsonl")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "line 2: not valid UTF-8 text" in result.stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 2
