"""WordPress REST API — the posts of one post type, written once and configured per site.
OPCO 2i is built in (``scrapers/opco2i.py``); a user adds any other WordPress site::

    [sources.mon-site]
    kind = "wordpress"
    endpoint = "https://www.example.fr/wp-json/wp/v2/posts"
    buyer = "Mon OPCO"

The endpoint answers a JSON array of posts: ``id``, ``date`` (site-local time), ``link``,
``title.rendered``, ``content.rendered``, ``excerpt.rendered`` (HTML). There is no deadline
field: it is read from the wording of the content ("Date et heure limite de réception des
PLIS : 5 mars 2026 à 12h00"). Links to documents in the content (PDF…) become ``documents``;
they are stored, never followed.

Pagination: the page count is in the ``X-WP-TotalPages`` header, which ``parse`` does not see,
so a full page (``per_page`` posts) asks for the next one, bounded by ``max_pages``. The next
page is asked with ``offset=`` rather than ``page=``: WordPress answers ``page=`` past the last
page with HTTP 400 (``rest_post_invalid_page_number``), which would fail the whole poll whenever
the post count is a multiple of ``per_page``; an ``offset`` past the end answers ``[]``.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrapers.base import (
    JsonApiSource,
    ParseResult,
    clean_text,
    html_soup,
    is_web_url,
    join_url,
    read_each,
    select_all,
    split_url,
)
from scrapers.opco_common import find_deadline, is_document, kind_from_wording
from scrapers.options import WordPressOptions
from watcher.errors import ParseError
from watcher.fetch import Request
from watcher.models import Notice

log = logging.getLogger(__name__)

PER_PAGE = 100
BLOCKS = (
    "p",
    "div",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "section",
)


Rendered = dict[str, Any] | str | None


class WordPressPost(BaseModel):
    """The fields of a post that are read, with the shapes WordPress gives them."""

    model_config = ConfigDict(extra="ignore")

    id: int | str
    link: str = Field(min_length=1)
    date: str | None = None
    title: Rendered = None
    content: Rendered = None
    excerpt: Rendered = None

    @field_validator("link")
    @classmethod
    def _web_page(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).hostname:
            raise ValueError("not an http(s) address")
        return value


def _post_ref(index: int, post: Any) -> str:
    found = post.get("id") if isinstance(post, dict) else None
    return f"post {found}" if isinstance(found, int | str) else f"post {index}"


class WordPress(JsonApiSource):
    """WordPress (API REST) — publications d'un site (réglage endpoint)."""

    name = "wordpress"
    platform = "wordpress"
    hosts: tuple[str, ...] = ()
    Options: ClassVar[type[BaseModel]] = WordPressOptions
    max_pages = 5
    #: a built-in site (subclass) sets these instead of taking options
    site_endpoint: ClassVar[str] = ""
    site_buyer: ClassVar[str] = ""

    def __init__(self, options: BaseModel | None = None, *, name: str | None = None) -> None:
        super().__init__(options, name=name)
        if isinstance(self.options, WordPressOptions):
            self.hosts = (urlsplit(self.options.endpoint).hostname or "",)

    @property
    def endpoint(self) -> str:
        if isinstance(self.options, WordPressOptions):
            return self.options.endpoint
        return self.site_endpoint

    @property
    def buyer(self) -> str:
        return self.options.buyer if isinstance(self.options, WordPressOptions) else self.site_buyer

    def start_requests(self, today: date) -> list[Request]:
        return [self._page(0)]

    def parse_json(self, data: Any, url: str) -> ParseResult:
        if isinstance(data, dict) and "code" in data:
            message = f"WordPress answered an error: {data['code']}: {data.get('message', '')}"
            raise ParseError(self.name, message, url=url)
        if not isinstance(data, list):
            raise ParseError(self.name, "unexpected API answer: not a list of posts", url=url)
        notices, skipped = read_each(data, self.post_to_notice, source=self.name, ref=_post_ref)
        if data and not notices:
            raise ParseError(
                self.name, f"no readable post among {len(data)}: {skipped[0].reason}", url=url
            )
        return ParseResult(notices, self._next_requests(url, len(data)), skipped)

    def post_to_notice(self, raw: Any) -> Notice:
        """One post -> Notice; ValidationError (a ValueError) when it is not of a post's shape."""
        post = WordPressPost.model_validate(raw).model_dump()
        link = post["link"]
        title = html_to_text(_rendered(post, "title"))
        if not title:
            raise ValueError(f"post {post['id']} without a title")
        content = html_to_text(_rendered(post, "content"))
        published = _wp_date(post.get("date"))
        deadline, wording = find_deadline(content, published)
        return Notice(
            source=self.name,
            ref=str(post["id"]),
            title=title,
            url=link,
            buyer=self.buyer,
            published=published,
            deadline=deadline,
            deadline_text=wording,
            summary=html_to_text(_rendered(post, "excerpt")),
            body=content[:20_000],
            documents=document_links(_rendered(post, "content"), link),
            kind=kind_from_wording(title),
        )

    def _page(self, offset: int) -> Request:
        params: dict[str, str | int] = {"per_page": PER_PAGE, "orderby": "date", "order": "desc"}
        return Request(self.endpoint, params={**params, "offset": offset} if offset else params)

    def _next_requests(self, url: str, count: int) -> list[Request]:
        query = parse_qs(split_url(url).query)
        try:
            per_page = int(query.get("per_page", [PER_PAGE])[0])
            offset = int(query.get("offset", [0])[0]) + per_page
        except ValueError:  # not our own request's URL: no paging
            return []
        if count < per_page or offset >= per_page * self.max_pages:
            return []
        return [self._page(offset)]


# -------------------------------------------------- helpers shared with the other platforms


def html_to_text(fragment: str) -> str:
    """Rendered HTML -> text, one line per block, entities decoded."""
    if not fragment:
        return ""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    soup = html_soup(fragment)
    for block in soup.find_all(BLOCKS):
        block.insert_after("\n")  # inline tags (<strong>, <a>) stay within their line
    for br in soup.find_all("br"):
        br.replace_with("\n")
    return "\n".join(line for line in map(clean_text, soup.get_text().splitlines()) if line)


def document_links(fragment: str, base_url: str) -> tuple[str, ...]:
    """Absolute links to documents (PDF, office files, archives) in an HTML fragment."""
    if "<a" not in fragment:
        return ()
    soup = html_soup(fragment)
    links = (join_url(base_url, str(a.get("href"))) for a in select_all(soup, "a[href]"))
    kept = (u for u in links if is_web_url(u) and is_document(u))
    return tuple(dict.fromkeys(kept))


def _rendered(post: dict[str, Any], key: str) -> str:
    value = post.get(key)
    if isinstance(value, dict):
        value = value.get("rendered")
    return value if isinstance(value, str) else ""


def _wp_date(value: Any) -> date | None:
    try:
        return datetime.fromisoformat(str(value)).date() if value else None
    except ValueError:
        return None


__all__ = [
    "WordPress",
    "WordPressOptions",
    "document_links",
    "html_to_text",
]
