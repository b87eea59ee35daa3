"""Benchmark of the staff console (prints figures; never fails a build).

    .venv/bin/python bench/web.py [--calls 10000] [--runs 3] [--requests 200] [--users 50]

A store of ``--calls`` calls made of 5 notices each (an OPCO page, BOAMP and TED copies
sharing the procedure id, a corrigendum, and for one call in five an award) is built once in
a temporary folder, grouped into tenders and judged. The console then runs as its own process
(`opco-watch serve`, logged in as a member, as in real use) and is measured from request to
last byte on loopback:

  pipeline   GET /appels (default filters), sequentially
  call       GET /appels/N for random calls, sequentially
  filtered   GET /appels?pertinents=1&region=Bretagne&echeance=30
  users      --users concurrent users, each browsing pipeline -> call -> call -> filtered
             three times, reading each page --think seconds on average; then the same
             users with no pause at all (the saturation point of one process)

Each figure is the median over ``--runs`` interleaved runs of each run's median / p95.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from watcher import accounts, grouping, tenders
from watcher.classify.geo import REGIONS
from watcher.models import PARIS, Lot, Match, Notice, NoticeKind, Tender
from watcher.store import Store, schema

BUYERS = ("AKTO", "OPCO ATLAS", "Constructys", "OPCO EP", "Uniformation", "Afdas", "OCAPIAT")
WORDS = "formation management sécurité anglais bureautique compétences numérique qualité".split()
PASSWORD = "bench password 123"
MEMBER = "bench@of.fr"


def _notices(i: int, now: datetime) -> list[Notice]:
    rng = random.Random(i)
    title = f"Formation {' '.join(rng.sample(WORDS, 3))} n°{i}"
    deadline = (
        (now + timedelta(days=rng.randint(-30, 90))).astimezone(PARIS).replace(hour=12, minute=0)
    )
    region = rng.choice(REGIONS)
    base = {
        "buyer": rng.choice(BUYERS),
        "deadline": deadline,
        "places": (region,),
        "folder_id": f"folder-{i}",
        "summary": " ".join(rng.choices(WORDS, k=40)),
        "lots": tuple(Lot(f"Lot {n} {region}", str(n)) for n in range(1, rng.randint(1, 4))),
        "published": (now - timedelta(days=rng.randint(1, 60))).date(),
    }
    found = [
        Notice("akto", f"c{i}", title, url=f"https://www.akto.fr/ao/{i}", **base),
        Notice("boamp", f"b{i}", title, url=f"https://www.boamp.fr/avis/{i}", **base),
        Notice("ted", f"t{i}", title, url=f"https://ted.europa.eu/n/{i}", **base),
        Notice(
            "boamp",
            f"r{i}",
            f"Rectificatif {title}",
            url=f"https://www.boamp.fr/avis/r{i}",
            kind=NoticeKind.CORRIGENDUM,
            **{**base, "deadline": deadline + timedelta(days=7)},
        ),
    ]
    last = NoticeKind.AWARD if i % 5 == 0 else NoticeKind.CORRIGENDUM
    found.append(
        Notice(
            "ted",
            f"a{i}",
            f"Avis {title}",
            url=f"https://ted.europa.eu/n/a{i}",
            kind=last,
            winner="Formacoop" if last == NoticeKind.AWARD else "",
            **base,
        )
    )
    return found


def build(folder: Path, calls: int) -> Path:
    """The store: notices upserted as a poll does, then their tenders and verdicts written in
    bulk (what ``tenders.assign`` would write: its fuzzy scans would take most of the time)."""
    config = folder / "opco-watch.toml"
    config.write_text(
        '[organisation]\nname = "Bench OF"\ncontact_email = "veille@of.fr"\n'
        '[profile]\nregions = ["Bretagne", "Normandie", "Île-de-France"]\n'
        '[[profile.domains]]\nname = "Management"\nphrases = ["management"]\n',
        encoding="utf-8",
    )
    now = datetime.now(UTC)
    started = time.perf_counter()
    with Store.open(folder / "data" / "opco-watch.db") as store:
        for start in range(0, calls, 1000):
            numbers = range(start, min(calls, start + 1000))
            batch = {i: _notices(i, now) for i in numbers}
            store.upsert([n for ns in batch.values() for n in ns], seen_at=now)
            with store.transaction(write=True) as conn:
                for i, members in batch.items():
                    _group(conn, i, members, now)
        user = accounts.add_user(store, MEMBER, "member")
        accounts.set_password(store, user.id, PASSWORD)
        count = store.count_notices()
    print(f"store: {calls} calls, {count} notices, built in {time.perf_counter() - started:.0f} s")
    return config


def _group(conn: Any, i: int, members: list[Notice], now: datetime) -> None:
    tender = Tender(0, tuple(members))
    closed = any(n.kind == NoticeKind.AWARD for n in members)
    values = {
        "title": tender.title,
        "buyer": tender.buyer,
        "deadline": tender.deadline,
        "status": "new",
        "closed": closed,
        "winner": "Formacoop" if closed else "",
        "created_at": now - timedelta(days=i % 60),
        "updated_at": now,
        "buyer_norm": grouping.normalise_buyer(tender.buyer),
        "title_norm": grouping.normalise_title(tender.title),
    }
    tender_id = conn.execute(sa.insert(schema.tenders).values(**values)).inserted_primary_key[0]
    keys = [n.key for n in members]
    where = schema.notices.c.key.in_(keys)
    conn.execute(sa.update(schema.notices).where(where).values(tender_id=tender_id))
    score = random.Random(i).randint(0, 100)
    verdict = Match(score >= 50, score, ("Management",), ("« management » dans le titre",), ())
    tenders.save_match(conn, tender_id, verdict, at=now)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def console(config: Path) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "watcher",
        "--config",
        str(config),
        "serve",
        "--port",
        str(port),
    ]
    env = {**os.environ, "NO_COLOR": "1"}
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if "Console:" in line:
                break
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)


def login(client: httpx.Client) -> None:
    form = client.get("/connexion").text
    token = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    client.post("/connexion", data={"csrf": token, "email": MEMBER, "password": PASSWORD})


def timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    with client.stream("GET", path) as answer:
        for _ in answer.iter_bytes():
            pass
        assert answer.status_code == 200, (path, answer.status_code)
    return (time.perf_counter() - started) * 1000


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def sequential(base: str, requests: int, calls: int) -> dict[str, tuple[float, float]]:
    rng = random.Random(7)
    results: dict[str, list[float]] = {"pipeline": [], "call": [], "filtered": []}
    with httpx.Client(base_url=base, timeout=60) as client:
        login(client)
        for _ in range(20):  # warm-up: the console's first read of every call
            timed(client, "/appels")
        for _ in range(requests):
            results["pipeline"].append(timed(client, "/appels"))
            results["call"].append(timed(client, f"/appels/{rng.randint(1, calls)}"))
            results["filtered"].append(
                timed(client, "/appels?pertinents=1&region=Bretagne&echeance=30")
            )
    return {k: (statistics.median(v), p95(v)) for k, v in results.items()}


PAGES = ("/appels", "/appels/{a}", "/appels/{b}", "/appels?pertinents=1&echeance=30")


async def _user(
    base: str, cookies: httpx.Cookies, rounds: int, calls: int, seed: int, think: float
) -> list[float]:
    """One person browsing: pipeline, two calls, a filtered pipeline, ``rounds`` times,
    reading each page for a random 0.5 to 1.5 x ``think`` seconds (0: no pause at all)."""
    rng = random.Random(seed)
    found = []
    async with httpx.AsyncClient(base_url=base, cookies=cookies, timeout=120) as client:
        await asyncio.sleep(rng.uniform(0, think))  # people do not all arrive at once
        for _ in range(rounds):
            for page in PAGES:
                path = page.format(a=rng.randint(1, calls), b=rng.randint(1, calls))
                started = time.perf_counter()
                answer = await client.get(path)
                assert answer.status_code == 200
                found.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
    return found


def concurrent(base: str, users: int, calls: int, think: float) -> tuple[float, float, float]:
    with httpx.Client(base_url=base, timeout=60) as client:
        login(client)
        cookies = client.cookies

    async def everyone() -> list[float]:
        browsing = (_user(base, cookies, 3, calls, n, think) for n in range(users))
        done = await asyncio.gather(*browsing)
        return [t for times in done for t in times]

    started = time.perf_counter()
    times = asyncio.run(everyone())
    elapsed = time.perf_counter() - started
    return statistics.median(times), p95(times), len(times) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument(
        "--think", type=float, default=2.0, help="Seconds a user reads a page (mean)."
    )
    parser.add_argument("--keep", type=Path, help="Build the store here (reused when present).")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="opco-watch-bench-web-"))
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "opco-watch.toml"
    if not config.exists():
        config = build(folder, args.calls)
    runs: dict[str, list[tuple[float, float]]] = {}
    crowd: list[tuple[float, float, float]] = []
    rush: list[tuple[float, float, float]] = []
    with console(config) as base:
        for run in range(args.runs):
            for name, figures in sequential(base, args.requests, args.calls).items():
                runs.setdefault(name, []).append(figures)
            crowd.append(concurrent(base, args.users, args.calls, args.think))
            rush.append(concurrent(base, args.users, args.calls, 0.0))
            print(
                f"run {run + 1}: "
                + ", ".join(f"{k} {v[-1][0]:.1f}/{v[-1][1]:.1f} ms" for k, v in runs.items())
                + f"; {args.users} users {crowd[-1][0]:.0f}/{crowd[-1][1]:.0f} ms"
            )
    print(f"\nmedians of {args.runs} runs (median / p95, request to last byte, loopback):")
    for name, figures in runs.items():
        median = statistics.median(f[0] for f in figures)
        high = statistics.median(f[1] for f in figures)
        print(f"  {name:9} {median:6.1f} ms / {high:6.1f} ms  ({args.requests} requests a run)")
    for label, figures in ((f"reading {args.think:g} s", crowd), ("no pause", rush)):
        median, high = (statistics.median(c[i] for c in figures) for i in (0, 1))
        rate = statistics.median(c[2] for c in figures)
        print(
            f"  {args.users} users, {label}: {median:6.1f} ms / {high:6.1f} ms, "
            f"{rate:.0f} requests/s"
        )


if __name__ == "__main__":
    main()
