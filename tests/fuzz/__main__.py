"""``make fuzz``: a large fuzzing run over every target, then a table of inputs and crashes.

    python -m tests.fuzz [--inputs 1000000] [--targets boamp,ted] [--seed N] [--jobs 2]

The budget is shared among the targets by weight (a PDF costs more than a page, a date far
less). Each target runs in batches (hypothesis keeps a little state per example: batches bound
its memory), ``PER_EXAMPLE`` inputs drawn per hypothesis example (its own cost per example
would otherwise dominate the cheap targets); targets run ``--jobs`` at a time. A crash does not
stop the run: it is counted, and its first input per distinct place (exception type, file,
line) is saved under ``tests/fuzz/crashes/<target>/`` so that ``tests/test_fuzz.py`` replays it
from then on. Exit status 1 when anything crashed.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import random
import sys
import time

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.fuzz.harness import Crash, Tally, exercise, inputs, save_crash
from tests.fuzz.targets import TARGETS, Target

BATCH = 4_000
PER_EXAMPLE = 8
LARGE = settings(
    database=None,
    deadline=None,
    phases=(Phase.generate,),  # crashes are counted, not shrunk
    suppress_health_check=list(HealthCheck),
)


def budgets(total: int, targets: list[Target]) -> dict[str, int]:
    """``total`` inputs shared by weight: a target of weight w gets 1/w times the inputs of
    a target of weight 1 per unit of time it is expected to take."""
    shares = {t.name: 1 / max(t.weight, 0.01) ** 0.5 for t in targets}
    scale = total / sum(shares.values())
    counts = {name: max(1, int(share * scale)) for name, share in shares.items()}
    counts[targets[0].name] += total - sum(counts.values())  # exactly ``total``
    return counts


def fuzz(target: Target, count: int, first_seed: int) -> Tally:
    tally = Tally()
    strategy = st.lists(inputs(target), min_size=PER_EXAMPLE, max_size=PER_EXAMPLE)
    done = 0
    while done < count:
        size = min(BATCH, count - done)

        @seed(first_seed + done)
        @settings(LARGE, max_examples=max(1, size // PER_EXAMPLE))
        @given(strategy)
        def batch(values: list[str | bytes]) -> None:
            for value in values[: count - tally.inputs]:
                tally.inputs += 1
                try:
                    exercise(target, value)
                except Crash as crash:
                    tally.record(value, crash)

        batch()
        done = tally.inputs if tally.inputs > done else done + size
    return tally


def _run(job: tuple[str, int, int]) -> tuple[str, Tally, float]:
    name, count, first_seed = job
    logging.disable(logging.CRITICAL)  # readers log what they leave out: not for this run
    started = time.perf_counter()
    tally = fuzz(TARGETS[name], count, first_seed)
    return name, tally, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--inputs", type=int, default=1_000_000, help="inputs in all")
    parser.add_argument("--targets", default="", help="comma-separated names (default: all)")
    parser.add_argument("--seed", type=int, default=random.randrange(2**31))
    parser.add_argument("--jobs", type=int, default=2, help="targets fuzzed at once")
    args = parser.parse_args(argv)
    chosen = [TARGETS[n] for n in args.targets.split(",") if n] or list(TARGETS.values())
    chosen = [t for t in chosen if t.seeds()]
    counts = budgets(args.inputs, chosen)
    print(f"fuzzing {len(chosen)} targets, {args.inputs:,} inputs in all, seed {args.seed}")
    jobs = [(t.name, counts[t.name], args.seed) for t in chosen]
    done: dict[str, tuple[Tally, float]] = {}
    with multiprocessing.get_context("fork").Pool(max(1, args.jobs)) as pool:
        for name, tally, elapsed in pool.imap_unordered(_run, jobs):
            done[name] = (tally, elapsed)
            print(
                f"  {name:<22} {tally.inputs:>9,} inputs  {tally.crashes:>6,} crashes"
                f"  {elapsed:>8.1f} s",
                flush=True,
            )
    rows = []
    for target in chosen:
        tally, elapsed = done[target.name]
        saved = [save_crash(target, value) for value in tally.distinct.values()]
        rows.append((target.name, tally, elapsed, saved))
    return _report(rows)


def _report(rows: list[tuple[str, Tally, float, list[object]]]) -> int:
    print()
    print(f"| {'target':<22} | {'inputs':>9} | {'crashes':>7} | {'distinct':>8} | {'seconds':>7} |")
    print(f"|{'-' * 24}|{'-' * 11}|{'-' * 9}|{'-' * 10}|{'-' * 9}|")
    for name, tally, elapsed, _ in rows:
        print(
            f"| {name:<22} | {tally.inputs:>9,} | {tally.crashes:>7,} |"
            f" {len(tally.distinct):>8} | {elapsed:>7.0f} |"
        )
    inputs = sum(t.inputs for _, t, _, _ in rows)
    crashes = sum(t.crashes for _, t, _, _ in rows)
    seconds = sum(e for _, _, e, _ in rows)
    print(f"| {'all':<22} | {inputs:>9,} | {crashes:>7,} | {'':>8} | {seconds:>7.0f} |")
    for name, tally, _, saved in rows:
        for (where, _), file in zip(tally.distinct.items(), saved, strict=True):
            print(f"crash in {name}: {where} -> kept as {file}")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
