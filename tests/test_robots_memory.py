"""robots.txt kept in the store between runs (RFC 9309 §2.4): one request a day per host, the
rules still obeyed, the copy used while the host's robots.txt is unreachable."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from watcher.devserver import DevServer
from watcher.errors import FetchError
from watcher.fetch import Fetcher, FetchSettings, Request
from watcher.robots_memory import RobotsCopy, lifetime
from watcher.store import Store
from watcher.store.robots import StoreMemory

RULES = "User-agent: *\nDisallow: /prive/\n"


@pytest.fixture
def server() -> Iterator[DevServer]:
    with DevServer() as srv:
        yield srv


def settings(server: DevServer) -> FetchSettings:
    base = FetchSettings(timeout=2.0, retries=0, backoff_base=0.01, respect_robots=True)
    return replace(base, mirror=server.base_url)


def fetch(server: DevServer, store: Store, url: str) -> str:
    """One run: a new Fetcher (as each poll makes), remembering robots.txt in ``store``."""

    async def one() -> str:
        async with Fetcher(settings(server), robots_memory=StoreMemory(store)) as fetcher:
            host = httpx.URL(url).host
            page = await fetcher.fetch(Request(url), source="test", allowed_hosts={host})
            return page.text

    return asyncio.run(one())


def robots_requests(server: DevServer, host: str) -> int:
    return sum(r.path == f"/{host}/robots.txt" for r in server.requests)


def test_robots_txt_is_asked_once_across_runs_and_still_obeyed(
    server: DevServer, store: Store
) -> None:
    server.add("/kept.test/robots.txt", RULES, content_type="text/plain")
    server.add("/kept.test/offres", "ok")
    assert [fetch(server, store, "https://kept.test/offres") for _ in range(3)] == ["ok"] * 3
    with pytest.raises(FetchError, match=r"blocked by robots\.txt"):
        fetch(server, store, "https://kept.test/prive/dce.zip")
    assert robots_requests(server, "kept.test") == 1
    assert not any(r.path == "/kept.test/prive/dce.zip" for r in server.requests)


def test_a_copy_older_than_a_day_is_asked_again(server: DevServer, store: Store) -> None:
    server.add("/stale.test/robots.txt", "User-agent: *\nDisallow:\n", content_type="text/plain")
    server.add("/stale.test/prive/x", "ok")
    long_ago = datetime.now(UTC) - timedelta(days=2)
    old = RobotsCopy(200, RULES, long_ago, long_ago + timedelta(hours=24))
    store.save_robots("https://stale.test", old)
    assert fetch(server, store, "https://stale.test/prive/x") == "ok"  # the new rules allow it
    assert robots_requests(server, "stale.test") == 1
    kept = store.robots_copy("https://stale.test")
    assert kept is not None and kept.fresh(datetime.now(UTC)) and "Disallow:\n" in kept.body


def test_an_unreachable_robots_txt_falls_back_on_the_copy_kept(
    server: DevServer, store: Store
) -> None:
    server.add("/down.test/robots.txt", status=503)
    server.add("/down.test/prive/x", "ok")
    long_ago = datetime.now(UTC) - timedelta(days=3)
    store.save_robots("https://down.test", RobotsCopy(200, RULES, long_ago, long_ago))
    with pytest.raises(FetchError, match=r"blocked by robots\.txt"):
        fetch(server, store, "https://down.test/prive/x")
    assert robots_requests(server, "down.test") == 1


def test_a_missing_robots_txt_is_remembered_too(server: DevServer, store: Store) -> None:
    server.add("/none.test/x", "ok")  # robots.txt: 404
    twice = [fetch(server, store, "https://none.test/x") for _ in range(2)]
    assert twice == ["ok", "ok"]
    assert robots_requests(server, "none.test") == 1


def test_cache_control_shortens_the_copy_s_life(server: DevServer, store: Store) -> None:
    no_store = {"Cache-Control": "no-store"}
    server.add("/nostore.test/robots.txt", RULES, content_type="text/plain", headers=no_store)
    server.add("/nostore.test/x", "ok")
    fetch(server, store, "https://nostore.test/x")
    fetch(server, store, "https://nostore.test/x")
    assert robots_requests(server, "nostore.test") == 2
    assert lifetime("public, max-age=600") == timedelta(minutes=10)
    assert lifetime("max-age=604800") == timedelta(hours=24)  # never more than a day
    assert lifetime("") == timedelta(hours=24)
