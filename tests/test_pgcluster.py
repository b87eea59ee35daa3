"""The test suite's own PostgreSQL: found, or skipped in one line (failed under CI=true)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import unavailable
from tests.pgcluster import ClusterUnavailable, find_bin_dir


def test_missing_server_binaries_are_named(tmp_path: Path) -> None:
    with pytest.raises(ClusterUnavailable, match=r"initdb/pg_ctl; apt-get install postgresql"):
        find_bin_dir(str(tmp_path / "*" / "bin"), path=str(tmp_path))


def test_the_newest_version_is_chosen(tmp_path: Path) -> None:
    for version in ("9.6", "15", "13"):
        folder = tmp_path / version / "bin"
        folder.mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            (folder / tool).touch()
    assert find_bin_dir(str(tmp_path / "*" / "bin"), path="") == tmp_path / "15" / "bin"


def test_without_postgresql_the_half_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="PostgreSQL half skipped: no binaries"):
        unavailable("no binaries")


def test_without_postgresql_ci_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true but no PostgreSQL"):
        unavailable("no binaries")
