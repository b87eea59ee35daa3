"""OPCO 2i — the OPCO of industry. Its calls are listed on ``/appels-doffres/`` as tiles that
the page loads from WordPress's ``admin-ajax.php``; each tile gives what the post's own text
does not: the deadline ("Date limite de dépôt des plis : 01/07/2026") and the link to the DCE
on the buyer platform (marches-publics.info). The REST API (``/wp-json/wp/v2/appel_a_projects``)
has no date at all (a third party reports it, and its posts' text does not carry it), so the
tiles are the listing read here.

Seen (shared/fixtures/real/opco2i_*, saved by a crawler on 30 June 2026):

- the request, from the page's own script: ``POST /wp-admin/admin-ajax.php``, form-encoded,
  ``action=get_search_results`` and the filter form's fields as ``args[i][name]`` /
  ``args[i][value]``: ``context=offerPage``, ``page=N``, ``display=grid``, ``order=DESC``,
  ``default_post_types=appel_a_projects`` (no nonce);
- the answer: an HTML fragment, ``.results__pool`` holding one ``.col-12`` per result; a call
  is a ``.tile-ao`` with ``h3.tile-ao__title a`` (its post on opco2i.fr), ``.tile-ao__place``,
  ``p.tile-ao__depot`` (the deadline, a date without a time), ``.tile-ao__excerpt`` (the post's
  text), ``p.tile-ao__date`` ("Publié le : 23 juin 2026") and ``.tile-ao__footer a`` (the DCE);
  news and event cards (``.card-news``, ``.card-event``) can be mixed in and are not calls;
  WordPress pagination (``a.next.page-numbers``, ``?paged=N``) under the pool.

Assumed: that an answer without a call still has its ``.results__pool`` (the frame; no empty
answer was seen), and that the next page is asked with the same form and ``page=N``, as the
page's script does. The DCE link is stored as ``platform_url``, never fetched (off the host).
OPCO 2i also buys outside training (communication, IT): the classifier sorts them out.
"""

from __future__ import annotations

import re
from datetime import date

from bs4 import BeautifulSoup, Tag

from scrapers.base import HtmlSource, Select, absolute, clean_text
from scrapers.dates import parse_french_date
from scrapers.opco_common import (
    document_links,
    find_deadline,
    kind_from_wording,
    lots_from_lines,
    stated_places,
    text_lines,
)
from watcher.errors import SkipNotice
from watcher.fetch import Request
from watcher.models import Notice

AJAX = "https://www.opco2i.fr/wp-admin/admin-ajax.php"
PAGE = "https://www.opco2i.fr/appels-doffres/"
#: the filter form of the calls page, in its order (see the module docstring)
FORM = (
    ("context", "offerPage"),
    ("page", "{page}"),
    ("display", "grid"),
    ("order", "DESC"),
    ("default_post_types", "appel_a_projects"),
)
TITLE = Select("h3.tile-ao__title a[href]", min=1, max=1)
DEPOT = Select("p.tile-ao__depot")
PLACE = Select("p.tile-ao__place")
EXCERPT = Select(".tile-ao__excerpt")
PUBLISHED = Select("p.tile-ao__date")
DCE = Select(".tile-ao__footer a[href]")
CURRENT_PAGE = Select(".pagination .current, .page-numbers.current")
NEXT_PAGE = Select("a.next.page-numbers")
#: "Consultation 2026-53 POEC …": the buyer's number of its consultation
CONSULTATION = re.compile(r"\bconsultation\s+(?:n\s*°\s*)?(\d{4}-\d{1,4})\b", re.IGNORECASE)


def search_request(page: int) -> Request:
    """The POST the calls page sends for page ``page`` of its tiles."""
    form: dict[str, str] = {"action": "get_search_results"}
    for index, (name, value) in enumerate(FORM):
        form[f"args[{index}][name]"] = name
        form[f"args[{index}][value]"] = value.format(page=page)
    return Request(AJAX, method="POST", form=form, headers={"Referer": PAGE})


class Opco2i(HtmlSource):
    """OPCO 2i — appels d'offres et appels à projets publiés sur opco2i.fr."""

    name = "opco2i"
    hosts = ("www.opco2i.fr",)
    list_urls = (AJAX,)
    frame = Select(".results__pool")
    rows = Select(".results__pool .tile-ao")
    max_pages = 5

    def start_requests(self, today: date) -> list[Request]:
        return [search_request(1)]

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        link = TITLE.one(row, source=self.name, url=base_url)
        assert link is not None  # min=1 guarantees it
        title = clean_text(link.get_text(" "))
        url = absolute(PAGE, str(link.get("href") or ""))
        if not title or not self.allows(url):
            raise SkipNotice(f"tile without a title or off the site: {title!r} {url}")
        published = self._published(row)
        depot = " ".join(text_lines(t).replace("\n", " ") for t in DEPOT.all(row, source=self.name))
        deadline, wording = find_deadline(depot, published)
        excerpt = EXCERPT.one(row, source=self.name, url=base_url)
        dce = DCE.one(row, source=self.name, url=base_url)
        platform = absolute(PAGE, str(dce.get("href"))) if dce is not None else ""
        found = CONSULTATION.search(title)
        return Notice(
            source=self.name,
            ref=url,
            title=title,
            url=url,
            buyer="OPCO 2i",
            published=published,
            deadline=deadline,
            deadline_text=wording or depot,
            summary=text_lines(excerpt).replace("\n", " ")[:2_000] if excerpt else "",
            body=text_lines(excerpt)[:20_000] if excerpt else "",
            lots=lots_from_lines(text_lines(excerpt).splitlines()) if excerpt else (),
            places=stated_places(PLACE.text(row, source=self.name)),
            documents=document_links(excerpt, url) if excerpt else (),
            platform_url=platform if platform.startswith(("https://", "http://")) else "",
            buyer_ref=found.group(1) if found else "",
            kind=kind_from_wording(title),
        )

    def _published(self, row: Tag) -> date | None:
        text = PUBLISHED.text(row, source=self.name)
        return parse_french_date(text) if text else None

    def _next_requests(self, soup: BeautifulSoup, url: str) -> list[Request]:
        """The next page of tiles, when the pagination offers one (asked as the page does)."""
        if NEXT_PAGE.one(soup, source=self.name, url=url) is None:
            return []
        current = CURRENT_PAGE.text(soup, source=self.name)
        page = int(current) if current.isdigit() and len(current) < 4 else 1
        return [search_request(page + 1)]


__all__ = ["Opco2i", "search_request"]
