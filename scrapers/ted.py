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
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from scrapers.base import JsonApiSource, ParseResult, clean_text
from scrapers.dates import combine_iso_date_time
from watcher.errors import ParseError, SkipNotice
from watcher.fetch import Request
from watcher.models import PARIS, Lot, Notice, NoticeKind

log = logging.getLogger(__name__)

SEARCH_URL = "https://api.ted.europa.eu/v3/notices/search"
NOTICE_PAGE = "https://ted.europa.eu/fr/notice/-/detail/{number}"
PAGE_SIZE = 250  # the API's maximum
TRAINING_CPV = (
    "80500000",  # services de formation
    "80510000",  # formation spécialisée
    "80511000",  # formation du personnel
    "80530000",  # formation professionnelle
    "80531200",
    "80532000",  # formation en gestion
    "80533000",  # formation informatique
    "80533100",
    "80533200",
    "80550000",  # formation à la sécurité
    "80570000",  # développement personnel
    "80600000",
    "79632000",  # formation du personnel (services aux entreprises)
    "80420000",  # e-learning
)
FIELDS = (
    "publication-number",
    "publication-date",
    "notice-type",
    "procedure-type",
    "procedure-identifier",
    "change-notice-version-identifier",
    "notice-title",
    "title-proc",
    "description-proc",
    "buyer-name",
    "organisation-name-buyer",
    "buyer-city",
    "place-of-performance",
    "classification-cpv",
    "main-classification-lot",
    "title-lot",
    "description-lot",
    "identifier-lot",
    "deadline-receipt-tender-date-lot",
    "deadline-receipt-tender-time-lot",
    "deadline-receipt-request-date-lot",
    "deadline-receipt-request-time-lot",
    "estimated-value-proc",
    "estimated-value-cur-proc",
    "estimated-value-lot",
    "estimated-value-cur-lot",
    "total-value",
    "total-value-cur",
    "submission-url-lot",
    "document-url-lot",
    "winner-name",
)
PROCEDURES = {
    "open": "Procédure ouverte",
    "restricted": "Procédure restreinte",
    "neg-w-call": "Procédure concurrentielle avec négociation",
    "neg-wo-call": "Procédure négociée sans publication préalable",
    "comp-dial": "Dialogue compétitif",
    "innovation": "Partenariat d'innovation",
    "oth-single": "Autre procédure à une étape",
    "oth-mult": "Autre procédure à plusieurs étapes",
}


class TedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cpv: list[str] = Field(
        default=list(TRAINING_CPV),
        description="CPV codes searched, 8 digits; trailing zeros widen the code (80500000 "
        "finds every 805xxxxx).",
    )
    countries: list[str] = Field(
        default=["FRA"], description="Countries of the buyers, ISO 3166 alpha-3 (FRA, BEL…)."
    )
    lookback_days: int = Field(
        default=30, ge=1, le=365, description="How many days of publications each poll asks for."
    )

    @field_validator("cpv")
    @classmethod
    def _cpv(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not (len(c) == 8 and c.isdigit())]
        if bad or not codes:
            raise ValueError(f"CPV codes have 8 digits (got {bad or 'none'})")
        return codes

    @field_validator("countries")
    @classmethod
    def _countries(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not (len(c) == 3 and c.isalpha())]
        if bad or not codes:
            raise ValueError(f"countries are 3-letter codes like FRA (got {bad or 'none'})")
        return [c.upper() for c in codes]


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
            found = ", ".join(data) if isinstance(data, dict) else type(data).__name__
            raise ParseError(
                self.name, f"unexpected API answer: no 'notices' list ({found})", url=url
            )
        notices, skipped = [], []
        for raw in data["notices"]:
            try:
                notices.append(notice_from_ted(raw, self.name))
            except (SkipNotice, ValueError, KeyError, TypeError) as error:
                skipped.append(f"notice skipped: {error}")
        if data.get("timedOut"):
            log.warning("[%s] TED timed out: this batch is incomplete (%s)", self.name, url)
            skipped.append("timedOut: TED returned an incomplete batch")
        token = data.get("iterationNextToken")
        more = bool(token) and bool(data["notices"])
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


def notice_from_ted(raw: Any, source: str = "ted") -> Notice:
    """One notice of a TED search answer -> Notice."""
    if not isinstance(raw, dict):
        raise SkipNotice(f"not a notice: {str(raw)[:60]}")
    number = _first(raw.get("publication-number") or raw.get("ND"))
    if not number:
        raise SkipNotice("notice without publication-number")
    title = read_title(raw) or f"Avis TED {number}"
    published = _date(_first(raw.get("publication-date") or raw.get("PD")))
    kind = _kind(raw)
    found_lots = _lots(raw)
    deadline, wording = _notice_deadline(raw, published, kind)
    return Notice(
        source=source,
        ref=number,
        title=title,
        url=_page(raw, number),
        buyer=_first(texts(raw.get("buyer-name")) or texts(raw.get("organisation-name-buyer"))),
        published=published,
        deadline=deadline,
        deadline_text=wording,
        summary=_first(texts(raw.get("description-proc"))),
        lots=found_lots,
        cpv=_unique(
            _list(raw.get("classification-cpv")) + _list(raw.get("main-classification-lot"))
        ),
        places=_unique(_list(raw.get("place-of-performance"))),
        procedure=_procedure(raw),
        estimated_value=_value(raw),
        documents=_unique(_list(raw.get("document-url-lot"))),
        kind=kind,
        folder_id=_first(_list(raw.get("procedure-identifier"))).lower(),
        platform_url=_first(_list(raw.get("submission-url-lot"))),
        winner=", ".join(_unique(texts(raw.get("winner-name")))),
    )


# ------------------------------------------------------------------------ titles and texts

LANGUAGES = ("fra", "eng")


def texts(value: Any) -> list[str]:
    """A multilingual field -> its values in French, else English, else the first language.
    Values are a string or a list (per lot) under each language code."""
    if not isinstance(value, dict):
        return _list(value)
    for language in (*LANGUAGES, *value):
        if _list(value.get(language)):
            return _list(value[language])
    return []


def read_title(raw: dict[str, Any]) -> str:
    """``title-proc`` when asked for, else the notice title without its "Country – CPV label – "
    prefix. The prefix is cut only when every language agrees on what follows it (the buyer's
    own title is the same in every translation): dashes inside the title are kept, and a label
    with a dash of its own in some language leaves the title whole rather than cut wrong."""
    own = _first(texts(raw.get("title-proc")))
    if own:
        return own
    titles = raw.get("notice-title") or raw.get("TI") or {}
    chosen = _first(texts(titles))
    if not isinstance(titles, dict) or len(titles) < 2:
        return chosen
    tails = {_tail(_first(v)) for v in titles.values()}
    if len(tails) == 1 and "" not in tails:
        return tails.pop()
    return chosen


def _tail(title: str) -> str:
    parts = title.split(" – ", 2)
    return parts[2].strip() if len(parts) == 3 else ""


# ---------------------------------------------------------------------------- lots, deadlines


def _lots(raw: dict[str, Any]) -> tuple[Lot, ...]:
    titles = texts(raw.get("title-lot"))
    descriptions = texts(raw.get("description-lot"))
    deadlines = _lot_deadlines(raw)
    numbers, cpvs = _list(raw.get("identifier-lot")), _list(raw.get("main-classification-lot"))
    values = _list(raw.get("estimated-value-lot"))
    currencies = _list(raw.get("estimated-value-cur-lot"))
    return tuple(
        Lot(
            title=title,
            number=_at(numbers, i) or str(i + 1),
            description=_at(descriptions, i),
            deadline=(_aligned(deadlines, i, len(titles)) or (None, ""))[0],
            cpv=(cpv,) if (cpv := _aligned(cpvs, i, len(titles))) else (),
            estimated_value=_euros(_at(values, i), _at(currencies, i) or _at(currencies, 0)),
        )
        for i, title in enumerate(titles)
    )


def _lot_deadlines(raw: dict[str, Any]) -> list[tuple[datetime | None, str]]:
    """Per lot: the tender deadline, else the deadline for requests to participate, with the
    raw values it was read from."""
    for kind in ("tender", "request"):
        days = _list(raw.get(f"deadline-receipt-{kind}-date-lot"))
        times = _list(raw.get(f"deadline-receipt-{kind}-time-lot"))
        if days:
            pairs = [(d, _aligned(times, i, len(days))) for i, d in enumerate(days)]
            return [(combine_iso_date_time(d, t), f"{d} {t or ''}".strip()) for d, t in pairs]
    return []


def _notice_deadline(
    raw: dict[str, Any], published: date | None, kind: NoticeKind
) -> tuple[datetime | None, str]:
    """The earliest lot deadline that is still a deadline: not on an award notice, and not
    before the publication (a data error). The raw values go with it."""
    if kind == NoticeKind.AWARD:
        return None, ""
    floor = datetime.combine(published or date.min, datetime.min.time(), tzinfo=PARIS)
    found = [(d, text) for d, text in _lot_deadlines(raw) if d is not None and d >= floor]
    return min(found) if found else (None, "")


def _aligned(values: list[Any], index: int, count: int) -> Any:
    """A lot's value from a per-lot array: by position when the array has one value per lot,
    the single value when it has one for all lots, else nothing (not guessed)."""
    if len(values) == count:
        return values[index]
    return values[0] if len(values) == 1 else None


def _at(values: list[str], index: int) -> str:
    return values[index] if index < len(values) else ""


def _euros(amount: str, currency: str) -> Decimal | None:
    return Decimal(amount) if amount and currency.upper() in ("EUR", "") else None


# ------------------------------------------------------------------------------ other fields


def _kind(raw: dict[str, Any]) -> NoticeKind:
    notice_type = _first(_list(raw.get("notice-type"))).lower()
    if notice_type.startswith("can-") or notice_type == "veat":
        return NoticeKind.AWARD
    if notice_type in ("corr", "corrigendum") or _list(raw.get("change-notice-version-identifier")):
        return NoticeKind.CORRIGENDUM
    return NoticeKind.CALL


def _procedure(raw: dict[str, Any]) -> str:
    code = _first(_list(raw.get("procedure-type")))
    label = PROCEDURES.get(code, code)
    social = _first(_list(raw.get("notice-type"))).lower().endswith("-social")
    return f"{label} (services sociaux et autres services spécifiques)".strip() if social else label


def _value(raw: dict[str, Any]) -> Decimal | None:
    """The estimated (or, on an award, total) value when it is in euros: the Notice has no
    currency, so an amount in another currency is left out rather than misread."""
    for amount, currency in (
        ("estimated-value-proc", "estimated-value-cur-proc"),
        ("total-value", "total-value-cur"),
    ):
        value = _euros(_first(_list(raw.get(amount))), _first(_list(raw.get(currency))))
        if value is not None:
            return value
    return None


def _page(raw: dict[str, Any], number: str) -> str:
    html = (raw.get("links") or {}).get("html") or {}
    page = html.get("FRA") if isinstance(html, dict) else None
    return (
        page
        if isinstance(page, str) and page.startswith("https://")
        else NOTICE_PAGE.format(number=number)
    )


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _list(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    values = value if isinstance(value, list) else [value]
    return [clean_text(str(v)) for v in values if v not in (None, "")]


def _first(values: Any) -> str:
    items = _list(values)
    return items[0] if items else ""


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


__all__ = ["FIELDS", "TRAINING_CPV", "Ted", "TedOptions", "cpv_patterns", "notice_from_ted"]
