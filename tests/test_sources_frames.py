"""An empty listing is normal; a missing frame is a layout change — for every HTML source.

A crawler that scans these sites daily saw Uniformation, OPCO Mobilités and Constructys list 0
calls for weeks. Each HTML source declares its ``frame`` (what is on the page whether or not a
call is open) beside its ``rows``: the frame with no row is "0 open calls" (a success with 0
items); no frame is ``LayoutChanged`` (the fallback extractor takes over, the admin is told).
Both are derived here from a saved page of each source, and run through the pipeline too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scrapers.base import HtmlSource
from scrapers.marches_publics_info import MarchesPublicsInfo, MarchesPublicsInfoOptions
from scrapers.registry import PLATFORMS, SOURCES
from tests.conftest import PAGE_DAY, write_config
from tests.test_parsers import Page
from tests.test_sources_opco import LISTINGS as OPCO_LISTINGS
from watcher.config import load_config
from watcher.devserver import DevServer
from watcher.errors import LayoutChanged
from watcher.pipeline import EMPTY_ALERT_AFTER, poll
from watcher.store import Store

MPI = "https://www.marches-publics.info/avis/index.cfm?IDS={}"
#: one saved listing per HTML source (the built-in ones and the configurable platform)
PAGES = [
    *(p for p in OPCO_LISTINGS if p.file.endswith(".html")),
    Page("akto", "akto/listing.html", "https://www.akto.fr/appels-d-offres/"),
    Page("opco-ep", "marches_publics_info/opco-ep.html", MPI.format(6499)),
    Page("constructys", "marches_publics_info/constructys.html", MPI.format(5173)),
    Page("opco2i", "opco2i/admin-ajax.html", "https://www.opco2i.fr/wp-admin/admin-ajax.php"),
    Page("marches-publics.info", "marches_publics_info/opco-ep.html", MPI.format(1234)),
]


def build(page: Page) -> HtmlSource:
    if page.source == "marches-publics.info":
        return MarchesPublicsInfo(MarchesPublicsInfoOptions(ids=1234), name="mon-acheteur")
    source = SOURCES[page.source]()
    assert isinstance(source, HtmlSource)
    return source


def without(page: Page, css: str) -> str:
    soup = BeautifulSoup(page.text(), "lxml")
    for node in soup.select(css):
        node.decompose()
    return str(soup)


def test_every_html_source_declares_its_frame_and_has_a_page_here() -> None:
    html = {n for n, c in {**SOURCES, **PLATFORMS}.items() if issubclass(c, HtmlSource)}
    assert {p.source for p in PAGES} == html
    for page in PAGES:
        source = build(page)
        assert source.frame.css and source.rows.min == 0, page.source  # 0 rows is allowed


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.source)
def test_frame_without_rows_is_zero_open_calls(page: Page) -> None:
    source = build(page)
    emptied = without(page, source.rows.css)
    assert BeautifulSoup(emptied, "lxml").select(source.frame.css), "the frame stays"
    result = source.parse(emptied, page.url)
    assert result.notices == [] and result.unreadable == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.source)
def test_missing_frame_is_a_layout_change(page: Page) -> None:
    source = build(page)
    with pytest.raises(LayoutChanged) as caught:
        source.parse(without(page, source.frame.css), page.url)
    assert f"{source.rows.css} found 0" in str(caught.value)
    assert f"its frame {source.frame.css}" in str(caught.value)


def test_marches_publics_info_saying_nothing_is_open_is_no_call() -> None:
    """Without the table, the page's own "aucune consultation" message is the frame."""
    page = "<html><body><p>Aucune consultation en cours pour cet acheteur.</p></body></html>"
    assert SOURCES["opco-ep"]().parse(page, MPI.format(6499)).notices == []


# ----------------------------------------------------------------- through the pipeline

MOBILITES = "/www.opcomobilites.fr/a-propos/"


@pytest.mark.parametrize(
    ("emptied", "ok", "kind"),
    [("rows", True, None), ("frame", False, "layout")],
    ids=["no-call", "no-frame"],
)
def test_pipeline_tells_no_call_from_a_broken_page(
    tmp_path: Path, server: DevServer, emptied: str, ok: bool, kind: str | None
) -> None:
    """OPCO Mobilités listed its calls, then none: with its frame that is a success (0 items,
    no failure counted, the admin not told) even after ``EMPTY_ALERT_AFTER`` calls or more;
    without its frame it is a failure of kind "layout"."""
    page = next(p for p in PAGES if p.source == "opco-mobilites")
    source = build(page)
    config = load_config(write_config(tmp_path))
    server.add("/www.opcomobilites.fr/robots.txt", "", content_type="text/plain", status=404)
    server.add(MOBILITES, page.text(), last_modified=1_700_000_000)
    (first,) = poll(config, names=["opco-mobilites"], mirror=server.base_url, today=PAGE_DAY)
    assert first.ok and first.items >= EMPTY_ALERT_AFTER
    css = source.rows.css if emptied == "rows" else source.frame.css
    server.add(MOBILITES, without(page, css), last_modified=1_700_086_400)
    (second,) = poll(config, names=["opco-mobilites"], mirror=server.base_url, today=PAGE_DAY)
    with Store.open(config.database) as store:
        state = store.source_state("opco-mobilites")
    assert second.pages == 1 and second.not_modified == 0
    assert second.ok is ok and (second.error_kind or None) == kind
    assert state is not None and state.consecutive_failures == (0 if ok else 1)
    assert state.items_seen_last == (0 if ok else first.items)
