"""OPCO Santé — the OPCO of the private health, social and medico-social sector (successor of
Unifaf). Its calls for tenders and calls for expressions of interest appear on the providers'
"démarche d'habilitation" page, each linking to its own page.

shared/sources.md §3 knows only the URL (an habilitation page, not a tender list), that one
crawler saw 0 to 5 calls per pass, and that OPCO Santé is a BOAMP buyer (``OPCO Santé``). No
capture exists. The layout read here is an assumption: a WordPress "Query Loop" block
(``.wp-block-query``) listing the calls as ``.wp-block-post-template > li`` with
``.wp-block-post-title``, a ``time[datetime]`` and an excerpt holding the deadline
("DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H", read after the publication date).
An empty list is normal here: the Query Loop block (``frame``) is there with no item, and
WordPress then shows its ``.wp-block-query-no-results`` block inside it; a page without the
Query Loop raises ``LayoutChanged``.
"""

from __future__ import annotations

from scrapers.base import Select
from scrapers.opco_common import OpcoCardSource


class OpcoSante(OpcoCardSource):
    """OPCO Santé — appels d'offres et AMI publiés sur opco-sante.fr (démarche d'habilitation)."""

    name = "opco-sante"
    buyer = "OPCO Santé"
    hosts = ("www.opco-sante.fr",)
    list_urls = ("https://www.opco-sante.fr/prestataire/demarche-d-habilitation/",)
    frame = Select(".wp-block-query")
    rows = Select(".wp-block-query .wp-block-post-template > li")
    heading = Select(".wp-block-post-title", min=1, max=1)
