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
from tests.conftest import PAGE_DAY, write_config
from watcher.config import load_config
from watcher.devserver import DevServer
from watcher.errors import LayoutChanged
from watcher.models import Notice
from watcher.pipeline import poll

ROOT = Path(__file__).resolve().parent.parent
TEXT_CSS = ".posts-card__content p:not(.metas)"  # AKTO's short text, beside its meta lines
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
#: attribute values and ``:not()`` as soupsieve reads them in HTML: multi-valued attributes
#: joined by one space, ``rel``/``lang``/``type`` without case unless ``s``, empty values of
#: ``^=``/``$=``/``*=``/``~=`` matching nothing, quoted values holding ``,`` and ``]``
VALUES = (
    "a[rel=next]",
    "a[ rel = 'NEXT' ]",
    'a[rel="next" s]',
    "a[REL=Next S]",
    "[rel~=next]",
    "[rel~=NOFOLLOW]",
    '[rel~=""]',
    '[rel~="next nofollow"]',
    'a[rel="next nofollow"]',
    "[rel^=nex]",
    "[rel$=follow]",
    '[rel*="t n"]',
    'a[class="next page-numbers"]',
    "[class~=metas]",
    '[class~="metas"]',
    "p[class^=met]",
    "[class$=card]",
    "[class*=post]",
    "[class*=POST]",
    "[class*=POST i]",
    '[class^=""]',
    '[class$=""]',
    '[class*=""]',
    '[class=""]',
    "[lang|=fr]",
    "[lang|=FR]",
    '[lang|=""]',
    "[lang=fr-ca]",
    "a[href^=https]",
    "a[href^='/']",
    'a[href$=".PDF"]',
    'main a[href$=".pdf" i]',
    "a[href*=appel]",
    'a[href=""]',
    "a[title='x, ]y'], p.metas",
    'a[title="x, ]y"]',
    "[type=TEXT]",
    "[id]",
    "div#main-content",
    "p:not(.metas)",
    "P:NOT( .metas , .other )",
    "p:not([class])",
    "a:not([rel~=next]):not(.next)",
    "div:not(:not(.posts-card))",
    ":not(.metas) p",
    ":not(div) a[href]",
    ":not(div) html",  # the document is no element: never an ancestor
    "a.next.page-numbers, .pagination a[rel=next]",
    ".posts-card__content p:not(.metas)",
)


def declared() -> set[str]:
    """Every selector declared by a scraper module (``Select`` instances and their css)."""
    found = set(INLINE) | set(SHAPES) | set(VALUES)
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


#: links and paragraphs whose attribute values test ``VALUES``: in capitals, spaced with
#: every kind of white space, empty, holding quotes' delimiters
HOSTILE = (
    '<div class="pagination posts-card" id="main-content">'
    '<a rel="NEXT" href="/p2" class="next page-numbers">2</a>'
    '<a rel="next" href="/p3">2</a><a rel="Next" hreflang="FR" href="/p4">2</a>'
    '<a rel="next \t nofollow" class="page-numbers\nnext" href="https://x.fr/appel.PDF">3</a>'
    '<a rel="prev\x0cnext" href="" title="x, ]y">4</a>'
    '<a rel="" class="" href="/dce.pdf" title="x, ]y ">5</a>'
    '<p class="metas other" lang="FR-ca">m</p><p class="Metas" lang="fr">n</p>'
    '<p class lang="-fr" type="text">o</p><p lang="fr-" TYPE="Text">p</p>'
    "<div class='posts-card__content'><p>q</p><p class='metas'>r</p></div>"
    "</div>"
)


def variants(text: str) -> Iterator[str]:
    """The page, and the page with its class and tag names in capitals, its classes
    doubled with spaces of every kind, as hostile or old sites write them, and with
    ``HOSTILE`` links and paragraphs at its start and its end."""
    yield text
    yield text.replace('class="', 'CLASS="').replace("<main", "<MAIN").replace("</main", "</MAIN")
    yield text.replace('class="', 'class=" \t extra  ')
    yield text.replace("<body>", f"<body>{HOSTILE}", 1).replace("</body>", f"{HOSTILE}</body>")


SELECTORS = sorted(declared())


#: what soupsieve reads and PlainSelector leaves to it (combinators, other pseudo-classes,
#: escapes, namespaces, comments, non-standard ``!=``, complex selectors inside ``:not()``),
#: or what is no selector at all (soupsieve says why)
NOT_PLAIN = (
    ".views-row > article",
    "h3 + p",
    "h3 ~ p",
    "h3,",
    ",h3",
    "",
    "*",
    "a[rel!=next]",
    'a[title="\\61"]',
    "a[title=\\61]",
    "[ns|href]",
    "[*|href]",
    "a /* note */ b",
    "p:not(div p)",
    "p:not()",
    "a:has(> p)",
    "a:-soup-contains(x)",
    "p:first-child",
    "a[x=1]",
    "a[x=b c]",
    "a[x i]",
    'a[x="b"is]',
    'a[title="open]',
    ".é",
)


def test_the_declared_selectors_are_plain_but_a_few() -> None:
    plain = [css for css in SELECTORS if PlainSelector.parse(css) is not None]
    assert len(plain) >= 0.9 * len(SELECTORS)
    for css in ("a.next.page-numbers, .pagination a[rel=next]", TEXT_CSS, 'a[t="x, ]y"], p'):
        assert PlainSelector.parse(css) is not None, css
    for css in NOT_PLAIN:
        assert PlainSelector.parse(css) is None, css


@pytest.mark.parametrize("css", NOT_PLAIN)
def test_a_selector_that_is_not_plain_is_soupsieves(css: str) -> None:
    """Read by soupsieve as before: the same elements, or the same syntax error."""
    soup = html_soup(f"<main><div class='views-row'><article>{HOSTILE}</article></div></main>")
    try:
        expected = soupsieve.select(css, soup)
    except soupsieve.SelectorSyntaxError:
        with pytest.raises(soupsieve.SelectorSyntaxError):
            compiled(css)
        return
    assert compiled(css).select(soup) == expected


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


# -- AKTO read without soupsieve's compiler (about 0.1 s of CPU once per process) ----------


@pytest.fixture
def soupsieve_compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The selectors soupsieve is asked to compile from now on (each refused), the cache
    of compiled selectors emptied before and after."""
    asked: list[str] = []

    def refuse(pattern: str, *args: object, **kwargs: object) -> None:
        asked.append(pattern)
        raise AssertionError(f"soupsieve.compile({pattern!r})")

    compiled.cache_clear()
    monkeypatch.setattr(soupsieve, "compile", refuse)
    yield asked
    compiled.cache_clear()


def test_akto_pages_are_read_without_compiling_with_soupsieve(
    soupsieve_compiles: list[str],
) -> None:
    source = source_class("akto")()
    folder = ROOT / "watcher" / "demo_data" / "akto"
    url = source.list_urls[0]
    next_link = '<nav class="pagination"><a rel="Next" href="?page=2">2</a></nav></main>'
    listing = (folder / "listing.html").read_text("utf-8").replace("</main>", next_link, 1)
    parsed = source.parse(listing, url)
    assert len(parsed.notices) == 4 and parsed.notices[0].summary
    assert [r.url for r in parsed.next_requests] == [f"{url}?page=2"]
    detail = (folder / "cac.html").read_text("utf-8")
    assert source.parse_detail(detail, parsed.notices[0]).body
    assert soupsieve_compiles == []


def test_a_whole_akto_poll_compiles_nothing_with_soupsieve(
    soupsieve_compiles: list[str], tmp_path: Path, demo_server: DevServer
) -> None:
    config = load_config(write_config(tmp_path))
    reports = poll(config, names=("akto",), mirror=demo_server.base_url, today=PAGE_DAY)
    assert [(r.ok, r.new) for r in reports] == [(True, 4)]
    assert soupsieve_compiles == []


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
