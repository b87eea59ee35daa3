"""OCAPIAT — the OPCO of agriculture, fishing, agri-food and territories. Its public procurement
procedures and calls for expressions of interest (AMI, often "référencement" of training
providers run by its regional directions) are listed as links to one page per procedure.

Per shared/sources.md §3 the listing is a list of links ``a[href*="/project/"]`` (a WordPress
"project" post type) and the deadline is only in the detail page's text, with French month
names ("Date de clôture de l'AMI : 12 mars 2026", "Date et heure limite de réception des PLIS
: 5 mars 2026 à 12h00"); OCAPIAT is absent from BOAMP. No capture exists: the pages used in
tests are reconstructions. A deadline written without a year is read after the publication
date of the detail page; without one it is left unread, its wording kept.
"""

from __future__ import annotations

from bs4 import Tag

from scrapers.base import ParseResult, Select, absolute, clean_text
from scrapers.opco_common import OpcoCardSource, kind_from_wording, unique_keys
from watcher.errors import SkipNotice
from watcher.models import Notice

#: links to a procedure that are not its title ("Lire la suite")
MIN_TITLE_CHARS = 12


class Ocapiat(OpcoCardSource):
    """OCAPIAT — procédures de marchés publics et AMI publiés sur ocapiat.fr."""

    name = "ocapiat"
    buyer = "OCAPIAT"
    hosts = ("www.ocapiat.fr",)
    list_urls = ("https://www.ocapiat.fr/procedures-de-marches-publics-ami/",)
    frame = Select("main")  # assumed: the content region (menus and footer link /project/ too)
    rows = Select('main a[href*="/project/"]')
    detail_body = Select("main, #main-content", min=1)

    def parse(self, text: str, url: str) -> ParseResult:
        return unique_keys(super().parse(text, url))

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        title = clean_text(row.get_text(" ")) or clean_text(str(row.get("title") or ""))
        if row.find_parent(["nav", "header", "footer"]) is not None:
            raise SkipNotice(f"menu link: {title}")
        if len(title) < MIN_TITLE_CHARS:
            raise SkipNotice(f"link without a title: {title!r}")
        url = absolute(base_url, str(row.get("href")))
        return Notice(
            source=self.name,
            ref=url,
            title=title,
            url=url,
            buyer=self.buyer,
            kind=kind_from_wording(title),
        )
