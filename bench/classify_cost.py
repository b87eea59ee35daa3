"""Benchmark: the classifier's cost in the length of the text — one notice with a 20 kB detail
body, and title + summary only (the example profile, reasons computed).

    .venv/bin/python bench/classify_cost.py [--project CHECKOUT ...] [--rounds 3] [--body 20000]

Notices are ordinary French calls (bench/frtext.py), all distinct (a pool of 200 with a body
of ``--body`` characters, 2,000 without), each classified once per pass after a warm-up pass,
so no cache of a repeated text helps. Figures: ms per notice and notices per second of CPU
(process time, steadier than wall on a shared machine), medians of ``--rounds`` interleaved
rounds, each round a fresh process. bench/classify.py (the classifier's own benchmark) measures
throughput on short synthetic records and memory. Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import frtext
from harness import interleaved, load_note, median, projects, ratio, run_metered, say

BENCH = Path(__file__).resolve().parent
TODAY = date(2026, 3, 2)


def notices(count: int, body: int, seed: int) -> list[Any]:
    from watcher.models import PARIS, Notice

    found = []
    for i in range(count):
        deadline = TODAY + timedelta(days=20 + i % 40)
        item = frtext.call(seed + i, published=TODAY, deadline=deadline, body_chars=max(body, 1))
        text = item.body_text[:body] if body else ""
        found.append(
            Notice(
                source="akto",
                ref=f"bench-{seed + i}",
                title=item.title,
                url=f"https://www.akto.fr/appels/{seed + i}/",
                buyer="AKTO",
                published=TODAY,
                deadline=datetime(deadline.year, deadline.month, deadline.day, 12, tzinfo=PARIS),
                summary=item.summary,
                body=text,
            )
        )
    return found


def per_notice(classifier: Any, pool: list[Any]) -> float:
    """CPU seconds per notice over one pass of the pool (after a warm-up pass)."""
    for item in pool[: max(1, len(pool) // 10)]:
        classifier.classify(item, today=TODAY)
    started = time.process_time()
    for item in pool:
        classifier.classify(item, today=TODAY)
    return (time.process_time() - started) / len(pool)


def worker(body: int) -> None:
    from watcher.classify import Classifier, load_example_profile

    classifier = Classifier(load_example_profile())
    with_body = notices(200, body, 1_000_000)
    short = notices(2_000, 0, 2_000_000)
    sizes = [len(n.body) for n in with_body]
    print(
        json.dumps(
            {
                "body": per_notice(classifier, with_body),
                "short": per_notice(classifier, short),
                "body_chars": sum(sizes) / len(sizes),
            }
        )
    )


def main() -> None:
    if sys.argv[1:2] == ["--worker"]:
        return worker(int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--body", type=int, default=20_000, help="characters of detail body")
    args = parser.parse_args()
    checkouts = projects(args.project)
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    chars = 0.0
    for number, project in interleaved(args.rounds, checkouts):
        say(f"classify, round {number + 1}: {project.label}")
        argv = [project.python, BENCH / "classify_cost.py", "--worker", str(args.body)]
        figures = json.loads(run_metered(argv, env=project.env()).stdout)
        chars = figures["body_chars"]
        for key in ("body", "short"):
            found[(project.label, key)].append(figures[key])
    many = len(checkouts) > 1
    heads = "".join(f"{p.label:>30}" for p in checkouts)
    print(f"{'classify one notice (CPU)':44}{heads}" + ("   ratio" if many else ""))
    rows = (
        (f"with a detail body of {chars:.0f} characters", "body"),
        ("title + summary only", "short"),
    )
    for label, key in rows:
        values = [median(found[(p.label, key)]) for p in checkouts]
        cells = "".join(f"{f'{1000 * v:.2f} ms ({1 / v:,.0f}/s)':>30}" for v in values)
        print(f"{label:44}{cells}  {ratio(values[-1], values[0]) if many else ''}")
    print(f"medians of {args.rounds} interleaved round(s), CPU time; {load_note()}")


if __name__ == "__main__":
    main()
