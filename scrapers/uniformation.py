"""Uniformation — the OPCO of the social economy (associations, cooperatives, mutuals, sport,
animation, housing). Its calls for tenders and calls for projects are listed on a Drupal view;
its site-wide RSS feed also carries the calls for projects (AAP), mixed with news.

Per shared/sources.md §3 (redesign seen 07/07/2026): ``.views-row > article``, title in
``h3 span``, dates in ``time[datetime]`` (the deadline is the one whose line says "date
limite"), description in ``.text-content p`` — whose ``<p>`` are nested in the source: the
HTML parser splits them and leaves text between paragraphs, so the whole ``.text-content`` is
read. The older selector ``article.ao-public`` no longer matches. The feed ``/rss.xml`` is
read by the RSS reader of ``scrapers/rss.py``, keeping only items that speak of a call; a call
found in both keeps the listing's notice (same URL, same key). Uniformation is also a BOAMP
buyer (``UNIFORMATION``). No capture exists: tested on reconstructions.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlsplit

from bs4 import Tag

from scrapers.base import HtmlSource, ParseResult, Select, absolute, clean_text
from scrapers.dates import fold, parse_deadline
from scrapers.opco_common import (
    document_links,
    find_deadline,
    iso_date,
    kind_from_wording,
    text_lines,
    unique_keys,
)
from scrapers.rss import Rss, RssOptions
from watcher.errors import LayoutChanged, SkipNotice
from watcher.models import Notice

BUYER = "Uniformation"
LISTING = "https://www.uniformation.fr/partenaire-prestataire/appels-doffre"
FEED = "https://www.uniformation.fr/rss.xml"
#: feed items kept: those that speak of a call (the feed also carries news)
FEED_WORDS = (
    "appel à projets",
    "appel d'offre",
    "appel d’offre",
    "appels d'offres",
    "appels d’offres",
    "appel à propositions",
    "appel à manifestation",
    "consultation",
    "cahier des charges",
)

FEED_ITEMS = "rss > channel > item"
TITLE = Select("h3 span", min=1)
LINK = Select("h3 a[href], a[href]", min=1)
DATES = Select("time[datetime]")
#: the container rather than its ``p``: with nested ``<p>`` the parser leaves text between them
DESCRIPTION = Select(".text-content")


class Uniformation(HtmlSource):
    """Uniformation — appels d'offres et appels à projets publiés sur uniformation.fr."""

    name = "uniformation"
    hosts = ("www.uniformation.fr",)
    list_urls = (LISTING, FEED)
    #: Drupal keeps a view's wrapper when it has no row (it then shows its "empty" text)
    frame = Select("main .view")
    rows = Select(".views-row > article")
    next_page = Select("li.pager__item--next a, a[rel=next]")

    def parse(self, text: str, url: str) -> ParseResult:
        if urlsplit(url).path == urlsplit(FEED).path:
            return self._parse_feed(text, url)
        return unique_keys(super().parse(text, url))

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        title = TITLE.text(row, source=self.name, url=base_url)
        anchor = LINK.one(row, source=self.name, url=base_url)
        if anchor is None or not title:
            raise SkipNotice(f"view row without a title or a link: {title!r}")
        url = absolute(base_url, str(anchor.get("href")))
        published = self._published(row)
        deadline, wording = self._deadline(row, published)
        return Notice(
            source=self.name,
            ref=url,
            title=title,
            url=url,
            buyer=BUYER,
            published=published,
            deadline=deadline,
            deadline_text=wording,
            summary=" ".join(
                text_lines(d).replace("\n", " ") for d in DESCRIPTION.all(row, source=self.name)
            ),
            documents=document_links(row, base_url),
            kind=kind_from_wording(title),
        )

    def _published(self, row: Tag) -> date | None:
        stamp = next((t for t in DATES.all(row, source=self.name) if "publi" in _line_of(t)), None)
        return iso_date(str(stamp.get("datetime"))) if stamp else None

    def _deadline(self, row: Tag, published: date | None) -> tuple[datetime | None, str]:
        """The ``time`` on the "date limite" line; else a deadline worded in the text."""
        stamp = next((t for t in DATES.all(row, source=self.name) if "limite" in _line_of(t)), None)
        if stamp is None:
            return find_deadline(text_lines(row), published)
        wording = clean_text(_line(stamp).get_text(" "))
        return parse_deadline(str(stamp.get("datetime"))), wording

    def _parse_feed(self, text: str, url: str) -> ParseResult:
        options = RssOptions(url=FEED, buyer=BUYER, keywords=list(FEED_WORDS))
        result = Rss(options, name=self.name).parse(text, url)
        if not result.notices and not result.skipped:  # a site-wide feed is never empty
            raise LayoutChanged(self.name, FEED_ITEMS, 0, expected=">= 1", url=url)
        # the listing's key (the call's URL) rather than the feed's guid ("123 at https://…")
        notices = [
            n.with_changes(ref=n.url, kind=kind_from_wording(n.title)) for n in result.notices
        ]
        return unique_keys(ParseResult(notices, [], result.skipped))


def _line(stamp: Tag) -> Tag:
    """The element holding a ``time`` and its label (the Drupal field wrapper)."""
    parent = stamp.parent
    return parent if isinstance(parent, Tag) else stamp


def _line_of(stamp: Tag) -> str:
    return fold(_line(stamp).get_text(" "))
