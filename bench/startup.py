"""Benchmark: what ``opco-watch`` costs before it does anything — CPU of ``--help`` and of each
command run on an empty database (its start-up), and where ``--help``'s import time goes.

    .venv/bin/python bench/startup.py [--project CHECKOUT ...] [--rounds 5] [--importtime]
        [--importtime-command "list -n 1"]

Each command runs as a child process (the console script of the checkout's .venv) in a folder
with a configuration and an empty, migrated database, so it does next to no work: what it
costs is its imports and set-up. CPU is user+sys of the child (rusage), median of ``--rounds``
interleaved rounds, after a warm-up run of each (the bytecode cached, as in an installed
tool: in a folder of the run, whatever PYTHONDONTWRITEBYTECODE says, never in the checkouts).
The libraries' rows are what click, rich, pydantic and SQLAlchemy cost alone in the same
interpreter: the floor of a command that opens the store. ``--importtime`` adds ``python -X
importtime`` of ``opco-watch --help`` (bytecode cached the same way): time by top-level
package, the heavy optional libraries and which project module pulls each;
``--importtime-command ARGS`` does the same for one command, run on the empty database.
Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import re
import shlex
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from harness import Project, interleaved, load_note, median, projects, ratio, run_metered, say

#: (label, arguments): each does next to nothing on an empty database
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("--help", ("--help",)),
    ("--version", ("--version",)),
    ("init (starter file)", ("init", "--path", "starter.toml", "--force")),
    ("config check", ("config", "check")),
    ("list -n 1", ("list", "-n", "1")),
    ("show 1 (not found)", ("show", "1")),
    ("sources --json", ("sources", "--json")),
    ("status 1 (not found)", ("status", "1")),
    ("feedback 1 (not found)", ("feedback", "1", "relevant")),
    ("documents --json", ("documents", "--json")),
    ("draft 1 (not found)", ("draft", "1")),
    ("classify (empty input)", ("classify", "--input", "-")),
    ("calendar -o -", ("calendar", "-o", "-")),
    ("send (empty outbox)", ("send",)),
    ("reminders (none due)", ("reminders",)),
    ("digest --html (empty week)", ("digest", "--html", "digest.html")),
    ("poll --source nosuch (refused)", ("poll", "--source", "nosuch")),
)
#: (label, Python code): the libraries alone, each row adding to the one before
LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libraries: interpreter", "pass"),
    ("  + click, rich", "import click, rich.console, rich.table"),
    (
        "  + pydantic, a model",
        "import click, rich.console, rich.table, pydantic, email_validator\n"
        "class A(pydantic.BaseModel):\n    a: int = 1\nA()",
    ),
    (
        "  + SQLAlchemy, a SQLite query",
        "import click, rich.console, rich.table, pydantic, email_validator, sqlalchemy\n"
        "class A(pydantic.BaseModel):\n    a: int = 1\nA()\n"
        "with sqlalchemy.create_engine('sqlite://').connect() as c:\n"
        "    c.exec_driver_sql('select 1')",
    ),
)
#: libraries a command that does not need them should not import (issue 12)
HEAVY = (
    *("alembic", "mako", "icalendar", "dateutil", "pypdf", "bs4", "soupsieve", "lxml"),
    *("httpx", "httpcore", "pygments", "jinja2", "snowballstemmer", "email_validator"),
    *("sklearn", "scipy", "numpy", "docx", "docxtpl", "apscheduler", "sqlalchemy"),
    *("pydantic", "rich", "click", "orjson"),
)
PROJECT_PACKAGES = ("watcher", "scrapers", "responses")


def prepare(project: Project, folder: Path) -> Path:
    """A folder with a starter configuration and an empty, migrated database."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "opco-watch.toml"
    run_metered([project.script, "init", "--path", config, "--force"], env=project.env())
    run_metered([project.script, "--config", config, "sources"], env=project.env())
    return config


def cached_env(project: Project, cache: Path) -> dict[str, str]:
    """The child's environment with its bytecode written to and read from ``cache``."""
    env = {k: v for k, v in project.env().items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(cache)}


def runs(project: Project, config: Path) -> list[tuple[str, list[str | Path]]]:
    """(label, argv) of each measured run: the libraries' rows, then the commands."""
    found: list[tuple[str, list[str | Path]]] = [
        (label, [project.python, "-c", code]) for label, code in LIBRARIES
    ]
    for label, arguments in COMMANDS:
        found.append((label, [project.script, "--config", config, *arguments]))
    return found


def measure(checkouts: list[Project], rounds: int) -> dict[tuple[Path, str], list[float]]:
    """(checkout root, command label) -> CPU seconds of each round (keyed by the root: a
    label changes when the checkout is edited during the run)."""
    cpu: dict[tuple[Path, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as work:
        configs = {p.root: prepare(p, Path(work) / p.root.name) for p in checkouts}
        env = {p.root: cached_env(p, Path(work) / "pycache") for p in checkouts}
        for project in checkouts:  # warm-up: every module's bytecode written once
            config = configs[project.root]
            for _, argv in runs(project, config):
                run_metered(argv, env=env[project.root], cwd=config.parent, check=False)
        for number, project in interleaved(rounds, checkouts):
            say(f"start-up, round {number + 1}: {project.label}")
            config = configs[project.root]
            for label, argv in runs(project, config):
                done = run_metered(argv, env=env[project.root], cwd=config.parent, check=False)
                if done.returncode not in (0, 1, 2, 4):
                    tail = done.stderr.strip().splitlines()[-1:] or [""]
                    raise RuntimeError(f"{label} exited {done.returncode}: {tail[0]}")
                cpu[(project.root, label)].append(done.cpu)
    return cpu


def print_startup(checkouts: list[Project], cpu: dict[tuple[Path, str], list[float]]) -> None:
    heads = "".join(f"{p.label:>24}" for p in checkouts)
    print(
        f"{'command (CPU user+sys, median)':36}{heads}" + ("   ratio" if len(checkouts) > 1 else "")
    )
    for label in [label for label, _ in LIBRARIES] + [label for label, _ in COMMANDS]:
        medians = [median(cpu[(p.root, label)]) for p in checkouts]
        cells = "".join(f"{m:>22.2f} s" for m in medians)
        print(f"{label:36}{cells}  {ratio(medians[-1], medians[0]) if len(checkouts) > 1 else ''}")
    slowest = [
        max((median(cpu[(p.root, label)]), label) for label, _ in COMMANDS[2:]) for p in checkouts
    ]
    cells = "".join(f"{m:>22.2f} s" for m, _ in slowest)
    print(f"{'slowest command start-up':36}{cells}  ({', '.join(n for _, n in slowest)})")


# ------------------------------------------------------------------------------ import time


@dataclass
class Module:
    name: str
    own: float  # microseconds in the module itself
    total: float  # with what it imported
    depth: int
    children: list[Module] = field(default_factory=list)
    parent: Module | None = None


LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)$")


def parse_importtime(stderr: str) -> list[Module]:
    """The import tree from ``-X importtime`` (post-order lines, nesting by indentation)."""
    pending: list[Module] = []
    for line in stderr.splitlines():
        found = LINE.match(line)
        if not found:
            continue
        own, total, indent, name = found.groups()
        node = Module(name, float(own), float(total), len(indent) // 2)
        while pending and pending[-1].depth > node.depth:
            child = pending.pop()
            child.parent = node
            node.children.insert(0, child)
        pending.append(node)
    return _walk(pending)


def _walk(roots: list[Module]) -> list[Module]:
    found: list[Module] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(node.children))
    return found


def puller(node: Module) -> str:
    """The nearest project module above ``node`` (the one that imported it)."""
    up = node.parent
    while up is not None and up.name.split(".")[0] not in PROJECT_PACKAGES:
        up = up.parent
    return up.name if up is not None else "(top level)"


@dataclass
class ImportSamples:
    """-X importtime of ``--help``, one sample per round: seconds by package, heavy subtrees."""

    by_package: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    heavy: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    pulled: dict[str, str] = field(default_factory=dict)
    totals: list[float] = field(default_factory=list)

    def add(self, modules: list[Module]) -> None:
        self.totals.append(sum(m.own for m in modules) / 1e6)
        own: dict[str, float] = defaultdict(float)
        subtrees: dict[str, float] = defaultdict(float)
        for module in modules:
            package = module.name.split(".")[0]
            own[package] += module.own / 1e6
            if package in HEAVY and _top_of_package(module):
                subtrees[package] += module.total / 1e6
                self.pulled.setdefault(package, puller(module))
        for package, seconds in own.items():
            self.by_package[package].append(seconds)
        for package, seconds in subtrees.items():
            self.heavy[package].append(seconds)


def importtimes(
    checkouts: list[Project], rounds: int, arguments: tuple[str, ...] = ("--help",)
) -> dict[str, ImportSamples]:
    """Samples per checkout, the checkouts interleaved round by round; a command other than
    ``--help`` runs with a configuration and an empty, migrated database."""
    found = {str(p.root): ImportSamples() for p in checkouts}
    with tempfile.TemporaryDirectory(prefix="bench-importtime-") as work:
        configs = {}
        if arguments != ("--help",):
            configs = {p.root: prepare(p, Path(work) / p.root.name) for p in checkouts}
        env = {p.root: cached_env(p, Path(work) / "pycache") for p in checkouts}
        for number, project in interleaved(rounds + 1, checkouts):
            config = configs.get(project.root)
            head = ("--config", str(config)) if config else ()
            argv = [project.python, "-X", "importtime", project.script, *head, *arguments]
            cwd = config.parent if config else None
            done = run_metered(argv, env=env[project.root], cwd=cwd, check=False)
            if number > 0:  # the first round writes the bytecode
                found[str(project.root)].add(parse_importtime(done.stderr))
    return found


def importtime_text(
    project: Project, samples: ImportSamples, rounds: int, command: str = "--help"
) -> str:
    by_package, heavy, pulled, totals = (
        samples.by_package,
        samples.heavy,
        samples.pulled,
        samples.totals,
    )
    lines = [
        f"import time of `opco-watch {command}`, {project.label}: {median(totals):.2f} s "
        f"(wall clock, median of {rounds}; -X importtime and the machine's load add to it)",
        "  by top-level package (time in its own modules only):",
    ]
    ranked = sorted(by_package.items(), key=lambda item: -median(item[1]))[:20]
    whole = median(totals)
    lines += [f"    {name:24} {_share(median(values), whole)}" for name, values in ranked]
    lines.append(
        "  heavy libraries, with all they import (subtrees overlap: dateutil is inside "
        "icalendar) and the project module that first pulls each:"
    )
    for name in sorted(heavy, key=lambda n: -median(heavy[n])):
        lines.append(f"    {name:18} {_share(median(heavy[name]), whole)}  <- {pulled[name]}")
    absent = [name for name in HEAVY if name not in heavy]
    lines.append(f"  not imported: {', '.join(absent) or 'none'}")
    return "\n".join(lines)


def _share(seconds: float, whole: float) -> str:
    return f"{seconds:6.3f} s {100 * seconds / whole:4.0f} %"


def _top_of_package(module: Module) -> bool:
    """The first module of its package on its branch (its subtree holds the rest)."""
    package = module.name.split(".")[0]
    return module.parent is None or module.parent.name.split(".")[0] != package


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--importtime", action="store_true", help="profile --help's imports")
    parser.add_argument(
        "--importtime-command",
        metavar="ARGS",
        help='profile this command\'s imports instead (e.g. "list -n 1"), on the empty database',
    )
    args = parser.parse_args()
    checkouts = projects(args.project)
    print_startup(checkouts, measure(checkouts, args.rounds))
    print(f"medians of {args.rounds} interleaved round(s); {load_note()}")
    if args.importtime or args.importtime_command:
        command = args.importtime_command or "--help"
        samples = importtimes(checkouts, args.rounds, tuple(shlex.split(command)))
        for project in checkouts:
            print()
            print(importtime_text(project, samples[str(project.root)], args.rounds, command))


if __name__ == "__main__":
    main()
