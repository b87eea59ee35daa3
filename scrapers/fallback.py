"""The generic fallback extractor: candidate calls read from any page, whatever its layout.

When a source's selectors stop matching (``LayoutChanged``), the pipeline runs this on the same
page so that the source does not go blind while its scraper is fixed. It knows no selector:

1. the page's chrome is dropped: ``nav``, ``aside``, site ``header``/``footer`` (not those of
   an ``article``), ARIA navigation roles, and elements named like menus, breadcrumbs, pagers;
2. every remaining link to the page's own site, or to a document (PDF…) anywhere, is a
   candidate; its *block* is the largest ancestor that holds no other candidate page link
   (the card, row or list item of one call);
3. a candidate is kept when its block speaks of a call ("appel d'offres", "appel à projets",
   "consultation", "marché", "date limite", "cahier des charges", "DCE"…) *and* holds a date;
4. one notice per link (the first occurrence wins); a document linked from a kept block is one
   of its ``documents``, not a call of its own.

Notices are marked ``via_fallback=True``; their ``ref`` is the link's URL, like most OPCO
sources, so that a call keeps its key when its source comes back from the fallback. The buyer is
left empty: the page does not say it in a way a generic reader can trust.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import SplitResult, unquote

from bs4 import BeautifulSoup, Tag

from scrapers.base import clean_text, html_soup, join_url, select_all, split_url
from scrapers.dates import fold, parse_french_date
from scrapers.opco_common import (
    find_deadline,
    is_document,
    kind_from_wording,
    published_in,
    text_lines,
    time_date,
)
from watcher.models import Notice, NoticeKind

log = logging.getLogger(__name__)

MAX_NOTICES = 100
MAX_BLOCK_CHARS = 2_000
SUMMARY_CHARS = 500

TENDER_WORDS = re.compile(
    r"appels? d.offres?|appels? a (?:projets?|propositions?|candidatures?|manifestation)"
    r"|\bconsultations?\b|\bmarches?\b|(?:date|heure) limite|\bcloture\b"
    r"|limite de (?:reponse|depot|remise|reception)|cahiers? des charges|\bdce\b"
    r"|accords?.cadres?|avis (?:rectificatif|d.attribution|de marche|d.appel)"
)
#: a block's own words for a notice kind, stricter than for a title ("critères d'attribution")
BLOCK_KINDS = (
    (re.compile(r"avis d.annulation|\binfructueu"), NoticeKind.CANCELLATION),
    (re.compile(r"avis rectificatif|\brectificatif\b"), NoticeKind.CORRIGENDUM),
    (
        re.compile(r"avis d.attribution|resultat de (?:la )?(?:marche|consultation)"),
        NoticeKind.AWARD,
    ),
)
GENERIC_LINK = re.compile(
    r"^(?:consulter|voir|lire|en savoir|telecharger|acceder|details?|plus|cliquez|ici)\b"
)
CHROME_TAGS = ("nav", "aside", "script", "style", "noscript", "template", "svg")
CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar"}
CHROME_NAME = re.compile(
    r"^(?:site|main|top|primary|global)?[-_]?(?:nav|navbar|navigation|menu|breadcrumbs?|footer"
    r"|header|cookies?|pager|pagination|skip-links?)(?:$|[-_])"
)


@dataclass(frozen=True, slots=True)
class _Link:
    tag: Tag
    url: str
    document: bool


def fallback_notices(html: str, base_url: str, source: str) -> list[Notice]:
    """Candidate calls on a page whose source scraper no longer matches; see the module doc."""
    soup = html_soup(html)
    _drop_chrome(soup)
    links = _candidate_links(soup, base_url)
    pages = {link.url for link in links if not link.document}
    notices: dict[str, Notice] = {}
    attached: set[str] = set()
    for link in sorted(links, key=lambda lk: lk.document):  # pages first, then documents
        if link.url in notices or link.url in attached or len(notices) >= MAX_NOTICES:
            continue
        others = pages if not link.document else pages | {lk.url for lk in links}
        notice = _notice(link, _block(link, others), base_url, source)
        if notice is not None:
            notices[link.url] = notice
            attached.update(notice.documents)
    log.info("[%s] fallback extractor: %d candidate calls on %s", source, len(notices), base_url)
    return list(notices.values())


# -- the page -------------------------------------------------------------------------------


def _drop_chrome(soup: BeautifulSoup) -> None:
    for tag in soup.find_all(True):
        if not tag.decomposed and _is_chrome(tag):
            tag.decompose()


def _is_chrome(tag: Tag) -> bool:
    if tag.name in CHROME_TAGS or tag.get("role") in CHROME_ROLES:
        return True
    if tag.name in ("header", "footer") and tag.find_parent("article") is None:
        return True
    names = [*tag.get_attribute_list("class"), tag.get("id") or ""]
    return any(isinstance(n, str) and CHROME_NAME.match(n.lower()) for n in names)


def _candidate_links(soup: BeautifulSoup, base_url: str) -> list[_Link]:
    page = split_url(base_url)
    found = []
    for anchor in select_all(soup, "a[href]"):
        url = join_url(base_url, str(anchor.get("href"))).split("#")[0]
        parts = split_url(url)
        if parts.scheme not in ("http", "https") or _same_page(parts, page):
            continue
        document = is_document(url)
        if document or _site(parts.hostname) == _site(page.hostname):
            found.append(_Link(anchor, url, document))
    return found


def _same_page(a: SplitResult, b: SplitResult) -> bool:
    return (a.hostname, a.path.rstrip("/"), a.query) == (b.hostname, b.path.rstrip("/"), b.query)


def _site(host: str | None) -> str:
    return (host or "").removeprefix("www.")


def _block(link: _Link, others: set[str]) -> Tag:
    """The largest ancestor of the link that belongs to it alone (its card, row, item)."""
    node = link.tag
    while isinstance(node.parent, Tag) and node.parent.name not in ("body", "html"):
        parent = node.parent
        if len(parent.get_text(" ")) > MAX_BLOCK_CHARS or _holds_other(parent, link, others):
            break
        node = parent
    return node


def _holds_other(node: Tag, link: _Link, others: set[str]) -> bool:
    for anchor in select_all(node, "a[href]"):
        url = join_url(link.url, str(anchor.get("href"))).split("#")[0]
        if url != link.url and url in others:
            return True
    return False


# -- one candidate --------------------------------------------------------------------------


def _notice(link: _Link, block: Tag, base_url: str, source: str) -> Notice | None:
    lines = text_lines(block)
    text = clean_text(lines)
    label = clean_text(link.tag.get_text(" "))
    words = fold(" ".join((text, label, _file_words(link))))
    published = published_in(text) or time_date(block)
    deadline, wording = find_deadline(lines, published)
    if not TENDER_WORDS.search(words) or not (deadline or published or parse_french_date(text)):
        return None
    title = _title(link, label, block)
    return Notice(
        source=source,
        ref=link.url,
        title=title,
        url=link.url,
        published=published,
        deadline=deadline,
        deadline_text=wording,
        summary=clean_text(text.replace(title, "", 1)).strip(" -–:")[:SUMMARY_CHARS],
        documents=_documents(block, base_url, link),
        kind=_kind(title, text),
        via_fallback=True,
    )


def _file_words(link: _Link) -> str:
    if not link.document:
        return ""
    return re.sub(r"[-_.]+", " ", unquote(PurePosixPath(split_url(link.url).path).stem))


def _title(link: _Link, label: str, block: Tag) -> str:
    if len(label) >= 15 and not GENERIC_LINK.match(fold(label)):
        return label
    heading = block.find(["h1", "h2", "h3", "h4", "h5", "h6"])
    if isinstance(heading, Tag) and clean_text(heading.get_text(" ")):
        return clean_text(heading.get_text(" "))
    if link.document:
        return clean_text(_file_words(link)) or link.url
    return label or link.url


def _documents(block: Tag, base_url: str, link: _Link) -> tuple[str, ...]:
    urls = (join_url(base_url, str(a.get("href"))) for a in select_all(block, "a[href]"))
    kept = [u for u in urls if is_document(u)]
    return tuple(dict.fromkeys([link.url] if link.document else kept))


def _kind(title: str, text: str) -> NoticeKind:
    kind = kind_from_wording(title)
    if kind != NoticeKind.CALL:
        return kind
    folded = fold(text)
    return next((k for pattern, k in BLOCK_KINDS if pattern.search(folded)), NoticeKind.CALL)
