"""Atlas — the OPCO of financial services, consulting, digital and engineering firms. Its calls
for tenders and its calls for projects (e.g. the yearly "appel à projets investissement" for
CFA equipment) are listed at ``/appels-d-offres/``, one detail page per call.

shared/sources.md §3 knows the URL (listed as verified by one project, timed out for another)
and that Atlas is a BOAMP buyer (``OPCO ATLAS``); no capture of the page exists. The layout
read here is an assumption kept loose on purpose: one ``article`` per call inside ``main``,
title in its first ``h2``/``h3``, meta lines ("Publié le…", "Date limite de réponse le
05/02/2026 à 16h00", "Limite de réponse : 05/02/2026") in its paragraphs, and a paginated
list (``rel=next``, WordPress-style ``/page/N/``). Lots, places, documents and the buyer
platform link come from the detail page.
"""

from __future__ import annotations

from scrapers.base import Select
from scrapers.opco_common import OpcoCardSource


class Atlas(OpcoCardSource):
    """Atlas — appels d'offres et appels à projets publiés sur opco-atlas.fr."""

    name = "atlas"
    buyer = "OPCO Atlas"
    hosts = ("www.opco-atlas.fr",)
    list_urls = ("https://www.opco-atlas.fr/appels-d-offres/",)
    rows = Select("main article", min=1)
    next_page = Select("a[rel=next], .pagination a.next, a.next.page-numbers")
