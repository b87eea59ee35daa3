"""The loopback HTTP server itself: routing, conditional answers, faults, log, clean stop."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from watcher.devserver import DevServer, Fault, route_key


@pytest.fixture
def server() -> Iterator[DevServer]:
    with DevServer() as srv:
        yield srv


@pytest.fixture
def client(server: DevServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url) as http:
        yield http


def address(server: DevServer) -> tuple[str, int]:
    host, port = server.base_url.removeprefix("http://").split(":")
    return host, int(port)


def raw_exchange(server: DevServer, request: bytes) -> socket.socket:
    """Send ``request`` on a fresh socket and return it, for replies httpx would not expose."""
    sock = socket.create_connection(address(server), timeout=60)
    sock.sendall(request)
    return sock


def test_route_key_sorts_the_query() -> None:
    assert route_key("api/x?b=2&a=1&a=0") == "/api/x?a=0&a=1&b=2"
    assert route_key("/api/x") == "/api/x"


def test_exact_query_first_then_path_alone_then_404(
    server: DevServer, client: httpx.Client
) -> None:
    server.add("/api/x?b=2&a=1", "exact")
    server.add("/api/x", "any query")
    assert client.get("/api/x?a=1&b=2").text == "exact"
    assert client.get("/api/x?a=9").text == "any query"
    assert client.get("/api/y").status_code == 404


def test_directory_is_served_with_content_types(
    server: DevServer, client: httpx.Client, tmp_path: Path
) -> None:
    (tmp_path / "www.boamp.fr" / "api").mkdir(parents=True)
    (tmp_path / "www.boamp.fr" / "api" / "records.json").write_text('{"total_count": 0}')
    (tmp_path / "www.akto.fr" / "appels").mkdir(parents=True)
    (tmp_path / "www.akto.fr" / "appels" / "index.html").write_text("<h1>Appels</h1>")
    server.add_directory(tmp_path)
    records = client.get("/www.boamp.fr/api/records.json?limit=10")
    assert records.json() == {"total_count": 0}
    assert records.headers["content-type"] == "application/json; charset=utf-8"
    index = client.get("/www.akto.fr/appels/")
    assert index.text == "<h1>Appels</h1>" and index.headers["content-type"].startswith("text/html")
    assert index.headers["etag"] and index.headers["last-modified"]


def test_directory_prefix_and_no_escape(
    server: DevServer, client: httpx.Client, tmp_path: Path
) -> None:
    (tmp_path / "pages").mkdir()
    (tmp_path / "pages" / "a.txt").write_text("inside")
    (tmp_path / "secret.txt").write_text("outside")
    server.add_directory(tmp_path / "pages", prefix="/snap/")
    assert client.get("/snap/a.txt").text == "inside"
    assert client.get("/a.txt").status_code == 404
    with raw_exchange(server, b"GET /snap/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n") as sock:
        assert sock.recv(100).startswith(b"HTTP/1.1 404")


def test_etag_and_last_modified_give_304(server: DevServer, client: httpx.Client) -> None:
    server.add("/p", "body", last_modified="Wed, 01 Jan 2025 10:00:00 GMT")
    first = client.get("/p")
    etag = first.headers["etag"]
    assert first.headers["last-modified"] == "Wed, 01 Jan 2025 10:00:00 GMT"
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": "*"},
        {"If-None-Match": f'"other", W/{etag}'},
        {"If-Modified-Since": "Wed, 01 Jan 2025 10:00:00 GMT"},
    ):
        answer = client.get("/p", headers=headers)
        assert (answer.status_code, answer.content) == (304, b"")
    assert client.get("/p", headers={"If-None-Match": '"other"'}).status_code == 200
    assert (
        client.get("/p", headers={"If-Modified-Since": "Tue, 31 Dec 2024 10:00:00 GMT"}).text
        == "body"
    )


def test_etag_follows_the_body(server: DevServer, client: httpx.Client) -> None:
    server.add("/p", "one")
    first = client.get("/p").headers["etag"]
    server.add("/p", "two")
    assert client.get("/p").headers["etag"] != first


def test_head_has_length_but_no_body(server: DevServer, client: httpx.Client) -> None:
    server.add("/p", "12345")
    answer = client.head("/p")
    assert (answer.headers["content-length"], answer.content) == ("5", b"")


def test_faults_are_consumed_in_order_then_the_route_answers(
    server: DevServer, client: httpx.Client
) -> None:
    server.add("/p", "fine")
    server.script("/p", [Fault.status(500), Fault.status(429, retry_after=2), Fault.delay(0.2)])
    assert client.get("/p").status_code == 500
    busy = client.get("/p")
    assert (busy.status_code, busy.headers["retry-after"]) == (429, "2")
    started = time.monotonic()
    assert client.get("/p?any=1").text == "fine"  # faults apply to the path whatever the query
    assert time.monotonic() - started >= 0.2
    assert client.get("/p").text == "fine"


def test_reset_is_a_tcp_reset(server: DevServer) -> None:
    server.add("/p", "fine")
    server.script("/p", [Fault.reset()])
    sock = raw_exchange(server, b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n")
    with sock, pytest.raises(ConnectionResetError):
        sock.recv(100)


def test_latency_global_and_per_route(server: DevServer, client: httpx.Client) -> None:
    server.add("/slow", "x", latency=0.15)
    server.add("/fast", "x")
    server.latency = 0.1
    started = time.monotonic()
    client.get("/fast")
    middle = time.monotonic()
    client.get("/slow")
    # lower bounds only: a loaded machine makes answers later, never earlier
    assert middle - started >= 0.1 and time.monotonic() - middle >= 0.25  # 0.1 + 0.15


@pytest.mark.parametrize("with_length", [True, False])
def test_oversize_streams_filler(
    server: DevServer, client: httpx.Client, with_length: bool
) -> None:
    server.add("/big", oversize=300_000, content_length=with_length)
    answer = client.get("/big")
    assert len(answer.content) == 300_000
    assert answer.headers.get("content-length") == ("300000" if with_length else None)


def test_slow_body_trickles(server: DevServer, client: httpx.Client) -> None:
    server.add("/slow-body", "a" * 1000, slow_body=0.05, chunk=250)
    started = time.monotonic()
    with client.stream("GET", "/slow-body") as answer:
        pieces = list(answer.iter_raw())
    assert b"".join(pieces) == b"a" * 1000
    assert time.monotonic() - started >= 0.2 and len(pieces) >= 2


def test_request_log_and_clear(server: DevServer, client: httpx.Client) -> None:
    server.add("/p", "x")
    client.post("/p?b=1", content=b"payload", headers={"X-Probe": "yes"})
    [logged] = server.requests
    assert (logged.method, logged.path, logged.body) == ("POST", "/p?b=1", b"payload")
    assert logged.headers["x-probe"] == "yes"
    server.clear_log()
    assert server.requests == [] and server.peak_in_flight() == 0


def test_stop_wakes_slow_handlers_and_releases_the_port() -> None:
    server = DevServer().start()
    server.add("/slow", "x", latency=30)
    sock = raw_exchange(server, b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
    assert server.wait_for_requests(1)  # the handler has the request: it sleeps, or is about to
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 15  # woken: far below the route's 30 s
    with sock, pytest.raises(ConnectionResetError):
        sock.recv(100)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address(server), timeout=1)
