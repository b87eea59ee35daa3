"""The part of bench/poll.py that runs inside the measured checkout's interpreter (started by
poll.py with that checkout's ``.venv`` and ``PYTHONPATH``; not meant to be run by hand).

    seed    store H open calls of the buyer AKTO, as earlier polls would have left them
    inproc  warm up, then one cold poll and one unchanged re-poll through
            ``watcher.pipeline.poll`` (what ``opco-watch poll`` runs), timed; talks to
            poll.py one JSON line at a time so that it can read the sites' logs in between
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import frtext
from harness import self_cpu
from opco_bench import registered_from_env

BATCH = 1_000
HISTORY_YEARS = 3


def history_dates(n: int, total: int, today: date) -> tuple[date, date]:
    """(published, deadline) of history call ``n``: deadlines from three years ago to four
    months ahead, oldest first, never in the new calls' window (two weeks to three months)."""
    span = HISTORY_YEARS * 365 + 120
    deadline = today - timedelta(days=HISTORY_YEARS * 365) + timedelta(days=n * span // total)
    if today + timedelta(days=14) <= deadline <= today + timedelta(days=90):
        deadline -= timedelta(days=77)
    return deadline - timedelta(days=30), deadline


def history_notice(n: int, total: int, today: date, sources: int) -> Any:
    from watcher.models import PARIS, Notice

    published, deadline = history_dates(n, total, today)
    item = frtext.call(10_000_000 + n, published=published, deadline=deadline, body_chars=1_500)
    url = f"http://archives.bench.test/appels/{n}/"
    return Notice(
        source=f"bench{n % sources:02d}",
        ref=url,
        title=item.title,
        url=url,
        buyer="AKTO",
        published=published,
        deadline=datetime(deadline.year, deadline.month, deadline.day, 12, tzinfo=PARIS),
        deadline_text=f"Limite de réponse : {frtext.french_date(deadline)}",
        summary=item.summary,
        body=item.body_text,
    )


def seed(args: argparse.Namespace) -> dict[str, Any]:
    """H notices, each its own open tender, made by the checkout's own code (``create_each``
    or ``_create``: the row, its identity keys and whatever else it keeps for lookups)."""
    from watcher import tenders
    from watcher.store import Store

    today = date.fromisoformat(args.today)
    create = getattr(tenders, "_create", None)
    create_each = getattr(tenders, "create_each", None)  # since the set-based grouping
    started = time.perf_counter()
    with Store.open(args.db) as store:
        for start in range(0, args.history, BATCH):
            stop = min(args.history, start + BATCH)
            batch = [
                history_notice(n, args.history, today, args.sources) for n in range(start, stop)
            ]
            age = timedelta(days=HISTORY_YEARS * 365 * (1 - start / args.history))
            at = datetime.now(UTC) - age

            def group(conn: Any, result: Any, at: datetime = at) -> None:
                if create_each is not None:
                    create_each(conn, result.new, at=at)
                elif create is not None:
                    for notice in result.new:
                        create(conn, notice, at)
                else:  # slower (it compares each with the open tenders) but the same result
                    tenders.assign(conn, result.new, at=at)

            store.upsert(batch, seen_at=at, in_transaction=group)
    via = (
        "tenders.create_each" if create_each else "tenders._create" if create else "tenders.assign"
    )
    return {"seeded": args.history, "seconds": time.perf_counter() - started, "via": via}


def _summary(reports: list[Any]) -> dict[str, Any]:
    return {
        "ok": all(r.ok for r in reports),
        "errors": [f"{r.source}: {r.error}" for r in reports if not r.ok],
        "new": sum(r.new for r in reports),
        "events": sum(len(r.events) for r in reports),
    }


def _timed_poll(config: Any, names: list[str], profile: str | None) -> dict[str, Any]:
    """The poll, timed; with ``profile``, its CPU profile (both threads) written there."""
    from watcher.pipeline import poll

    profilers = _Profilers() if profile else None
    statements = _SqlCount()
    wall, cpu = time.perf_counter(), self_cpu()
    if profilers is not None:
        profilers.enable()
    with statements:
        reports = poll(config, names=names)
    if profilers is not None:
        profilers.disable()
    figures = {"wall": time.perf_counter() - wall, "cpu": self_cpu() - cpu}
    if profilers is not None and profile:
        profilers.dump(profile)
    return {**figures, "statements": statements.count, **_summary(reports)}


class _Profilers:
    """The poll's thread and the store writer thread's (cProfile sees one thread): the
    sources' grouping, judging and alert queueing run in the writer
    (``watcher.offload.store_work``), which the warm-up poll has started already."""

    def __init__(self) -> None:
        from watcher import offload

        self.writer = offload._writer_thread()  # the one the poll will use
        self.main, self.store = cProfile.Profile(), cProfile.Profile()

    def enable(self) -> None:
        self.writer.submit(self.store.enable).result()
        self.main.enable()

    def disable(self) -> None:
        self.main.disable()
        self.writer.submit(self.store.disable).result()

    def dump(self, path: str) -> None:
        merged = pstats.Stats(self.main)
        merged.add(pstats.Stats(self.store))
        merged.dump_stats(path)


class _SqlCount:
    """The SQL statements every engine sends meanwhile (an executemany counts once), from
    the loop's thread and the store writer's alike."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def _seen(self, *_: Any) -> None:
        with self._lock:
            self.count += 1

    def __enter__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._seen)

    def __exit__(self, *_: object) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.remove(Engine, "before_cursor_execute", self._seen)


def _tell(step: str, figures: dict[str, Any]) -> None:
    """One JSON line to poll.py, then wait for its go-ahead (it reads the sites' logs)."""
    print(json.dumps({"step": step, **figures}), flush=True)
    sys.stdin.readline()


def inproc(args: argparse.Namespace) -> None:
    names = registered_from_env()
    from watcher.config import load_config
    from watcher.pipeline import poll

    if args.warm:  # a scheduler's process has imported and compiled everything already
        poll(load_config(args.warm), names=names)
    _tell("warm", {})
    config = load_config(args.config)
    profile = str(args.profile) if args.profile else None
    _tell("cold", _timed_poll(config, names, profile))
    # the unchanged re-poll's profile beside the cold poll's
    repoll = _timed_poll(config, names, f"{profile}.repoll" if profile else None)
    _tell("repoll", repoll)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    sow = steps.add_parser("seed")
    sow.add_argument("--db", type=Path, required=True)
    sow.add_argument("--history", type=int, required=True)
    sow.add_argument("--today", required=True)
    sow.add_argument("--sources", type=int, default=12)
    run = steps.add_parser("inproc")
    run.add_argument("--config", type=Path, required=True)
    run.add_argument("--warm", type=Path, help="config of a throwaway store for the warm-up poll")
    run.add_argument("--profile", type=Path, help="write the cold poll's CPU profile here")
    args = parser.parse_args()
    if args.step == "seed":
        print(json.dumps(seed(args)))
    else:
        inproc(args)


if __name__ == "__main__":
    main()
