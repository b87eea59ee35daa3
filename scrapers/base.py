"""The scraper contract: a source is one class, one registry line, one set of saved pages.

A source says where its pages are (``start_requests``), which hosts it may touch (``hosts``)
and how to read a page (``parse``, a pure function of the text and its URL: no client, clock
or config inside). The pipeline does the fetching, the storing and the bookkeeping.

HTML sources declare their selectors with ``Select(css, min=, max=)``: a selector that finds a
number of nodes outside its bounds raises ``LayoutChanged`` — a changed site is never taken for
"nothing new".
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel, ConfigDict

from watcher.errors import LayoutChanged, ParseError, SkipNotice
from watcher.fetch import Request
from watcher.models import Notice


class NoOptions(BaseModel):
    """A source without settings of its own."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class ParseResult:
    """What one page gave: notices, and further pages to fetch (pagination)."""

    notices: list[Notice]
    next_requests: list[Request] = field(default_factory=list)
    #: rows dropped on purpose or unreadable, with the reason (kept for the logs)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Select:
    """A CSS selector with the number of matches the page must have."""

    css: str
    min: int = 0
    max: int | None = None

    def all(self, node: Tag, *, source: str, url: str | None = None) -> list[Tag]:
        found = node.select(self.css)
        if len(found) < self.min or (self.max is not None and len(found) > self.max):
            raise LayoutChanged(source, self.css, len(found), expected=self.bounds(), url=url)
        return found

    def one(self, node: Tag, *, source: str, url: str | None = None) -> Tag | None:
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
        return (urlsplit(url).hostname or "") in self.hosts


class HtmlSource(Source):
    """A source read from HTML listing pages, row by row."""

    list_urls: ClassVar[tuple[str, ...]]
    rows: ClassVar[Select]
    next_page: ClassVar[Select | None] = None

    def start_requests(self, today: date) -> list[Request]:
        return [Request(url) for url in self.list_urls]

    def parse(self, text: str, url: str) -> ParseResult:
        soup = BeautifulSoup(text, "lxml")
        notices: list[Notice] = []
        skipped: list[str] = []
        for row in self.rows.all(soup, source=self.name, url=url):
            try:
                notices.append(self.parse_row(row, url))
            except SkipNotice as skip:
                skipped.append(str(skip))
            except (ValueError, KeyError) as error:
                skipped.append(f"unreadable row: {error}")
        return ParseResult(notices, self._next_requests(soup, url), skipped)

    @abstractmethod
    def parse_row(self, row: Tag, base_url: str) -> Notice:
        """One row (card, table line) -> one notice; raise SkipNotice to drop it."""

    def parse_detail(self, text: str, notice: Notice) -> Notice:
        return self.parse_detail_soup(BeautifulSoup(text, "lxml"), notice)

    def parse_detail_soup(self, soup: BeautifulSoup, notice: Notice) -> Notice:
        return notice

    def _next_requests(self, soup: BeautifulSoup, url: str) -> list[Request]:
        if self.next_page is None:
            return []
        link = self.next_page.one(soup, source=self.name, url=url)
        href = link.get("href") if link else None
        if not isinstance(href, str):
            return []
        target = urljoin(url, href)
        return [Request(target)] if self.allows(target) else []


class JsonApiSource(Source):
    """A source read from a JSON API (BOAMP, TED, WordPress REST)."""

    platform: ClassVar[str] = "api"

    def parse(self, text: str, url: str) -> ParseResult:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ParseError(
                self.name, f"the API did not return JSON ({error})", url=url
            ) from error
        return self.parse_json(data, url)

    @abstractmethod
    def parse_json(self, data: Any, url: str) -> ParseResult:
        """Read one decoded API answer."""


def clean_text(text: str) -> str:
    """Collapse white space (including non-breaking spaces) to single spaces."""
    return " ".join(text.replace("\xa0", " ").split())


def absolute(base_url: str, href: str | None) -> str:
    return urljoin(base_url, href or "")


def texts(nodes: Iterable[Tag]) -> list[str]:
    return [clean_text(node.get_text(" ")) for node in nodes]
