"""A real HTTP server on loopback for the offline demo, the tests and the benchmarks.

Routes live in memory (``add``) or on disk (``add_directory``); every 200 carries a strong ETag
and a Last-Modified and answers conditional requests with 304. Faults are scripted per path and
consumed one request at a time (``script``); ``latency``, ``slow_body`` and ``oversize`` shape
normal answers. Requests are logged (``requests``) with their time in flight (``peak_in_flight``).

A mirrored host lives under a path prefix: ``https://www.boamp.fr/api/x?a=1`` is served as
``/www.boamp.fr/api/x?a=1``, so a snapshot directory holds ``<root>/<host>/<path>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import mimetypes
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit

log = logging.getLogger(__name__)

FILLER_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, consumed by one request; build with the class methods."""

    kind: Literal["status", "reset", "delay"]
    code: int = 0
    seconds: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def status(cls, code: int, *, retry_after: float | str | None = None) -> Fault:
        """Answer ``code`` (with a Retry-After header when given) instead of the route."""
        if retry_after is None:
            return cls("status", code=code)
        value = retry_after if isinstance(retry_after, str) else f"{retry_after:g}"
        return cls("status", code=code, headers=(("Retry-After", value),))

    @classmethod
    def reset(cls) -> Fault:
        """Close the connection abruptly (TCP RST) without answering."""
        return cls("reset")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait ``seconds``, then answer normally."""
        return cls("delay", seconds=seconds)


@dataclass(frozen=True)
class Route:
    """How one path answers. ``oversize`` replaces the body with that many filler bytes."""

    body: bytes
    content_type: str
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    last_modified: str = ""
    latency: float = 0.0
    slow_body: float = 0.0  # pause in seconds before each chunk of ``chunk`` bytes
    chunk: int = 256
    oversize: int | None = None
    content_length: bool = True

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


class Logged(NamedTuple):
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Span:
    path: str
    start: float
    end: float | None = None


def route_key(path_with_query: str) -> str:
    """Normalise a request target: leading slash, query parameters sorted."""
    parts = urlsplit(path_with_query)
    path = parts.path if parts.path.startswith("/") else "/" + parts.path
    if not parts.query:
        return path
    return path + "?" + urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))


def _http_date(value: float | str | None) -> str:
    if isinstance(value, str):
        return value
    return formatdate(time.time() if value is None else value, usegmt=True)


def _guess_type(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    textual = guessed.startswith("text/") or guessed.endswith(("json", "xml", "javascript"))
    return f"{guessed}; charset=utf-8" if textual else guessed


@dataclass
class _State:
    """Everything the handler threads share, guarded by one lock."""

    routes: dict[str, Route] = field(default_factory=dict)
    mounts: dict[str, Path] = field(default_factory=dict)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    spans: list[_Span] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: notified on every request logged (``wait_for_requests``)
    arrived: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.arrived = threading.Condition(self.lock)


class DevServer:
    """``ThreadingHTTPServer`` on 127.0.0.1 in a background thread; a context manager."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, latency: float = 0.0) -> None:
        self.latency = latency  # seconds before every answer, on top of a route's own
        self._state = _State()
        self._stopping = threading.Event()
        self._httpd = _HTTPServer((host, port), _Handler, self)
        self._thread = threading.Thread(target=self._serve, name="devserver", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> DevServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, drop open connections, close the socket."""
        self._stopping.set()
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.drop_connections()
        self._httpd.server_close()  # joins the handler threads

    def __enter__(self) -> DevServer:
        return self.start()

    def __exit__(
        self, exc: type[BaseException] | None, val: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- content -------------------------------------------------------------------------------

    def add(
        self,
        path: str,
        body: bytes | str = b"",
        *,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        last_modified: float | str | None = None,
        **options: Any,
    ) -> Route:
        """Serve ``body`` at ``path`` (with an optional query); ``options`` are ``Route`` fields:
        latency, slow_body, chunk, oversize, content_length. ``last_modified``: a timestamp or
        an HTTP date, default now."""
        data = body.encode() if isinstance(body, str) else body
        extra = tuple((headers or {}).items())
        route = Route(data, content_type, status, extra, _http_date(last_modified), **options)
        with self._state.lock:
            self._state.routes[route_key(path)] = route
        return route

    def add_directory(self, root: Path, prefix: str = "") -> None:
        """Serve the files under ``root`` at ``prefix/<relative path>`` (index.html for dirs)."""
        with self._state.lock:
            self._state.mounts["/" + prefix.strip("/")] = Path(root).resolve()

    def script(self, path: str, faults: Iterable[Fault]) -> None:
        """Queue faults for ``path``: each request takes the next one, then the route answers."""
        with self._state.lock:
            self._state.faults.setdefault(route_key(path), []).extend(faults)

    # -- observation ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[Logged]:
        with self._state.lock:
            return list(self._state.log)

    def wait_for_requests(self, count: int = 1, timeout: float = 60.0) -> bool:
        """Block until ``count`` requests were logged (since ``clear_log``); False on timeout.
        Tests wait on this rather than sleeping."""
        with self._state.arrived:
            return self._state.arrived.wait_for(lambda: len(self._state.log) >= count, timeout)

    def clear_log(self) -> None:
        with self._state.lock:
            self._state.log.clear()
            self._state.spans.clear()

    def peak_in_flight(self, prefix: str = "") -> int:
        """Most requests under path ``prefix`` being answered at once since ``clear_log``."""
        with self._state.lock:
            spans = [s for s in self._state.spans if s.path.startswith(prefix)]
        events = sorted([(s.start, 1) for s in spans] + [(s.end, -1) for s in spans if s.end])
        peak = level = 0
        for _, step in events:  # at equal times an end (-1) sorts before a start (+1)
            level += step
            peak = max(peak, level)
        return peak

    # -- used by the handler threads -----------------------------------------------------------

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.05)

    def _record(self, entry: Logged) -> _Span:
        span = _Span(entry.path, time.monotonic())
        with self._state.arrived:
            self._state.log.append(entry)
            self._state.spans.append(span)
            self._state.arrived.notify_all()
        return span

    def _next_fault(self, target: str) -> Fault | None:
        with self._state.lock:
            for key in (route_key(target), urlsplit(target).path):
                queue = self._state.faults.get(key)
                if queue:
                    return queue.pop(0)
        return None

    def _lookup(self, target: str) -> Route | None:
        path = urlsplit(target).path
        with self._state.lock:
            route = self._state.routes.get(route_key(target)) or self._state.routes.get(path)
            mounts = sorted(self._state.mounts.items(), key=lambda item: -len(item[0]))
        for prefix, root in mounts:  # the longest prefix first
            route = route or _from_disk(root, prefix, path)
        return route

    def _pause(self, seconds: float) -> bool:
        """Sleep unless the server stops meanwhile; True when the answer should go on."""
        return seconds <= 0 or not self._stopping.wait(seconds)


def _from_disk(root: Path, prefix: str, path: str) -> Route | None:
    base = prefix.rstrip("/") + "/"
    if not path.startswith(base):
        return None
    file = (root / unquote(path[len(base) :])).resolve()
    if file.is_dir():
        file = file / "index.html"
    if not file.is_relative_to(root) or not file.is_file():
        return None
    return Route(
        file.read_bytes(), _guess_type(file), last_modified=_http_date(file.stat().st_mtime)
    )


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handlers, so nothing outlives stop()
    block_on_close = True
    # socketserver's default listen backlog is 5: with dozens of concurrent clients the kernel
    # drops SYNs and each retransmit costs a second (measured in bench/poll.py)
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[_Handler], owner: DevServer) -> None:
        self.owner = owner
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def drop_connections(self) -> None:
        """Wake handlers blocked on idle keep-alive connections."""
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer is expected (timeouts, size limits): stay quiet.
        log.debug("devserver: handler error for %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # small writes must not wait for delayed ACKs
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: no line on stderr per request."""

    def do_GET(self) -> None:
        owner = self.server.owner
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        span = owner._record(Logged(self.command, self.path, headers, body))
        try:
            self._answer(owner, span)
        finally:
            span.end = span.end or time.monotonic()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _answer(self, owner: DevServer, span: _Span) -> None:
        fault = owner._next_fault(self.path)
        delay = fault.seconds if fault and fault.kind == "delay" else 0.0
        if not (owner._pause(owner.latency) and owner._pause(delay)):
            return self._reset()
        if fault and fault.kind == "reset":
            return self._reset()
        if fault and fault.kind == "status":
            route = Route(f"HTTP {fault.code}\n".encode(), "text/plain", fault.code, fault.headers)
        else:
            route = owner._lookup(self.path) or Route(b"not found\n", "text/plain", 404)
        if not owner._pause(route.latency):
            return self._reset()
        self._send(route, span)

    def _send(self, route: Route, span: _Span) -> None:
        status, headers, body = self._shape(route)
        head = [f"HTTP/1.1 {status} {self.responses.get(status, ('',))[0]}"]
        head += [f"{name}: {value}" for name, value in headers]
        head_bytes = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
        chunks = body if self.command != "HEAD" else []
        self._emit(head_bytes, chunks, route.slow_body, lambda: _end(span))

    def _shape(self, route: Route) -> tuple[int, list[tuple[str, str]], Iterable[bytes]]:
        """Status, headers and body chunks of the answer, conditional requests included."""
        headers = [("Date", _http_date(None)), ("Content-Type", route.content_type)]
        headers += list(route.headers)
        if route.oversize is not None:
            return route.status, headers + self._length(route, route.oversize), _filler(route)
        if route.status == 200:
            headers += [("ETag", route.etag), ("Last-Modified", route.last_modified)]
            if self._not_modified(route):
                return 304, headers, []
        body, step = route.body, route.chunk if route.slow_body else len(route.body) or 1
        chunks = [body[i : i + step] for i in range(0, len(body), step)]
        return route.status, headers + self._length(route, len(body)), chunks

    def _length(self, route: Route, size: int) -> list[tuple[str, str]]:
        if route.content_length:
            return [("Content-Length", str(size))]
        self.close_connection = True  # the body ends when the connection does
        return [("Connection", "close")]

    def _not_modified(self, route: Route) -> bool:
        tags = self.headers.get("If-None-Match")
        if tags is not None:
            wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
            return "*" in wanted or route.etag in wanted
        since = self.headers.get("If-Modified-Since")
        if since is None:
            return False
        try:
            return parsedate_to_datetime(route.last_modified) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False

    def _emit(
        self, head: bytes, body: Iterable[bytes], pause: float, done: Callable[[], None]
    ) -> None:
        """Write the head, then the body (pausing before each chunk when trickling). The span
        ends just before the last write: a client never holds a whole answer still in flight."""
        owner = self.server.owner
        parts = _with_last(itertools.chain([head], body) if pause else _glued(head, body))
        for index, (last, part) in enumerate(parts):
            if index and pause and not owner._pause(pause):
                return self._reset()
            if last:
                done()
            self.wfile.write(part)
        return None

    def _reset(self) -> None:
        """Close with SO_LINGER 0, so the client sees a connection reset, not a clean EOF."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()  # the fd really closes once rfile closes, in finish()


def _glued(head: bytes, body: Iterable[bytes]) -> Iterator[bytes]:
    """Head and first body chunk in one write, the rest as it comes."""
    chunks = iter(body)
    yield head + next(chunks, b"")
    yield from chunks


def _end(span: _Span) -> None:
    span.end = time.monotonic()


def _filler(route: Route) -> Iterator[bytes]:
    size = route.oversize or 0
    for start in range(0, size, FILLER_CHUNK):
        yield b"x" * min(FILLER_CHUNK, size - start)


def _with_last(items: Iterable[bytes]) -> Iterator[tuple[bool, bytes]]:
    """Each item with a flag telling whether it is the last one."""
    it = iter(items)
    previous = next(it, None)
    while previous is not None:
        item = next(it, None)
        yield item is None, previous
        previous = item
