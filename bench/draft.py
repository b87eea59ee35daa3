"""Benchmark of ``make_draft``: time to write a full draft folder (prints figures; never fails
a build).

    .venv/bin/python bench/draft.py [--n 20] [--lots 12]

Drafts ``n`` typical calls (0 to 3 lots, varied titles) each into a fresh folder and prints
the median and the slowest; then a call with ``--lots`` lots (median of 5 runs). Everything a
draft does is timed: context, 3 to 5 .docx renders each re-opened with python-docx, the
Markdown and HTML files, the zip with copies of the vault's documents. The vault holds the
shipped example's documents (one-page PDFs), the profile is the shipped example. One warm-up
draft runs first (imports, template compilation). Target: under 1 s for a typical call.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from responses.demo import write_demo_files
from responses.draft import make_draft
from responses.sample import SAMPLE_NOW, SampleOrganisation, sample_notice
from responses.settings import load_example
from responses.vault import Vault
from watcher.classify.profile import load_example_profile
from watcher.models import Notice

TITLES = (
    "Actions collectives : manager une équipe de proximité",
    "Formation Sauveteur secouriste du travail (SST) des salariés",
    "Parcours bilan de compétences pour les salariés de la branche",
    "Formations bureautiques : Excel perfectionnement et outils collaboratifs",
    "Anglais professionnel pour les personnels d'accueil (TOEIC)",
)


def calls(n: int) -> list[Notice]:
    return [
        replace(sample_notice(lots=i % 4), ref=f"26-{i:05d}", title=TITLES[i % len(TITLES)])
        for i in range(n)
    ]


class Bench:
    def __init__(self, root: Path) -> None:
        documents, self.settings = load_example()
        write_demo_files(documents, root / "config" / documents.folder)
        self.vault = Vault.load(documents, root / "config")
        self.profile = load_example_profile()
        self.root = root
        self.count = 0

    def time_one(self, notice: Notice) -> float:
        self.count += 1
        start = time.perf_counter()
        make_draft(
            notice,
            organisation=SampleOrganisation(),
            profile=self.profile,
            responses_settings=self.settings,
            vault=self.vault,
            out_dir=self.root / f"draft-{self.count}",
            now=SAMPLE_NOW,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20, help="typical calls drafted (default 20)")
    parser.add_argument("--lots", type=int, default=12, help="lots of the large call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="opco-watch-bench-") as folder:
        bench = Bench(Path(folder))
        bench.time_one(sample_notice())  # warm-up
        typical = [bench.time_one(notice) for notice in calls(args.n)]
        large = [bench.time_one(sample_notice(lots=args.lots)) for _ in range(5)]
    print(
        f"draft of a typical call (0-3 lots), {args.n} calls: median "
        f"{statistics.median(typical):.3f} s, slowest {max(typical):.3f} s"
    )
    print(
        f"draft of a call with {args.lots} lots, 5 runs: median "
        f"{statistics.median(large):.3f} s, slowest {max(large):.3f} s"
    )


if __name__ == "__main__":
    main()
