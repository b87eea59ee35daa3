"""Atlas — the OPCO of financial services, consulting, digital and engineering firms. Its calls
for tenders and its calls for projects (e.g. the yearly "appel à projets investissement" for
CFA equipment) are listed on one page, one detail page per call.

Seen, by a crawler that reads the page daily (shared/fixtures/real/SOURCES.md, July–August
2026, 2 to 7 calls at a time): the page is ``/appels-offres.html``; each call is a card whose
whole body is a link; the card's text is a category line ("Action collective campusAtlas"),
a date range "DD mois YYYY ➔ DD mois YYYY" without any "date limite" label, the title and a
description, and often a legal mention last ("Cet appel d'offres est soumis…"). The crawler
reads the end of the range as the closing date; so does this scraper (a date without a time:
kept at 23:59, its wording kept), and the start as the publication date.

Assumed (no capture of the page exists): the markup around the cards (a card is any link in
``main`` whose text holds the "➔" of a date range; ``main`` is the frame, there with or without
a card), that the title is the card's heading when it has one of its own, else its first line
after the dates, that there is no pagination, and the layout of the detail pages (``main``,
read like the other OPCO sites' pages, see ``read_detail``). A deadline worded on the detail
page ("Date limite de réponse le … à 16h00") is more precise than the card's closing date
and replaces it. Atlas is also a BOAMP buyer (``OPCO ATLAS``).
"""

from __future__ import annotations

import re

from bs4 import Tag

from scrapers.base import Select, absolute, clean_text
from scrapers.dates import fold, parse_deadline, parse_french_date
from scrapers.opco_common import (
    OpcoCardSource,
    document_links,
    find_deadline,
    kind_from_wording,
    read_detail_text,
    text_lines,
)
from watcher.models import Notice, NoticeKind

ARROW = "➔"
#: "12 mars 2026 ➔ 3 avril 2026" (other arrows and dashes tolerated)
RANGE = re.compile(
    r"(\d{1,2}(?:er)?\s+\w+\.?\s+\d{4})\s*(?:➔|→|->|–|—|au)\s*(\d{1,2}(?:er)?\s+\w+\.?\s+\d{4})"
)
#: the legal mention some cards end with: not a description
LEGAL = re.compile(r"^(?:cet appel d.offres?|cette consultation) est soumis|commande publique")
MIN_TITLE = 15


class Atlas(OpcoCardSource):
    """Atlas — appels d'offres et appels à projets publiés sur opco-atlas.fr."""

    name = "atlas"
    buyer = "OPCO Atlas"
    hosts = ("www.opco-atlas.fr",)
    list_urls = ("https://www.opco-atlas.fr/appels-offres.html",)
    frame = Select("main")
    rows = Select(f'main a[href]:-soup-contains("{ARROW}")')

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        lines = text_lines(row).splitlines()
        at, found = next(
            ((i, m) for i, ln in enumerate(lines) if (m := RANGE.search(ln))), (-1, None)
        )
        if found is None:
            raise ValueError(
                f"card without a readable date range: {clean_text(row.get_text(' '))[:80]}"
            )
        opening, closing = found.groups()
        published = parse_french_date(opening)
        title = self._title(row, lines, at, found)
        url = absolute(base_url, str(row.get("href")))
        kind = kind_from_wording(title)
        after = [ln for ln in lines[at + 1 :] if ln != title and not LEGAL.search(fold(ln))]
        category = lines[at - 1] if at > 0 else ""
        return Notice(
            source=self.name,
            ref=url,
            title=title,
            url=url,
            buyer=self.buyer,
            published=published,
            # the end of the range closes the call; an award's range is history
            deadline=parse_deadline(closing) if kind != NoticeKind.AWARD else None,
            deadline_text=clean_text(found.group(0)),
            summary=" ".join(p for p in (category and f"{category}.", *after) if p)[:2_000],
            documents=document_links(row, base_url),
            kind=kind,
        )

    def _title(self, row: Tag, lines: list[str], at: int, found: re.Match[str]) -> str:
        """The card's own heading, else its first substantial line after the dates."""
        heading = row.find(["h2", "h3", "h4"])
        if isinstance(heading, Tag):
            text = clean_text(heading.get_text(" "))
            if text and ARROW not in text and len(text) < len(clean_text(row.get_text(" "))):
                return text
        rest = lines[at][found.end() :].strip(" -–:")
        candidates = [rest, *lines[at + 1 :]]
        title = next(
            (c for c in candidates if len(c) >= MIN_TITLE and not LEGAL.search(fold(c))), ""
        )
        if not title:
            raise ValueError(f"card without a title after its dates: {lines[at]!r}")
        return title

    def read_region(self, lines: str, hrefs: list[str], notice: Notice) -> Notice:
        completed = read_detail_text(lines, hrefs, notice)
        if notice.kind == NoticeKind.AWARD:
            return completed
        deadline, wording = find_deadline(lines, completed.published)
        if deadline is None:
            return completed
        return completed.with_changes(deadline=deadline, deadline_text=wording)
