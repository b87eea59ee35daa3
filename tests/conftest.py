"""Shared fixtures: the shared/ folder, a loopback HTTP server, a config in a temp folder,
and the databases.

Getting a store in a test — on both SQLite and PostgreSQL:

- ``store``: an open, migrated ``Store``. A test that takes it runs twice, ``[sqlite]`` (a file
  under tmp_path) and ``[postgresql]`` (a fresh database on a cluster the session starts).
- ``database``: the same choice without opening it (``database.url`` for ``Store.open``;
  ``database.dialect``). It also points every config at it: for PostgreSQL it sets
  ``OPCO_WATCH_DATABASE_URL`` (which subprocesses inherit), for SQLite the config's own
  ``data/opco-watch.db`` under tmp_path is ``database.url``. So a CLI, pipeline or scheduler
  test that takes ``database`` (or ``store``) runs on both stores without other changes.
- ``database.require("sqlite")`` skips the other half of a test about SQLite files themselves
  (pragmas, a corrupt file).

The PostgreSQL half needs the server binaries (Debian's ``postgresql`` package; see
``tests/pgcluster.py``). Without them it is skipped with one line saying so, except under
``CI=true``, where it fails: CI must run both.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import NoReturn

import pytest

from tests.pgcluster import Cluster, ClusterUnavailable, find_bin_dir
from watcher.demo import snapshot_server
from watcher.devserver import DevServer
from watcher.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PAGES = Path(__file__).resolve().parent / "pages"
#: the day the saved pages are read as of (their relative dates are filled from it)
PAGE_DAY = date(2026, 3, 2)


@pytest.fixture(scope="session", autouse=True)
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """What opco-watch keeps in the user's cache folder (compiled templates) goes to a folder
    of the session's, for the tests and the commands they start, not to the home folder."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache-home")))
        yield


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


# ------------------------------------------------------------------------------- databases

#: the environment variable that points opco-watch at another database (see watcher.config)
DATABASE_ENV = "OPCO_WATCH_DATABASE_URL"
DIALECTS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Database:
    """Where a test's store lives: ``url`` is what ``Store.open`` takes."""

    dialect: str
    url: str

    def require(self, dialect: str) -> None:
        if self.dialect != dialect:
            pytest.skip(f"about {dialect} only")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(reason: str) -> NoReturn:
    """No PostgreSQL here: the PostgreSQL half skips, in one line; under CI=true it fails."""
    if in_ci():
        pytest.fail(f"CI=true but no PostgreSQL to test on: {reason}")
    pytest.skip(f"PostgreSQL half skipped: {reason}")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster for the whole session (started on first use, stopped at the end)."""
    try:
        cluster = Cluster(find_bin_dir()).start()
    except ClusterUnavailable as reason:
        unavailable(str(reason))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=DIALECTS)
def database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Database:
    """An empty database of each dialect; configs written under tmp_path use it (see above)."""
    if request.param == "sqlite":
        monkeypatch.delenv(DATABASE_ENV, raising=False)
        return Database("sqlite", str(tmp_path / "data" / "opco-watch.db"))
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    url = cluster.create_database()
    monkeypatch.setenv(DATABASE_ENV, url)
    return Database("postgresql", url)


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    """An open store on each dialect (the test runs twice)."""
    with Store.open(database.url) as opened:
        yield opened
