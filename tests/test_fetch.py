"""The fetch layer against a real HTTP server on loopback (watcher.devserver).

Every test mirrors its own made-up host (``https://HOST/...`` is served as ``/HOST/...``), so the
module-wide server's routes and log never mix between tests. ``httpx.MockTransport`` appears only
in the error-mapping unit tests at the end.
"""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import logging
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Collection, Coroutine, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from watcher.devserver import DevServer, Fault, Logged
from watcher.errors import FetchError, RateLimited
from watcher.fetch import (
    Fetcher,
    FetchSettings,
    FetchStats,
    Page,
    Request,
    decode,
    retry_after_seconds,
    status_reason,
    with_params,
)


@pytest.fixture(scope="module")
def server() -> Iterator[DevServer]:
    with DevServer() as srv:
        yield srv


class Sleeps:
    """An injected ``sleep`` that records the delays and does not wait."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def fast(server: DevServer, **overrides: Any) -> FetchSettings:
    base = FetchSettings(
        timeout=2.0, retries=2, backoff_base=0.01, backoff_max=5.0, respect_robots=False
    )
    return replace(base, mirror=server.base_url, **overrides)


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


async def get_many(
    settings: FetchSettings,
    urls: list[str],
    *,
    hosts: Collection[str] = (),
    sleep: Sleeps | None = None,
    validators: tuple[str | None, str | None] = (None, None),
) -> tuple[list[Page], FetchStats]:
    """Fetch ``urls`` concurrently with one Fetcher (hosts: those of the URLs unless given)."""
    allowed = hosts or {httpx.URL(url).host for url in urls}
    async with Fetcher(settings, sleep=sleep or Sleeps()) as fetcher:
        jobs = [
            fetcher.fetch(Request(u), source="test", allowed_hosts=allowed, validators=validators)
            for u in urls
        ]
        return list(await asyncio.gather(*jobs)), fetcher.stats


def get(settings: FetchSettings, url: str, **kwargs: Any) -> Page:
    pages, _ = run(get_many(settings, [url], **kwargs))
    return pages[0]


def refused(settings: FetchSettings, url: str, **kwargs: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        get(settings, url, **kwargs)
    return caught.value


def seen(server: DevServer, host: str) -> list[Logged]:
    return [r for r in server.requests if r.path.startswith(f"/{host}/")]


# -- plain requests, conditional requests ----------------------------------------------------


def test_plain_get_is_decoded_and_sends_the_user_agent(server: DevServer) -> None:
    server.add("/plain.test/offres", "<p>Appel d'offres: formation sécurité</p>")
    settings = fast(server)
    pages, stats = run(get_many(settings, ["https://plain.test/offres"]))
    page = pages[0]
    assert (page.status, page.not_modified) == (200, False)
    assert page.text == "<p>Appel d'offres: formation sécurité</p>"
    assert page.content_type.startswith("text/html") and page.size == len(page.text.encode())
    assert page.etag and page.last_modified
    [request] = seen(server, "plain.test")
    assert request.headers["user-agent"] == settings.user_agent
    assert (stats.requests, stats.by_host["plain.test"]) == (1, 1)


def test_caller_headers_are_sent_but_not_a_user_agent(server: DevServer) -> None:
    server.add("/headers.test/x", "ok")
    settings = fast(server)

    async def scenario() -> None:
        async with Fetcher(settings) as fetcher:
            headers = {"Accept": "application/json", "user-agent": "Mozilla/5.0"}
            request = Request("https://headers.test/x", headers=headers)
            await fetcher.fetch(request, source="test", allowed_hosts={"headers.test"})

    run(scenario())
    [logged] = seen(server, "headers.test")
    assert logged.headers["accept"] == "application/json"
    assert logged.headers["user-agent"] == settings.user_agent


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_validators_round_trip_to_304(server: DevServer, validator: str) -> None:
    host = f"cond-{validator.replace('_', '-')}.test"
    server.add(f"/{host}/list", "<ul><li>AO 2025-01</li></ul>")
    settings = fast(server)
    first = get(settings, f"https://{host}/list")
    validators = (first.etag, None) if validator == "etag" else (None, first.last_modified)
    pages, stats = run(get_many(settings, [f"https://{host}/list"], validators=validators))
    assert (pages[0].status, pages[0].not_modified, pages[0].text) == (304, True, "")
    assert (pages[0].etag, pages[0].last_modified) == (first.etag, first.last_modified)
    assert stats.not_modified == 1
    sent = seen(server, host)[1].headers
    assert sent.get("if-none-match") == validators[0]
    assert sent.get("if-modified-since") == validators[1]


def test_changed_page_comes_back_with_new_validators(server: DevServer) -> None:
    server.add("/changed.test/list", "version 1")
    settings = fast(server)
    first = get(settings, "https://changed.test/list")
    server.add("/changed.test/list", "version 2")
    second = get(settings, "https://changed.test/list", validators=(first.etag, None))
    assert (second.status, second.text) == (200, "version 2")
    assert second.etag != first.etag


# -- retries -------------------------------------------------------------------------------------


def test_two_500_then_success_after_retries(server: DevServer) -> None:
    server.add("/flaky.test/x", "ok")
    server.script("/flaky.test/x", [Fault.status(500), Fault.status(503)])
    sleeps = Sleeps()
    pages, stats = run(get_many(fast(server), ["https://flaky.test/x"], sleep=sleeps))
    assert pages[0].text == "ok"
    assert len(seen(server, "flaky.test")) == 3
    assert stats.retries == 2 and len(sleeps.calls) == 2
    assert 0 <= sleeps.calls[0] <= 0.01 and 0 <= sleeps.calls[1] <= 0.02  # full jitter


def test_500_forever_gives_up_after_all_attempts(server: DevServer) -> None:
    server.add("/down.test/x", "never seen")
    server.script("/down.test/x", [Fault.status(500)] * 4)
    error = refused(fast(server, retries=3), "https://down.test/x")
    assert (error.reason, error.status, error.source) == ("HTTP 500", 500, "test")
    assert len(seen(server, "down.test")) == 4


def test_a_short_retry_after_is_waited_once(server: DevServer) -> None:
    server.add("/busy.test/x", "ok")
    server.script("/busy.test/x", [Fault.status(429, retry_after=1)])
    sleeps = Sleeps()
    assert get(fast(server, backoff_max=0.25), "https://busy.test/x", sleep=sleeps).text == "ok"
    assert sleeps.calls == [1.0]  # what the server asked, not the backoff cap


def test_a_second_retry_after_is_not_waited_for(server: DevServer) -> None:
    server.add("/busy-twice.test/x", "ok")
    server.script("/busy-twice.test/x", [Fault.status(429, retry_after=20)] * 2)
    sleeps = Sleeps()
    before = datetime.now(UTC)
    error = refused(fast(server), "https://busy-twice.test/x", sleep=sleeps)
    assert isinstance(error, RateLimited) and sleeps.calls == [20.0]
    assert 19 <= (error.until - before).total_seconds() <= 21
    assert len(seen(server, "busy-twice.test")) == 2


@pytest.mark.parametrize(
    ("retry_after", "hours"), [("86400", 24.0), ("Fri, 01 Jan 2100 00:00:00 GMT", 24.0)]
)
def test_a_long_retry_after_is_not_waited_for_but_returned(
    server: DevServer, retry_after: str, hours: float
) -> None:
    host = f"away-{len(retry_after)}.test"
    server.add(f"/{host}/x", "ok")
    server.script(f"/{host}/x", [Fault.status(429, retry_after=retry_after)])
    sleeps = Sleeps()
    before = datetime.now(UTC)
    error = refused(fast(server), f"https://{host}/x", sleep=sleeps)
    assert isinstance(error, RateLimited) and error.status == 429
    assert sleeps.calls == [] and len(seen(server, host)) == 1  # not retried now
    waited = (error.until - before).total_seconds() / 3600
    assert hours - 0.01 <= waited <= hours + 0.01  # 2100 is capped at retry_after_defer_max
    assert error.reason == "rate limited (HTTP 429), the site asks to wait 24 h"


def test_a_503_with_a_long_retry_after_is_returned_too(server: DevServer) -> None:
    server.add("/maintenance.test/x", "ok")
    server.script("/maintenance.test/x", [Fault.status(503, retry_after=3600)])
    error = refused(fast(server, retry_after_defer_max=600), "https://maintenance.test/x")
    assert (
        isinstance(error, RateLimited) and error.reason == "HTTP 503, the site asks to wait 10 min"
    )


def test_a_long_retry_after_on_robots_txt_stops_the_source(server: DevServer) -> None:
    server.add("/robots-away.test/x", "ok")
    server.script("/robots-away.test/robots.txt", [Fault.status(429, retry_after=7200)])
    error = refused(fast(server, respect_robots=True), "https://robots-away.test/x")
    assert isinstance(error, RateLimited)
    assert [r.path for r in seen(server, "robots-away.test")] == ["/robots-away.test/robots.txt"]


def test_429_forever_says_rate_limited(server: DevServer) -> None:
    server.add("/limited.test/x", "ok")
    server.script("/limited.test/x", [Fault.status(429)] * 2)
    error = refused(fast(server, retries=1), "https://limited.test/x")
    assert (error.reason, error.status) == ("rate limited (HTTP 429)", 429)


def test_404_is_not_retried(server: DevServer) -> None:
    sleeps = Sleeps()
    error = refused(fast(server), "https://missing.test/nothing-here", sleep=sleeps)
    assert (error.reason, error.status) == ("HTTP 404 not found", 404)
    assert len(seen(server, "missing.test")) == 1 and sleeps.calls == []


def test_connection_reset_then_success(server: DevServer) -> None:
    server.add("/reset-once.test/x", "ok")
    server.script("/reset-once.test/x", [Fault.reset()])
    assert get(fast(server), "https://reset-once.test/x").text == "ok"
    assert len(seen(server, "reset-once.test")) == 2


def test_reset_forever_is_site_unreachable(server: DevServer) -> None:
    server.add("/reset.test/x", "ok")
    server.script("/reset.test/x", [Fault.reset()] * 3)
    assert refused(fast(server), "https://reset.test/x").reason == "site unreachable"
    assert len(seen(server, "reset.test")) == 3


def test_nothing_listening_is_site_unreachable(server: DevServer) -> None:
    with DevServer() as gone:
        mirror = gone.base_url  # a port that was just released: connection refused
    settings = replace(fast(server, retries=1), mirror=mirror)
    assert refused(settings, "https://closed.test/x").reason == "site unreachable"


def test_latency_beyond_timeout_times_out(server: DevServer) -> None:
    server.add("/slow-start.test/x", "late", latency=30)
    started = time.monotonic()
    # 1 s, not less: on a loaded machine a shorter budget can run out before the request is
    # even sent, and the server then never sees that attempt
    error = refused(fast(server, timeout=1.0, retries=1), "https://slow-start.test/x")
    assert error.reason == "timed out"
    assert time.monotonic() - started < 20  # two attempts cut at 1 s, not 2 x 30 s
    # the client may give up before the server logs its second request: wait for it
    others = len(server.requests) - len(seen(server, "slow-start.test"))
    assert server.wait_for_requests(others + 2, timeout=30)
    assert len(seen(server, "slow-start.test")) == 2


def test_delay_fault_within_timeout_is_fine(server: DevServer) -> None:
    server.add("/delayed.test/x", "ok")
    server.script("/delayed.test/x", [Fault.delay(0.1)])
    assert get(fast(server, timeout=1.0), "https://delayed.test/x").text == "ok"


def test_slow_body_within_per_read_timeout_works(server: DevServer) -> None:
    body = "".join(f"<li>AO {i:04d}</li>" for i in range(125))  # 2000 bytes
    server.add("/trickle.test/x", body, slow_body=0.4, chunk=400)  # 5 chunks: 2 s in all
    started = time.monotonic()
    page = get(fast(server, timeout=2.0, retries=0), "https://trickle.test/x")
    assert page.text == body
    # longer than the timeout, yet no read waited 2 s (each gap is 0.4 s: room for a load)
    assert time.monotonic() - started >= 2.0


def test_a_body_trickled_past_the_request_deadline_is_cut(server: DevServer) -> None:
    # 256 bytes every 50 ms: each read is well within the timeout, the whole would take 200 s
    server.add("/drip.test/x", "x" * 1_000_000, slow_body=0.05, chunk=256)
    started = time.monotonic()
    error = refused(fast(server, timeout=2.0, request_deadline=0.5), "https://drip.test/x")
    assert error.reason == "no complete answer within 0.5 s (fetch.request_deadline_seconds)"
    assert time.monotonic() - started < 10
    assert len(seen(server, "drip.test")) == 1  # not retried: a trickling site trickles again


def test_the_request_deadline_covers_a_server_that_never_answers(server: DevServer) -> None:
    server.add("/mute.test/x", "late", latency=30)  # far beyond the deadline
    error = refused(fast(server, timeout=20.0, request_deadline=0.3), "https://mute.test/x")
    assert error.reason.startswith("no complete answer within 0.3 s")


# -- body size limit ------------------------------------------------------------------------------


@pytest.mark.parametrize("content_length", [True, False])
def test_oversize_body_refused_early(server: DevServer, content_length: bool) -> None:
    host = f"huge-{str(content_length).lower()}.test"
    server.add(f"/{host}/x", oversize=50_000_000, content_length=content_length)

    async def scenario() -> FetchStats:
        async with Fetcher(fast(server, max_body_bytes=100_000)) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(Request(f"https://{host}/x"), source="t", allowed_hosts={host})
            assert caught.value.reason == "response larger than 100000 bytes"
            return fetcher.stats

    received = run(scenario()).bytes
    if content_length:
        assert received == 0  # refused on the announced length, before reading the body
    else:
        assert 100_000 < received < 1_000_000  # read just past the limit, then hung up
    assert len(seen(server, host)) == 1


def test_compressed_body_counts_decompressed(server: DevServer) -> None:
    bomb = gzip.compress(b"a" * 2_000_000)  # about 2 kB on the wire
    server.add(
        "/bomb.test/x", bomb, content_type="text/plain", headers={"Content-Encoding": "gzip"}
    )
    error = refused(fast(server, max_body_bytes=1_000_000), "https://bomb.test/x")
    assert error.reason == "response larger than 1000000 bytes"


# -- declared hosts, redirects -------------------------------------------------------------------


def test_redirect_within_declared_hosts_is_followed(server: DevServer) -> None:
    server.add("/old.test/ao", status=301, headers={"Location": "https://www.new.test/ao"})
    server.add("/www.new.test/ao", status=302, headers={"Location": "/appels?page=1"})
    server.add("/www.new.test/appels?page=1", "la liste")
    page = get(fast(server), "https://old.test/ao", hosts={"old.test", "www.new.test"})
    assert (page.url, page.text) == ("https://www.new.test/appels?page=1", "la liste")


def test_redirect_off_declared_hosts_is_refused(server: DevServer) -> None:
    server.add("/hop.test/x", status=302, headers={"Location": "https://tracker.test/x"})
    error = refused(fast(server), "https://hop.test/x")
    assert (error.reason, error.url) == ("redirect off declared hosts", "https://tracker.test/x")
    assert seen(server, "tracker.test") == []


def test_redirect_loop_stops(server: DevServer) -> None:
    server.add("/loop.test/x", status=302, headers={"Location": "/x"})
    error = refused(fast(server), "https://loop.test/x")
    assert error.reason == "more than 5 redirects"
    assert len(seen(server, "loop.test")) == 6


def test_undeclared_host_is_refused_without_any_request(server: DevServer) -> None:
    before = len(server.requests)
    error = refused(fast(server), "https://elsewhere.test/x", hosts={"declared.test"})
    assert error.reason == "not a declared host"
    assert len(server.requests) == before


def test_non_http_scheme_is_refused(server: DevServer) -> None:
    error = refused(fast(server), "file:///etc/passwd", hosts={""})
    assert error.reason == "unsupported URL scheme 'file'"


# -- robots.txt ---------------------------------------------------------------------------------


def test_robots_disallow_blocks_and_is_fetched_once(server: DevServer) -> None:
    rules = "User-agent: *\nDisallow: /\n\nUser-agent: opco-watch\nDisallow: /prive/\n"
    server.add("/robots.test/robots.txt", rules, content_type="text/plain")
    server.add("/robots.test/public", "ok")
    settings = fast(server, respect_robots=True)
    pages, _ = run(get_many(settings, ["https://robots.test/public"] * 3))
    assert [p.text for p in pages] == ["ok"] * 3
    error = refused(settings, "https://robots.test/prive/dce.zip")
    assert error.reason == "blocked by robots.txt"
    paths = [r.path for r in seen(server, "robots.test")]
    assert paths.count("/robots.test/robots.txt") == 2  # once per Fetcher: two Fetchers here
    assert "/robots.test/prive/dce.zip" not in paths


def test_robots_404_allows_all_and_is_fetched_once(server: DevServer) -> None:
    server.add("/no-robots.test/x", "ok")
    settings = fast(server, respect_robots=True)
    pages, stats = run(get_many(settings, ["https://no-robots.test/x"] * 5))
    assert len(pages) == 5
    paths = [r.path for r in seen(server, "no-robots.test")]
    assert paths.count("/no-robots.test/robots.txt") == 1 and len(paths) == 6
    assert stats.requests == 6


def test_robots_server_error_disallows_the_host_for_the_poll(
    server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 9309 §2.3.1.4: a 5xx robots.txt (no copy kept) means complete disallow; the page
    is not asked for, robots.txt is asked once per poll (see tests/test_robots.py)."""
    server.add("/robots-500.test/robots.txt", status=500)
    server.add("/robots-500.test/x", "ok")
    with caplog.at_level(logging.WARNING, logger="watcher.robots"):
        error = refused(fast(server, respect_robots=True), "https://robots-500.test/x")
    assert error.reason.startswith("robots.txt unreachable (HTTP 500)")
    assert "[test] robots.txt unreachable (HTTP 500)" in caplog.text
    assert [r.path for r in seen(server, "robots-500.test")] == ["/robots-500.test/robots.txt"]


# -- concurrency cap ------------------------------------------------------------------------------


def test_per_host_cap_limits_requests_in_flight(server: DevServer) -> None:
    server.add("/capped.test/x", "ok", latency=0.5)  # long enough that a wave overlaps
    started = time.monotonic()
    run(get_many(fast(server, per_host=2), [f"https://capped.test/x?n={i}" for i in range(6)]))
    assert server.peak_in_flight("/capped.test/") == 2
    assert time.monotonic() - started >= 1.5  # three waves of 0.5 s


def test_different_hosts_proceed_in_parallel(server: DevServer) -> None:
    urls = [f"https://par-{h}.test/x?n={i}" for h in "ab" for i in range(2)]
    for host in ("par-a.test", "par-b.test"):  # long enough that both hosts' overlap
        server.add(f"/{host}/x", "ok", latency=1.0)
    run(get_many(fast(server, per_host=1), urls))
    assert server.peak_in_flight("/par-a.test/") == server.peak_in_flight("/par-b.test/") == 1
    assert server.peak_in_flight("/par-") == 2


def test_cap_is_not_held_while_backing_off(server: DevServer) -> None:
    server.add("/backoff.test/x", "ok")
    server.add("/backoff.test/y", "ok")
    server.script("/backoff.test/x", [Fault.status(503, retry_after=1)])
    backing_off, y_done = asyncio.Event(), asyncio.Event()

    async def slow_sleep(seconds: float) -> None:
        backing_off.set()
        await y_done.wait()  # x backs off until y is through: y must get the only slot

    async def scenario() -> None:
        async with Fetcher(fast(server, per_host=1), sleep=slow_sleep) as fetcher:
            hosts = {"backoff.test"}
            x = fetcher.fetch(Request("https://backoff.test/x"), source="t", allowed_hosts=hosts)
            first = asyncio.create_task(x)
            await backing_off.wait()
            y = fetcher.fetch(Request("https://backoff.test/y"), source="t", allowed_hosts=hosts)
            await asyncio.wait_for(y, timeout=60)  # a slot held while backing off never frees
            y_done.set()
            await first

    run(scenario())


# -- mirror, params, POST ------------------------------------------------------------------------


def test_mirror_keeps_logical_url_and_merges_params(server: DevServer) -> None:
    server.add(
        "/api.test/records?limit=20&q=formation&where=dept", "[]", content_type="application/json"
    )

    async def scenario() -> Page:
        async with Fetcher(fast(server)) as fetcher:
            request = Request(
                "https://api.test/records?where=dept", params={"q": "formation", "limit": 20}
            )
            return await fetcher.fetch(request, source="test", allowed_hosts={"api.test"})

    page = run(scenario())
    assert page.url == "https://api.test/records?limit=20&q=formation&where=dept"
    assert [r.path for r in seen(server, "api.test")] == [
        "/api.test/records?limit=20&q=formation&where=dept"
    ]


def test_post_json_reaches_the_server(server: DevServer) -> None:
    server.add("/ted.test/v3/notices/search", '{"notices": []}', content_type="application/json")
    query = {"query": "classification-cpv=80500000", "limit": 50}

    async def scenario() -> Page:
        async with Fetcher(fast(server)) as fetcher:
            request = Request("https://ted.test/v3/notices/search", method="POST", json=query)
            return await fetcher.fetch(request, source="ted", allowed_hosts={"ted.test"})

    assert json.loads(run(scenario()).text) == {"notices": []}
    [logged] = seen(server, "ted.test")
    assert logged.method == "POST" and json.loads(logged.body) == query
    assert logged.headers["content-type"] == "application/json"


def test_post_answered_303_continues_as_get(server: DevServer) -> None:
    server.add("/form.test/search", status=303, headers={"Location": "/results"})
    server.add("/form.test/results", "results")

    async def scenario() -> Page:
        async with Fetcher(fast(server)) as fetcher:
            request = Request("https://form.test/search", method="POST", json={"q": 1})
            return await fetcher.fetch(request, source="test", allowed_hosts={"form.test"})

    assert run(scenario()).text == "results"
    assert [(r.method, r.body) for r in seen(server, "form.test")] == [
        ("POST", b'{"q":1}'),
        ("GET", b""),
    ]


# -- error mapping and pure helpers (MockTransport, no server) ----------------------------------


def mocked(handler: Any, **overrides: Any) -> Page:
    settings = FetchSettings(backoff_base=0.01, respect_robots=False, **overrides)

    async def scenario() -> Page:
        transport = httpx.MockTransport(handler)
        async with Fetcher(settings, sleep=Sleeps(), transport=transport) as fetcher:
            return await fetcher.fetch(
                Request("https://m.test/x"), source="m", allowed_hosts={"m.test"}
            )

    return run(scenario())


@pytest.mark.parametrize(
    ("exception", "reason"),
    [
        (httpx.ConnectError("refused"), "site unreachable"),
        (httpx.RemoteProtocolError("server disconnected"), "site unreachable"),
        (httpx.ConnectTimeout("slow"), "timed out"),
        (httpx.PoolTimeout("busy"), "timed out"),
    ],
)
def test_transport_errors_are_mapped(exception: Exception, reason: str) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise exception

    with pytest.raises(FetchError) as caught:
        mocked(handler, retries=2)
    assert caught.value.reason == reason and len(calls) == 3


def test_other_client_errors_are_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403)

    with pytest.raises(FetchError) as caught:
        mocked(handler)
    assert caught.value.reason == "HTTP 403 forbidden"


def test_declared_charset_is_used() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = "Région Île-de-France".encode("latin-1")
        return httpx.Response(
            200, content=body, headers={"Content-Type": "text/html; charset=ISO-8859-1"}
        )

    assert mocked(handler).text == "Région Île-de-France"


@pytest.mark.parametrize(
    ("body", "content_type", "text"),
    [
        ("Hauts-de-France é".encode(), "text/html", "Hauts-de-France é"),
        ("Clôture: 12 €".encode("cp1252"), "text/html", "Clôture: 12 €"),
        ("déjà".encode(), "text/html; charset=nonsense", "déjà"),
        ("déjà".encode("latin-1"), 'text/html; charset="latin-1"', "déjà"),
        # "latin-1" pages are read as browsers read them (Windows-1252): no C1 controls
        (
            b"l\x92offre, main-d\x9cuvre\x85",
            "text/html; charset=iso-8859-1",
            "l’offre, main-dœuvre…",
        ),
    ],
)
def test_decode(body: bytes, content_type: str, text: str) -> None:
    assert decode(body, content_type) == text


def test_status_reasons() -> None:
    assert [status_reason(s) for s in (500, 429, 404, 410, 499)] == [
        "HTTP 500",
        "rate limited (HTTP 429)",
        "HTTP 404 not found",
        "HTTP 410 gone",
        "HTTP 499",
    ]


def test_retry_after_parsing() -> None:
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("7", now) == 7.0
    assert retry_after_seconds("Sat, 01 Mar 2025 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sat, 01 Mar 2025 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None) is None


def test_with_params_is_canonical() -> None:
    assert (
        with_params("https://h.test/a?z=1", {"b": 2, "a": "x y"})
        == "https://h.test/a?a=x+y&b=2&z=1"
    )
    assert with_params("https://h.test/a?z=1&b=2", None) == "https://h.test/a?z=1&b=2"


# -- TLS: the CA bundle loaded only for HTTPS, which still verifies ---------------------------


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS server on loopback whose certificate no CA signed; yields its base URL."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    argv = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    argv += ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run([*argv, "-keyout", key, "-out", cert], check=True, capture_output=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl command to make a cert")
def test_plain_http_loads_no_ca_bundle_and_https_still_verifies(
    server: DevServer, self_signed: str
) -> None:
    server.add("/plain-tls.test/x", "ok")

    async def both() -> tuple[bool, bool, FetchError]:
        async with Fetcher(fast(server, retries=0)) as fetcher:
            page = await fetcher.fetch(
                Request("https://plain-tls.test/x"), source="t", allowed_hosts=["plain-tls.test"]
            )
            before = fetcher._tls is None  # the mirror is plain HTTP: no CA bundle read
            direct = Fetcher(FetchSettings(retries=0, respect_robots=False))
            async with direct:
                with pytest.raises(FetchError) as caught:
                    await direct.fetch(
                        Request(f"{self_signed}/x"), source="t", allowed_hosts=["127.0.0.1"]
                    )
                loaded = direct._tls is not None
            assert page.text == "ok"
            return before, loaded, caught.value

    before, loaded, error = run(both())
    assert before and loaded
    assert (
        "CERTIFICATE_VERIFY_FAILED" in repr(error.__cause__)
        or "certificate" in str(error.__cause__).lower()
    ), error
