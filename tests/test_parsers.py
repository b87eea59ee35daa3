"""Every parser on every saved page: golden output, invariants, and loud layout changes.

Golden files live in tests/pages/golden/; regenerate them after a deliberate change with
``UPDATE_GOLDEN=1 pytest tests/test_parsers.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from scrapers.base import Source
from scrapers.registry import SOURCES
from tests.conftest import PAGE_DAY, PAGES
from watcher.demo import fill_dates
from watcher.errors import LayoutChanged, ParseError
from watcher.models import Notice

DEMO = resources.files("watcher") / "demo_data"
GOLDEN = PAGES / "golden"
BOAMP_URL = (
    "https://boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records"
    "?limit=100&offset=0&order_by=dateparution+desc&where=search%28objet%2C+%22formation%22%29"
)


@dataclass(frozen=True)
class Page:
    source: str
    file: str
    url: str
    detail_of: str | None = None  # a detail page: the key of the listing notice it completes

    @property
    def id(self) -> str:
        return f"{self.source}-{self.file.replace('/', '-')}"

    def text(self) -> str:
        return fill_dates((DEMO / self.file).read_text("utf-8"), PAGE_DAY)


AKTO = "https://www.akto.fr/appels-d-offres/"
LISTINGS = [
    Page("boamp", "boamp/records.json", BOAMP_URL),
    Page("akto", "akto/listing.html", AKTO),
]
DETAILS = [
    Page("akto", "akto/manager.html", AKTO + "actions-collectives-2027-manager-proximite/", "x"),
    Page("akto", "akto/clea.html", AKTO + "parcours-clea-hauts-de-france/", "x"),
    Page("akto", "akto/cac.html", AKTO + "commissariat-aux-comptes-2027/", "x"),
    Page("akto", "akto/sst.html", AKTO + "sst-prevention-hcr/", "x"),
]


def parse_listing(page: Page) -> list[Notice]:
    return SOURCES[page.source]().parse(page.text(), page.url).notices


def parse_detail(page: Page) -> Notice:
    source: Source = SOURCES[page.source]()
    listing = parse_listing(next(p for p in LISTINGS if p.source == page.source))
    notice = next(n for n in listing if n.url == page.url)
    return source.parse_detail(page.text(), notice)


def check_golden(name: str, notices: list[Notice]) -> None:
    file = GOLDEN / f"{name}.json"
    produced = [n.to_json() for n in notices]
    if os.environ.get("UPDATE_GOLDEN"):
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(produced, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert file.exists(), f"no golden file {file}: run with UPDATE_GOLDEN=1 and review it"
    assert produced == json.loads(file.read_text("utf-8"))


@pytest.mark.parametrize("page", LISTINGS, ids=lambda p: p.id)
def test_listing_matches_golden(page: Page) -> None:
    check_golden(page.id, parse_listing(page))


@pytest.mark.parametrize("page", DETAILS, ids=lambda p: p.id)
def test_detail_matches_golden(page: Page) -> None:
    check_golden(page.id, [parse_detail(page)])


@pytest.mark.parametrize("page", LISTINGS, ids=lambda p: p.id)
def test_listing_invariants(page: Page) -> None:
    notices = parse_listing(page)
    assert notices, "a saved listing yields notices"
    assert len({n.key for n in notices}) == len(notices), "keys are unique"
    for notice in notices:
        assert notice.url.startswith("https://")
        assert notice.title.strip()
        assert notice.deadline is None or notice.deadline.tzinfo is not None
        assert (
            notice.deadline is not None
            or notice.kind != "call"
            or notice.deadline_text == ""
            or "voir" in notice.deadline_text
        ), "an unreadable deadline keeps its raw text"


def test_every_registered_source_has_saved_pages_and_golden_output() -> None:
    """Each source is served by the demo (routes.json) and has golden parser output."""
    routes = json.loads((DEMO / "routes.json").read_text("utf-8"))["routes"]
    served = [file for _, file in routes]
    goldens = [file.name for file in GOLDEN.glob("*.json")]
    for name in SOURCES:
        assert any(name in file for file in served), f"{name}: no page in demo_data/routes.json"
        assert any(g.startswith(f"{name}-") for g in goldens), f"{name}: no golden output"


def test_emptied_html_listing_raises_layout_changed() -> None:
    page = LISTINGS[1]
    emptied = page.text().replace('class="posts-card"', 'class="teaser"')
    with pytest.raises(LayoutChanged) as caught:
        SOURCES["akto"]().parse(emptied, page.url)
    assert "div.posts-card found 0" in str(caught.value)


def test_api_answer_without_results_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="no 'results'"):
        SOURCES["boamp"]().parse('{"error": "quota"}', BOAMP_URL)
    with pytest.raises(ParseError, match="did not return JSON"):
        SOURCES["boamp"]().parse("<html>maintenance</html>", BOAMP_URL)


def test_every_bundled_page_has_its_provenance() -> None:
    """Each file under watcher/demo_data is described in its PROVENANCE.md (by name or glob)."""
    import fnmatch

    text = (DEMO / "PROVENANCE.md").read_text("utf-8")
    described = [cell for cell in re.findall(r"`([^`]+)`", text) if "/" in cell or "." in cell]
    root = Path(str(DEMO))
    for file in root.rglob("*"):
        name = file.relative_to(root).as_posix()
        if file.is_dir() or name in ("PROVENANCE.md", "routes.json"):
            continue
        assert any(fnmatch.fnmatch(name, pattern) for pattern in described), name


def test_akto_detail_reads_its_lots() -> None:
    (manager,) = (p for p in DETAILS if p.file == "akto/manager.html")
    notice = parse_detail(manager)
    assert [(lot.number, lot.title) for lot in notice.lots] == [
        ("1", "Île-de-France"),
        ("2", "Hauts-de-France"),
    ]
