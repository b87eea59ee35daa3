"""Sources overlap: one source's parsing and store transaction run off the event loop, so
another source's requests go on meanwhile (real loopback server, real store on both
dialects). Each test holds source B's listing request in the HTTP transport until source A
is busy in a worker thread, and A waits (on an event) until B's listing has been parsed:
with A's work on the event loop, B could never be sent and A's wait would run out."""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from scrapers.akto import Akto
from scrapers.base import ParseResult
from tests.conftest import PAGE_DAY
from watcher.devserver import DevServer
from watcher.fetch import Fetcher, FetchSettings
from watcher.models import Notice
from watcher.offload import CANCELLED, PARSE_OFF_LOOP_CHARS
from watcher.pipeline import RunContext, run_once
from watcher.store import Store
from watcher.store.engine import WRITE_OPTION

#: how long a test waits for what the other source must do (reached at once when it works)
PATIENCE = 20.0


def listing(letter: str) -> str:
    card = (
        '<div class="posts-card"><h3 class="h3">Formation des tuteurs {n}</h3>'
        '<p class="metas">Limite de réponse : 30/04/2026</p>'
        '<a class="btn bg-primary" href="/appels/{n}/">Voir</a></div>'
    )
    cards = "".join(card.format(n=f"{letter}{i}") for i in range(2))
    return f'<html><body><main><div class="posts-list">{cards}</div></main></body></html>'


#: a detail page large enough to be parsed off the loop (smaller ones are parsed at once)
DETAIL = (
    "<html><body><main><article>"
    + "<p>Actions de formation des tuteurs en entreprise.</p>" * (PARSE_OFF_LOOP_CHARS // 40)
    + "</article></main>"
)


class Events:
    """What the two sources did, seen from the worker threads."""

    def __init__(self) -> None:
        self.a_busy = threading.Event()  # A is parsing, or in its store transaction
        self.b_parsed = threading.Event()  # B's listing is parsed
        self.a_saw_b: list[bool] = []  # A's waits: did B get parsed meanwhile?
        self.loop_thread: threading.Thread | None = None
        self.a_threads: list[threading.Thread] = []

    def a_waits_for_b(self) -> None:
        self.a_threads.append(threading.current_thread())
        if not self.a_busy.is_set():
            self.a_busy.set()
            self.a_saw_b.append(self.b_parsed.wait(PATIENCE))


def sources(events: Events, *, hold_in_parse: bool) -> list[Akto]:
    class SiteA(Akto):
        name, hosts = "site-a", ("a.test",)
        list_urls = ("https://a.test/appels/",)

        def parse_detail(self, text: str, notice: Notice) -> Notice:
            if hold_in_parse:
                events.a_waits_for_b()
            return super().parse_detail(text, notice)

    class SiteB(Akto):
        name, hosts = "site-b", ("b.test",)
        list_urls = ("https://b.test/appels/",)

        def parse(self, text: str, url: str) -> ParseResult:
            found = super().parse(text, url)
            events.b_parsed.set()
            return found

    return [SiteA(), SiteB()]


class HoldB(httpx.AsyncBaseTransport):
    """The real HTTP transport, but B's listing is sent only once A is busy."""

    def __init__(self, events: Events) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.events = events

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/b.test/appels"):
            await asyncio.to_thread(self.events.a_busy.wait, PATIENCE)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def serve(server: DevServer) -> None:
    for letter in "ab":
        server.add(f"/{letter}.test/appels/", listing(letter))
        for i in range(2):
            server.add(f"/{letter}.test/appels/{letter}{i}/", DETAIL)


def poll(store: Store, server: DevServer, events: Events, *, hold_in_parse: bool) -> list[Any]:
    async def main() -> list[Any]:
        events.loop_thread = threading.current_thread()
        settings = FetchSettings(mirror=server.base_url, respect_robots=False, retries=0)
        async with Fetcher(settings, transport=HoldB(events)) as fetcher:
            ctx = RunContext(store=store, fetcher=fetcher, today=PAGE_DAY)
            return await run_once(sources(events, hold_in_parse=hold_in_parse), ctx)

    return asyncio.run(main())


def test_a_sources_parsing_runs_off_the_loop_while_another_is_fetched(
    store: Store, server: DevServer
) -> None:
    serve(server)
    events = Events()
    reports = poll(store, server, events, hold_in_parse=True)
    assert [r.ok for r in reports] == [True, True]
    assert events.a_saw_b == [True], "B's listing was fetched and parsed while A parsed"
    assert events.loop_thread not in events.a_threads
    assert [r.new for r in reports] == [2, 2] and store.count_notices() == 4


def test_a_sources_store_transaction_runs_off_the_loop_while_another_is_fetched(
    store: Store, server: DevServer
) -> None:
    serve(server)
    events = Events()

    def on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):  # the first write: A's notices
            events.a_waits_for_b()

    sa.event.listen(store.engine, "begin", on_begin)
    try:
        reports = poll(store, server, events, hold_in_parse=False)
    finally:
        sa.event.remove(store.engine, "begin", on_begin)
    assert [r.ok for r in reports] == [True, True]
    assert events.a_saw_b == [True], "B's listing was fetched and parsed during A's transaction"
    assert events.loop_thread not in events.a_threads
    # both sources' notices, tenders and health are stored, each once
    assert [r.new for r in reports] == [2, 2] and store.count_notices() == 4
    assert {s.source: s.items_seen_last for s in store.source_states()} == {
        "site-a": 2,
        "site-b": 2,
    }


class Seen(logging.Handler):
    """Sets ``event`` when a record containing ``words`` is logged."""

    def __init__(self, words: str) -> None:
        super().__init__(logging.INFO)
        self.words, self.event = words, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.event.set()


def test_a_poll_cancelled_during_its_store_transaction_waits_for_its_end(
    store: Store, server: DevServer
) -> None:
    """A transaction is never left running behind a cancelled poll (its source deadline, a
    shutdown): the cancellation goes on once the source's writes are committed, whole."""
    serve(server)
    seen = Seen(CANCELLED)
    offload_log = logging.getLogger("watcher.offload")
    level = offload_log.level
    offload_log.addHandler(seen)
    offload_log.setLevel(logging.INFO)
    poll_task: list[asyncio.Task[Any]] = []
    at_cancellation: list[int] = []

    def on_begin(conn: sa.Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION) and not at_cancellation:
            loop = poll_task[0].get_loop()
            loop.call_soon_threadsafe(poll_task[0].cancel)  # while this transaction runs
            seen.event.wait(PATIENCE)

    async def main() -> None:
        poll_task.append(asyncio.current_task())  # type: ignore[arg-type]
        settings = FetchSettings(mirror=server.base_url, respect_robots=False, retries=0)
        async with Fetcher(settings) as fetcher:
            ctx = RunContext(store=store, fetcher=fetcher, today=PAGE_DAY)
            try:
                await run_once(sources(Events(), hold_in_parse=False)[:1], ctx)
            except asyncio.CancelledError:
                at_cancellation.append(store.count_notices())
                raise

    sa.event.listen(store.engine, "begin", on_begin)
    try:
        with pytest.raises(asyncio.CancelledError):
            asyncio.run(main())
    finally:
        sa.event.remove(store.engine, "begin", on_begin)
        offload_log.removeHandler(seen)
        offload_log.setLevel(level)
    assert seen.event.is_set(), "the cancelled poll said it waits for its transaction"
    assert at_cancellation == [2], "the source's notices were committed when it ended"
    (state,) = store.source_states()
    assert (state.source, state.items_seen_last) == ("site-a", 2)  # the whole poll's writes
