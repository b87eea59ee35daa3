"""Benchmark: opco-watch beside urlwatch on the same loopback pages (../shared/bench/pollserver.py)
— ``--help``, full work first run (12 listings + 240 detail pages), unchanged re-run.

    .venv/bin/python bench/peers.py [--project CHECKOUT ...] [--rounds 3] [--cache DIR]
        [--urlwatch urlwatch==2.29] [--no-startup]

urlwatch (PyPI) lives in its own virtualenv under ``--cache`` (default
``$XDG_CACHE_HOME/opco-watch-bench``, i.e. ~/.cache/opco-watch-bench), created on first use.
It gets the 12 listings and the 240 detail URLs as jobs (it cannot follow links) and its
default configuration (written before timing); opco-watch polls 12 AKTO-layout sources
(bench/opco_bench.py) through ``--mirror``, each with its own logical host, with the example
profile, so it also parses, stores, groups, judges and queues alerts. Each run starts from an
empty cache / data folder (opco-watch creates and migrates its database: a true first run);
the re-run follows at once, nothing changed on the server.

Figures: CPU user+sys of the whole process (rusage), wall, and the server's own counters
(GET /stats: requests, body bytes, 304s, robots.txt), medians of ``--rounds`` rounds, the tools
interleaved; ratios to urlwatch. Each checkout runs once untimed first, so that its bytecode is
compiled, as in an installed tool (urlwatch's virtualenv has its own from pip). Unless
``--no-startup``, bench/startup.py's commands too
(the slowest command's start-up). Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import startup
from harness import (
    HERE,
    Metered,
    Project,
    interleaved,
    load_note,
    median,
    projects,
    ratio,
    run_metered,
    say,
)
from opco_bench import write_config

BENCH = Path(__file__).resolve().parent
POLLSERVER = HERE.parent / "shared" / "bench" / "pollserver.py"
SOURCES, CALLS = 12, 20
URLWATCH = "urlwatch"
Figures = dict[tuple[str, str], list[float]]


def cache_dir(explicit: str | None) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    folder = Path(explicit) if explicit else base / "opco-watch-bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ensure_urlwatch(cache: Path, requirement: str) -> Path:
    """urlwatch in its own virtualenv, created (from PyPI) when missing."""
    venv = cache / "urlwatch-venv"
    program = venv / "bin" / "urlwatch"
    if not program.exists():
        say(f"creating {venv} with {requirement} from PyPI")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", requirement]
        subprocess.run(pip, check=True)
    return program


# ----------------------------------------------------------------------------------- server


class PollServer:
    """../shared/bench/pollserver.py on a free loopback port; its counters are the meter."""

    def __init__(self, script: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        argv = [sys.executable, str(script), "--port", str(self.port), "--ims", "date"]
        argv += ["--sources", str(SOURCES), "--calls", str(CALLS)]
        self.process = subprocess.Popen(argv)
        self.base = f"http://127.0.0.1:{self.port}"
        for _ in range(200):
            try:
                self.stats()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pollserver did not start")

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.base}/stats", timeout=5) as answer:
            found: dict[str, int] = json.load(answer)
            return found

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.base}/reset", method="POST")
        urllib.request.urlopen(request, timeout=5).close()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


# ------------------------------------------------------------------------------------ tools


class Urlwatch:
    label = "urlwatch"

    def __init__(self, program: Path, server: PollServer, work: Path) -> None:
        self.program, self.server = program, server
        self.template = work / "urlwatch"
        self.template.mkdir()
        jobs = []
        for i in range(SOURCES):
            jobs.append(f"name: s{i}\nurl: {server.base}/s{i}\n")
            jobs += [f"name: s{i}-d{j}\nurl: {server.base}/s{i}/d{j}\n" for j in range(CALLS)]
        (self.template / "urls.yaml").write_text("---\n".join(jobs), encoding="utf-8")
        (self.template / "hooks.py").write_text("", encoding="utf-8")
        self.argv(self.template, "--list").check()  # writes its default configuration
        self.version = run_metered([program, "--version"]).stdout.split()[-1]

    def argv(self, folder: Path, *extra: str) -> _Command:
        files = ("--urls", "urls.yaml", "--cache", "cache.db", "--config", "cfg.yaml")
        argv = [self.program, *files, "--hooks", "hooks.py", *extra]
        return _Command(argv, folder, dict(os.environ))

    def fresh(self, work: Path) -> _Command:
        folder = Path(tempfile.mkdtemp(prefix="urlwatch-", dir=work))
        for name in ("urls.yaml", "hooks.py", "cfg.yaml"):
            shutil.copyfile(self.template / name, folder / name)
        return self.argv(folder)

    def help(self) -> _Command:
        return _Command([self.program, "--help"], None, dict(os.environ))


class OpcoWatch:
    """opco-watch as installed: its bytecode compiled once, in ``work`` (as pip would at
    install; this machine's PYTHONDONTWRITEBYTECODE would otherwise make every run compile
    the project's modules again, which urlwatch's installed venv never does)."""

    def __init__(self, project: Project, server: PollServer, work: Path) -> None:
        self.project, self.server = project, server
        self.label = project.label
        sites = [[f"bench{i:02d}", f"http://s{i}.bench.test/s{i}"] for i in range(SOURCES)]
        self.cached = startup.cached_env(project, work / f"pycache-{project.label}")
        self.env = self.cached | {"OPCO_BENCH_SITES": json.dumps(sites)}
        self.names = [name for name, _ in sites]
        self.fresh(work).check()  # warm-up, untimed: writes the bytecode

    def fresh(self, work: Path) -> _Command:
        folder = Path(tempfile.mkdtemp(prefix="opco-watch-", dir=work))
        config = write_config(folder, self.project.root, cap=4)
        argv = [self.project.python, BENCH / "opco_bench.py", "--config", config, "poll"]
        argv += ["--mirror", self.server.base, "--json", *(f"--source={n}" for n in self.names)]
        return _Command(argv, folder, self.env)

    def help(self) -> _Command:
        return _Command([self.project.script, "--help"], None, self.cached)


class _Command:
    """A child to run: its arguments, folder and environment."""

    def __init__(self, argv: Sequence[str | Path], cwd: Path | None, env: dict[str, str]) -> None:
        self.argv, self.cwd, self.env = argv, cwd, env

    def check(self) -> Metered:
        return run_metered(self.argv, env=self.env, cwd=self.cwd)


def one_round(tool: Urlwatch | OpcoWatch, server: PollServer, work: Path, found: Figures) -> None:
    found[(tool.label, "help")].append(tool.help().check().cpu)
    command = tool.fresh(work)
    for run in ("first", "again"):
        server.reset()
        done = command.check()
        stats = server.stats()
        if isinstance(tool, OpcoWatch) and run == "first":
            reports = json.loads(done.stdout)
            new = sum(r.get("new", 0) for r in reports)
            if new != SOURCES * CALLS or not all(r.get("ok") for r in reports):
                raise RuntimeError(f"{tool.label}: first run stored {new} new notices: {reports}")
        for key, value in (("cpu", done.cpu), ("wall", done.wall)):
            found[(tool.label, f"{run}_{key}")].append(value)
        for key in ("requests", "bytes", "not_modified", "robots"):
            found[(tool.label, f"{run}_{key}")].append(float(stats[key]))


ROWS = (
    ("--help, CPU", "help", "s"),
    ("full work, first run, CPU", "first_cpu", "s"),
    ("full work, first run, wall", "first_wall", "s"),
    ("first run: requests", "first_requests", ""),
    ("first run: kB received", "first_bytes", "kB"),
    ("unchanged re-run, CPU", "again_cpu", "s"),
    ("unchanged re-run, wall", "again_wall", "s"),
    ("unchanged re-run: requests", "again_requests", ""),
    ("  of which robots.txt", "again_robots", ""),
    ("  answered 304", "again_not_modified", ""),
    ("unchanged re-run: kB received", "again_bytes", "kB"),
)


def report(tools: list[Urlwatch | OpcoWatch], found: Figures, rounds: int) -> None:
    heads = f"{tools[0].label + ' ' + getattr(tools[0], 'version', ''):>22}"
    heads += "".join(f"{t.label:>24}   ratio" for t in tools[1:])
    print(f"{'figure (medians)':32}{heads}")
    for label, key, unit in ROWS:
        values = [median(found[(t.label, key)]) for t in tools]
        cells = f"{_fmt(values[0], unit):>22}"
        cells += "".join(f"{_fmt(v, unit):>24}  {ratio(v, values[0])}" for v in values[1:])
        print(f"{label:32}{cells}")
    print(
        f"medians of {rounds} interleaved round(s); ratio = opco-watch / urlwatch; "
        f"politeness bound of a first run 0.70 s (robots.txt, listing, 5 rounds of 4 details, "
        f"100 ms each); {load_note()}"
    )


def _fmt(value: float, unit: str) -> str:
    if unit == "kB":
        return f"{value / 1000:.1f} kB"
    return f"{value:.2f} s" if unit else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", help="folder of urlwatch's virtualenv")
    parser.add_argument("--urlwatch", default=URLWATCH, help="pip requirement for urlwatch")
    parser.add_argument("--pollserver", type=Path, default=POLLSERVER)
    parser.add_argument("--no-startup", action="store_true", help="skip the commands' start-up")
    args = parser.parse_args()
    checkouts = projects(args.project)
    program = ensure_urlwatch(cache_dir(args.cache), args.urlwatch)
    server = PollServer(args.pollserver)
    found: Figures = defaultdict(list)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
            work = Path(folder)
            tools: list[Urlwatch | OpcoWatch] = [Urlwatch(program, server, work)]
            tools += [OpcoWatch(project, server, work) for project in checkouts]
            for number, tool in interleaved(args.rounds, tools):
                say(f"peers, round {number + 1}: {tool.label}")
                one_round(tool, server, work, found)
    finally:
        server.stop()
    report(tools, found, args.rounds)
    if not args.no_startup:
        print()
        startup.print_startup(checkouts, startup.measure(checkouts, args.rounds))


if __name__ == "__main__":
    main()
