"""RSS and Atom feeds — any feed of calls, configured without code::

    [sources.mon-flux]
    kind = "rss"
    url = "https://www.example.fr/rss.xml"
    buyer = "Mon OPCO"
    keywords = ["appel d'offres", "consultation"]   # optional: keep only these items

RSS 2.0 (``channel/item``: title, link, guid, pubDate, description), RSS 1.0 and Atom
(``entry``: title, link[@href], id, published/updated, summary/content) are read alike, by
element names whatever their namespace. The deadline is read from the description when it is
worded ("Date limite de réponse : …"). Feeds are untrusted XML: parsed with lxml without
entity expansion, DTD loading or network access (``safe_xml``).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lxml import etree
from pydantic import BaseModel

from scrapers.base import ParseResult, Source, clean_text, join_url, read_each
from scrapers.dates import fold
from scrapers.opco_common import find_deadline, kind_from_wording
from scrapers.options import RssOptions
from scrapers.wordpress import (
    document_links,
    html_to_text,
)
from watcher.errors import ParseError, SkipNotice
from watcher.fetch import Request
from watcher.models import PARIS, Notice

log = logging.getLogger(__name__)

FEED_ROOTS = {"rss", "feed", "RDF"}
ITEMS = {"item", "entry"}
TEXT_KEYS = ("encoded", "content", "description", "summary")  # fullest first
DATE_KEYS = ("pubDate", "published", "date", "updated", "issued")
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
)


class Rss(Source):
    """Flux RSS ou Atom — les annonces d'un flux (réglage url)."""

    name = "rss"
    platform = "rss"
    hosts: tuple[str, ...] = ()
    Options: ClassVar[type[BaseModel]] = RssOptions

    def __init__(self, options: BaseModel | None = None, *, name: str | None = None) -> None:
        super().__init__(options, name=name)
        self.hosts = (urlsplit(self._options.url).hostname or "",)

    @property
    def _options(self) -> RssOptions:
        assert isinstance(self.options, RssOptions)
        return self.options

    def start_requests(self, today: date) -> list[Request]:
        return [Request(self._options.url)]

    def parse(self, text: str, url: str) -> ParseResult:
        root = safe_xml(text, self.name, url)
        if _local(root) not in FEED_ROOTS:
            raise ParseError(self.name, f"not an RSS or Atom feed (<{_local(root)}>)", url=url)
        items = [e for e in root.iter() if _local(e) in ITEMS]
        notices, skipped = read_each(
            items, lambda item: self._notice(item, url), source=self.name, ref=_item_ref
        )
        return ParseResult(_first_per_ref(notices), [], skipped)

    def _notice(self, item: Any, feed_url: str) -> Notice:
        title = html_to_text(_child_text(item, "title"))
        link = _link(item, feed_url)
        if not title or not link:
            raise ValueError(f"item without {'title' if not title else 'link'}: {title or link}")
        html = next((t for t in (_raw_text(item, k) for k in TEXT_KEYS) if t), "")
        text = html_to_text(html)
        if not self._wanted(f"{title}\n{text}"):
            raise SkipNotice(f"no keyword in: {title}")
        published = _published(item)
        deadline, wording = find_deadline(text, published)
        return Notice(
            source=self.name,
            ref=_child_text(item, "guid") or _child_text(item, "id") or link,
            title=title,
            url=link,
            buyer=self._options.buyer,
            published=published,
            deadline=deadline,
            deadline_text=wording,
            summary=text[:2_000],
            body=text[:20_000] if len(text) > 2_000 else "",
            documents=document_links(html, link),
            kind=kind_from_wording(title),
        )

    def _wanted(self, text: str) -> bool:
        keywords = self._options.keywords
        return not keywords or any(fold(word) in fold(text) for word in keywords)


def safe_xml(text: str | bytes, source: str, url: str) -> Any:
    """Parse untrusted XML: no entity expansion, no DTD, no network, no huge tree. Text has its
    declaration dropped (lxml refuses a ``str`` that declares an encoding); bytes are parsed
    as they are, by their declaration. ParseError if broken, whatever the input."""
    document = _DECLARATION.sub("", text, count=1) if isinstance(text, str) else text
    try:
        root = etree.fromstring(document, _PARSER)
    except (etree.XMLSyntaxError, ValueError) as error:  # ValueError: NUL bytes, bad str
        raise ParseError(source, f"not well-formed XML ({error})", url=url) from error
    if root is None:
        raise ParseError(source, "empty XML document", url=url)
    return root


def _item_ref(index: int, item: Any) -> str:
    return _child_text(item, "guid") or _child_text(item, "id") or f"item {index}"


def _local(element: Any) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(item: Any, name: str) -> Any:
    return next((c for c in item if _local(c) == name), None)


def _child_text(item: Any, name: str) -> str:
    child = _child(item, name)
    return clean_text("".join(child.itertext())) if child is not None else ""


def _raw_text(item: Any, name: str) -> str:
    """The text of a child as written (HTML kept for the description), not collapsed."""
    child = _child(item, name)
    return "".join(child.itertext()) if child is not None else ""


def _link(item: Any, feed_url: str) -> str:
    for child in item:
        if _local(child) != "link":
            continue
        href = child.get("href") or "".join(child.itertext()).strip()
        if href and child.get("rel", "alternate") == "alternate":
            return join_url(feed_url, href)
    return ""


def _published(item: Any) -> date | None:
    for key in DATE_KEYS:
        value = _child_text(item, key)
        moment = _datetime(value) if value else None
        if moment is None:
            continue
        try:
            return moment.astimezone(PARIS).date() if moment.tzinfo else moment.date()
        except OverflowError:  # year 1 or 9999 pushed out of range by the offset
            continue
    return None


def _datetime(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)  # RFC 822, RSS 2.0
    except (TypeError, ValueError, OverflowError):  # an hour of 22 digits overflows
        pass
    try:
        return datetime.fromisoformat(value)  # RFC 3339, Atom and Dublin Core
    except ValueError:
        return None


def _first_per_ref(notices: list[Notice]) -> list[Notice]:
    """A feed repeating an item keeps its first occurrence (the newest, in feed order)."""
    first: dict[str, Notice] = {}
    for notice in notices:
        first.setdefault(notice.ref, notice)
    return list(first.values())


__all__ = ["Rss", "RssOptions", "safe_xml"]
