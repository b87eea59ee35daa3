"""AKTO — the OPCO of services with a strong labour intensity (propreté, sécurité, intérim,
hôtellerie-restauration…). Its calls are HTML cards on akto.fr, each with a detail page.

Selectors from shared/sources.md §3 (a third-party scraper's, not verified on a live capture):
cards ``div.posts-card``, title ``h3.h3``, meta lines ``p.metas`` (one holds "Limite de
réponse … dd/mm/yyyy"), link ``a.btn.bg-primary``, short text ``.posts-card__content p``.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup, Tag

from scrapers import lxmltext
from scrapers.base import HtmlSource, Select, absolute, clean_text, texts
from scrapers.dates import fold, parse_deadline, parse_french_date
from scrapers.opco_common import (
    BLOCK_TAGS,
    document_links,
    documents_among,
    find_deadline,
    lots_from_lines,
    main_region,
    places_in,
    text_lines,
)
from watcher.errors import SkipNotice
from watcher.fetch import Request
from watcher.models import Notice

TITLE = Select("h3.h3", min=1, max=1)
METAS = Select("p.metas")
LINK = Select("a.btn.bg-primary", min=1)
TEXT = Select(".posts-card__content p:not(.metas)")
DETAIL_BODY = Select("main article, main .entry-content, main", min=1)


class Akto(HtmlSource):
    """AKTO — appels d'offres publiés sur akto.fr."""

    name = "akto"
    hosts = ("www.akto.fr",)
    list_urls = ("https://www.akto.fr/appels-d-offres/",)
    #: assumed (the cards' list, named like them): there with or without a card
    frame = Select("main .posts-list")
    rows = Select("div.posts-card")
    next_page = Select("a.next.page-numbers, .pagination a[rel=next]")

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        link = LINK.one(row, source=self.name, url=base_url)
        href = link.get("href") if link else None
        if not isinstance(href, str):
            raise SkipNotice("card without a link")
        url = absolute(base_url, href)
        metas = texts(METAS.all(row, source=self.name, url=base_url))
        deadline_text = next((m for m in metas if "limite" in fold(m)), "")
        published_text = next((m for m in metas if "publi" in fold(m)), "")
        return Notice(
            source=self.name,
            ref=url,
            title=TITLE.text(row, source=self.name, url=base_url),
            url=url,
            buyer="AKTO",
            published=parse_french_date(published_text) if published_text else None,
            deadline=parse_deadline(deadline_text) if deadline_text else None,
            deadline_text=deadline_text,
            summary=" ".join(texts(TEXT.all(row, source=self.name, url=base_url))),
        )

    def detail_request(self, notice: Notice) -> Request | None:
        return Request(notice.url) if self.allows(notice.url) else None

    def detail_region(self) -> Select:
        return DETAIL_BODY

    def parse_detail(self, text: str, notice: Notice) -> Notice:
        """``parse_detail_soup``'s reading, on lxml's tree (``scrapers.lxmltext``: the same
        strings, lines and links; lxml's tree costs about 1/40 of Beautiful Soup's)."""
        body = main_region(text, DETAIL_BODY, source=self.name, url=notice.url)
        if body is None:  # too deep for lxml's tree
            return super().parse_detail(text, notice)
        text, lines = lxmltext.text_and_lines(body, BLOCK_TAGS)
        documents = documents_among(lxmltext.hrefs(body), notice.url)
        return self._read(notice, clean_text(text), lines, documents)

    def parse_detail_soup(self, soup: BeautifulSoup, notice: Notice) -> Notice:
        """The reading on Beautiful Soup's tree, which ``parse_detail`` is held to (tests)."""
        body = DETAIL_BODY.one(soup, source=self.name, url=notice.url)
        assert body is not None  # min=1 guarantees it
        text, lines = clean_text(body.get_text(" ")), text_lines(body)
        return self._read(notice, text, lines, document_links(body, notice.url))

    def _read(self, notice: Notice, text: str, lines: str, documents: tuple[str, ...]) -> Notice:
        changes: dict[str, Any] = {
            "body": text[:20_000],
            "documents": documents,
            "lots": lots_from_lines(lines.splitlines()) or notice.lots,
            "places": places_in(lines) or notice.places,
        }
        if notice.deadline is None:
            deadline, wording = find_deadline(text, notice.published)
            if deadline is not None:
                changes |= {"deadline": deadline, "deadline_text": wording}
        return notice.with_changes(**changes)
