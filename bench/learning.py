"""Learning curve: F1 on held-out folds as a function of the number of user judgements.

    .venv/bin/python bench/learning.py [--folds 5] [--repeats 2] [--out bench/out]

The example organisation (``watcher/classify/example_profile.toml``: management, office and
digital skills, languages, safety, bilans) and simulated users who judge a notice relevant when
it is a training call (``label_training``) in one of those domains, read from the record's
``domain`` label (development notices) or, for the DECP records that have none, from its title
by the same keyword table (``evaluate.label_topics``). The pool: ``dev-notices.jsonl`` and
``decp-2019-dev.jsonl`` (buyer and title only), about 5,250 notices.

In each fold the users judge n notices of the other folds, in the order a user meets them:
first those the tool showed (rule score of 20 or more, in a random order), then others picked
at random (browsing ``list``). The learner is fed judgement after judgement and measured at
n = 0, 10, 25, 50, 100, 250 on the held-out fold (``Match.relevant`` against the simulated
users). Printed: mean F1 over folds x repeats and its spread (sd), for the rules alone and with
the learner, the paired gain, and the time to learn 5,000 judgements. Writes
``learning-curve.svg`` in ``--out`` (not committed). Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watcher.classify import Classifier, Learner, label_topics, load_example_profile
from watcher.classify.crossval import stratified_folds
from watcher.classify.document import Document, from_record
from watcher.classify.metrics import confusion

EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
COUNTS = (0, 10, 25, 50, 100, 250)
#: What the simulated users want: the profile's domains, or ("drift") the same without the
#: safety courses the organisation stopped selling while its profile still lists them.
USERS = {
    "profile": {"management", "numerique", "langues", "securite", "bilans"},
    "drift": {"management", "numerique", "langues", "bilans"},
}
SHOWN = 20
TODAY = date(2000, 1, 1)


def pool(wanted_topics: set[str]) -> tuple[list[Document], list[bool]]:
    docs: list[Document] = []
    truth: list[bool] = []
    for name in ("dev-notices.jsonl", "decp-2019-dev.jsonl"):
        with (EVAL / name).open(encoding="utf-8") as stream:
            for line in stream:
                record: dict[str, Any] = json.loads(line)
                if "label_cpv" in record:  # DECP: buyer and title only
                    record = {k: record[k] for k in ("id", "buyer", "title", "label_training")}
                docs.append(from_record(record))
                label = str(record.get("domain") or record["title"])
                wanted = label_topics(label) & wanted_topics
                truth.append(bool(record["label_training"]) and bool(wanted))
    return docs, truth


def judging_order(train: list[int], scores: list[int], rng: random.Random) -> list[int]:
    shown = [i for i in train if scores[i] >= SHOWN]
    others = [i for i in train if scores[i] < SHOWN]
    rng.shuffle(shown)
    rng.shuffle(others)
    return shown + others


def curve(folds: int, repeats: int, wanted: set[str]) -> dict[int, tuple[list[float], list[float]]]:
    """n -> (F1 per fold with the learner, F1 per fold of the rules alone)."""
    profile = load_example_profile()
    docs, truth = pool(wanted)
    rules = Classifier(profile)
    verdicts = [rules.assess(doc, today=TODAY).match for doc in docs]
    scores = [v.score for v in verdicts]
    out: dict[int, tuple[list[float], list[float]]] = {n: ([], []) for n in COUNTS}
    for repeat in range(repeats):
        fold_of = stratified_folds(truth, folds, seed=repeat)
        for fold in range(folds):
            test = [i for i, f in enumerate(fold_of) if f == fold]
            train = [i for i, f in enumerate(fold_of) if f != fold]
            order = judging_order(train, scores, random.Random(1000 * repeat + fold))
            rules_f1 = confusion([truth[i] for i in test], [verdicts[i].relevant for i in test]).f1
            learner = Learner()
            learnt = Classifier(profile, model=learner)
            fed = 0
            for n in COUNTS:
                for i in order[fed:n]:
                    rules.teach(learner, f"#{i}", docs[i], truth[i])
                fed = n
                said = [learnt.assess(docs[i], today=TODAY).match.relevant for i in test]
                out[n][0].append(confusion([truth[i] for i in test], said).f1)
                out[n][1].append(rules_f1)
    return out


def retrain_seconds(count: int = 5000) -> float:
    docs, truth = pool(USERS["profile"])
    rules = Classifier(load_example_profile())
    started = time.process_time()
    learner = Learner()
    for i in range(min(count, len(docs))):
        rules.teach(learner, f"#{i}", docs[i], truth[i])
    return time.process_time() - started


def svg(points: dict[int, tuple[list[float], list[float]]], path: Path) -> None:
    """A small line chart: mean F1 with the learner (± sd) and of the rules, against n."""
    width, height, left, bottom = 560, 340, 60, 40
    xs = {n: left + k * (width - left - 20) / (len(COUNTS) - 1) for k, n in enumerate(COUNTS)}

    def y(value: float) -> float:
        return height - bottom - value * (height - bottom - 20)

    learnt = [
        (xs[n], statistics.mean(points[n][0]), statistics.pstdev(points[n][0])) for n in COUNTS
    ]
    rules = [(xs[n], statistics.mean(points[n][1])) for n in COUNTS]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="12">',
        f'<line x1="{left}" y1="{y(0)}" x2="{width - 20}" y2="{y(0)}" stroke="#333"/>',
        f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{y(1)}" stroke="#333"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<text x="{left - 35}" y="{y(tick) + 4}">{tick:.2f}</text>')
    for n in COUNTS:
        parts.append(f'<text x="{xs[n] - 8}" y="{height - bottom + 18}">{n}</text>')
    band = [f"{x},{y(m + s)}" for x, m, s in learnt] + [
        f"{x},{y(m - s)}" for x, m, s in learnt[::-1]
    ]
    parts.append(f'<polygon points="{" ".join(band)}" fill="#1f77b4" opacity="0.15"/>')
    line = " ".join(f"{x},{y(m)}" for x, m, _s in learnt)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#1f77b4" stroke-width="2"/>')
    line = " ".join(f"{x},{y(m)}" for x, m in rules)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#d62728" stroke-dasharray="6 4"/>')
    parts += [
        f'<text x="{left + 10}" y="16">F1 on held-out folds (example profile)</text>',
        f'<text x="{width - 200}" y="{y(0.12)}" fill="#1f77b4">rules + learnt (± sd)</text>',
        f'<text x="{width - 200}" y="{y(0.05)}" fill="#d62728">rules alone</text>',
        f'<text x="{width / 2 - 40}" y="{height - 5}">user judgements</text>',
        "</svg>",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--users", choices=sorted(USERS), default="profile")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = parser.parse_args()
    if not (EVAL / "decp-2019-dev.jsonl").is_file():
        print(f"no evaluation sets in {EVAL}")
        return
    points = curve(args.folds, args.repeats, USERS[args.users])
    runs = args.folds * args.repeats
    print(
        f"F1 on held-out folds, users={args.users}, {args.folds} folds x {args.repeats} repeats "
        f"({runs} runs)"
    )
    header = ("judgements", "learnt F1", "sd", "rules F1", "sd", "gain", "sd")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (10, 10, 6, 9, 6, 7, 6), strict=True)))
    for n in COUNTS:
        mine, rules = points[n]
        gains = [a - b for a, b in zip(mine, rules, strict=True)]
        print(
            f"{n:>10} {statistics.mean(mine):>10.3f} {statistics.pstdev(mine):>6.3f} "
            f"{statistics.mean(rules):>9.3f} {statistics.pstdev(rules):>6.3f} "
            f"{statistics.mean(gains):>+7.3f} {statistics.pstdev(gains):>6.3f}"
        )
    target = args.out / f"learning-curve-{args.users}.svg"
    svg(points, target)
    print(f"plot: {target}")
    print(f"learning 5,000 judgements from scratch: {retrain_seconds():.2f} s CPU")


if __name__ == "__main__":
    main()
