"""``opco-watch`` with the benchmark's sites registered as sources (bench/poll.py, peers.py).

    OPCO_BENCH_SITES='[["bench00", "http://127.0.0.1:8001/appels/"]]' \\
        PYTHONPATH=CHECKOUT CHECKOUT/.venv/bin/python bench/opco_bench.py --config C poll --json

Each site is an AKTO-layout listing linking to detail pages, read by the real ``Akto`` scraper
(a subclass with the site's host and listing URL): the same parser, store, grouping, judging
and alert queueing as ``opco-watch poll`` on akto.fr, and the same start-up, since this is the
``opco-watch`` command itself once the sources are registered. Every site's buyer is AKTO.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SITES_ENV = "OPCO_BENCH_SITES"


def register(sites: list[list[str]]) -> list[str]:
    """Add one source per (name, listing URL) to the registry; returns their names."""
    from scrapers.akto import Akto
    from scrapers.registry import SOURCES

    for name, url in sites:
        attrs: dict[str, Any] = {
            "__doc__": "AKTO — appels d'offres (site du banc d'essai).",
            "__module__": __name__,
            "name": name,
            "hosts": (urlsplit(url).hostname or "",),
            "list_urls": (url,),
        }
        SOURCES[name] = type(f"Bench_{name}", (Akto,), attrs)
    return [name for name, _ in sites]


def registered_from_env() -> list[str]:
    return register(json.loads(os.environ.get(SITES_ENV, "[]")))


def write_config(folder: Path, checkout: Path, cap: int = 4) -> Path:
    """A configuration with the checkout's example profile (alerts go to its domain owners)
    and a data folder beside it."""
    profile = (checkout / "watcher" / "classify" / "example_profile.toml").read_text("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    file = folder / "opco-watch.toml"
    file.write_text(
        '[organisation]\nname = "Organisme du banc d\'essai"\n'
        'contact_email = "veille@exemple-formation.fr"\n\n'
        f'[fetch]\nper_host = {cap}\n\n[store]\ndata_dir = "data"\n\n{profile}',
        encoding="utf-8",
    )
    return file


def main() -> None:
    registered_from_env()
    from watcher.cli import main as cli

    cli(prog_name="opco-watch")


if __name__ == "__main__":
    main()
