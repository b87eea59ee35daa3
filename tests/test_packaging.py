"""A plain (non-editable) install carries everything: package data included."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE_DATA = (
    "watcher/demo_data/routes.json",
    "watcher/demo_data/PROVENANCE.md",
    "watcher/demo_data/boamp/records.json",
    "watcher/demo_data/akto/listing.html",
    "watcher/classify/example_profile.toml",
    "watcher/notify/example.toml",
    "templates/email/_call.html.j2",
    "templates/email/_call.txt.j2",
    "templates/email/alert.html.j2",
    "templates/email/alert.txt.j2",
    "templates/email/admin.html.j2",
    "templates/email/admin.txt.j2",
    "templates/email/reminder.html.j2",
    "templates/email/reminder.txt.j2",
    "templates/digest/digest.html.j2",
    "templates/digest/digest.txt.j2",
    "responses/example.toml",
    "templates/responses/memoire-technique.docx",
    "templates/responses/memoire-technique.md.j2",
    "templates/responses/DC1.docx",
    "templates/responses/DC2.docx",
    "templates/responses/checklist.md.j2",
    "templates/responses/checklist.html.j2",
    "watcher/web/templates/base.html",
    "watcher/web/templates/calls.html",
    "watcher/web/templates/_calls_table.html",
    "watcher/web/templates/call.html",
    "watcher/web/static/console.css",
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=build,
        timeout=1200,
    )
    (found,) = out.glob("opco_watch-*.whl")
    return found


def test_wheel_ships_package_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [name for name in PACKAGE_DATA if name not in names]
    assert not missing, f"not in the wheel: {missing}"
    assert any(n.endswith("entry_points.txt") for n in names)


def test_installed_copy_runs_the_demo(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    probe = subprocess.run(
        [sys.executable, "-c", "import watcher; print(watcher.__file__)"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.startswith(str(site)), "the installed copy, not the checkout, is imported"
    demo = subprocess.run(
        [sys.executable, "-m", "watcher", "demo", "--dir", str(tmp_path / "demo")],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert demo.returncode == 0, demo.stderr
    assert "(réponse 304 Not Modified)" in demo.stdout
