"""AFDAS — the OPCO of culture, media, communication, sport, leisure and tourism. Its calls for
tenders and its calls for proposals (EDEC, PIC programmes) are listed on afdas.com, one page
per call.

Little is known of the listing (shared/sources.md §3): its URL, a crawler that once found it
redirected to a 404, calls also announced as news items; no capture exists. The layout read
here is therefore an assumption kept loose on purpose: one ``article`` per call inside
``main``, the title in its first ``h2``/``h3`` (whose link is the detail page, else the card's
first link), the publication date in a ``time[datetime]`` or a "Publié le" line. A template
that no longer fits raises ``LayoutChanged`` (and the fallback extractor takes over); a fix is
then one new saved page and one golden diff. The deadline is read from the detail page
("Date limite de réception des offres : 12 Mars 2026 à 10 h 00", "Clôture de l'appel à
projets : 21 avril – 12h00", the latter read after the publication date).
"""

from __future__ import annotations

from scrapers.base import Select
from scrapers.opco_common import OpcoCardSource


class Afdas(OpcoCardSource):
    """AFDAS — appels d'offres et appels à projets publiés sur afdas.com."""

    name = "afdas"
    buyer = "Afdas"
    hosts = ("www.afdas.com",)
    list_urls = ("https://www.afdas.com/lafdas/nos-appels-doffres.html",)
    frame = Select("main")  # assumed, like the rest of this layout
    rows = Select("main article")
    next_page = Select("a[rel=next], .pagination a.next")
