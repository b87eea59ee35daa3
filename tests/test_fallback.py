"""The generic fallback extractor: it finds the calls of a page whose scraper broke, and never
invents a call from the page's navigation; through the pipeline, it adds calls but never
replaces what the source's scraper stored, and a recovered site is read again in full.

Tested on the real BOAMP search page (shared/fixtures/real) and on "redesigned" variants of the
saved OPCO pages, derived here so that each source's selectors no longer match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from scrapers.fallback import fallback_notices
from scrapers.registry import SOURCES
from tests.conftest import PAGE_DAY, write_config
from tests.test_parsers import AKTO, Page
from tests.test_sources_opco import LISTINGS
from watcher.config import Config, load_config
from watcher.devserver import DevServer
from watcher.errors import LayoutChanged
from watcher.merging import fill_empty
from watcher.models import PARIS, Notice, NoticeKind
from watcher.pipeline import SourceReport, poll
from watcher.store import Store
from watcher.store.schema import outbox

BOAMP_PAGE = "boamp-fr_recherche-resultats_2026-01-04.html"
BOAMP_URL = "https://www.boamp.fr/pages/recherche/"
BOAMP_CARDS = ["26-12", "26-13", "26-43", "26-52", "26-57", "26-63", "26-71", "26-70"]
BOAMP_CARDS += ["26-18", "26-62"]


def listing(source: str, file: str = "") -> Page:
    return next(p for p in LISTINGS if p.source == source and file in p.file)


#: how each site is "redesigned": its scraper's selectors no longer match, its content stays
REDESIGNS: dict[str, Callable[[str], str]] = {
    "akto": lambda html: html.replace('class="posts-card"', 'class="teaser"'),
    "afdas": lambda html: re.sub(r"<(/?)article\b", r"<\1div", html),
    "opco-sante": lambda html: html.replace("wp-block-post-template", "cards"),
    "uniformation": lambda html: html.replace("views-row", "view-item"),
    "opcommerce": lambda html: re.sub(r"<(/?)main\b", r"<\1div", html),
}
#: Atlas is not here: its cards give a date range without a "date limite" label, which a
#: generic reader cannot take for a deadline (its layout change: tests/test_sources_frames.py)
PAGES = [
    Page("akto", "akto/listing.html", AKTO),
    listing("afdas"),
    listing("opco-sante"),
    listing("uniformation", "listing.html"),
    listing("opcommerce"),
]


#: site chrome that speaks of calls, with dates: what a naive extractor would take for calls
CHROME = """
<header class="site-header"><nav><a href="/appels-d-offres/archives/">Appels d'offres archivés
  (mis à jour le 02/03/2026)</a></nav></header>
<aside><a href="/actualites/nouvel-appel-a-projets/">Nouvel appel à projets publié le
  01/03/2026</a></aside>
<div class="breadcrumb"><a href="/marches-publics/">Marchés publics — 2026</a> › Consultations au
  01/03/2026</div>
<footer><a href="/consultations/2025/">Consultations 2025, clôturées le 31/12/2025</a></footer>
"""


def with_chrome(html: str) -> str:
    return re.sub(r"<body[^>]*>", lambda body: body.group() + CHROME, html, count=1)


def chrome_links(html: str, base_url: str) -> set[str]:
    """Every link of the page's header, menus, sidebar and footer."""
    soup = BeautifulSoup(html, "lxml")
    chrome = soup.select("header, nav, footer, aside, [role=navigation]")
    return {urljoin(base_url, str(a["href"])) for part in chrome for a in part.select("a[href]")}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_fallback_finds_the_calls_of_a_redesigned_page(page: Page) -> None:
    source = SOURCES[page.source]()
    original = source.parse(page.text(), page.url).notices
    redesigned = REDESIGNS[page.source](page.text())
    with pytest.raises(LayoutChanged):
        source.parse(redesigned, page.url)
    found = fallback_notices(redesigned, page.url, page.source)
    assert [n.url for n in found] == [n.url for n in original]
    assert [n.key for n in found] == [n.key for n in original], "keys survive the fallback"
    for notice, listed in zip(found, original, strict=True):
        assert notice.via_fallback and notice.source == page.source
        assert notice.deadline == listed.deadline, notice.title
        assert notice.kind == listed.kind, notice.title
        assert notice.title.strip() and "Consulter" not in notice.title


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.id)
def test_fallback_never_takes_the_navigation(page: Page) -> None:
    html = with_chrome(REDESIGNS[page.source](page.text()))
    chrome = chrome_links(html, page.url)
    assert len(chrome) >= 3, "the page has chrome to ignore"
    assert not {n.url for n in fallback_notices(html, page.url, page.source)} & chrome


@pytest.mark.parametrize(
    ("source", "change"),
    [
        # OCAPIAT lists bare links without a date: nothing a generic reader can trust
        # (main renamed too: with its frame and no row, a page says "no open call")
        ("ocapiat", lambda html: html.replace("/project/", "/procedure/").replace("main>", "div>")),
        # OPCO Mobilités links its calls to buyer platforms only: never candidates
        (
            "opco-mobilites",
            lambda html: html.replace("accordion__details", "faq__item").replace("main", "div"),
        ),
    ],
)
def test_fallback_finds_nothing_rather_than_inventing(
    source: str, change: Callable[[str], str]
) -> None:
    page = listing(source)
    redesigned = change(page.text())
    with pytest.raises(LayoutChanged):
        SOURCES[source]().parse(redesigned, page.url)
    assert fallback_notices(redesigned, page.url, source) == []


def test_fallback_keeps_documents_with_their_call() -> None:
    page = listing("uniformation", "listing.html")
    found = fallback_notices(REDESIGNS["uniformation"](page.text()), page.url, "uniformation")
    first = found[0]
    assert first.documents == (
        "https://www.uniformation.fr/sites/default/files/2026-02/"
        "cahier-des-charges-aap-animateurs-2026.pdf",
    )
    assert all(n.url != first.documents[0] for n in found), "a call's document is no call"


def test_fallback_takes_pdf_calls_from_any_host() -> None:
    page = listing("opcommerce")
    found = fallback_notices(REDESIGNS["opcommerce"](page.text()), page.url, "opcommerce")
    assert found[-1].url.startswith("https://lopcommerce.blob.core.windows.net/")
    assert found[0].title.startswith("APPEL A PROPOSITIONS 2026 – POEC")
    assert found[0].documents == (found[0].url,)


def test_fallback_ignores_off_site_pages_and_same_page_links() -> None:
    html = """<main>
      <p><a href="https://www.autre-site.fr/ao/12">Appel d'offres : formation SST</a>
         Date limite : 12/03/2026</p>
      <p><a href="#ao-1">Appel d'offres n° 1</a> publié le 02/03/2026</p>
      <p><a href="/appels-d-offres/">Appels d'offres</a> (mis à jour le 02/03/2026)</p>
    </main>"""
    assert fallback_notices(html, "https://www.opco.fr/appels-d-offres/", "x") == []


def test_fallback_needs_tender_words_and_a_date() -> None:
    base = "https://www.opco.fr/actus/"
    news = '<main><p><a href="/actus/webinaire">Webinaire emploi</a> le 12/03/2026</p></main>'
    undated = '<main><p><a href="/ao/sst">Appel d\'offres : formations SST</a></p></main>'
    call = '<main><p><a href="/ao/sst">Appel d\'offres : formations SST</a> 12/03/2026</p></main>'
    assert fallback_notices(news, base, "x") == fallback_notices(undated, base, "x") == []
    assert [n.url for n in fallback_notices(call, base, "x")] == ["https://www.opco.fr/ao/sst"]


# -- the real BOAMP search page ---------------------------------------------------------------


@pytest.fixture(scope="module")
def boamp_html(shared: Path) -> str:
    file = shared / "fixtures" / "real" / BOAMP_PAGE
    if not file.is_file():
        pytest.skip(f"real BOAMP page not found at {file}: shared/ fixtures are not bundled")
    return file.read_text("utf-8")


@pytest.fixture(scope="module")
def boamp_found(boamp_html: str) -> list[Notice]:
    return fallback_notices(boamp_html, BOAMP_URL, "boamp")


def test_fallback_finds_every_card_of_the_real_boamp_page(boamp_found: list[Notice]) -> None:
    found = boamp_found
    assert [n.url for n in found] == [
        f'https://www.boamp.fr/pages/avis?q=idweb:"{idweb}"' for idweb in BOAMP_CARDS
    ]
    assert found[0].title.startswith("Prestation de service de collecte, de traitement")
    assert all(n.via_fallback and n.published == date(2026, 1, 4) for n in found)


def test_fallback_reads_the_boamp_cards_deadlines_and_kinds(boamp_found: list[Notice]) -> None:
    found = {n.url.split('"')[1]: n for n in boamp_found}
    deadlines = {k: n.deadline for k, n in found.items() if n.deadline}
    assert deadlines == {
        "26-12": _paris(2026, 2, 5, 16),
        "26-13": _paris(2026, 2, 3, 16),
        "26-63": _paris(2026, 2, 16, 12),
    }
    awards = {k for k, n in found.items() if n.kind == NoticeKind.AWARD}
    assert awards == set(BOAMP_CARDS) - {"26-12", "26-13", "26-63"}  # "Résultat de marché"


def test_fallback_never_takes_boamp_navigation(boamp_html: str, boamp_found: list[Notice]) -> None:
    found = {n.url for n in boamp_found}
    chrome = chrome_links(boamp_html, BOAMP_URL)
    assert len(chrome) > 20 and not found & chrome


def _paris(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=PARIS)


# -- through the pipeline: good layout -> broken layout -> recovered ---------------------------

AKTO_LIST = "/www.akto.fr/appels-d-offres/"
BROKEN_DETAIL = "<html><body><div class='nouveau-site'>Nouveau site</div></body></html>"
#: what the source's scraper reads and the fallback must never replace
KEPT = ("title", "deadline", "deadline_text", "summary", "body", "documents", "kind")


@pytest.fixture
def akto_config(tmp_path: Path) -> Config:
    return load_config(write_config(tmp_path))


class Akto:
    """The demo's AKTO pages on the loopback server, and ways to break and restore them."""

    def __init__(self, server: DevServer) -> None:
        self.server = server
        self.listing = self.get(AKTO_LIST)
        soup = BeautifulSoup(self.listing, "lxml")
        self.details = [
            "/www.akto.fr" + str(a["href"]) for a in soup.select("div.posts-card a.btn[href]")
        ]
        self.detail_pages = {path: self.get(path) for path in self.details}

    def get(self, path: str) -> str:
        return httpx.get(self.server.base_url + path).text

    def serve(self, listing: str, *, broken_details: bool = False) -> None:
        self.server.add(AKTO_LIST, listing)
        for path, page in self.detail_pages.items():
            self.server.add(path, BROKEN_DETAIL if broken_details else page)

    def poll(self, config: Config) -> SourceReport:
        self.server.clear_log()
        (report,) = poll(config, names=["akto"], mirror=self.server.base_url, today=PAGE_DAY)
        return report

    def fetched_details(self) -> set[str]:
        return {r.path for r in self.server.requests} & set(self.details)


def redesigned(listing: str) -> str:
    return REDESIGNS["akto"](listing)


def without_card(listing: str, slug: str) -> str:
    soup = BeautifulSoup(listing, "lxml")
    for card in soup.select("div.posts-card"):
        if card.select_one(f"a[href*='{slug}']"):
            card.decompose()
    return str(soup)


def stored_akto(config: Config) -> dict[str, Notice]:
    with Store.open(config.database) as store:
        return {row.key: row.notice for row in store.list_notices(source="akto")}


def kept_fields(notices: dict[str, Notice]) -> dict[str, tuple[object, ...]]:
    return {key: tuple(getattr(n, name) for name in KEPT) for key, n in notices.items()}


def alert_changes(config: Config) -> list[str]:
    """Every change an alert (new or update) has told anyone about."""
    with Store.open(config.database) as store, store.transaction() as conn:
        payloads = [row.payload for row in conn.execute(sa.select(outbox.c.payload))]
    calls = [c for p in payloads for part in ("new", "updates") for c in p["context"][part]]
    return [change for call in calls for change in call["changes"]]


def test_a_broken_layout_never_replaces_what_the_scraper_stored(
    akto_config: Config, demo_server: DevServer
) -> None:
    akto = Akto(demo_server)
    assert akto.poll(akto_config).ok
    good = stored_akto(akto_config)
    assert len(good) == 4 and all(n.body and n.documents and n.summary for n in good.values())
    sst = next(n for n in good.values() if "sst-prevention" in n.url)
    assert sst.deadline == datetime(2026, 3, 14, 12, tzinfo=PARIS), "read on the detail page"

    akto.serve(redesigned(akto.listing), broken_details=True)
    broken = akto.poll(akto_config)
    assert not broken.ok and broken.error_kind == "layout" and broken.items == 4
    assert kept_fields(stored_akto(akto_config)) == kept_fields(good)
    assert not any(n.via_fallback for n in stored_akto(akto_config).values())

    akto.serve(akto.listing)  # the very page of the first poll: no 304 may hide it
    recovered = akto.poll(akto_config)
    assert recovered.ok and recovered.not_modified == 0
    assert akto.fetched_details() == set(akto.details), "every call is read again in full"
    assert stored_akto(akto_config) == good
    assert not [c for c in alert_changes(akto_config) if "date limite" in c]


def test_the_fallback_adds_calls_and_they_are_read_in_full_after_recovery(
    akto_config: Config, demo_server: DevServer
) -> None:
    akto = Akto(demo_server)
    akto.serve(without_card(akto.listing, "parcours-clea"))
    assert akto.poll(akto_config).new == 3
    good = stored_akto(akto_config)

    akto.serve(redesigned(akto.listing), broken_details=True)
    assert akto.poll(akto_config).new == 1
    during = stored_akto(akto_config)
    (added,) = (n for key, n in during.items() if key not in good)
    assert added.via_fallback and added.deadline == datetime(2026, 4, 1, 23, 59, tzinfo=PARIS)
    assert added.body == "" and added.buyer == "AKTO"
    assert kept_fields({k: during[k] for k in good}) == kept_fields(good)

    akto.serve(akto.listing)
    report = akto.poll(akto_config)
    assert report.ok and report.changed == 1 and report.new == 0
    assert akto.fetched_details() == set(akto.details)
    clea = stored_akto(akto_config)[added.key]
    assert not clea.via_fallback and clea.body and len(clea.documents) == 2
    assert clea.deadline == added.deadline


def test_a_broken_detail_page_keeps_the_body_and_documents_read_before(
    akto_config: Config, demo_server: DevServer
) -> None:
    akto = Akto(demo_server)
    akto.poll(akto_config)
    good = stored_akto(akto_config)
    akto.serve(akto.listing.replace("Publié le", "Mis en ligne le"), broken_details=True)
    report = akto.poll(akto_config)
    assert report.ok and report.changed == 0, "the listing changed, nothing the user reads"
    assert kept_fields(stored_akto(akto_config)) == kept_fields(good)
    akto.serve(akto.listing)
    assert akto.poll(akto_config).ok and stored_akto(akto_config) == good


def test_fill_empty_keeps_every_field_the_base_fills() -> None:
    paris = datetime(2026, 3, 14, 12, tzinfo=PARIS)
    stored = Notice(
        "akto",
        "x",
        "Titre du parseur",
        "https://www.akto.fr/x",
        summary="court",
        deadline_text="voir le règlement de consultation",
        documents=("a.pdf",),
    )
    found = Notice(
        "akto",
        "x",
        "Titre du secours",
        "https://www.akto.fr/x",
        summary="long",
        body="corps",
        deadline=paris,
        deadline_text="le 14/03/2026 à 12h",
        documents=("b.pdf",),
        via_fallback=True,
    )
    merged = fill_empty(stored, found)
    assert (merged.title, merged.summary, merged.documents) == stored_fields(stored)
    assert (merged.body, merged.deadline, merged.deadline_text) == (
        "corps",
        paris,
        "le 14/03/2026 à 12h",
    ), "a date comes with its wording, replacing a wording that gave none"
    assert not merged.via_fallback
    assert fill_empty(found, stored) == found


def stored_fields(notice: Notice) -> tuple[object, ...]:
    return (notice.title, notice.summary, notice.documents)
