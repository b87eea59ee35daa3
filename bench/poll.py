"""Benchmark: one poll cycle over N sources x (1 listing + D detail pages) served on loopback
(one process and one address in 127.0.0.0/8 per site) with injected latency and a per-host
cap, against the politeness bound; then an unchanged re-poll (requests, detail pages).

The politeness bound for one host: robots.txt, then the listing, then ceil(D / cap) rounds of
detail pages, each round costing one latency. Hosts run in parallel, so the bound of the cycle
is that of one host. Prints figures; never fails.

    python bench/poll.py [--sources 12] [--details 20] [--latency 0.1] [--cap 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path

from bs4 import Tag

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scrapers.base import HtmlSource, Select
from watcher.devserver import DevServer, Logged
from watcher.fetch import Fetcher, FetchSettings, Request
from watcher.models import Notice
from watcher.pipeline import RunContext, run_once
from watcher.store import Store


def host_of(index: int) -> str:
    """Each site gets its own loopback address (127.0.0.0/8 is all loopback on Linux)."""
    return f"127.0.0.{index + 1}"


def make_source(index: int, port: int) -> HtmlSource:
    host = host_of(index)

    class Synthetic(HtmlSource):
        """A synthetic source for the benchmark."""

        name = f"bench{index:02d}"
        hosts = (host,)
        list_urls = (f"http://{host}:{port}/appels/",)
        rows = Select("div.card", min=1)

        def parse_row(self, row: Tag, base_url: str) -> Notice:
            link = row.select_one("a")
            assert link is not None
            url = f"http://{host}:{port}{link['href']}"
            return Notice(self.name, url, link.get_text(), url, buyer="OPCO")

        def detail_request(self, notice: Notice) -> Request:
            return Request(notice.url)

    return Synthetic()


def serve(server: DevServer, index: int, details: int) -> None:
    cards = "".join(
        f'<div class="card"><a href="/appels/{d}/">Formation {index}-{d}</a></div>'
        for d in range(details)
    )
    server.add("/appels/", f"<html><body>{cards}</body></html>")
    for d in range(details):
        body = f"<html><body><main><p>Appel {index}-{d}</p>{'x' * 4000}</main></body></html>"
        server.add(f"/appels/{d}/", body)


def site_process(conn: Connection, index: int, args: argparse.Namespace) -> None:
    """One site per process, so the sites' CPU does not share the client's GIL."""
    with DevServer(host_of(index), latency=args.latency) as server:
        serve(server, index, args.details)
        conn.send(int(server.base_url.rsplit(":", 1)[1]))
        while (command := conn.recv()) != "stop":
            if command == "log":
                conn.send(list(server.requests))
            elif command == "clear":
                server.clear_log()
        conn.send("stopped")


async def one_cycle(ports: list[int], store: Store, args: argparse.Namespace) -> float:
    settings = FetchSettings(per_host=args.cap, retries=0)
    sources = [make_source(i, port) for i, port in enumerate(ports)]
    started = time.perf_counter()
    async with Fetcher(settings) as fetcher:
        ctx = RunContext(store=store, fetcher=fetcher, today=date.today())
        reports = await run_once(sources, ctx)
    elapsed = time.perf_counter() - started
    assert all(r.ok for r in reports), [r.error for r in reports if not r.ok]
    return elapsed


def measure(args: argparse.Namespace) -> tuple[float, float, list[Logged]]:
    """One cold poll and one unchanged re-poll against fresh sites and a fresh database."""
    pipes, sites = [], []
    for index in range(args.sources):
        here, there = multiprocessing.Pipe()
        site = multiprocessing.Process(target=site_process, args=(there, index, args))
        site.start()
        pipes.append(here)
        sites.append(site)
    ports = [pipe.recv() for pipe in pipes]
    with tempfile.TemporaryDirectory() as folder, Store.open(Path(folder) / "b.db") as store:
        cold = asyncio.run(one_cycle(ports, store, args))
        for pipe in pipes:
            pipe.send("clear")
        again = asyncio.run(one_cycle(ports, store, args))
        log = [entry for pipe in pipes for entry in _ask(pipe, "log")]
    for pipe, site in zip(pipes, sites, strict=True):
        _ask(pipe, "stop")
        site.join()
    return cold, again, log


def _ask(pipe: Connection, command: str) -> list[Logged]:
    pipe.send(command)
    answer: list[Logged] = pipe.recv()
    return answer


def warm_up() -> None:
    """Pay the one-off costs of a fresh process (soupsieve compiles its CSS grammar on first use,
    about 0.3 s) before timing: a scheduler pays them once, not per poll."""
    source = make_source(0, 80)
    source.parse('<div class="card"><a href="/appels/0/">x</a></div>', "http://127.0.0.1/appels/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument("--details", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--cap", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    bound = args.latency * (2 + math.ceil(args.details / args.cap))
    warm_up()
    cold, repoll = [], []
    for _ in range(args.runs):
        first, again, log = measure(args)
        cold.append(first)
        repoll.append(again)
    total = args.sources * (args.details + 2)
    print(
        f"poll cycle: {args.sources} sources x (1 listing + {args.details} details), "
        f"latency {args.latency * 1000:.0f} ms, cap {args.cap}/host, {total} requests"
    )
    print(
        f"  politeness bound            {bound:.2f} s  (robots + listing + "
        f"{math.ceil(args.details / args.cap)} rounds of details)"
    )
    ratio = f"; ratio to bound {statistics.median(cold) / bound:.2f}x" if bound else ""
    runs = ", ".join(f"{c:.2f}" for c in cold)
    print(
        f"  cold poll, median of {args.runs}     {statistics.median(cold):.2f} s"
        f"  (runs: {runs}{ratio})"
    )
    details = [r for r in log if r.path.startswith("/appels/") and r.path != "/appels/"]
    print(
        f"  unchanged re-poll, median   {statistics.median(repoll):.2f} s; last one: "
        f"{len(log)} requests, {sum(r.headers.get('if-none-match') is not None for r in log)} "
        f"conditional, {len(details)} detail pages"
    )


if __name__ == "__main__":
    main()
