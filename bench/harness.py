"""Plumbing shared by the benchmarks that compare checkouts (poll, peers, startup, queries,
classify_cost): which project is measured, how a child process is run and metered, and how
interleaved rounds become medians and ratios.

A *project* is a checkout with its own ``.venv`` (``make test`` or ``python3 -m venv .venv &&
.venv/bin/pip install -e '.[dev]'`` there). The scripts themselves live in this worktree and
only ever import the measured code in a child process started with that project's interpreter
and ``PYTHONPATH`` set to its root, so one script measures the current branch and an older
checkout alike (``--project /work/wt-baseline --project .``).

Standard library only: the orchestrating process imports no project code.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

BENCH_DIR = Path(__file__).resolve().parent
HERE = BENCH_DIR.parent
T = TypeVar("T")


@dataclass(frozen=True)
class Project:
    """A checkout of opco-watch, measured through its own virtualenv."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / ".venv" / "bin" / "python"

    @property
    def script(self) -> Path:
        return self.root / ".venv" / "bin" / "opco-watch"

    @property
    def label(self) -> str:
        return f"{self.root.name}@{git_head(self.root)}"

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a child measuring this project: its root first on the path, no
        user configuration leaking in, a fixed terminal width for tables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPCO_WATCH_")}
        env |= {"PYTHONPATH": str(self.root), "COLUMNS": "120", "PYTHONHASHSEED": "0"}
        return env | extra

    def check(self) -> None:
        if not self.python.is_file():
            raise SystemExit(
                f"{self.root}: no .venv (create it: cd {self.root} && python3 -m venv .venv "
                "&& .venv/bin/pip install -q -e '.[dev]')"
            )


def git_head(root: Path) -> str:
    """Short commit of a checkout, with "+" when its tracked files differ from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [
                "git",
                "-C",
                str(root),
                "diff",
                "--quiet",
                "HEAD",
                "--",
                "watcher",
                "scrapers",
                "responses",
            ],
            check=False,
        )
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return head + ("+" if dirty.returncode else "")


def projects(roots: Sequence[str] | None) -> list[Project]:
    """The projects named on the command line (default: this worktree), each checked."""
    found = [Project(Path(r).resolve()) for r in roots] if roots else [Project(HERE)]
    for project in found:
        project.check()
    return found


# ------------------------------------------------------------------------- metered children


@dataclass(frozen=True)
class Metered:
    """One finished child: wall seconds, CPU seconds (user, sys) from its rusage, output."""

    wall: float
    user: float
    sys: float
    returncode: int
    stdout: str
    stderr: str

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def run_metered(
    argv: Sequence[str | Path],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str = "",
    check: bool = True,
) -> Metered:
    """Run ``argv`` to its end; its CPU is read from ``wait4`` (this child only, with the
    children it waited for), not from a difference of RUSAGE_CHILDREN."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        with tempfile.TemporaryFile() as feed:
            feed.write(stdin.encode())
            feed.seek(0)
            started = time.perf_counter()
            child = subprocess.Popen(
                [str(a) for a in argv], stdin=feed, stdout=out, stderr=err, env=env, cwd=cwd
            )
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = Metered(
            wall,
            usage.ru_utime,
            usage.ru_stime,
            child.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )
    if check and done.returncode != 0:
        tail = "\n".join(done.stderr.splitlines()[-15:])
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {done.returncode}:\n{tail}")
    return done


def self_cpu() -> float:
    """CPU seconds (user + sys) of this process so far, every thread included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ----------------------------------------------------------------------------- rounds, figures


def interleaved(rounds: int, items: Sequence[T]) -> Iterator[tuple[int, T]]:
    """(round, item) for each round, the order reversed every other round, so that a drift in
    the machine's load does not always favour the same item."""
    for number in range(rounds):
        for item in items if number % 2 == 0 else list(reversed(items)):
            yield number, item


def median(values: Iterable[float]) -> float:
    found = list(values)
    return statistics.median(found) if found else float("nan")


def runs_text(values: Iterable[float], unit: str = "s", digits: int = 2) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values) + (f" {unit}" if unit else "")


def ratio(value: float, reference: float) -> str:
    if not reference or reference != reference or value != value:
        return "  n/a"
    return f"{value / reference:5.2f}x"


def load_note() -> str:
    """The machine's load when the figures were taken (they are shared, noisy machines)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min) on {os.cpu_count()} cores"


def say(text: str) -> None:
    """A progress line on stderr (figures go to stdout)."""
    print(text, file=sys.stderr, flush=True)
