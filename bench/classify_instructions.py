"""Instructions per notice of the classifier, counted by callgrind (the same on a loaded machine).

    .venv/bin/python bench/classify_instructions.py [--project CHECKOUT ...] [--n 30000]

For each checkout (default: this one), a child of its own interpreter runs twice under
``valgrind --tool=callgrind``: it builds ``bench/classify.py``'s pool (this file's) and the
example profile's classifier, then classifies ``--n`` notices as ``bench_records`` does (the
pool cycled), and ``0`` the second time; the figure is (instructions(n) - instructions(0)) / n:
the notices alone, start-up and the pool left out. ``PYTHONHASHSEED=0``. Slow (valgrind runs
Python about 50 times slower: minutes per checkout, more on a loaded machine); do not edit a
checkout while it is measured. Instructions say nothing of cache misses: compare the wall and
CPU figures of ``bench/classify.py --project`` too. Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import Project, projects, ratio, say  # noqa: E402

_COLLECTED = re.compile(r"Collected : (\d+)")
#: Tells ``bench/classify.py`` not to put its own checkout first on the path: the child's
#: ``watcher`` is the measured checkout's (on PYTHONPATH).
CHILD = "OPCO_BENCH_CLASSIFY_CHILD"


def child(n: int) -> None:
    """Classify ``n`` notices of the bench pool (the ``watcher`` on PYTHONPATH)."""
    spec = importlib.util.spec_from_file_location("bench_classify", HERE / "classify.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from watcher.classify import Classifier, load_example_profile

    classifier = Classifier(load_example_profile())
    pool = list(bench.records(bench.POOL))
    for i in range(1, n + 1):
        classifier.classify_record(pool[i % bench.POOL], today=bench.TODAY)


def instructions(project: Project, n: int) -> int:
    """Instructions callgrind counted in a child classifying ``n`` notices."""
    argv = [str(project.python), __file__, "--child", str(n)]
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *argv],
        env=project.env(**{CHILD: "1"}),
        capture_output=True,
        text=True,
        check=True,
    )
    found = _COLLECTED.search(done.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from callgrind:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--n", type=int, default=30_000, help="notices classified")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    figures = []
    for project in projects(args.project):
        say(f"callgrind: {project.label}, 0 then {args.n:,} notices")
        per_notice = (instructions(project, args.n) - instructions(project, 0)) / args.n
        figures.append(per_notice)
        print(f"{project.label:40} {per_notice:>10,.0f} instructions per notice", flush=True)
    if len(figures) > 1:
        print(f"ratio of the last to the first: {ratio(figures[-1], figures[0])}")
    print(f"(PYTHONHASHSEED=0, {args.n:,} notices of bench/classify.py's pool)")


if __name__ == "__main__":
    main()
