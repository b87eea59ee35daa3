"""OPCO Mobilités — the OPCO of transport and mobility services. Its calls for tenders have no
page of their own: they live in an accordion on the "à propos" page, and the tender documents
(DCE) are on a buyer platform (achatpublic.com, marches-publics.info).

Per shared/sources.md §3: ``details.accordion__details`` > ``h3.accordion__title``, and a table
whose rows read ``th`` "Date de clôture" / ``td`` "12 mars 2026". Other rows read here when
present: Référence, Date de publication, Lieu d'exécution, Procédure, Statut, Attributaire.
Other accordions of the page (not calls) are skipped. A call has no URL of its own: its URL is
the page's with the accordion's anchor; its ref is the reference shown, else that URL. The
platform link is stored in ``platform_url``, never fetched (it is not on the declared host).
OPCO Mobilités is also a BOAMP buyer (``OPCO Mobilités``). No capture exists: tested on
reconstructions.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from bs4 import Tag

from scrapers.base import HtmlSource, Select, clean_text
from scrapers.dates import fold, parse_deadline, parse_french_date
from scrapers.opco_common import (
    document_links,
    external_links,
    kind_from_wording,
    log_unread_deadline,
    lots_from_lines,
    stated_places,
    text_lines,
)
from watcher.errors import SkipNotice
from watcher.models import Notice

TITLE = Select("h3.accordion__title", min=1, max=1)
FIELD_ROWS = Select("tr")
TEXT = Select("p")
ITEMS = Select("li")
#: an accordion whose title says nothing of a call and that has no closing date is not a call
CALL_WORDS = re.compile(r"appel|consultation|marche|accord-cadre|attribution|\bami\b")


class OpcoMobilites(HtmlSource):
    """OPCO Mobilités — appels d'offres publiés sur opcomobilites.fr (page « À propos »)."""

    name = "opco-mobilites"
    hosts = ("www.opcomobilites.fr",)
    list_urls = ("https://www.opcomobilites.fr/a-propos/",)
    #: the "à propos" page is there whether or not a call is open (a crawler saw 0 for weeks)
    frame = Select("main")
    rows = Select("details.accordion__details")

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        title = TITLE.text(row, source=self.name, url=base_url)
        fields = self._fields(row, base_url)
        if not _field(fields, "date de cloture") and not CALL_WORDS.search(fold(title)):
            raise SkipNotice(f"accordion that is not a call: {title}")
        url = f"{base_url.split('#')[0]}#{row.get('id') or _slug(title)}"
        published, deadline, wording = self._dates(fields, url)
        platforms = external_links(row, base_url, self.hosts)
        return Notice(
            source=self.name,
            ref=_field(fields, "reference") or url,
            title=title,
            url=url,
            buyer="OPCO Mobilités",
            published=published,
            deadline=deadline,
            deadline_text=wording,
            summary=" ".join(clean_text(p.get_text(" ")) for p in self._paragraphs(row)),
            body=text_lines(row),
            lots=lots_from_lines(
                clean_text(li.get_text(" ")) for li in ITEMS.all(row, source=self.name)
            ),
            places=stated_places(_field(fields, "lieu d'execution")),
            procedure=_field(fields, "procedure"),
            documents=document_links(row, base_url),
            platform_url=platforms[0] if platforms else "",
            winner=_field(fields, "attributaire"),
            kind=kind_from_wording(f"{title} {_field(fields, 'statut')}"),
        )

    def _dates(self, fields: dict[str, str], url: str) -> tuple[date | None, datetime | None, str]:
        """Publication date, deadline and its wording ("Date de clôture : 12 mars 2026")."""
        published = parse_french_date(_field(fields, "date de publication"))
        closing = _field(fields, "date de cloture")
        deadline = parse_deadline(closing, today=published) if closing else None
        wording = f"Date de clôture : {closing}" if closing else ""
        log_unread_deadline(self.name, url, deadline, wording)
        return published, deadline, wording

    def _fields(self, row: Tag, base_url: str) -> dict[str, str]:
        """The table's rows: folded ``th`` label -> ``td`` text."""
        fields = {}
        for line in FIELD_ROWS.all(row, source=self.name, url=base_url):
            label, value = line.find("th"), line.find("td")
            if isinstance(label, Tag) and isinstance(value, Tag):
                key = fold(clean_text(label.get_text(" "))).strip(" :").replace("’", "'")
                fields[key] = clean_text(value.get_text(" "))
        return fields

    def _paragraphs(self, row: Tag) -> list[Tag]:
        """The description: paragraphs outside the table, without the platform link line."""
        return [
            p
            for p in TEXT.all(row, source=self.name)
            if p.find_parent("table") is None and not p.find("a")
        ]


def _field(fields: dict[str, str], label: str) -> str:
    """The value of the first row whose label starts with ``label`` (folded)."""
    return next((value for key, value in fields.items() if key.startswith(label)), "")


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60]
