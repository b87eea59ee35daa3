"""Benchmark: the reading queries of ``opco-watch list`` on a store of 100,000 notices (SQLite).

    .venv/bin/python bench/queries.py [--project CHECKOUT ...] [--n 100000] [--rounds 3]

The store is filled by each checkout's own ``Store.upsert`` (and its tenders by its own
grouping code), with notices of 16 sources over three years (BOAMP about half of them, AKTO
4 %), ordinary French titles and summaries, and a rare word ("ostréiculture") in 3 titles.
For each query ``Store.list_notices`` issues, the SQL it sends is captured and replayed through
``sqlite3`` on a fresh connection (warm OS cache, cold SQLite cache, as a new ``opco-watch``
process sees it): "SQL alone" is that replay's execute + fetch, median of 15; its
``EXPLAIN QUERY PLAN`` is printed. Then whole ``opco-watch list`` processes: wall and CPU
(``list -n 1`` is the start-up the others pay too), and for ``list --json`` of every call
its peak memory (GNU time).
Medians of ``--rounds`` interleaved rounds. Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import frtext
from harness import Project, interleaved, load_note, median, projects, ratio, run_metered, say

BENCH = Path(__file__).resolve().parent
RARE = "ostréiculture"
WEIGHTS = {
    "boamp": 46,
    "ted": 15,
    "marches-publics.info": 3,
    **dict.fromkeys(("akto", "afdas", "atlas", "opco-ep"), 4),
    **dict.fromkeys(("constructys", "opco2i", "ocapiat", "opco-mobilites"), 3),
    **dict.fromkeys(("opco-sante", "uniformation", "opcommerce", "demo-rss"), 2),
}
BUYERS = ("Région Bretagne", "France Travail", "Commune de Rennes", "CCI Normandie", "AKTO")
#: (label, keyword arguments of Store.list_notices)
QUERIES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("list (no filter, 50)", {"limit": 50}),
    ("list --source boamp (46 %)", {"source": "boamp", "limit": 50}),
    ("list --source akto (4 %)", {"source": "akto", "limit": 50}),
    (f"list --text {RARE} (3 rows)", {"text": RARE, "limit": 50}),
    (f"list --text {RARE}s (plural, 3 rows)", {"text": f"{RARE}s", "limit": 50}),
    ("list --text formation (common)", {"text": "formation", "limit": 50}),
    ("list -n 1000", {"limit": 1000}),
)
#: (label, list arguments): whole processes
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("opco-watch list -n 1 (start-up)", ("list", "-n", "1")),
    ("opco-watch list -n 1000", ("list", "-n", "1000")),
    ("opco-watch list -n 1000 --json", ("list", "-n", "1000", "--json")),
    ("opco-watch list --source boamp", ("list", "--source", "boamp")),
    (f"opco-watch list --text {RARE}", ("list", "--text", RARE)),
)
#: (label, list arguments): whole processes whose peak memory is reported too
STREAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("opco-watch list -n 100000 --json", ("list", "-n", "100000", "--json")),
)


# ----------------------------------------------------------- worker (measured interpreter)


def notice(i: int, n: int, today: date) -> Any:
    from watcher.models import PARIS, Notice

    rng = random.Random(i)
    source = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
    published = today - timedelta(days=3 * 365 * (n - i) // n)
    deadline = published + timedelta(days=rng.randint(15, 60))
    item = frtext.call(i, published=published, deadline=deadline, body_chars=1_000)
    title = item.title if i % max(1, n // 3) != 7 else f"{item.title} et {RARE}"
    url = f"https://{source}.example.fr/appels/{i}"
    return Notice(
        source=source,
        ref=url,
        title=title,
        url=url,
        buyer=source.upper() if source not in ("boamp", "ted") else rng.choice(BUYERS),
        published=published,
        deadline=datetime(deadline.year, deadline.month, deadline.day, 12, tzinfo=PARIS),
        summary=item.summary,
        body=item.body_text,
    )


def build(db: Path, n: int) -> dict[str, Any]:
    from watcher import tenders
    from watcher.store import Store

    create = getattr(tenders, "_create", None)
    create_each = getattr(tenders, "create_each", None)  # since the set-based grouping
    today, started = date.today(), time.perf_counter()
    with Store.open(db) as store:
        for start in range(0, n, 1_000):
            batch = [notice(i, n, today) for i in range(start, min(n, start + 1_000))]
            at = datetime.now(UTC) - timedelta(days=3 * 365 * (n - start) / n)

            def group(conn: Any, result: Any, at: datetime = at) -> None:
                if create_each is not None:
                    create_each(conn, result.new, at=at)
                    return
                if create is None:
                    return  # no tenders: the lists read notices only
                for item in result.new:
                    create(conn, item, at)

            store.upsert(batch, seen_at=at, in_transaction=group)
    made = create_each is not None or create is not None
    return {"seconds": time.perf_counter() - started, "tenders": made}


def measure(db: Path) -> dict[str, Any]:
    from sqlalchemy import event

    from watcher.store import Store

    figures: dict[str, Any] = {}
    with Store.open(db) as store:
        for label, kwargs in QUERIES:
            sent: list[tuple[str, Any]] = []

            def grab(*args: Any, sent: list[tuple[str, Any]] = sent) -> None:
                sent.append((args[2], args[3]))

            event.listen(store.engine, "before_cursor_execute", grab)
            rows = len(store.list_notices(**kwargs))
            event.remove(store.engine, "before_cursor_execute", grab)
            took = []
            for _ in range(5):
                started = time.perf_counter()
                store.list_notices(**kwargs)
                took.append(time.perf_counter() - started)
            selects = [
                (sql, params) for sql, params in sent if sql.lstrip().upper().startswith("SELECT")
            ]
            sql_ms, plan = replay(db, selects)
            figures[label] = {
                "rows": rows,
                "store_ms": 1000 * statistics.median(took),
                "sql_ms": sql_ms,
                "plan": plan,
                "sql": [sql for sql, _ in selects],
            }
    return figures


def replay(db: Path, statements: list[tuple[str, Any]], times: int = 15) -> tuple[float, list[str]]:
    """Median ms of executing and fetching the statements on a fresh connection, and their
    query plans."""
    took = []
    for _ in range(times):
        con = sqlite3.connect(db)
        started = time.perf_counter()
        for sql, params in statements:
            con.execute(sql, params).fetchall()
        took.append(time.perf_counter() - started)
        con.close()
    con = sqlite3.connect(db)
    plan = [
        row[3]
        for sql, params in statements
        for row in con.execute(f"EXPLAIN QUERY PLAN {sql}", params)
    ]
    con.close()
    return 1000 * statistics.median(took), plan


def worker() -> None:
    step, db = sys.argv[2], Path(sys.argv[3])
    result = build(db, int(sys.argv[4])) if step == "build" else measure(db)
    print(json.dumps(result))


# ------------------------------------------------------------------------- orchestration


def prepare(project: Project, folder: Path, n: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "opco-watch.toml").write_text('[store]\ndata_dir = "data"\n', encoding="utf-8")
    db = folder / "data" / "opco-watch.db"
    argv = [project.python, BENCH / "queries.py", "--worker", "build", db, str(n)]
    built = json.loads(run_metered(argv, env=project.env()).stdout)
    say(f"  {project.label}: {n:,} notices stored in {built['seconds']:.0f} s")
    return folder / "opco-watch.toml"


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        return worker()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    checkouts = projects(args.project)
    sql: dict[tuple[str, str], list[float]] = defaultdict(list)
    store_ms: dict[tuple[str, str], list[float]] = defaultdict(list)
    cli: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    plans: dict[tuple[str, str], Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-queries-") as work:
        configs = {p.root: prepare(p, Path(work) / p.root.name, args.n) for p in checkouts}
        for number, project in interleaved(args.rounds, checkouts):
            say(f"queries, round {number + 1}: {project.label}")
            config = configs[project.root]  # the label moves with a commit made meanwhile
            db = config.parent / "data" / "opco-watch.db"
            argv = [project.python, BENCH / "queries.py", "--worker", "measure", db]
            for label, figures in json.loads(run_metered(argv, env=project.env()).stdout).items():
                sql[(project.label, label)].append(figures["sql_ms"])
                store_ms[(project.label, label)].append(figures["store_ms"])
                plans[(project.label, label)] = figures
            for label, arguments in COMMANDS:
                done = run_metered(
                    [project.script, "--config", config, *arguments], env=project.env()
                )
                cli[(project.label, label, "wall")].append(done.wall)
                cli[(project.label, label, "cpu")].append(done.cpu)
            for label, arguments in STREAMS:
                wall, cpu, peak = streamed(project, config, arguments)
                cli[(project.label, label, "wall")].append(wall)
                cli[(project.label, label, "cpu")].append(cpu)
                cli[(project.label, label, "rss")].append(peak)
    report(checkouts, args, sql, store_ms, cli, plans)


def streamed(project: Project, config: Path, arguments: tuple[str, ...]) -> tuple[float, ...]:
    """Wall, CPU (s) and peak resident memory (MB) of a command, from GNU time; its output
    is thrown away as it comes."""
    argv = ["/usr/bin/time", "-f", "%e %U %S %M", project.script, "--config", config]
    with open(os.devnull, "wb") as sink:
        child = subprocess.run(
            [str(a) for a in [*argv, *arguments]],
            stdout=sink,
            stderr=subprocess.PIPE,
            env=project.env(),
            check=True,
        )
    wall, user, system, peak_kb = child.stderr.decode().split()[-4:]
    return float(wall), float(user) + float(system), int(peak_kb) / 1024


def report(
    checkouts: list[Project],
    args: argparse.Namespace,
    sql: dict[tuple[str, str], list[float]],
    store_ms: dict[tuple[str, str], list[float]],
    cli: dict[tuple[str, str, str], list[float]],
    plans: dict[tuple[str, str], Any],
) -> None:
    many = len(checkouts) > 1
    heads = "".join(f"{p.label:>30}" for p in checkouts)
    print(f"{args.n:,} notices; SQL alone (ms) / through Store.list_notices (ms)")
    print(f"{'query':40}{heads}" + ("   ratio (SQL)" if many else ""))
    for label, _ in QUERIES:
        pairs = [
            (median(sql[(p.label, label)]), median(store_ms[(p.label, label)])) for p in checkouts
        ]
        cells = "".join(f"{f'{s:.1f} / {t:.1f} ms':>30}" for s, t in pairs)
        tail = ratio(pairs[-1][0], pairs[0][0]) if many else ""
        print(f"{label:40}{cells}  {tail}")
    print(f"\n{'whole process (wall / CPU)':40}{heads}" + ("   ratio (wall)" if many else ""))
    for label, _ in COMMANDS:
        walls = [median(cli[(p.label, label, "wall")]) for p in checkouts]
        cpus = [median(cli[(p.label, label, "cpu")]) for p in checkouts]
        cells = "".join(f"{f'{w:.2f} / {c:.2f} s':>30}" for w, c in zip(walls, cpus, strict=True))
        print(f"{label:40}{cells}  {ratio(walls[-1], walls[0]) if many else ''}")
    for label, _ in STREAMS:
        cells = "".join(
            f"{f'{median(cli[(p.label, label, key)]):.2f}':>10}"
            for p in checkouts
            for key in ("wall", "cpu", "rss")
        )
        print(f"{label + ' (wall s, CPU s, peak MB)':40}{cells}")
    print(f"\nmedians of {args.rounds} interleaved round(s); {load_note()}")
    for project in checkouts:
        print(f"\nquery plans, {project.label}:")
        for label, _ in QUERIES:
            figures = plans[(project.label, label)]
            print(f"  {label} ({figures['rows']} rows): {' | '.join(figures['plan'])}")


if __name__ == "__main__":
    main()
