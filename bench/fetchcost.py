"""Benchmark: the CPU of fetching a poll's pages alone (imports excluded), by opco-watch's
fetch layer, by plain httpx and by requests (urlwatch's client), on the same loopback pages.

    .venv/bin/python bench/fetchcost.py [--project CHECKOUT ...] [--rounds 5] [--cache DIR]

The pages: ``../shared/bench/pollserver.py`` with 12 sources x 20 calls (100 ms an answer),
the 12 listings and 240 detail pages, each source on its own logical host (through a mirror,
as ``bench/peers.py`` polls them), at most 4 requests at once per host. The clients:

  opco-watch   ``watcher.fetch.Fetcher`` of each ``--project``: robots.txt (once per host),
               declared hosts, the per-host cap, the body read within its size limit
  httpx        one ``httpx.AsyncClient`` per host, ``GET`` and the body, the same cap
               (the checkout's httpx, first ``--project``'s virtualenv)
  requests     one ``requests.Session`` per thread of a pool of 48 (4 per host), in
               urlwatch's virtualenv (bench/peers.py creates it under ``--cache``)

Each runs in its own child process; the figure is the CPU (user+sys, all threads) from the
first request to the last body, and the wall time, medians of ``--rounds`` interleaved rounds,
with the CPU per page. Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import defaultdict
from pathlib import Path

from harness import Project, interleaved, median, projects, say
from peers import POLLSERVER, PollServer, cache_dir

SOURCES, CALLS, CAP = 12, 20, 4

#: the pages, in every child: listing then details, per logical host
PAGES = f"""
import sys, time, json
base = sys.argv[1]
hosts = [f"s{{i}}.bench.test" for i in range({SOURCES})]
pages = {{h: [f"/s{{i}}"] + [f"/s{{i}}/d{{j}}" for j in range({CALLS})]
         for i, h in enumerate(hosts)}}
def report(cpu, wall, fetched, size):
    print(json.dumps({{"cpu": cpu, "wall": wall, "pages": fetched, "bytes": size}}))
def cpu():
    return time.process_time()
"""

OPCO_WATCH = (
    PAGES
    + f"""
import asyncio
from watcher.fetch import Fetcher, FetchSettings, Request

async def main():
    settings = FetchSettings(per_host={CAP}, mirror=base)
    async with Fetcher(settings) as fetcher:
        async def get(host, path):
            page = await fetcher.fetch(Request(f"http://{{host}}{{path}}"), source=host,
                                       allowed_hosts=[host])
            return len(page.content)
        jobs = [get(h, p) for h, paths in pages.items() for p in paths]
        return await asyncio.gather(*jobs)

started, wall = cpu(), time.perf_counter()
sizes = asyncio.run(main())
report(cpu() - started, time.perf_counter() - wall, len(sizes), sum(sizes))
"""
)

HTTPX = (
    PAGES
    + f"""
import asyncio
import httpx

async def main(clients):
    caps = {{h: asyncio.Semaphore({CAP}) for h in pages}}
    async def get(host, path):
        async with caps[host]:
            answer = await clients[host].get(f"{{base}}/{{host}}{{path}}")
            return len(answer.content)
    try:
        jobs = [get(h, p) for h, paths in pages.items() for p in paths]
        return await asyncio.gather(*jobs)
    finally:
        for client in clients.values():
            await client.aclose()

tls = httpx.create_ssl_context()  # one, made before the clock starts (the Fetcher shares one)
clients = {{h: httpx.AsyncClient(verify=tls) for h in pages}}
started, wall = cpu(), time.perf_counter()
sizes = asyncio.run(main(clients))
report(cpu() - started, time.perf_counter() - wall, len(sizes), sum(sizes))
"""
)

REQUESTS = (
    PAGES
    + f"""
import threading
from concurrent.futures import ThreadPoolExecutor
import requests

local = threading.local()
def get(url):
    session = getattr(local, "session", None) or requests.Session()
    local.session = session
    return len(session.get(url).content)

urls = [f"{{base}}/{{h}}{{p}}" for h, paths in pages.items() for p in paths]
started, wall = cpu(), time.perf_counter()
with ThreadPoolExecutor({SOURCES * CAP}) as pool:
    sizes = list(pool.map(get, urls))
report(cpu() - started, time.perf_counter() - wall, len(sizes), sum(sizes))
"""
)


def clients(checkouts: list[Project], cache: Path) -> list[tuple[str, list[str], dict[str, str]]]:
    """(label, argv before the base URL, environment) of each client measured."""
    found = [
        (f"opco-watch {p.label}", [str(p.python), "-c", OPCO_WATCH], p.env()) for p in checkouts
    ]
    found.append(("httpx", [str(checkouts[0].python), "-c", HTTPX], checkouts[0].env()))
    urlwatch_python = cache / "urlwatch-venv" / "bin" / "python"
    if urlwatch_python.is_file():
        found.append(("requests (urlwatch's venv)", [str(urlwatch_python), "-c", REQUESTS], {}))
    else:
        say(f"no {urlwatch_python}: run bench/peers.py once to create it; requests left out")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cache", help="where urlwatch's virtualenv is (bench/peers.py)")
    args = parser.parse_args()
    measured = clients(projects(args.project), cache_dir(args.cache))
    server = PollServer(POLLSERVER)
    found: dict[str, list[dict[str, float]]] = defaultdict(list)
    try:
        for number, (label, argv, env) in interleaved(args.rounds, measured):
            say(f"fetch cost, round {number + 1}: {label}")
            done = subprocess.run([*argv, server.base], capture_output=True, text=True, env=env)
            if done.returncode != 0:
                raise SystemExit(f"{label} failed:\n{done.stderr}")
            found[label].append(json.loads(done.stdout.splitlines()[-1]))
    finally:
        server.stop()
    print(f"{'client':40} {'pages':>6} {'CPU':>8} {'per page':>10} {'wall':>8}")
    for label, _, _ in measured:
        runs = found[label]
        cpu, wall = median(r["cpu"] for r in runs), median(r["wall"] for r in runs)
        pages = int(runs[0]["pages"])
        print(f"{label:40} {pages:6d} {cpu:7.3f}s {1000 * cpu / pages:8.2f}ms {wall:7.2f}s")
    print(f"medians of {args.rounds} interleaved round(s); CPU user+sys of the child's threads")


if __name__ == "__main__":
    main()
