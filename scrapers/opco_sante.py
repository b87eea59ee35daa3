"""OPCO Santé — the OPCO of the private health, social and medico-social sector (successor of
Unifaf). Its calls for tenders and calls for expressions of interest appear on the providers'
"démarche d'habilitation" page, each linking to its own page.

shared/sources.md §3 knows only the URL (an habilitation page, not a tender list), that one
crawler saw 0 to 5 calls per pass, and that OPCO Santé is a BOAMP buyer (``OPCO Santé``). No
capture exists. The layout read here is an assumption: a WordPress "Query Loop" block
(``.wp-block-query``) listing the calls as ``.wp-block-post-template > li`` with
``.wp-block-post-title``, a ``time[datetime]`` and an excerpt holding the deadline
("DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H", read after the publication date).
Since an empty list is normal here, zero calls is accepted only when WordPress says so with its
``.wp-block-query-no-results`` block; zero calls without it raises ``LayoutChanged``.
"""

from __future__ import annotations

import logging

from bs4 import BeautifulSoup

from scrapers.base import ParseResult, Select
from scrapers.opco_common import OpcoCardSource
from watcher.errors import LayoutChanged

log = logging.getLogger(__name__)

NO_RESULTS = Select(".wp-block-query-no-results")


class OpcoSante(OpcoCardSource):
    """OPCO Santé — appels d'offres et AMI publiés sur opco-sante.fr (démarche d'habilitation)."""

    name = "opco-sante"
    buyer = "OPCO Santé"
    hosts = ("www.opco-sante.fr",)
    list_urls = ("https://www.opco-sante.fr/prestataire/demarche-d-habilitation/",)
    rows = Select(".wp-block-query .wp-block-post-template > li")  # 0 is fine: see parse
    heading = Select(".wp-block-post-title", min=1, max=1)

    def parse(self, text: str, url: str) -> ParseResult:
        result = super().parse(text, url)
        if not result.notices and not result.skipped:
            self._check_really_empty(text, url)
        return result

    def _check_really_empty(self, text: str, url: str) -> None:
        """No call: fine when the Query Loop says it found nothing, a layout change otherwise."""
        if NO_RESULTS.one(BeautifulSoup(text, "lxml"), source=self.name, url=url) is not None:
            log.info("[%s] no open call on %s", self.name, url)
            return
        expected = ">= 1, or a .wp-block-query-no-results block"
        raise LayoutChanged(self.name, self.rows.css, 0, expected=expected, url=url)
