"""Hash of the classifier's full verdicts over the benchmark's pool, to compare two checkouts.

    .venv/bin/python bench/classify_verdicts.py [--project DIR] [--n 10000] [--bodies 300]

Classifies ``--n`` notices of ``bench/classify.py``'s pool twice (the second pass reads the
kept segments), then ``--bodies`` notices with 20 kB detail bodies, for the example and the
empty profile, and prints one SHA-256 per profile of every verdict's fields (relevant, score,
domains, reasons, blockers, training, probability, points, topics). ``--project`` is the
checkout whose ``watcher`` is imported (default: this one); the pool comes from this file's
checkout, so two checkouts hash the same notices. Run it under several ``PYTHONHASHSEED``
values. ``--fold-spaces`` hashes the texts with their no-break spaces read as plain spaces, to
show that a typography change moved nothing else. Prints figures; never fails a build.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=HERE.parent)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--bodies", type=int, default=300)
    parser.add_argument("--fold-spaces", action="store_true", help="no-break spaces as spaces")
    args = parser.parse_args()
    sys.path.insert(0, str(args.project.resolve()))
    from watcher.classify import Classifier, Profile, load_example_profile
    from watcher.classify.document import from_record

    spec = importlib.util.spec_from_file_location("bench_classify", HERE / "classify.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    pool = list(bench.records(args.n)) * 2 + list(bench.records(args.bodies, seed=3, body=20_000))
    for name, profile in (("example", load_example_profile()), ("empty", Profile())):
        classifier = Classifier(profile)
        digest = hashlib.sha256()
        for record in pool:
            v = classifier.assess(from_record(record), today=bench.TODAY)
            m = v.match
            fields = (m.relevant, m.score, m.domains, m.reasons, m.blockers)
            text = repr((fields, v.training, v.probability, v.points, v.topics))
            if args.fold_spaces:
                text = text.replace("\\xa0", " ").replace("\xa0", " ")
            digest.update(text.encode())
        print(f"{name}: {len(pool)} verdicts, sha256 {digest.hexdigest()}")


if __name__ == "__main__":
    main()
