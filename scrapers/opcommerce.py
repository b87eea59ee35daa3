"""L'Opcommerce — the OPCO of retail and trade. Its regional delegations publish calls for
proposals (POEC, POEI, AFPR… by region) and consultations as PDF files, listed on one page.

Per shared/sources.md §3 an item links to a PDF whose text reads "APPEL A PROPOSITIONS <année>
— <dispositif> — Délégation <région> — Consultation du : <date> — Date limite de dépôt des
candidatures : dd/mm/yyyy à HHhMM"; one crawler collected one item; BOAMP buyer
``Opcommerce``. No capture exists: the listing read here is an assumption (every PDF link in
``main`` is a call; its link text is the title, "Consultation du : <date>" on its line the
publication date) and the pages used in tests are reconstructions. The PDF is the detail page:
its text is read (first 10 pages, see ``scrapers/pdf.py``) for the deadline, the dispositif,
the delegation and lots. A PDF off the declared host is kept as a document, never fetched.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from bs4 import Tag

from scrapers.base import HtmlSource, Select, absolute, clean_text
from scrapers.dates import fold, parse_french_date
from scrapers.opco_common import (
    BODY_CHARS,
    find_deadline,
    fold_same_length,
    kind_from_wording,
    log_unread_deadline,
    lots_from_lines,
)
from scrapers.pdf import PdfUnreadable, pdf_text
from watcher.errors import ParseError
from watcher.fetch import Request
from watcher.models import Notice

log = logging.getLogger(__name__)

BUYER = "L'Opcommerce"
LISTING = (
    "https://www.lopcommerce.com/prestataire-de-formation/marches-publics/"
    "consulter-nos-appels-doffres/"
)
ITEM_TAGS = ("li", "p", "tr", "article")
#: the funding schemes named in calls, folded -> as written
DISPOSITIFS = {
    "poec": "POEC",
    "poei": "POEI",
    "afpr": "AFPR",
    "pro-a": "Pro-A",
    "fne-formation": "FNE-Formation",
    "clea": "CléA",
    "vae": "VAE",
}
_DISPOSITIF = re.compile(r"\b(" + "|".join(map(re.escape, DISPOSITIFS)) + r")\b")
#: "Délégation Hauts-de-France", "Délégation régionale Grand Est" up to a dash, comma or line end
_DELEGATION = re.compile(
    r"delegation\s+(?:regionale\s+)?(?:de |du |d'|des )?(.+?)(?=\s+[-–—]\s|\s*[,;(\n]|\.\s|$)",
    re.MULTILINE,
)
_CONSULTATION = re.compile(r"consultation du\s*:?\s*")


class Opcommerce(HtmlSource):
    """L'Opcommerce — appels à propositions des délégations régionales (PDF), lopcommerce.com."""

    name = "opcommerce"
    hosts = ("www.lopcommerce.com",)
    list_urls = (LISTING,)
    frame = Select("main")  # assumed, like the rest of this layout
    rows = Select('main a[href$=".pdf" i]')
    binary_details = True

    def parse_row(self, row: Tag, base_url: str) -> Notice:
        url = absolute(base_url, str(row.get("href")))
        title = clean_text(row.get_text(" ")) or url.rsplit("/", 1)[-1]
        item = row.find_parent(ITEM_TAGS) or row
        line = clean_text(item.get_text(" "))
        published = consultation_date(line)
        deadline, wording = find_deadline(line, published)
        delegation = delegation_in(title)
        return Notice(
            source=self.name,
            ref=url,
            title=title,
            url=url,
            buyer=BUYER,
            published=published,
            deadline=deadline,
            deadline_text=wording,
            summary=_summary(dispositif_in(title), delegation),
            places=(delegation,) if delegation else (),
            documents=(url,),
            kind=kind_from_wording(title),
        )

    def detail_request(self, notice: Notice) -> Request | None:
        return Request(notice.url) if self.allows(notice.url) else None

    def parse_detail_bytes(self, content: bytes, notice: Notice) -> Notice:
        try:
            text = pdf_text(content)
        except PdfUnreadable as error:
            log.warning("[%s] PDF call unreadable (%s): %s", self.name, error, notice.url)
            raise ParseError(self.name, f"PDF call unreadable: {error}", url=notice.url) from error
        return read_call_pdf(text, notice)


def read_call_pdf(text: str, notice: Notice) -> Notice:
    """Complete a notice from the text of its PDF call."""
    lines = "\n".join(line for line in map(clean_text, text.splitlines()) if line)
    published = notice.published or consultation_date(lines)
    dispositif = dispositif_in(notice.title) or dispositif_in(lines)
    delegation = delegation_in(notice.title) or delegation_in(lines)
    changes: dict[str, object] = {"body": lines[:BODY_CHARS], "published": published}
    changes["summary"] = _summary(dispositif, delegation) or notice.summary
    changes["places"] = (delegation,) if delegation else notice.places
    changes["lots"] = lots_from_lines(lines.splitlines()) or notice.lots
    if notice.deadline is None:
        deadline, wording = find_deadline(lines, published)
        changes |= {"deadline": deadline, "deadline_text": wording or notice.deadline_text}
        log_unread_deadline(notice.source, notice.url, deadline, wording)
    return notice.with_changes(**changes)


def consultation_date(text: str) -> date | None:
    """The date after "Consultation du :" (the day the call was issued)."""
    found = _CONSULTATION.search(fold_same_length(text))
    return parse_french_date(text[found.end() : found.end() + 30]) if found else None


def dispositif_in(text: str) -> str:
    """The schemes named in a text, in order: "AFPR / POEI"; "" when none."""
    found = (DISPOSITIFS[m.group(1)] for m in _DISPOSITIF.finditer(fold(text)))
    return " / ".join(dict.fromkeys(found))


def delegation_in(text: str) -> str:
    """The region of the issuing delegation ("Délégation Hauts-de-France" -> Hauts-de-France)."""
    found = _DELEGATION.search(fold_same_length(text))
    return clean_text(text[found.start(1) : found.end(1)]) if found else ""


def _summary(dispositif: str, delegation: str) -> str:
    """What the title says in a few words: "Dispositif : POEC — Délégation Grand Est"."""
    parts = [f"Dispositif : {dispositif}"] if dispositif else []
    parts += [f"Délégation {delegation}"] if delegation else []
    return " — ".join(parts)
