"""Benchmark: a cold poll of 240 new calls (12 sites x 1 listing + 20 detail pages of ordinary
French text), judged and alerted as ``opco-watch poll`` does, with H open calls of the same
buyer already stored; in process and as a whole ``opco-watch poll`` process; then unchanged.

    .venv/bin/python bench/poll.py [--project CHECKOUT ...] [--history 0,1000,10000,30000]
        [--rounds 3] [--modes inproc,process] [--profile FILE] [--sources 12] [--details 20]
        [--latency 0.1] [--cap 4] [--body 3000] [--first-open]

Sites: one process and one loopback address (127.0.0.N) per site, ``watcher/devserver.py``
with ``--latency`` per answer, AKTO's layout read by the real ``Akto`` scraper (bench/
opco_bench.py); about 70 % of the calls fit the example profile, and their alerts are queued.
History: H calls of the buyer AKTO, each its own open tender, stored by the checkout's own
code before the poll (bench/pollwork.py), deadlines from three years ago to four months ahead.

Figures, per checkout (``--project``, repeatable, default this worktree; each needs its
.venv), as medians of ``--rounds`` rounds interleaved across checkouts:
  in process     ``watcher.pipeline.poll`` after a warm-up poll (a scheduler's steady state):
                 wall, its ratio to the politeness bound, CPU of the process
  whole process  ``opco-watch poll`` as a child: CPU user+sys from its rusage, wall
  unchanged      the poll again: requests (robots.txt included) and CPU
The politeness bound of a host: robots.txt, the listing, then ceil(details / cap) rounds of
detail pages, one latency each; hosts run in parallel. ``--profile FILE`` writes the CPU
profile (cProfile, imports and warm-up excluded) of the first checkout's first
cold poll in process and prints where its time goes. Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import frtext
from harness import HERE, Project, interleaved, load_note, median, projects, ratio, run_metered
from harness import say as progress
from opco_bench import write_config

sys.path.insert(0, str(HERE))

from watcher.devserver import DevServer, Logged

BENCH = Path(__file__).resolve().parent
Results = dict[tuple[int, str], dict[str, list[float]]]


# ------------------------------------------------------------------------------------ sites


def host_of(index: int) -> str:
    """Each site gets its own loopback address (127.0.0.0/8 is all loopback on Linux)."""
    return f"127.0.0.{index + 1}"


def serve(server: DevServer, index: int, args: argparse.Namespace, today: date) -> None:
    cards = []
    for card in range(args.details):
        item = frtext.call(
            index * 1_000 + card,
            published=today,
            deadline=frtext.deadline_of(index, card, today),
            body_chars=args.body,
        )
        path = f"/appels/{card}/"
        cards.append(frtext.listing_card(item, path))
        server.add(path, frtext.detail_page(item, f"{path}cahier-des-charges.pdf"))
    server.add("/appels/", frtext.listing_page(f"Site {index}", cards))


def site_process(conn: Connection, index: int, args: argparse.Namespace, today: date) -> None:
    """One site per process, so the sites' CPU does not share a GIL with anything."""
    with DevServer(host_of(index), latency=args.latency) as server:
        serve(server, index, args, today)
        conn.send(server.base_url)
        while (command := conn.recv()) != "stop":
            if command == "log":
                conn.send(list(server.requests))
            elif command == "clear":
                server.clear_log()
                conn.send("cleared")
        conn.send("stopped")


class Sites:
    """The sites, their registry entries for opco_bench.py, and their request logs."""

    def __init__(self, args: argparse.Namespace, today: date) -> None:
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.Process] = []
        for index in range(args.sources):
            here, there = multiprocessing.Pipe()
            site = multiprocessing.Process(
                target=site_process, args=(there, index, args, today), daemon=True
            )
            site.start()
            self.pipes.append(here)
            self.processes.append(site)
        bases = [pipe.recv() for pipe in self.pipes]
        self.entries = [[f"bench{i:02d}", f"{base}/appels/"] for i, base in enumerate(bases)]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.entries]

    def env(self, project: Project) -> dict[str, str]:
        return project.env(OPCO_BENCH_SITES=json.dumps(self.entries))

    def log(self) -> list[Logged]:
        found: list[Logged] = []
        for pipe in self.pipes:
            pipe.send("log")
            found += pipe.recv()
        return found

    def clear(self) -> None:
        for pipe in self.pipes:
            pipe.send("clear")
            pipe.recv()

    def stop(self) -> None:
        for pipe, site in zip(self.pipes, self.processes, strict=True):
            pipe.send("stop")
            pipe.recv()
            site.join()


# ----------------------------------------------------------------------------- databases


def seed_template(project: Project, folder: Path, history: int, today: date, sources: int) -> Path:
    db = folder / f"{project.root.name}-{history}-{today.isoformat()}.db"
    if db.exists():  # kept by --seeds from an earlier run
        progress(f"  reusing {db}")
        return db
    argv = [project.python, BENCH / "pollwork.py", "seed", "--db", db, "--history", str(history)]
    argv += ["--today", today.isoformat(), "--sources", str(sources)]
    done = run_metered(argv, env=project.env())
    figures = json.loads(done.stdout)
    progress(
        f"  seeded {history} open calls for {project.label} in {figures['seconds']:.1f} s "
        f"(via {figures['via']})"
    )
    return db


#: what the poll before the measured one leaves: the store last opened by opco-watch
LAST_OPEN = "import sys; from watcher.store import Store; Store.open(sys.argv[1]).close()"


def fresh_run(template: Path, project: Project, cap: int, *, reopen: bool) -> Path:
    """A folder with the configuration and a copy of the seeded database; with ``reopen``,
    the copy is opened once by the checkout, unmeasured, as a store is in use: the poll
    before this one was the last to open it (a copy no opco-watch process opened yet pays
    its integrity check in the measured poll)."""
    folder = Path(tempfile.mkdtemp(prefix="poll-run-", dir=template.parent))
    config = write_config(folder, project.root, cap)
    (folder / "data").mkdir()
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", folder / "data" / f"opco-watch.db{suffix}")
    if reopen:
        database = folder / "data" / "opco-watch.db"
        argv = [project.python, "-c", LAST_OPEN, database]  # from its root: -c puts cwd first
        subprocess.run(argv, env=project.env(), cwd=project.root, check=True)
    return config


def work_done(config: Path, history: int) -> dict[str, float]:
    """What the poll left in the database: tenders created, alerts queued, relevant verdicts."""
    with sqlite3.connect(config.parent / "data" / "opco-watch.db") as db:
        count = lambda sql: float(db.execute(sql).fetchone()[0])  # noqa: E731
        return {
            "tenders": count("SELECT count(*) FROM tenders") - history,
            "alerts": count("SELECT count(*) FROM alert_log"),
            "relevant": count("SELECT count(*) FROM matches WHERE relevant"),
        }


# ---------------------------------------------------------------------------------- runs


def run_inproc(
    project: Project,
    template: Path,
    sites: Sites,
    args: argparse.Namespace,
    history: int,
    profile: Path | None,
) -> dict[str, float]:
    config = fresh_run(template, project, args.cap, reopen=not args.first_open)
    warm = write_config(config.parent / "warm", project.root, args.cap)
    argv = [project.python, BENCH / "pollwork.py", "inproc", "--config", config, "--warm", warm]
    argv += ["--profile", profile] if profile else []
    figures: dict[str, float] = {}
    with tempfile.TemporaryFile() as errors:
        worker = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=sites.env(project),
            text=True,
        )
        assert worker.stdin is not None and worker.stdout is not None
        for line in worker.stdout:
            step = json.loads(line)
            if step["step"] != "warm":
                _check(step, project)
                log = sites.log()
                prefix = "in_" if step["step"] == "cold" else "re_"
                figures |= {f"{prefix}wall": step["wall"], f"{prefix}cpu": step["cpu"]}
                figures[f"{prefix}statements"] = step["statements"]
                figures[f"{prefix}requests"] = len(log)
                if step["step"] == "cold":
                    figures |= {"events": step["events"], **work_done(config, history)}
            sites.clear()
            worker.stdin.write("go\n")
            worker.stdin.flush()
        if worker.wait() != 0:
            errors.seek(0)
            raise RuntimeError(errors.read().decode(errors="replace")[-3000:])
    shutil.rmtree(config.parent, ignore_errors=True)
    return figures


def run_process(
    project: Project, template: Path, sites: Sites, args: argparse.Namespace, history: int
) -> dict[str, float]:
    config = fresh_run(template, project, args.cap, reopen=not args.first_open)
    argv: list[str | Path] = [project.python, BENCH / "opco_bench.py", "--config", config]
    argv += ["poll", "--json", *(f"--source={name}" for name in sites.names)]
    sites.clear()
    cold = run_metered(argv, env=sites.env(project))
    requests = len(sites.log())
    _check_process(cold.stdout, project)
    work = work_done(config, history)
    sites.clear()
    again = run_metered(argv, env=sites.env(project))
    again_requests = len(sites.log())
    shutil.rmtree(config.parent, ignore_errors=True)
    return {
        "pr_cpu": cold.cpu,
        "pr_wall": cold.wall,
        "pr_requests": requests,
        "pr_re_cpu": again.cpu,
        "pr_re_requests": again_requests,
        "pr_alerts": work["alerts"],
    }


def _check(step: dict[str, Any], project: Project) -> None:
    if not step["ok"]:
        raise RuntimeError(f"{project.label}: a source failed: {step['errors']}")


def _check_process(stdout: str, project: Project) -> None:
    reports = json.loads(stdout)
    failed = [r for r in reports if not r.get("ok", True)]
    if failed:
        raise RuntimeError(f"{project.label}: a source failed: {failed}")


# -------------------------------------------------------------------------------- report

ROWS = (
    ("in process: cold poll wall", "in_wall", "s"),
    ("in process: wall / politeness bound", "in_bound", "x"),
    ("in process: cold poll CPU", "in_cpu", "s"),
    ("in process: cold poll SQL statements", "in_statements", ""),
    ("in process: unchanged re-poll wall", "re_wall", "s"),
    ("in process: unchanged re-poll SQL statements", "re_statements", ""),
    ("in process: unchanged re-poll requests", "re_requests", ""),
    ("whole process: cold poll CPU (user+sys)", "pr_cpu", "s"),
    ("whole process: cold poll wall", "pr_wall", "s"),
    ("whole process: unchanged re-run CPU", "pr_re_cpu", "s"),
    ("whole process: unchanged re-run requests", "pr_re_requests", ""),
    ("cold poll requests, in process", "in_requests", ""),
    ("cold poll requests, whole process", "pr_requests", ""),
    ("work: tenders created", "tenders", ""),
    ("work: alerts queued (tender x recipient)", "alerts", ""),
    ("work: alerts queued, whole process", "pr_alerts", ""),
    ("work: relevant verdicts", "relevant", ""),
)


def report(results: Results, checkouts: list[Project], histories: list[int], rounds: int) -> None:
    width = 44
    for history in histories:
        print(f"\nH = {history:,} open calls of the same buyer stored before the poll")
        heads = "".join(f"{p.label:>34}" for p in checkouts)
        print(f"{'':{width}}{heads}" + ("   ratio" if len(checkouts) > 1 else ""))
        for label, key, unit in ROWS:
            series = [results[(history, p.label)].get(key, []) for p in checkouts]
            if not any(series):
                continue
            medians = [median(values) for values in series]
            cells = "".join(_cell(m, v, unit) for m, v in zip(medians, series, strict=True))
            tail = ratio(medians[-1], medians[0]) if len(checkouts) > 1 else ""
            print(f"{label:{width}}{cells}  {tail}")
    print(f"\nmedians of {rounds} interleaved round(s); runs in brackets; {load_note()}")


def _cell(value: float, runs: list[float], unit: str) -> str:
    if unit == "":
        return f"{value:>34.0f}"
    digits = 1 if value >= 10 else 2
    text = f"{value:.{digits}f} {unit} (" + ", ".join(f"{r:.{digits}f}" for r in runs) + ")"
    return f"{text:>34}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--history", default="0", help="comma-separated H values, e.g. 0,1000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--modes", default="inproc,process", help="comma-separated: inproc, process (default both)"
    )
    parser.add_argument("--profile", type=Path, help="write the cold poll's CPU profile here")
    parser.add_argument("--sources", type=int, default=12)
    parser.add_argument(
        "--seeds", type=Path, help="keep seeded databases here and reuse them (same schema only)"
    )
    parser.add_argument("--details", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--cap", type=int, default=4)
    parser.add_argument("--body", type=int, default=3_000, help="characters of detail text")
    parser.add_argument(
        "--first-open",
        action="store_true",
        help="the measured poll is the first process to open its copy of the store",
    )
    args = parser.parse_args()
    checkouts = projects(args.project)
    histories = [int(h) for h in args.history.split(",")]
    modes = set(args.modes.split(","))
    if not modes <= {"inproc", "process"}:
        parser.error(f"--modes: inproc, process or inproc,process, not {args.modes!r}")
    today = date.today()
    bound = args.latency * (2 + math.ceil(args.details / args.cap))
    results: Results = defaultdict(lambda: defaultdict(list))
    sites = Sites(args, today)
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as scratch:
        work = str(args.seeds) if args.seeds else scratch
        try:
            for history in histories:
                progress(f"H = {history}: seeding")
                templates = {
                    p.label: seed_template(p, Path(work), history, today, args.sources)
                    for p in checkouts
                }
                for number, project in interleaved(args.rounds, checkouts):
                    progress(f"H = {history}, round {number + 1}: {project.label}")
                    figures: dict[str, float] = {}
                    first = number == 0 and project == checkouts[0] and history == histories[0]
                    if "inproc" in modes:
                        profile = args.profile if first else None
                        template = templates[project.label]
                        figures |= run_inproc(project, template, sites, args, history, profile)
                        figures["in_bound"] = figures["in_wall"] / bound
                    if "process" in modes:
                        template = templates[project.label]
                        figures |= run_process(project, template, sites, args, history)
                    for key, value in figures.items():
                        results[(history, project.label)][key].append(value)
        finally:
            sites.stop()
    total = args.sources * (args.details + 2)
    print(
        f"cold poll: {args.sources} sites x (robots.txt + 1 listing + {args.details} details) "
        f"= {total} requests, latency {args.latency * 1000:.0f} ms, cap {args.cap}/host, "
        f"detail text ~{args.body} characters; politeness bound {bound:.2f} s"
    )
    report(results, checkouts, histories, args.rounds)
    if args.profile:
        from profiling import summarise

        print(f"\nCPU profile of the first cold poll in process ({checkouts[0].label}):")
        print(summarise(args.profile))


if __name__ == "__main__":
    main()
