"""The scrapers' compiled selectors (scrapers.base.compiled) find what soupsieve finds: the
same elements, in the same order, on every saved page, real capture and hostile variant."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import soupsieve
from bs4 import Tag

import scrapers
from scrapers.base import HtmlSource, PlainSelector, Select, compiled, html_soup, region_tags
from scrapers.registry import source_class
from watcher.errors import LayoutChanged
from watcher.models import Notice

ROOT = Path(__file__).resolve().parent.parent
#: selectors written inline in the readers, beside the declared ``Select`` ones
INLINE = ("a[href]", "p", "li", "tr", "h2, h3", "time[datetime]", "main, #main-content")
#: plain selectors of every shape PlainSelector reads, including case and class lists
SHAPES = (
    "DIV.Posts-Card",
    "main  p",
    "body main article p",
    "p.metas.other",
    "[href]",
    ".metas",
    "#main-content a[href]",
    "a[HREF][class]",
    "div p, p, main",
    "html body main",
)


def declared() -> set[str]:
    """Every selector declared by a scraper module (``Select`` instances and their css)."""
    found = set(INLINE) | set(SHAPES)
    for info in pkgutil.iter_modules(scrapers.__path__):
        module = importlib.import_module(f"scrapers.{info.name}")
        for value in vars(module).values():
            items = [value, *vars(value).values()] if isinstance(value, type) else [value]
            found |= {item.css for item in items if isinstance(item, Select)}
    return found


def pages() -> Iterator[Path]:
    shared = ROOT.parent / "shared" / "fixtures" / "real"
    yield from sorted((ROOT / "watcher" / "demo_data").rglob("*.html"))
    yield from sorted(shared.glob("*.html")) if shared.is_dir() else iter(())


def variants(text: str) -> Iterator[str]:
    """The page, and the page with its class and tag names in capitals, its classes
    doubled with spaces of every kind, as hostile or old sites write them."""
    yield text
    yield text.replace('class="', 'CLASS="').replace("<main", "<MAIN").replace("</main", "</MAIN")
    yield text.replace('class="', 'class=" \t extra  ')


SELECTORS = sorted(declared())


def test_the_declared_selectors_are_mostly_plain() -> None:
    plain = [css for css in SELECTORS if PlainSelector.parse(css) is not None]
    assert len(plain) >= 0.8 * len(SELECTORS)
    assert PlainSelector.parse(".posts-card__content p:not(.metas)") is None
    assert PlainSelector.parse(".views-row > article") is None
    assert PlainSelector.parse("a[rel=next]") is None
    assert PlainSelector.parse("h3,") is None


@pytest.mark.parametrize("page", list(pages()), ids=lambda p: p.name)
def test_compiled_selectors_find_what_soupsieve_finds(page: Path) -> None:
    text = page.read_text("utf-8", errors="replace")
    small = len(text) < 100_000  # soupsieve takes a minute over a large capture's variants
    for variant in variants(text) if small else iter([text]):
        soup = html_soup(variant)
        inner = soup.find_all(["div", "li", "article", "tr", "main"], limit=6 if small else 1)
        scopes: list[Tag] = [soup, *inner]
        for css in SELECTORS:
            selector = compiled(css)
            for scope in scopes:
                expected = soupsieve.select(css, scope)
                found = selector.select(scope)
                assert [id(t) for t in found] == [id(t) for t in expected], (page.name, css)
                first = selector.select_one(scope)
                assert first is (expected[0] if expected else None), (page.name, css)


# -- detail pages built from their region only (HtmlSource.detail_region) -------------------

REGION_SOURCES = ("akto", "afdas", "atlas", "ocapiat", "opco-sante")
OUTSIDE = (
    "<header><main><p>Lot 9 : menu</p></main></header>",  # a second main, before
    "<aside><article><p>Date limite : 1er mars 2031</p><a href='x.pdf'>x</a></article></aside>",
    "<div class='entry-content'><p>Lieu d'exécution : Bretagne</p></div>",
)


def detail_pages() -> Iterator[tuple[str, Path]]:
    for name in REGION_SOURCES:
        for page in sorted((ROOT / "watcher" / "demo_data" / name).glob("*.html")):
            if not page.name.startswith("listing"):
                yield name, page


@pytest.mark.parametrize(("name", "page"), list(detail_pages()), ids=lambda v: str(v))
def test_a_detail_page_read_from_its_region_gives_the_same_notice(name: str, page: Path) -> None:
    source = source_class(name)()
    assert isinstance(source, HtmlSource) and source.detail_region() is not None
    url = f"https://{source.hosts[0]}/{page.stem}/"
    listed = Notice(source=name, ref=url, title=page.stem, url=url, buyer="B")
    text = page.read_text("utf-8")
    for variant in (text, *(text.replace("<body>", f"<body>{extra}", 1) for extra in OUTSIDE)):
        whole = source.parse_detail_soup(html_soup(variant), listed)
        assert source.parse_detail(variant, listed) == whole, (page.name, variant[:80])


def test_a_detail_page_without_its_region_is_a_layout_change_as_before() -> None:
    source = source_class("akto")()
    listed = Notice(source="akto", ref="u", title="t", url="https://www.akto.fr/x/", buyer="B")
    page = "<html><body><article><p>Date limite : 1er mars 2031</p></article></body></html>"
    with pytest.raises(LayoutChanged):
        source.parse_detail_soup(html_soup(page), listed)
    with pytest.raises(LayoutChanged):
        source.parse_detail(page, listed)


def test_region_tags() -> None:
    assert region_tags("main article, main .entry-content, main") == ("main",)
    assert region_tags("main, #main-content") == ()
    assert region_tags(".posts-card__content p:not(.metas)") == ()
    assert region_tags("article p, section") == ("article", "section")
