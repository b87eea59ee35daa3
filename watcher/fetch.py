"""The one fetch layer: a shared ``httpx.AsyncClient`` with the manners of a good crawler.

Declared hosts only (every redirect hop checked), robots.txt, an honest User-Agent, a
concurrency cap per host, retries with backoff on transient failures, conditional requests, a
body size limit, and an overall deadline per request (httpx's timeout is per read: a server
trickling a byte at a time would keep a request alive for ever). A Retry-After longer than
``retry_after_wait_max`` (or a second one) is not waited for: it raises ``RateLimited`` with
the moment the site named, and the pipeline skips the source until then. Every failure is a
``FetchError`` whose reason a person understands. With ``mirror`` set, ``https://HOST/PATH?Q``
is fetched from ``MIRROR/HOST/PATH?Q`` (the offline demo) while pages keep their real URLs.
"""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from watcher.errors import FetchError, RateLimited
from watcher.fetch_helpers import (
    conditional,
    decode,
    duration,
    from_wire,
    retry_after_seconds,
    status_reason,
    to_wire,
    with_params,
)
from watcher.httpx_lean import httpx
from watcher.robots import refusal, when_unreachable
from watcher.robots import rules_of as _rules
from watcher.robots_memory import RobotsCopy, RobotsMemory
from watcher.robots_memory import lifetime as robots_lifetime

log = logging.getLogger(__name__)

ROBOTS_AGENT = "opco-watch"
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class FetchSettings:
    timeout: float = 20.0  # seconds, per network operation (connect, each read)
    request_deadline: float = 120.0  # seconds for one whole exchange: connect, headers, body
    retries: int = 3  # extra attempts on connect errors, timeouts, resets, 5xx, 429
    backoff_base: float = 0.5  # seconds; exponential with full jitter, capped by backoff_max
    backoff_max: float = 30.0
    retry_after_wait_max: float = 30.0  # a Retry-After up to this is waited for, once
    retry_after_defer_max: float = 86_400.0  # the longest a site may have us stay away
    per_host: int = 4  # concurrent requests per (logical) host
    max_body_bytes: int = 10_000_000
    user_agent: str = "opco-watch/0.1 (+https://github.com/opco-watch/opco-watch)"
    respect_robots: bool = True
    mirror: str | None = None  # "http://127.0.0.1:8123": https://HOST/P?Q -> MIRROR/HOST/P?Q


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "GET"
    params: Mapping[str, str | int] | None = None  # merged into the URL query
    json: Any = None  # POST body (TED API)
    headers: Mapping[str, str] | None = None
    form: Mapping[str, str] | None = None  # POST body, form-encoded (OPCO 2i's admin-ajax)


@dataclass(frozen=True)
class Page:
    url: str  # the logical URL (real host, never the mirror), after redirects, with params
    status: int  # 2xx, or 304
    text: str  # decoded body ("" on 304)
    content_type: str
    etag: str | None
    last_modified: str | None
    not_modified: bool  # True on 304: nothing to parse
    size: int  # body bytes received
    content: bytes = b""  # the raw body, for binary documents (PDF calls)


@dataclass
class FetchStats:
    """Cumulative over the Fetcher's life; robots.txt and retries count as requests."""

    requests: int = 0
    bytes: int = 0  # bytes received on the wire
    retries: int = 0
    not_modified: int = 0
    by_host: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Call:
    url: str  # logical
    method: str = "GET"
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str] | None = None


@dataclass(frozen=True)
class _Raw:
    url: str  # logical
    status: int
    headers: httpx.Headers
    body: bytes


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, reason: str, status: int | None = None, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.wait = reason, status, wait


class Fetcher:
    """One per poll: ``async with Fetcher(settings) as f: page = await f.fetch(...)``."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        robots_memory: RobotsMemory | None = None,
    ) -> None:
        """``robots_memory``: where robots.txt copies are kept between Fetchers (runs)."""
        self.settings = settings
        self._robots_memory = robots_memory
        self.stats = FetchStats()
        self._sleep = sleep
        self._random = random.Random()
        self._transport = transport
        # One client (connection pool) per host: httpcore looks through every connection of
        # its pool for each request, so one pool for a dozen hosts cost CPU in proportion to
        # all their connections. The HTTPS clients share one TLS context, made when the first
        # one is (loading the CA bundle costs about 0.1 s of CPU): a poll of plain-HTTP pages
        # only (the demo's mirror, a loopback server) never loads it. A given transport
        # (tests) serves every host alone.
        self._tls: ssl.SSLContext | None = None
        self._plain: ssl.SSLContext | None = None
        self._clients: dict[tuple[str, bool], httpx.AsyncClient] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._robots: dict[str, RobotFileParser | None] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client(self, host: str, wire: str) -> httpx.AsyncClient:
        """The connection pool of ``host`` (the logical one: a mirror serves many) for the
        scheme of ``wire``, the URL really fetched."""
        secure = wire[:6].lower() == "https:"
        key = (host, secure) if self._transport is None else ("", True)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = httpx.AsyncClient(
                transport=self._transport,
                verify=self._verify(secure),
                timeout=httpx.Timeout(self.settings.timeout),
                headers={"User-Agent": self.settings.user_agent},
                follow_redirects=False,  # followed by hand: every hop on a declared host
                # httpx keeps 20 idle connections by default: more than a host's cap (and
                # its robots.txt) are never open at once, none is closed and reopened
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=256),
            )
        return client

    def _verify(self, secure: bool) -> ssl.SSLContext | bool:
        """What a new client checks certificates with: the shared context with the CA bundle
        for HTTPS; for plain HTTP a context that trusts no certificate (never used: the
        client only ever gets http:// URLs, and it would refuse any HTTPS it were given)."""
        if self._transport is not None:
            return True
        if not secure:
            if self._plain is None:  # verifies, with no CA: it would refuse every certificate
                self._plain = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            return self._plain
        if self._tls is None:
            self._tls = httpx.create_ssl_context()
        return self._tls

    async def fetch(
        self,
        request: Request,
        *,
        source: str,
        allowed_hosts: Collection[str],
        validators: tuple[str | None, str | None] = (None, None),
    ) -> Page:
        """Fetch ``request``; ``validators`` = (etag, last_modified) of the stored copy."""
        allowed = frozenset(host.lower() for host in allowed_hosts)
        url = with_params(request.url, request.params)
        headers = httpx.Headers({**(request.headers or {}), **conditional(*validators)})
        headers["User-Agent"] = self.settings.user_agent  # honest, whatever the caller set
        call = _Call(url, request.method.upper(), request.json, headers, request.form)
        try:
            self._check_url(call.url, source, allowed, "not a declared host")
            raw = await self._follow(call, source, allowed, self.settings.retries, robots=True)
            return self._page(raw, source)
        except FetchError as error:
            log.warning("[%s] giving up on %s: %s", source, error.url, error.reason)
            raise

    # -- redirects, robots.txt ----------------------------------------------------------------

    async def _follow(
        self, call: _Call, source: str, allowed: frozenset[str], retries: int, *, robots: bool
    ) -> _Raw:
        """Send ``call``, following redirects by hand; returns the first non-redirect answer."""
        for _ in range(MAX_REDIRECTS + 1):
            if robots and self.settings.respect_robots:
                await self._check_robots(call.url, source, allowed)
            raw = await self._with_retries(call, source, retries)
            if raw.status not in REDIRECTS:
                return raw
            call = self._next_hop(call, raw, source, allowed)
        raise FetchError(source, call.url, f"more than {MAX_REDIRECTS} redirects")

    def _next_hop(self, call: _Call, raw: _Raw, source: str, allowed: frozenset[str]) -> _Call:
        location = raw.headers.get("location")
        if not location:
            raise FetchError(source, raw.url, f"HTTP {raw.status} without Location")
        # Mirrored pages carry the real site's Location: resolve it against the logical URL;
        # only an absolute URL on the mirror itself is mapped back.
        url = urljoin(raw.url, from_wire(location, self.settings.mirror, urlsplit(raw.url).scheme))
        self._check_url(url, source, allowed, "redirect off declared hosts")
        if raw.status == 303 or (raw.status in (301, 302) and call.method == "POST"):
            return _Call(url, "GET", None, call.headers)
        return _Call(url, call.method, call.json, call.headers, call.form)

    def _check_url(self, url: str, source: str, allowed: frozenset[str], reason: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(source, url, f"unsupported URL scheme {parts.scheme!r}")
        if (parts.hostname or "") not in allowed:
            raise FetchError(source, url, reason)

    async def _check_robots(self, url: str, source: str, allowed: frozenset[str]) -> None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin, source, allowed)
        rules = self._robots[origin]
        if rules is not None and not rules.can_fetch(ROBOTS_AGENT, url):
            raise FetchError(source, url, refusal(rules))

    async def _load_robots(
        self, origin: str, source: str, allowed: frozenset[str]
    ) -> RobotFileParser | None:
        """The host's rules, or None to allow all (4xx: no rules; 5xx, unreachable: the last
        copy kept if recent, else disallow all: ``watcher.robots.when_unreachable``). A copy
        younger than its lifetime (24 hours at most) is used without asking the host."""
        url = origin + "/robots.txt"
        now = datetime.now(UTC)
        kept = self._robots_memory.recall(origin) if self._robots_memory else None
        if kept is not None and kept.fresh(now):
            return _rules(url, kept)
        try:
            raw = await self._follow(_Call(url), source, allowed, 0, robots=False)
        except RateLimited:
            raise  # the site asks to be left alone: its pages too
        except FetchError as error:
            return self._unreachable(source, url, error.reason, kept)
        if not 200 <= raw.status < 500:
            return self._unreachable(source, url, f"HTTP {raw.status}", kept)
        body = decode(raw.body, raw.headers.get("content-type", "")) if raw.status < 300 else ""
        if raw.status >= 300:
            log.debug("[%s] no robots.txt (HTTP %d): %s", source, raw.status, url)
        copy = RobotsCopy(
            raw.status, body, now, now + robots_lifetime(raw.headers.get("cache-control", ""))
        )
        if self._robots_memory is not None and copy.expires_at > now:
            self._robots_memory.keep(origin, copy)
        return _rules(url, copy)

    def _unreachable(
        self, source: str, url: str, reason: str, kept: RobotsCopy | None
    ) -> RobotFileParser | None:
        return when_unreachable(source, url, reason, kept, datetime.now(UTC))

    # -- attempts -----------------------------------------------------------------------------

    async def _with_retries(self, call: _Call, source: str, retries: int) -> _Raw:
        attempt = 0
        waited = False  # for a Retry-After already: a second one is not waited for
        while True:
            try:
                return await self._attempt(call, source)
            except _Transient as failure:
                if failure.wait is not None and (waited or self._too_long(failure.wait)):
                    raise self._come_back_later(call, source, failure) from failure.__cause__
                if attempt >= retries:
                    error = FetchError(source, call.url, failure.reason, status=failure.status)
                    raise error from failure.__cause__
                attempt += 1
                waited = waited or failure.wait is not None
                await self._back_off(call, source, failure, attempt, retries)

    def _too_long(self, wait: float) -> bool:
        return wait > self.settings.retry_after_wait_max

    def _come_back_later(self, call: _Call, source: str, failure: _Transient) -> RateLimited:
        wait = min(failure.wait or 0.0, self.settings.retry_after_defer_max)
        until = datetime.now(UTC) + timedelta(seconds=wait)
        reason = f"{failure.reason}, the site asks to wait {duration(wait)}"
        return RateLimited(source, call.url, reason, until=until, status=failure.status)

    async def _back_off(
        self, call: _Call, source: str, failure: _Transient, attempt: int, retries: int
    ) -> None:
        delay = self._delay(attempt, failure.wait)
        log.info(
            "[%s] %s %s: %s, retry %d/%d in %.2f s",
            *(source, call.method, call.url, failure.reason, attempt, retries, delay),
        )
        self.stats.retries += 1
        await self._sleep(delay)  # outside the host slot: a backing-off request holds nothing

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """The Retry-After the server gave (short enough to wait), else capped full jitter."""
        if retry_after is not None:
            return retry_after
        cap = self.settings.backoff_max
        return self._random.uniform(0, min(cap, self.settings.backoff_base * 2 ** (attempt - 1)))

    async def _attempt(self, call: _Call, source: str) -> _Raw:
        try:
            raw = await self._send(call, source)
        except httpx.TimeoutException as exc:
            raise _Transient("timed out") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise _Transient("site unreachable") from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(source, call.url, f"request failed ({exc})") from exc
        if raw.status == 429 or raw.status >= 500:
            wait = retry_after_seconds(raw.headers.get("retry-after"))
            raise _Transient(status_reason(raw.status), raw.status, wait)
        return raw

    async def _send(self, call: _Call, source: str) -> _Raw:
        """One HTTP exchange, holding one of the host's slots; reads the body of a 2xx."""
        host = urlsplit(call.url).hostname or ""
        async with self._slot(host):
            started = time.monotonic()
            self.stats.requests += 1
            self.stats.by_host[host] += 1
            response, body = await self._exchange(call, source)
        elapsed = time.monotonic() - started
        log.debug(
            "[%s] %s %s -> %d (%.1f kB, %.2f s)",
            *(source, call.method, call.url, response.status_code, len(body) / 1000, elapsed),
        )
        return _Raw(call.url, response.status_code, response.headers, body)

    async def _exchange(self, call: _Call, source: str) -> tuple[httpx.Response, bytes]:
        """The request and its body within ``request_deadline``: not retried when it passes
        (a site that trickles does it again), the source's other requests go on."""
        wire = to_wire(call.url, self.settings.mirror)
        deadline = asyncio.timeout(self.settings.request_deadline)
        try:
            async with (
                deadline,
                self._client(urlsplit(call.url).hostname or "", wire).stream(
                    call.method, wire, json=call.json, data=call.form, headers=call.headers
                ) as response,
            ):
                try:
                    return response, await self._read(response, call.url, source)
                finally:
                    self.stats.bytes += response.num_bytes_downloaded
        except TimeoutError as exc:
            if not deadline.expired():
                raise
            seconds = f"{self.settings.request_deadline:g} s"
            reason = f"no complete answer within {seconds} (fetch.request_deadline_seconds)"
            raise FetchError(source, call.url, reason) from exc

    def _slot(self, host: str) -> asyncio.Semaphore:
        return self._slots.setdefault(host, asyncio.Semaphore(self.settings.per_host))

    async def _read(self, response: httpx.Response, url: str, source: str) -> bytes:
        """The body of a 2xx, streamed, refused as soon as it passes the size limit."""
        if not response.is_success:
            return b""  # nothing to parse; closing the stream drops the connection
        limit = self.settings.max_body_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(source, url, f"response larger than {limit} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():  # decompressed: a gzip bomb counts in full
            body += chunk
            if len(body) > limit:
                raise FetchError(source, url, f"response larger than {limit} bytes")
        return bytes(body)

    def _page(self, raw: _Raw, source: str) -> Page:
        etag, modified = raw.headers.get("etag"), raw.headers.get("last-modified")
        content_type = raw.headers.get("content-type", "")
        if raw.status == 304:
            self.stats.not_modified += 1
            return Page(raw.url, 304, "", content_type, etag, modified, True, 0)
        if not 200 <= raw.status < 300:
            raise FetchError(source, raw.url, status_reason(raw.status), status=raw.status)
        text = decode(raw.body, content_type)
        size = len(raw.body)
        return Page(raw.url, raw.status, text, content_type, etag, modified, False, size, raw.body)


__all__ = [
    "FetchSettings",
    "FetchStats",
    "Fetcher",
    "Page",
    "Request",
    "decode",
    "from_wire",
    "retry_after_seconds",
    "status_reason",
    "to_wire",
    "with_params",
]
