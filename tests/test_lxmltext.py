"""scrapers.lxmltext reads a region's strings, lines and links exactly as Beautiful Soup's tree
gives them (html_soup with its SoupStrainer, get_text, opco_common.text_lines, a[href]), on
every saved page and on hostile variants; AKTO's detail reader uses it and builds no soup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scrapers import lxmltext
from scrapers.base import HtmlSource, Select, html_soup, prepare_markup, select_all
from scrapers.opco_common import BLOCK_TAGS, main_region, text_lines
from scrapers.registry import source_class
from watcher.errors import LayoutChanged
from watcher.models import Notice

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "fixtures" / "real"

#: put inside a page's first <main> (or, for the last ones, around or before it)
INSIDE = (
    "a<!-- a comment -->b<?php echo 1; ?>c",
    "<script>var x = '<p>no</p>';</script>after script<style>p { x: 1 }</style>after style",
    "<template><p>Lot 7 : caché</p>hidden tail</template>template's tail",
    "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby> ruby",
    "<p>Lot 1 : Île-de-France<p>Lot 2 : Occitanie</p><li>item<li>item 2",
    "<table><tr><th>Date limite</th><td>5 mars 2031</td></tr><tr><td>x</td></tr></table>",
    "&nbsp;&amp;&foo;&#233;&eacute;\xa0 \t\r\n  <b>\t</b><i>\n \n</i><pre>  a\n\n  b </pre>",
    "<main><p>nested main</p><a href='nested.pdf'>n</a></main>tail of nested",
    "<![CDATA[cdata text]]> <textarea> kept  \n text </textarea>",
    "<a href=''>empty</a><a>no href</a><a href='x.PDF?v=1'>doc</a><a href='javascript:x'>j</a>"
    "<a href='d.docx'><a href='inner.pdf'>inner</a></a><A HREF='UP.zip'>up</A>",
    "<div>" * 300 + "deep" + "</div>" * 300,
    "é" * 509 + "<b>chunk</b>" + "à" * 700,
    "<br>one<br/>two<hr>three<section>s<details><summary>t</summary>u</details></section>",
    "</main>closed early<p>after</p>",
    "<MAIN><P>upper</P></MAIN>",
)
#: deeper than libxml2 builds a tree: lxml's reading refuses it (AKTO reads it with bs4)
TOO_DEEP = "<div>" * 3_000 + "Date limite : 5 mars 2031" + "</div>" * 3_000 + "<p>after</p>"
AROUND = (
    "<template><main><p>main in a template</p></main></template>",
    "<rt><main>main in ruby text</main></rt>",
    "<main>first</main>",
    "<p>no main in this part</p>",
)


def saved_pages() -> Iterator[Path]:
    yield from sorted((ROOT / "watcher" / "demo_data").rglob("*.html"))
    if REAL.is_dir():
        yield from sorted(REAL.glob("*.html"))


def variants(page: str, *, deep: bool = True) -> Iterator[str]:
    yield page
    for extra in (*INSIDE, TOO_DEEP) if deep else INSIDE:
        if "<main" in page:
            head, _, rest = page.partition("<main")
            tag, _, tail = rest.partition(">")
            yield f"{head}<main{tag}>{extra}{tail}"
        else:
            yield at_body_start(page, f"<main>{extra}</main>")
    for extra in AROUND:
        yield at_body_start(page, extra)


def at_body_start(page: str, extra: str) -> str:
    body = re.search(r"<body[^>]*>", page)
    at = body.end() if body else 0
    return page[:at] + extra + page[at:]


def soup_reading(page: str) -> tuple[list[str], str, list[str]] | None:
    main = html_soup(page, only=("main",)).select_one("main")
    if main is None:
        return None
    hrefs = [str(a.get("href")) for a in select_all(main, "a[href]")]
    return list(main.strings), text_lines(main), hrefs


def lxml_reading(page: str) -> tuple[list[str], str, list[str]] | None:
    main = lxmltext.first(lxmltext.parse(prepare_markup(page)), "main")
    if main is None:
        return None
    lines = lxmltext.text_lines(main, BLOCK_TAGS)
    return _soup_strings(list(lxmltext.strings(main))), lines, list(lxmltext.hrefs(main))


def _soup_strings(found: list[str]) -> list[str]:
    """Beautiful Soup keeps a string of ASCII white space only as one space or line end."""
    return [_folded(s) for s in found]


def _folded(text: str) -> str:
    if text.strip(" \t\n\r\x0c"):
        return text
    return "\n" if "\n" in text else " "


@pytest.mark.parametrize("page", list(saved_pages()), ids=lambda p: p.parent.name + "/" + p.name)
def test_a_region_reads_as_beautiful_soup_reads_it(page: Path) -> None:
    text = page.read_text("utf-8")
    compared = 0
    for variant in variants(text, deep=False):
        assert lxml_reading(variant) == soup_reading(variant), variant[:120]
        compared += "<main" in variant.lower()
    assert compared >= len(AROUND)


@pytest.mark.parametrize("page", ["", "\n", "no markup at all", "<?xml version='1.0'?><p>x</p>"])
def test_a_page_without_a_region_has_none_either_way(page: str) -> None:
    assert lxml_reading(page) is None
    assert soup_reading(page) is None


def test_a_page_deeper_than_lxml_s_trees_is_refused() -> None:
    with pytest.raises(lxmltext.TooDeep):
        lxml_reading(f"<main>{TOO_DEEP}</main>")
    shallow = "<div>" * 1_990 + "x" + "</div>" * 1_990
    assert lxml_reading(f"<main>{shallow}</main>") == soup_reading(f"<main>{shallow}</main>")


#: sources whose detail region is the page's first main, read on lxml's tree
LXML_DETAILS = ("akto", "afdas", "atlas", "opco-sante")


def detail_pages() -> Iterator[tuple[str, str, str]]:
    for name in LXML_DETAILS:
        for page in sorted((ROOT / "watcher" / "demo_data" / name).glob("*.html")):
            if not page.name.startswith("listing"):
                for number, variant in enumerate(variants(page.read_text("utf-8"))):
                    yield name, f"{page.stem}-{number}", variant


def listed(name: str, label: str) -> Notice:
    source = source_class(name)()
    url = f"https://{source.hosts[0]}/{label}/"
    return Notice(source=name, ref=url, title=label, url=url, buyer="B")


@pytest.mark.parametrize(("name", "label", "page"), list(detail_pages()), ids=lambda v: v[:24])
def test_a_detail_page_reads_as_through_beautiful_soup(name: str, label: str, page: str) -> None:
    source, notice = source_class(name)(), listed(name, label)
    assert source.parse_detail(page, notice) == HtmlSource.parse_detail(source, page, notice)


@pytest.mark.parametrize("name", LXML_DETAILS)
def test_a_detail_page_builds_no_beautiful_soup(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    source = source_class(name)()
    pages = sorted((ROOT / "watcher" / "demo_data" / name).glob("*.html"))
    details = [p.read_text("utf-8") for p in pages if not p.name.startswith("listing")]
    notice = listed(name, "appel")
    expected = [HtmlSource.parse_detail(source, page, notice) for page in details]
    assert any(e.lots for e in expected) or any(e.documents for e in expected)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Beautiful Soup tree was built")

    monkeypatch.setattr(BeautifulSoup, "__init__", refuse)
    assert [source.parse_detail(page, notice) for page in details] == expected
    with pytest.raises(LayoutChanged):
        source.parse_detail("<html><body><article>x</article></body></html>", notice)


def test_only_a_region_whose_first_match_is_the_first_main_is_read_on_lxml() -> None:
    page = "<main><p>a</p><article>b</article></main>"
    for css in ("main", "main article, main .entry-content, main", "main, main p"):
        found = main_region(page, Select(css, min=1), source="s", url="u")
        assert found is not None and found.tag == "main"
    for css in ("main article", "main, #main-content", "article, main"):
        with pytest.raises(ValueError, match="not always the first main"):
            main_region(page, Select(css, min=1), source="s", url="u")
