"""marches-publics.info (AWS-Achat) — the consultations of one buyer, written once and
configured per buyer: OPCO EP (IDS 6499) and Constructys (IDS 5173) are built in, and a user adds
any other buyer without code::

    [sources.mon-acheteur]
    kind = "marches-publics.info"
    ids = 1234
    buyer = "Mon acheteur"

Layout (shared/sources.md §3, from two third-party scrapers; no capture of the page exists):
the buyer's page ``https://www.marches-publics.info/avis/index.cfm?IDS=<ids>`` is a table whose
consultation rows hold ``td[class^="AW_Table_Ligne"]`` cells: publication date, closing date
(``dd/mm/yy``, sometimes ``à HHhMM``), then the buyer in ``<b>``, the department in brackets,
the buyer's reference ``[réf. XXXXX]`` and the object; an inner table holds the links ("Avis",
"RC", "DCE"), the notice being ``a[title="Consulter l'Avis"]`` → ``…affPublication…refPub=…``.

An empty listing is normal (a crawler saw Constructys list no consultation for weeks): the
frame is the consultations table (``table.AW_Table``, class assumed) or the page's "aucune
consultation" message (wording assumed); a page with neither raises ``LayoutChanged``.

``ref`` is the buyer's reference (``[réf. XXXXX]``, kept exactly as printed): it names the
consultation, so a republished notice updates the same row. A row without one falls back to
``refPub-<publication number>``.

Listing only: the one documented detail layout (``#AAPCGenere``, ``table.AW_TableM``) is the
old ``mpiaws`` application's, not ``/avis/…affPublication``'s, and a wrong detail selector would
refetch every notice on every poll; the notice links to the page for the full text.
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import date
from typing import Any, ClassVar
from urllib.parse import parse_qs

from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel

from scrapers.base import (
    HtmlSource,
    ParseResult,
    Select,
    absolute,
    clean_text,
    is_web_url,
    select_all,
    select_first,
    split_url,
)
from scrapers.dates import fold, parse_deadline, parse_french_date
from scrapers.opco_common import kind_from_wording
from scrapers.options import MarchesPublicsInfoOptions
from watcher.errors import LayoutChanged, SkipNotice
from watcher.fetch import Request
from watcher.models import Notice, NoticeKind

log = logging.getLogger(__name__)

HOST = "www.marches-publics.info"
LISTING = "https://www.marches-publics.info/avis/index.cfm?IDS={ids}"
CELLS = re.compile(r"^AW_Table_Ligne")
ROWS = Select('tr:has(> td[class^="AW_Table_Ligne"])')
AVIS_LINK = Select('a[title="Consulter l\'Avis"], a[href*=affPublication]', min=1)
REFERENCE = re.compile(r"\[\s*r[ée]f\.?\s*:?\s*([^\]]+?)\s*\]", re.IGNORECASE)
DEPARTMENT = re.compile(r"^\(\s*\d[\dAB]{1,4}\s*\)\s*")
#: what the page says when the buyer has no open consultation (wording assumed, folded)
NOTHING_OPEN = re.compile(r"aucun(?:e)?\s+(?:avis|consultation|annonce|resultat|marche)")


class MarchesPublicsInfo(HtmlSource):
    """marches-publics.info (AWS-Achat) — consultations d'un acheteur (réglage ids)."""

    name = "marches-publics.info"
    platform = "marches-publics.info"
    hosts = (HOST,)
    Options: ClassVar[type[BaseModel]] = MarchesPublicsInfoOptions
    frame = Select("table.AW_Table")
    rows = ROWS
    #: a built-in buyer (subclass) sets these instead of taking options
    buyer_ids: ClassVar[int] = 0
    buyer_name: ClassVar[str] = ""

    @property
    def listing_url(self) -> str:
        return LISTING.format(ids=self._settings()[0])

    def start_requests(self, today: date) -> list[Request]:
        return [Request(self.listing_url)]

    def parse(self, text: str, url: str) -> ParseResult:
        result = super().parse(text, url)
        return ParseResult(_unique_refs(result.notices), result.next_requests, result.skipped)

    def check_frame(self, soup: BeautifulSoup, url: str) -> None:
        """No row: the consultations table, or the page saying none is open; else a layout
        change. Links to notices that no row holds are a layout change too (the generic
        extractor cannot read this table: its links carry no date of their own)."""
        notices = len(select_all(soup, AVIS_LINK.css))
        if notices:
            expected = f">= 1: the page links {notices} notice(s) the rows do not match"
            raise LayoutChanged(self.name, self.rows.css, 0, expected=expected, url=url)
        if select_first(soup, self.frame.css) is not None:
            return
        if NOTHING_OPEN.search(fold(clean_text(soup.get_text(" ")))):
            return
        expected = f">= 1, or its frame {self.frame.css} or a 'no consultation' message"
        raise LayoutChanged(self.name, self.rows.css, 0, expected=expected, url=url)

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        cells = row.find_all("td", class_=CELLS, recursive=False)
        if len(cells) < 3:
            raise SkipNotice(f"row with {len(cells)} cell(s), not a consultation")
        link = AVIS_LINK.one(cells[2], source=self.name, url=base_url)
        assert link is not None  # min=1 guarantees it
        url = absolute(base_url, str(link.get("href") or ""))
        buyer, reference, title = _describe(cells[2])
        if not title:
            raise SkipNotice(f"row without an object: {url}")
        deadline_text = clean_text(cells[1].get_text(" "))
        kind = kind_from_wording(title)
        return Notice(
            source=self.name,
            ref=reference or _publication_ref(url),
            buyer_ref=reference,
            title=title,
            url=url,
            buyer=self._settings()[1] or buyer,
            published=parse_french_date(cells[0].get_text(" ")),
            # an award's closing date is history, not a deadline (its text stays)
            deadline=parse_deadline(deadline_text) if kind != NoticeKind.AWARD else None,
            deadline_text=deadline_text,
            kind=kind,
            **_links(cells[2], link, base_url),
        )

    def _settings(self) -> tuple[int, str]:
        if isinstance(self.options, MarchesPublicsInfoOptions):
            return self.options.ids, self.options.buyer
        return self.buyer_ids, self.buyer_name


def _describe(cell: Tag) -> tuple[str, str, str]:
    """(buyer, buyer's reference, object) from the third cell, links left out."""
    own = copy.copy(cell)
    for table in own.find_all("table"):
        table.decompose()
    bold = own.find("b")
    buyer = clean_text(bold.get_text(" ")) if isinstance(bold, Tag) else ""
    if isinstance(bold, Tag):
        bold.decompose()
    text = clean_text(own.get_text(" "))
    found = REFERENCE.search(text)
    if found:
        return buyer, found.group(1), text[found.end() :].strip(" -–:")
    return buyer, "", DEPARTMENT.sub("", text).strip(" -–:")


def _links(cell: Tag, avis: Tag, base_url: str) -> dict[str, Any]:
    """The row's other links: the RC and DCE as documents, "Déposer un pli" as the platform
    where answers are submitted (stored, never followed)."""
    others = [a for a in select_all(cell, "a[href]") if a is not avis]
    deposit = [a for a in others if "depos" in fold(f"{a.get('title', '')} {a.get_text()}")]
    documents = [absolute(base_url, str(a["href"])) for a in others if a not in deposit]
    platforms = [absolute(base_url, str(a["href"])) for a in deposit]
    return {
        "documents": tuple(dict.fromkeys(u for u in documents if is_web_url(u))),
        "platform_url": next((u for u in platforms if is_web_url(u)), ""),
    }


def _publication_ref(url: str) -> str:
    numbers = parse_qs(split_url(url).query).get("refPub")
    return f"refPub-{numbers[0]}" if numbers else url


def _unique_refs(notices: list[Notice]) -> list[Notice]:
    """Two rows with the same buyer reference (a notice and its corrigendum published apart)
    keep apart: the later one gets its publication number appended."""
    seen: set[str] = set()
    unique = []
    for notice in notices:
        if notice.ref in seen:
            notice = notice.with_changes(ref=f"{notice.ref} {_publication_ref(notice.url)}")
        seen.add(notice.ref)
        unique.append(notice)
    return unique


__all__ = ["MarchesPublicsInfo", "MarchesPublicsInfoOptions"]
