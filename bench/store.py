"""Benchmark of ``Store.upsert`` on synthetic notices (prints figures; never fails a build).

    .venv/bin/python bench/store.py [--n 100000] [--batch 1000]
    .venv/bin/python bench/store.py --database-url postgresql+psycopg://u@host/db [--runs 3]

Phases, each on the same fresh SQLite file in a temporary directory:
  insert    n new notices, upserted in batches (one upsert call, one transaction, per batch)
  same      the same n again: all "same"
  changed   the same n with 10% of them changed (deadline moved or a lot added)
Then memory: a separate run with tracemalloc, inserting n notices, reports the traced peak
at 10%, 50% and 100% of n; flat figures mean memory does not grow with the number of
notices. ru_maxrss (process peak RSS, never decreasing) is printed at the same points of
the timed insert.

With ``--database-url`` the timed phases run on SQLite and on that server, interleaved
(SQLite, server, SQLite, server...) ``--runs`` times, and the medians are printed side by
side. Each run on the server gets a scratch database, created and dropped by the bench (the
URL's user needs CREATEDB; the URL's own database is only used to connect).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path

import sqlalchemy as sa

from watcher.models import PARIS, Lot, Notice
from watcher.store import Store, UpsertResult

SOURCES = ("akto", "opco-ep", "atlas", "afdas", "boamp", "ted")
WORDS = (
    *("formation", "accompagnement", "compétences", "numérique", "management", "sécurité"),
    *("prévention", "apprentissage", "certification", "qualité", "salariés", "entreprises"),
    *("branche", "handicap", "bureautique", "langues", "commerce", "logistique", "santé"),
    *("travail", "transition", "écologique", "insertion", "parcours"),
)


def _text(rng: random.Random, size: int) -> str:
    words: list[str] = []
    length = 0
    while length < size:
        words.append(rng.choice(WORDS))
        length += len(words[-1]) + 1
    return " ".join(words)[:size]


def _lots(rng: random.Random, i: int) -> tuple[Lot, ...]:
    return tuple(
        Lot(title=_text(rng, 60), number=str(n + 1), cpv=(f"8053{i % 10000:04d}",))
        for n in range(rng.randint(0, 3))
    )


def make_notice(i: int, variant: int = 0) -> Notice:
    """Notice ``i``; ``variant`` 1 moves its deadline, 2 adds a lot."""
    rng = random.Random(i)
    deadline = datetime(2026, 1, 1, 12, tzinfo=PARIS) + timedelta(days=i % 365, hours=i % 7)
    lots = _lots(rng, i)
    if variant == 1:
        deadline += timedelta(days=7)
    elif variant == 2:
        lots += (Lot(title="Lot ajouté par avis rectificatif", number="9"),)
    return Notice(
        source=SOURCES[i % len(SOURCES)],
        ref=f"26-{i:07d}",
        title=_text(rng, 80),
        url=f"https://example.org/appels/{i}",
        buyer=f"OPCO {rng.choice(WORDS).title()}",
        published=date(2025, 12, 1) + timedelta(days=i % 30),
        deadline=deadline,
        summary=_text(rng, 400),
        lots=lots,
        cpv=tuple(f"80{rng.randint(100000, 599999)}" for _ in range(rng.randint(1, 2))),
        places=("Île-de-France",),
    )


def notices(n: int, changed_every: int = 0) -> Iterator[Notice]:
    for i in range(n):
        changed = changed_every and i % changed_every == 0
        yield make_notice(i, 1 + (i // changed_every) % 2 if changed else 0)


def rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux, bytes on macOS
    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


class Tally:
    """Time spent in upsert (wall clock and CPU), and what it found."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0
        self.new = self.changed = self.same = 0

    def add(self, result: UpsertResult, wall: float, cpu: float) -> None:
        self.wall, self.cpu = self.wall + wall, self.cpu + cpu
        self.new, self.changed = self.new + len(result.new), self.changed + len(result.changed)
        self.same += result.same


def run(
    store: Store, items: Iterator[Notice], batch: int, at: Callable[[int], None] | None = None
) -> Tally:
    """Upsert in batches. Building the synthetic notices is not timed. ``at(done)`` runs
    after each batch."""
    tally = Tally()
    done = 0
    while chunk := list(islice(items, batch)):
        wall, cpu = time.perf_counter(), time.process_time()
        result = store.upsert(chunk, seen_at=datetime.now(UTC))
        tally.add(result, time.perf_counter() - wall, time.process_time() - cpu)
        done += len(chunk)
        if at:
            at(done)
    return tally


class Marks:
    """Calls ``report(done)`` once as ``done`` crosses 10%, 50% and 100% of n."""

    def __init__(self, n: int, report: Callable[[int], None]) -> None:
        self.pending = sorted({max(1, n // 10), max(1, n // 2), n})
        self.report = report

    def __call__(self, done: int) -> None:
        while self.pending and done >= self.pending[0]:
            self.pending.pop(0)
            self.report(done)


PHASES = ("insert", "same", "changed 10%")


def timed(
    n: int, batch: int, where: str | Path, *, quiet: bool = False
) -> dict[str, tuple[float, float]]:
    """The three phases on a fresh database; phase -> (notices/s wall, notices/s CPU)."""

    def rss(done: int) -> None:
        print(f"  ru_maxrss at {done:>7,}: {rss_mb():7.1f} MB")

    rates: dict[str, tuple[float, float]] = {}
    with Store.open(where) as store:
        for phase, items, hook in zip(
            PHASES,
            (notices(n), notices(n), notices(n, changed_every=10)),
            (None if quiet else Marks(n, rss), None, None),
            strict=True,
        ):
            t = run(store, items, batch, hook)
            rates[phase] = (n / t.wall, n / t.cpu)
            if not quiet:
                print(
                    f"{phase:<12} {n / t.wall:>9,.0f} notices/s wall, {n / t.cpu:>9,.0f} /s CPU "
                    f"({t.wall:.2f} s; new {t.new:,}, changed {t.changed:,}, same {t.same:,})"
                )
    return rates


def compared(n: int, batch: int, url: str, runs: int, workdir: Path) -> None:
    """SQLite and the server, interleaved ``runs`` times; medians side by side."""
    results: dict[str, list[dict[str, tuple[float, float]]]] = {"sqlite": [], "server": []}
    for index in range(runs):
        results["sqlite"].append(timed(n, batch, workdir / f"run{index}.db", quiet=True))
        with scratch_database(url, index) as scratch:
            results["server"].append(timed(n, batch, scratch, quiet=True))
        print(f"  run {index + 1}/{runs} done")
    name = sa.make_url(url).get_backend_name()
    print(f"medians of {runs} interleaved runs, notices/s wall (CPU of this process)")
    print(f"{'phase':<12} {'SQLite':>22} {name:>22}")
    for phase in PHASES:
        cells = []
        for side in ("sqlite", "server"):
            wall = statistics.median(r[phase][0] for r in results[side])
            cpu = statistics.median(r[phase][1] for r in results[side])
            cells.append(f"{wall:>9,.0f} ({cpu:>9,.0f})")
        print(f"{phase:<12} {cells[0]:>22} {cells[1]:>22}")


@contextmanager
def scratch_database(url: str, index: int) -> Iterator[str]:
    """A new database on the server of ``url``, dropped afterwards."""
    base = sa.make_url(url)
    name = f"opco_watch_bench_{os.getpid()}_{index}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _peak(done: int) -> None:
    print(
        f"    tracemalloc peak at {done:>7,}: {tracemalloc.get_traced_memory()[1] / 2**20:6.1f} MB"
    )


def _counted(items: Iterator[Notice], marks: Marks) -> Iterator[Notice]:
    for done, item in enumerate(items, start=1):
        yield item
        marks(done)


def memory(n: int, batch: int, workdir: Path) -> None:
    """Traced peaks of a batched insert, then of one upsert call fed a generator of all n
    notices (all the same: the result keeps only a count, so the peak shows the chunking)."""
    tracemalloc.start()
    with Store.open(workdir / "memory.db") as store:
        print(f"  insert in batches of {batch:,}:")
        run(store, notices(n), batch, Marks(n, _peak))
        tracemalloc.reset_peak()
        print(f"  one upsert call over a generator of {n:,} notices:")
        store.upsert(_counted(notices(n), Marks(n, _peak)), seen_at=datetime.now(UTC))
    tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000, help="number of notices")
    parser.add_argument("--batch", type=int, default=1_000, help="notices per upsert call")
    parser.add_argument("--database-url", help="also run on this server (e.g. PostgreSQL)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs (--database-url)")
    args = parser.parse_args()
    print(f"Store.upsert, {args.n:,} notices, batches of {args.batch:,}, SQLite {_sqlite()}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.database_url:
            compared(args.n, args.batch, args.database_url, args.runs, Path(tmp))
            return
        timed(args.n, args.batch, Path(tmp) / "timed.db")
        print("memory (separate run under tracemalloc):")
        memory(args.n, args.batch, Path(tmp))


def _sqlite() -> str:
    import sqlite3

    return sqlite3.sqlite_version


if __name__ == "__main__":
    main()
