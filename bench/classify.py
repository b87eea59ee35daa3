"""Benchmark of the classifier: notices per second with reasons, and memory over a long stream.

    .venv/bin/python bench/classify.py [--n 100000] [--profile example|empty] [--tracemalloc]
                                       [--body 20000]

Notices are synthetic (titles, summaries and lots assembled from training and non-training
fragments, CPV codes, places, deadlines) with the development set's real notices mixed in
(one notice in ten): a pool of 10,000 distinct notices is generated first, then cycled, so
that generating them is not timed and the input holds constant memory. Figures, as
notices/s of wall time and of CPU time (the latter is steadier on a shared machine):

- ``classify_record``: record -> verdict (Match with reasons and blockers), one core (the
  pool's lots and summaries repeat, as in a real feed, and are analysed once: the classifier
  keeps a short text from its second reading; its titles, cycled every 10,000 notices, are
  too far apart to be kept, so the figure is not the cycling's);
- ``classify_jsonl``: the same through JSON parsing and writing (the ``classify`` command),
  on 100k lines cycling over 10k pre-rendered ones;
- peak RSS of the process after 10k, 50k and 100k notices (flat = no growth), and with
  ``--tracemalloc`` the Python heap traced at the same points (slower, separate pass).

``--body N`` gives every notice a detail body of N characters of ordinary French text (the
sentences of a consultation's rules, in a random order, with the call's subject in the first
paragraph as in a real notice): the classifier's cost must not grow with N (the head is read,
the rest only when undecided).

``--cv`` prints instead the cross-validation of the users' learner on the development set:
rules alone and rules + learnt, for stage 1 and for one organisation's relevance.

``--project CHECKOUT`` (repeatable) measures checkouts side by side: each round runs this
script in a fresh process of each checkout's own interpreter (``bench/harness.py``), the
order reversed every other round, over the same pool (this file's); ``--rounds`` rounds
(default 3), medians and the ratio of the last checkout to the first.

Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

#: Set in the children of ``--project``: their checkout's root is on PYTHONPATH, not this one.
CHILD = "OPCO_BENCH_CLASSIFY_CHILD"
if not os.environ.get(CHILD):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

if TYPE_CHECKING:
    from watcher.classify import Classifier

DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-notices.jsonl"
TODAY = date(2026, 3, 2)
CHECKPOINTS = (10_000, 50_000, 100_000)
#: Distinct notices generated (then cycled), so that generating them is not timed.
POOL = 10_000

HEADS = [
    "Formation",
    "Prestations de formation",
    "Fourniture",
    "Travaux de rénovation",
    "Accord-cadre de prestations",
    "Maintenance",
    "Bilans de compétences",
    "Accompagnement",
    "Location de salles",
    "Marché d'insertion",
    "Étude",
    "Cours",
]
SUBJECTS = [
    "à la bureautique Excel et Word",
    "SST et gestes et postures",
    "d'anglais professionnel",
    "du logiciel de gestion",
    "des managers de proximité",
    "de mobilier scolaire",
    "habilitation électrique",
    "du bâtiment administratif",
    "FIMO FCO",
    "au management",
    "des espaces verts",
    "de la démarche qualité ISO 9001",
    "numérique",
    "FLE pour adultes",
]
PUBLICS = ["des agents", "des salariés", "des demandeurs d'emploi", "du personnel", "des élus", ""]
CPVS = [["80530000"], ["80500000"], ["45210000"], ["30200000"], ["79632000"], ["72000000"], []]
REGIONS = ["Bretagne", "Normandie", "Île-de-France", "Occitanie", "Corse", "35", "France entière"]


def synthetic(rng: random.Random, i: int) -> dict[str, Any]:
    title = f"{rng.choice(HEADS)} {rng.choice(SUBJECTS)} {rng.choice(PUBLICS)} {i % 997}"
    summary = f"{rng.choice(HEADS)} {rng.choice(SUBJECTS)} pour la collectivité, lot {i % 7}."
    lots = [f"Lot {k} : {rng.choice(SUBJECTS)}" for k in range(rng.randrange(3))] or None
    deadline = f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return {
        "id": f"synthetic-{i}",
        "title": title,
        "summary": summary,
        "buyer": "Ville de Test",
        "lots": lots,
        "cpv": rng.choice(CPVS),
        "region": rng.choice(REGIONS),
        "published": "2026-01-15",
        "deadline": deadline,
    }


#: Sentences of a consultation's rules (ordinary French text for detail bodies).
BODY_SENTENCES = [
    "Le présent règlement de consultation précise les modalités de remise des offres.",
    "Les candidats transmettent leur offre par voie électronique sur le profil d'acheteur.",
    "La date limite de réception des plis est indiquée dans l'avis de publicité.",
    "Le dossier de consultation comprend le cahier des clauses particulières et ses annexes.",
    "Les offres sont classées selon les critères pondérés énoncés ci-dessous.",
    "Le pouvoir adjudicateur se réserve le droit de négocier avec les trois meilleurs candidats.",
    "Les prix sont réputés fermes pour toute la durée d'exécution de l'accord-cadre.",
    "Le délai de validité des offres est de cent vingt jours à compter de la date limite.",
    "Les documents sont rédigés en langue française et les montants exprimés en euros.",
    "Le titulaire produit tous les six mois les attestations sociales et fiscales exigées.",
    "Les questions sont posées par écrit au plus tard dix jours avant la date limite.",
    "Les variantes ne sont pas autorisées et les prestations supplémentaires sont exclues.",
]


def body_of(record: dict[str, Any], size: int, rng: random.Random) -> str:
    """A detail body of about ``size`` characters: the subject first, then the rules."""
    parts = [
        f"Objet de la consultation : {record.get('title') or ''}. {record.get('summary') or ''}"
    ]
    length = len(parts[0])
    while length < size:
        sentence = rng.choice(BODY_SENTENCES)
        parts.append(sentence)
        length += len(sentence) + 1
    return " ".join(parts)[:size]


def records(n: int, seed: int = 0, body: int = 0) -> Iterator[dict[str, Any]]:
    """n notices: every tenth a real one from the development set, the rest synthetic."""
    real = _dev_records()
    rng = random.Random(seed)
    for i in range(n):
        record = real[i // 10 % len(real)] if real and i % 10 == 0 else synthetic(rng, i)
        yield {**record, "body": body_of(record, body, rng)} if body else record


def _dev_records() -> list[dict[str, Any]]:
    if not DEV_SET.is_file():
        return []
    with DEV_SET.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_records(
    classifier: Classifier, n: int, body: int = 0
) -> tuple[float, float, dict[int, float]]:
    """(notices/s wall, notices/s CPU, peak RSS at checkpoints) over a pool of 10k records."""
    pool = list(records(POOL, body=body))
    marks: dict[int, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(1, n + 1):
        classifier.classify_record(pool[i % POOL], today=TODAY)
        if i in CHECKPOINTS:
            marks[i] = rss_mb()
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu), marks


class _Lines:
    """JSONL input of n lines cycling over a pool of pre-rendered lines (so that rendering
    JSON is not timed); iteration is all ``classify_jsonl`` needs."""

    def __init__(self, n: int, pool: int = POOL) -> None:
        self.n = n
        self.lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records(pool, seed=1)]

    def __iter__(self) -> Iterator[str]:
        return (self.lines[i % len(self.lines)] for i in range(self.n))


class _Sink:
    def write(self, text: str) -> int:
        return len(text)


def bench_jsonl(classifier: Classifier, n: int) -> tuple[float, float]:
    from watcher.classify import classify_jsonl

    lines = _Lines(n)
    wall, cpu = time.perf_counter(), time.process_time()
    classify_jsonl(
        classifier,
        cast(TextIO, lines),
        cast(TextIO, _Sink()),
        today=TODAY,
        on_error=lambda line, msg: None,
    )
    return n / (time.perf_counter() - wall), n / (time.process_time() - cpu)


def bench_tracemalloc(classifier: Classifier, n: int) -> dict[int, tuple[float, float]]:
    tracemalloc.start()
    marks: dict[int, tuple[float, float]] = {}
    for i, record in enumerate(records(n), start=1):
        classifier.classify_record(record, today=TODAY)
        if i in CHECKPOINTS:
            current, peak = tracemalloc.get_traced_memory()
            marks[i] = (current / 1e6, peak / 1e6)
    tracemalloc.stop()
    return marks


#: The example profile's domains in the general taxonomy, for the simulated users.
EXAMPLE_TOPICS = {"management", "numerique", "langues", "securite", "bilans"}


def print_cross_validation() -> None:
    from watcher.classify import cross_validate, label_topics, load_example_profile

    if not DEV_SET.is_file():
        print(f"no development set at {DEV_SET}")
        return
    print(cross_validate(DEV_SET).format())
    print()

    def wanted(rows: Any) -> list[bool]:
        return [
            bool(r["label_training"]) and bool(label_topics(str(r.get("domain"))) & EXAMPLE_TOPICS)
            for r in rows
        ]

    result = cross_validate(
        DEV_SET,
        profile=load_example_profile(),
        labels_of=wanted,
        title="Relevant to the example organisation (simulated users)",
    )
    print(result.format())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="notices to classify")
    parser.add_argument("--profile", choices=("example", "empty"), default="example")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace the Python heap")
    parser.add_argument("--cv", action="store_true", help="cross-validate the users' learner")
    parser.add_argument("--body", type=int, default=0, help="characters of detail body")
    parser.add_argument("--project", action="append", help="checkout to measure (repeatable)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --project")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child's
    args = parser.parse_args()
    if args.cv:
        print_cross_validation()
    elif args.project:
        compare(args)
    else:
        measure(args)


def measure(args: argparse.Namespace) -> None:
    """The figures of this process's ``watcher``, as text (or one JSON line with ``--json``)."""
    from watcher.classify import Classifier, Profile, load_example_profile

    profile = load_example_profile() if args.profile == "example" else Profile()
    classifier = Classifier(profile)
    if not args.json:
        print(
            f"{args.n} notices ({'with' if DEV_SET.is_file() else 'without'} dev-set notices), "
            f"profile={args.profile}, body={args.body} characters, reasons computed"
        )
    wall, cpu, marks = bench_records(classifier, args.n, args.body)
    figures = {"record_wall": wall, "record_cpu": cpu}
    if not args.json:
        print(f"classify_record : {wall:,.0f} notices/s wall, {cpu:,.0f} notices/s CPU")
        for count, mb in marks.items():
            print(f"  peak RSS after {count:>7,} notices: {mb:6.1f} MB")
    if not args.body:  # (with a body, the JSONL pass would measure JSON parsing, not the body)
        wall, cpu = bench_jsonl(classifier, args.n)
        figures |= {"jsonl_wall": wall, "jsonl_cpu": cpu}
        if not args.json:
            print(
                f"classify_jsonl  : {wall:,.0f} notices/s wall, {cpu:,.0f} notices/s CPU "
                "(JSON in and out)"
            )
    if args.json:
        print(json.dumps(figures))
    elif args.tracemalloc:
        for count, (current, peak) in bench_tracemalloc(classifier, args.n).items():
            print(f"  heap after {count:>7,}: current {current:5.1f} MB, peak {peak:5.1f} MB")


#: (label, key of a child's figures) of the rows ``--project`` prints.
ROWS = (
    ("classify_record, notices/s CPU", "record_cpu"),
    ("classify_record, notices/s wall", "record_wall"),
    ("classify_jsonl, notices/s CPU", "jsonl_cpu"),
)


def compare(args: argparse.Namespace) -> None:
    """Interleaved rounds of fresh processes, one per checkout and round: medians, ratio."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from harness import interleaved, load_note, median, projects, ratio, run_metered, say

    checkouts = projects(args.project)
    argv = [__file__, "--json", "--n", str(args.n), "--body", str(args.body)]
    argv += ["--profile", args.profile]
    found: dict[tuple[str, str], list[float]] = defaultdict(list)
    for number, project in interleaved(args.rounds, checkouts):
        say(f"classify, round {number + 1}: {project.label}")
        done = run_metered([project.python, *argv], env=project.env(**{CHILD: "1"}))
        for key, value in json.loads(done.stdout.splitlines()[-1]).items():
            found[(project.label, key)].append(value)
    many = len(checkouts) > 1
    print(f"{args.n:,} notices, profile={args.profile}, body={args.body} characters")
    heads = "".join(f"{p.label:>26}" for p in checkouts)
    print(f"{'':34}{heads}" + ("   ratio" if many else ""))
    for label, key in ROWS:
        runs = [found[(p.label, key)] for p in checkouts]
        if not all(runs):
            continue
        values = [median(r) for r in runs]
        cells = "".join(f"{v:>26,.0f}" for v in values)
        print(f"{label:34}{cells}  {ratio(values[-1], values[0]) if many else ''}")
        for project, r in zip(checkouts, runs, strict=True):
            print(f"  {project.label:32}rounds: {', '.join(f'{v:,.0f}' for v in r)}")
    print(f"medians of {args.rounds} interleaved round(s); {load_note()}")


if __name__ == "__main__":
    main()
