"""robots.txt that cannot be read, as RFC 9309 §2.3.1.3-4 and §2.4 say: a 4xx means no rules
(allow all); a 5xx or no answer means complete disallow, unless a copy read recently is kept,
which then stands in. A host refused so is asked again at the next poll."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.conftest import Database, write_config
from tests.test_cli import FOUNDATION, cli
from watcher.devserver import DevServer, Fault
from watcher.errors import FetchError
from watcher.fetch import Fetcher, FetchSettings, Request
from watcher.robots import STALE_LONGEST
from watcher.robots_memory import RobotsCopy
from watcher.store import Store
from watcher.store.robots import StoreMemory

RULES = "User-agent: *\nDisallow: /prive/\n"


@pytest.fixture
def server() -> Iterator[DevServer]:
    with DevServer() as srv:
        yield srv


def fetch(server: DevServer, store: Store, url: str) -> str:
    """One poll's Fetcher (robots.txt remembered in ``store``) fetching ``url``."""
    settings = FetchSettings(timeout=2.0, retries=0, backoff_base=0.01, respect_robots=True)

    async def one() -> str:
        async with Fetcher(
            replace(settings, mirror=server.base_url), robots_memory=StoreMemory(store)
        ) as fetcher:
            host = httpx.URL(url).host
            page = await fetcher.fetch(Request(url), source="test", allowed_hosts={host})
            return page.text

    return asyncio.run(one())


def asked(server: DevServer, path: str) -> int:
    return sum(r.path == path for r in server.requests)


def test_a_5xx_robots_txt_without_a_copy_disallows_the_host_until_it_answers(
    server: DevServer, store: Store
) -> None:
    server.add("/down.test/robots.txt", RULES, content_type="text/plain")
    server.script("/down.test/robots.txt", [Fault.status(503)])
    server.add("/down.test/offres", "ok")
    with pytest.raises(FetchError) as refused:
        fetch(server, store, "https://down.test/offres")
    assert refused.value.reason.startswith("robots.txt unreachable (HTTP 503)")
    assert "disallowed" in refused.value.reason and "next poll" in refused.value.reason
    assert asked(server, "/down.test/offres") == 0
    assert store.robots_copy("https://down.test") is None  # nothing kept: asked again next time
    assert fetch(server, store, "https://down.test/offres") == "ok"  # the next poll
    assert asked(server, "/down.test/robots.txt") == 2


def test_no_answer_at_all_disallows_too(server: DevServer, store: Store) -> None:
    server.script("/reset.test/robots.txt", [Fault.reset()])
    server.add("/reset.test/offres", "ok")
    with pytest.raises(FetchError, match=r"robots\.txt unreachable \(site unreachable\)"):
        fetch(server, store, "https://reset.test/offres")
    assert asked(server, "/reset.test/offres") == 0


def test_a_4xx_robots_txt_allows_all(server: DevServer, store: Store) -> None:
    server.add("/gone.test/robots.txt", "no", status=410)
    server.add("/gone.test/prive/x", "ok")
    assert fetch(server, store, "https://gone.test/prive/x") == "ok"


def test_a_recently_expired_copy_stands_in_while_robots_txt_is_down(
    server: DevServer, store: Store
) -> None:
    server.add("/stale.test/robots.txt", status=500)
    server.add("/stale.test/offres", "ok")
    server.add("/stale.test/prive/x", "secret")
    read = datetime.now(UTC) - timedelta(days=5)
    store.save_robots("https://stale.test", RobotsCopy(200, RULES, read, read + timedelta(days=1)))
    assert fetch(server, store, "https://stale.test/offres") == "ok"
    with pytest.raises(FetchError, match=r"^\[test\] blocked by robots\.txt"):
        fetch(server, store, "https://stale.test/prive/x")  # the copy's rules, obeyed
    assert asked(server, "/stale.test/prive/x") == 0


def test_a_copy_older_than_the_rfc_s_thirty_days_no_longer_stands_in(
    server: DevServer, store: Store
) -> None:
    server.add("/old.test/robots.txt", status=502)
    server.add("/old.test/offres", "ok")
    read = datetime.now(UTC) - STALE_LONGEST - timedelta(hours=1)
    store.save_robots("https://old.test", RobotsCopy(404, "", read, read + timedelta(days=1)))
    with pytest.raises(FetchError, match=r"robots\.txt unreachable \(HTTP 502\)"):
        fetch(server, store, "https://old.test/offres")
    assert timedelta(days=30) == STALE_LONGEST


def test_poll_skips_the_source_with_the_reason_and_tries_again_next_poll(
    tmp_path: Path, demo_server: DevServer, database: Database
) -> None:
    write_config(tmp_path)
    demo_server.script("/www.akto.fr/robots.txt", [Fault.status(503)])
    first = cli(tmp_path, "poll", *FOUNDATION, "--mirror", demo_server.base_url, "--json")
    assert first.returncode == 1, first.stderr
    reports = {r["source"]: r for r in json.loads(first.stdout)}
    assert reports["boamp"]["ok"] and reports["boamp"]["new"] == 6
    akto = reports["akto"]
    assert not akto["ok"] and akto["new"] == 0
    assert "robots.txt unreachable (HTTP 503)" in akto["error"]
    health = {r["source"]: r for r in json.loads(cli(tmp_path, "sources", "--json").stdout)}
    assert "robots.txt unreachable (HTTP 503)" in health["akto"]["last_error"]
    assert health["akto"]["consecutive_failures"] == 1
    table = cli(tmp_path, "sources", columns=400)
    assert "robots.txt illisible (HTTP 503 (erreur du site))" in table.stdout  # as the console
    second = cli(tmp_path, "poll", *FOUNDATION, "--mirror", demo_server.base_url, "--json")
    assert second.returncode == 0, second.stderr
    assert {r["source"]: r["new"] for r in json.loads(second.stdout)}["akto"] == 4
