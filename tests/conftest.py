"""Shared fixtures: the shared/ folder, a loopback HTTP server, a config in a temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from watcher.demo import snapshot_server
from watcher.devserver import DevServer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PAGES = Path(__file__).resolve().parent / "pages"
#: the day the saved pages are read as of (their relative dates are filled from it)
PAGE_DAY = date(2026, 3, 2)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The team's shared/ folder (real fixtures, eval set): skip when this checkout lacks it."""
    if not SHARED.is_dir():
        pytest.skip(f"shared/ folder not found at {SHARED}: real fixtures are not bundled")
    return SHARED


@pytest.fixture
def server() -> Iterator[DevServer]:
    with DevServer() as dev:
        yield dev


@pytest.fixture
def demo_server() -> Iterator[DevServer]:
    """The demo's snapshots of every source, served on loopback as of PAGE_DAY."""
    with snapshot_server(PAGE_DAY) as dev:
        yield dev


def write_config(folder: Path, extra: str = "") -> Path:
    """A minimal valid config whose data lives in ``folder``; ``extra`` is appended TOML."""
    file = folder / "opco-watch.toml"
    base = '[organisation]\nname = "Test OF"\ncontact_email = "veille@test-of.fr"\n'
    fast = "[fetch]\ntimeout_seconds = 5\nretries = 2\n"
    file.write_text(base + fast + extra, encoding="utf-8")
    return file


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path)
