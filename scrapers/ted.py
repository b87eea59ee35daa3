"""TED — Tenders Electronic Daily, the EU's journal of public procurement, through its Search
API v3 (anonymous): ``POST https://api.ted.europa.eu/v3/notices/search`` with a JSON body
(shared/sources.md §2). The query asks for notices of French buyers with training CPV codes
published over the last ``lookback_days`` days, in ITERATION mode: each answer carries an
``iterationNextToken`` that is sent back, with the same body, for the next batch. An answer
marked ``timedOut`` is incomplete: its notices are kept, the fact is logged, and the window of
the next polls fetches the rest.

The query window is written relatively (``PD>=today(-30)``) so the body depends only on the
options, and the next request can be rebuilt from an answer alone (``parse`` stays pure).

Notices: multilingual maps (``{"fra": …, "eng": …}``) are read in French, else English, else
any language; lot fields are arrays in lot order. ``folder_id`` is ``procedure-identifier``
(the eForms ContractFolderID, BOAMP's ``contractfolderid``), lower-cased like BOAMP's.

Each notice is validated on its own (``TedNotice``: every field read has one of the shapes TED
gives, a value, a list or a language map): one of the wrong shape is skipped with its reason,
the others kept; a wrong envelope is a ``ParseError``. Deadlines are TED's date and time
fields with their offsets (``2026-08-25+02:00`` + ``23:59:00+02:00``), honoured as written.
Values keep a framework agreement's maximum (``framework-maximum-value-*``) as the high bound
beside the estimate; lots keep the number their title gives ("Lot 2 : …"), else the one of
their identifier (``LOT-0002`` -> 2).
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel

from scrapers.base import JsonApiSource, ParseResult, Skipped, read_each, validated_envelope
from scrapers.options import TRAINING_CPV, TedOptions
from scrapers.ted_notice import FIELDS, notice_from_ted, notice_ref, read_title, texts
from watcher.errors import ParseError
from watcher.fetch import Request

log = logging.getLogger(__name__)

SEARCH_URL = "https://api.ted.europa.eu/v3/notices/search"
PAGE_SIZE = 250  # the API's maximum


class TedPage(BaseModel):
    """The envelope of a search answer."""

    notices: list[Any]
    totalNoticeCount: int | None = None
    iterationNextToken: str | None = None
    timedOut: bool | None = None


class Ted(JsonApiSource):
    """TED — avis de marchés européens de formation (API Search v3 de l'Office des publications)."""

    name = "ted"
    hosts = ("api.ted.europa.eu",)
    Options: ClassVar[type[BaseModel]] = TedOptions
    max_pages = 20  # 5,000 notices: a month of French training notices is far fewer

    def start_requests(self, today: date) -> list[Request]:
        return [self._search(None)]

    def query(self) -> str:
        options: TedOptions = self.options  # type: ignore[assignment]
        return (
            f"classification-cpv IN ({' '.join(cpv_patterns(options.cpv))})"
            f" AND buyer-country IN ({' '.join(options.countries)})"
            f" AND PD>=today(-{options.lookback_days})"
            " SORT BY publication-number DESC"
        )

    def body(self, token: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "query": self.query(),
            "fields": list(FIELDS),
            "limit": PAGE_SIZE,
            "scope": "ALL",
            "paginationMode": "ITERATION",
        }
        return {**body, "iterationNextToken": token} if token else body

    def parse_json(self, data: Any, url: str) -> ParseResult:
        if not isinstance(data, dict) or not isinstance(data.get("notices"), list):
            found = (
                ", ".join(map(str, data))[:200] if isinstance(data, dict) else type(data).__name__
            )
            raise ParseError(
                self.name, f"unexpected API answer: no 'notices' list ({found})", url=url
            )
        page = validated_envelope(TedPage, data, source=self.name, url=url)
        notices, skipped = read_each(
            page.notices,
            lambda raw: notice_from_ted(raw, self.name),
            source=self.name,
            ref=notice_ref,
        )
        if page.timedOut:
            log.warning("[%s] TED timed out: this batch is incomplete (%s)", self.name, url)
            skipped.append(Skipped("batch", "timedOut: TED returned an incomplete batch"))
        token = page.iterationNextToken
        more = bool(token) and bool(page.notices)
        return ParseResult(notices, [self._search(str(token))] if more else [], skipped)

    def _search(self, token: str | None) -> Request:
        headers = {"Accept": "application/json"}
        return Request(SEARCH_URL, method="POST", json=self.body(token), headers=headers)


def cpv_patterns(codes: list[str]) -> list[str]:
    """CPV codes -> TED wildcards, trailing zeros widening as in the profile: 80500000 ->
    805*, 79632000 -> 79632*. A pattern covered by a wider one is left out."""
    patterns = sorted({c.rstrip("0").ljust(2, "0") for c in codes}, key=len)
    kept: list[str] = []
    for pattern in patterns:
        if not any(pattern.startswith(wider) for wider in kept):
            kept.append(pattern)
    return [f"{p}*" for p in sorted(kept)]


__all__ = [
    "FIELDS",
    "TRAINING_CPV",
    "Ted",
    "TedOptions",
    "cpv_patterns",
    "notice_from_ted",
    "read_title",
    "texts",
]
