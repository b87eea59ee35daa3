"""The scraper contract: a source is one class, one registry line, one set of saved pages.

A source says where its pages are (``start_requests``), which hosts it may touch (``hosts``)
and how to read a page (``parse``, a pure function of the text and its URL: no client, clock
or config inside). The pipeline does the fetching, the storing and the bookkeeping.

HTML sources declare their selectors with ``Select(css, min=, max=)``: a selector that finds a
number of nodes outside its bounds raises ``LayoutChanged`` — a changed site is never taken for
"nothing new". Each declares two: ``frame``, the part of the page that holds the list of calls
(or says there is none), and ``rows``, one per call inside it. An empty listing is normal (an
OPCO often has no open call for weeks): the frame present with no row is "0 open calls", a
success; the frame missing is a layout change.

One bad record never costs the good ones: every row, API record or feed item is read on its own
(``read_each``); one that cannot be read is left out with its reason in ``ParseResult.skipped``
and the rest of the page is kept. Only an answer whose envelope is wrong (not JSON, no list of
results, a page without its frame) fails the page, with a declared ``ParseError``.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Protocol, TypeVar, cast
from urllib.parse import SplitResult, urljoin, urlsplit

import soupsieve
from bs4 import BeautifulSoup, SoupStrainer, Tag
from pydantic import BaseModel, ValidationError

from scrapers.options import NoOptions
from scrapers.plaincss import PlainSelector
from watcher.errors import LayoutChanged, ParseError, SkipNotice
from watcher.fetch import Request
from watcher.models import Notice

log = logging.getLogger(__name__)
Item = TypeVar("Item")


@dataclass(frozen=True, slots=True)
class Skipped:
    """A row, record or feed item left out of a page, and why."""

    #: what names it on the source (idweb, guid, link), else its position ("record 3")
    ref: str
    reason: str
    #: True when it could not be read (wrong shape, a bug); False when dropped on purpose
    #: (a menu link, a news item, a header row). Unreadable ones are counted in ``sources``.
    unreadable: bool = False

    def __str__(self) -> str:
        return f"{self.ref}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What one page gave: notices, and further pages to fetch (pagination)."""

    notices: list[Notice]
    next_requests: list[Request] = field(default_factory=list)
    #: rows dropped on purpose or unreadable, with the reason (logged and counted)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def unreadable(self) -> list[Skipped]:
        return [s for s in self.skipped if s.unreadable]


#: what a record that cannot be read raises: bad data, not a bug of the reader
UNREADABLE = (ValueError, KeyError, ValidationError)
#: the reason of a record that made the reader fail unexpectedly (a bug: logged with its trace)
INTERNAL = "internal error"


Envelope = TypeVar("Envelope", bound=BaseModel)


def validated_envelope(model: type[Envelope], data: object, *, source: str, url: str) -> Envelope:
    """An API answer's envelope (counts, result list, paging) checked once: a wrong one is a
    declared ``ParseError`` naming the first field at fault, never a Python exception."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problem = error.errors(include_url=False, include_input=False)[0]
        where = ".".join(map(str, problem["loc"]))
        raise ParseError(
            source, f"unexpected API answer: {where}: {problem['msg']}", url=url
        ) from error


def read_each(
    items: Iterable[Item],
    read: Callable[[Item], Notice],
    *,
    source: str,
    ref: Callable[[int, Item], str],
) -> tuple[list[Notice], list[Skipped]]:
    """Read every item on its own: a ``SkipNotice`` drops it on purpose, bad data leaves it
    out as unreadable, and so does a bug of the reader (logged with its traceback, marked
    ``internal error``) — the other items are kept whatever happens to one."""
    notices: list[Notice] = []
    skipped: list[Skipped] = []
    for index, item in enumerate(items, start=1):
        try:
            notices.append(read(item))
        except SkipNotice as skip:
            skipped.append(Skipped(_safe_ref(ref, index, item), str(skip)))
        except ParseError:
            raise  # a declared selector found the wrong number of nodes: the layout changed
        except UNREADABLE as error:
            skipped.append(Skipped(_safe_ref(ref, index, item), _reason(error), unreadable=True))
        except Exception as error:
            where = _safe_ref(ref, index, item)
            log.exception("[%s] %s: reader failed", source, where)
            reason = f"{INTERNAL}: {type(error).__name__}: {error}"
            skipped.append(Skipped(where, reason[:300], unreadable=True))
    return notices, skipped


def _safe_ref(ref: Callable[[int, Item], str], index: int, item: Item) -> str:
    try:
        return ref(index, item)[:200] or f"item {index}"
    except Exception:  # the item is of so wrong a shape that it has no readable reference
        return f"item {index}"


def _reason(error: Exception) -> str:
    """A short reason: pydantic's first error with its place, else the error's text."""
    if isinstance(error, ValidationError):
        errors = error.errors(include_url=False, include_input=False)
        first = errors[0]
        where = ".".join(str(p) for p in first["loc"]) or "record"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return f"wrong shape: {where}: {first['msg']}{more}"
    text = str(error) if not isinstance(error, KeyError) else f"missing {error}"
    return f"unreadable: {text}"[:300]


class _Selector(Protocol):
    def select(self, node: Tag, limit: int = 0) -> list[Tag]: ...
    def select_one(self, node: Tag) -> Tag | None: ...


@functools.lru_cache(maxsize=512)
def compiled(css: str) -> _Selector:
    """``css`` compiled once: a ``PlainSelector`` when it is one, else soupsieve's."""
    plain = PlainSelector.parse(css)
    return plain if plain is not None else cast(_Selector, soupsieve.compile(css))


def select_all(node: Tag, css: str) -> list[Tag]:
    """``node.select(css)``, the same elements, compiled once (see ``compiled``)."""
    return compiled(css).select(node)


def select_first(node: Tag, css: str) -> Tag | None:
    """``node.select_one(css)``, compiled once."""
    return compiled(css).select_one(node)


@dataclass(frozen=True, slots=True)
class Select:
    """A CSS selector with the number of matches the page must have."""

    css: str
    min: int = 0
    max: int | None = None

    def all(self, node: Tag, *, source: str, url: str | None = None) -> list[Tag]:
        found = compiled(self.css).select(node)
        if len(found) < self.min or (self.max is not None and len(found) > self.max):
            raise LayoutChanged(source, self.css, len(found), expected=self.bounds(), url=url)
        return found

    def one(self, node: Tag, *, source: str, url: str | None = None) -> Tag | None:
        """The first match in document order (None when there is none and none is needed)."""
        if self.max is None and self.min <= 1:  # only "is there one?" matters: stop at it
            first = compiled(self.css).select_one(node)
            if first is None and self.min:
                raise LayoutChanged(source, self.css, 0, expected=self.bounds(), url=url)
            return first
        found = self.all(node, source=source, url=url)
        return found[0] if found else None

    def text(self, node: Tag, *, source: str, url: str | None = None) -> str:
        found = self.one(node, source=source, url=url)
        return clean_text(found.get_text(" ")) if found else ""

    def bounds(self) -> str:
        if self.max is None:
            return f">= {self.min}"
        return f"{self.min}" if self.min == self.max else f"{self.min}..{self.max}"


class Source(ABC):
    """Base of every source. The class docstring is the user-facing description."""

    name: str  # an instance may override it (a platform source configured by the user)
    hosts: tuple[str, ...]  # a platform source configured by the user derives them from options
    #: the kind of platform, shown in ``opco-watch sources``
    platform: ClassVar[str] = "html"
    #: settings of this source under ``[sources.NAME]`` in the config (validated)
    Options: ClassVar[type[BaseModel]] = NoOptions
    #: a bound on pagination, whatever the site says
    max_pages: ClassVar[int] = 20
    #: detail pages are binary documents (PDF calls): read with ``parse_detail_bytes``
    binary_details: ClassVar[bool] = False

    def __init__(self, options: BaseModel | None = None, *, name: str | None = None) -> None:
        self.options = options if options is not None else self.Options()
        if name is not None:  # a platform source configured by the user under its own name
            self.name = name

    @classmethod
    def description(cls) -> str:
        doc = inspect.getdoc(cls) or cls.name
        return doc.split("\n\n", 1)[0].replace("\n", " ")

    @abstractmethod
    def start_requests(self, today: date) -> list[Request]:
        """The first pages to fetch (listings, API queries)."""

    @abstractmethod
    def parse(self, text: str, url: str) -> ParseResult:
        """Read one listing page or API answer. Pure: same input, same output."""

    def detail_request(self, notice: Notice) -> Request | None:
        """The detail page of a notice, when the listing does not say everything."""
        return None

    def parse_detail(self, text: str, notice: Notice) -> Notice:
        """Complete a notice from its detail page."""
        return notice

    def parse_detail_bytes(self, content: bytes, notice: Notice) -> Notice:
        """Complete a notice from a binary detail document (when ``binary_details``)."""
        raise NotImplementedError(f"{self.name} declares binary_details without a reader")

    def allows(self, url: str) -> bool:
        return (split_url(url).hostname or "") in self.hosts


class HtmlSource(Source):
    """A source read from HTML listing pages, row by row.

    ``frame`` is the part of the listing that is there whether or not a call is open (the
    list's container, or the block saying "no call"); ``rows`` are the calls inside it and may
    be none. A page without its frame raises ``LayoutChanged``."""

    list_urls: ClassVar[tuple[str, ...]]
    frame: ClassVar[Select]
    rows: ClassVar[Select]
    next_page: ClassVar[Select | None] = None

    def start_requests(self, today: date) -> list[Request]:
        return [Request(url) for url in self.list_urls]

    def parse(self, text: str, url: str) -> ParseResult:
        soup = html_soup(text)
        rows = self.rows.all(soup, source=self.name, url=url)
        if not rows:
            self.check_frame(soup, url)
            self.check_nothing_listed(text, url)
            log.info("[%s] no open call on %s", self.name, url)
        notices, skipped = read_each(
            rows, lambda row: self.parse_row(row, url), source=self.name, ref=_row_ref
        )
        return ParseResult(notices, self._next_requests(soup, url), skipped)

    def check_frame(self, soup: BeautifulSoup, url: str) -> None:
        """No row: "0 open calls" when the frame is there, else the layout changed."""
        if select_first(soup, self.frame.css) is None:
            expected = f">= 1, or its frame {self.frame.css} saying no call is open"
            raise LayoutChanged(self.name, self.rows.css, 0, expected=expected, url=url)

    def check_nothing_listed(self, text: str, url: str) -> None:
        """The frame is there without a row: still a layout change if the page shows calls
        the rows miss (cards renamed inside a frame that stayed), as the generic extractor
        finds them; "0 open calls" only when nothing on the page looks like one."""
        from scrapers.fallback import fallback_notices  # the extractor reads with our helpers

        found = fallback_notices(text, url, self.name)
        if found:
            expected = f">= 1: the page shows {len(found)} call(s) the rows do not match"
            raise LayoutChanged(self.name, self.rows.css, 0, expected=expected, url=url)

    @abstractmethod
    def parse_row(self, row: Tag, base_url: str) -> Notice:
        """One row (card, table line) -> one notice; raise SkipNotice to drop it."""

    def parse_detail(self, text: str, notice: Notice) -> Notice:
        region = self.detail_region()
        only = region_tags(region.css) if region is not None else ()
        return self.parse_detail_soup(html_soup(text, only=only), notice)

    def detail_region(self) -> Select | None:
        """The part of a detail page its reader reads (``main``, ``main article``), when it
        reads nothing else: when each of its selectors starts with a tag name, only those
        elements and what they hold are built (about 40 % of the tree's cost on a page with
        a header, menus and a footer). None: the whole page."""
        return None

    def parse_detail_soup(self, soup: BeautifulSoup, notice: Notice) -> Notice:
        return notice

    def _next_requests(self, soup: BeautifulSoup, url: str) -> list[Request]:
        if self.next_page is None:
            return []
        link = self.next_page.one(soup, source=self.name, url=url)
        href = link.get("href") if link else None
        if not isinstance(href, str):
            return []
        target = join_url(url, href)
        return [Request(target)] if target and self.allows(target) else []


def _row_ref(index: int, row: Tag) -> str:
    """A row named by its first link, else by its position."""
    link = row if row.name == "a" else row.find("a", href=True)
    href = link.get("href") if isinstance(link, Tag) else None
    return href if isinstance(href, str) and href.strip() else f"row {index}"


class JsonApiSource(Source):
    """A source read from a JSON API (BOAMP, TED, WordPress REST)."""

    platform: ClassVar[str] = "api"

    def parse(self, text: str, url: str) -> ParseResult:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as error:  # "[[[[…" nested too deep
            raise ParseError(
                self.name, f"the API did not return JSON ({error})", url=url
            ) from error
        return self.parse_json(data, url)

    @abstractmethod
    def parse_json(self, data: Any, url: str) -> ParseResult:
        """Read one decoded API answer."""


_XML_DECLARATIONS = re.compile(r"^(?:\s*<\?xml[^>]*>)+")


@functools.lru_cache(maxsize=64)
def region_tags(css: str) -> tuple[str, ...]:
    """The tag names every element ``css`` can match lies in (``main`` for ``main article,
    main``), or () when it has none (``#main-content``, ``.entry``, ``:not()``…)."""
    plain = PlainSelector.parse(css)
    if plain is None:
        return ()
    heads = [chain[0] for chain in plain.chains]
    if not all(h.bare for h in heads):
        return ()
    return tuple(dict.fromkeys(h.name for h in heads if h.name))


def html_soup(markup: str, *, only: tuple[str, ...] = ()) -> BeautifulSoup:
    """Untrusted HTML parsed without Beautiful Soup's guesses about what the text is (which it
    voices as warnings, errors under ``filterwarnings = error``): an XML declaration (XHTML,
    or a page that is not HTML at all) is dropped, and a short text without markup gets a
    line end (it would "look like a URL" or "a filename"). ``only``: tag names; only those
    elements and what they hold are kept (bs4's ``SoupStrainer``)."""
    strainer = SoupStrainer(list(only)) if only else None
    return BeautifulSoup(prepare_markup(markup), "lxml", parse_only=strainer)


def prepare_markup(markup: str) -> str:
    """What ``html_soup`` hands its parser (also ``scrapers.lxmltext``'s, for the same tree)."""
    text = _XML_DECLARATIONS.sub("", markup, count=1)
    return text if "<" in text else text + "\n"


def clean_text(text: str) -> str:
    """Collapse white space (including non-breaking spaces) to single spaces."""
    return " ".join(text.replace("\xa0", " ").split())


def absolute(base_url: str, href: str | None) -> str:
    return join_url(base_url, href or "")


def join_url(base_url: str, href: str) -> str:
    """``urljoin`` that takes any scraped href: one it cannot read ("http://[x", an IPv6
    address left open) gives "", which no reader keeps."""
    try:
        return urljoin(base_url, href)
    except ValueError:
        return ""


def split_url(url: str) -> SplitResult:
    """``urlsplit`` that takes any scraped address (an unreadable one splits as "")."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def is_web_url(url: str) -> bool:
    """An http(s) address with a host: the only links stored (never ``javascript:``,
    ``file:``, ``data:``… from a scraped page)."""
    parts = split_url(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def texts(nodes: Iterable[Tag]) -> list[str]:
    return [clean_text(node.get_text(" ")) for node in nodes]
