"""One notice of a TED Search API v3 answer -> ``Notice`` (``scrapers/ted.py`` is the source).

Multilingual maps (``{"fra": …, "eng": …}``) are read in French, else English, else any
language; lot fields are arrays in lot order. Each notice is validated first (``TedNotice``:
every field read has one of the shapes TED gives, a value, a list or a language map).
Deadlines are TED's date and time fields with their offsets, honoured as written; values keep
a framework agreement's maximum as the high bound; lots keep the number their title gives
("Lot 2 : …"), else their identifier's (``LOT-0002`` -> 2).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ConfigDict, Field, create_model

from scrapers.base import clean_text, is_web_url
from scrapers.dates import combine_iso_date_time
from scrapers.lots import lot_number
from watcher.models import PARIS, Lot, Notice, NoticeKind

NOTICE_PAGE = "https://ted.europa.eu/fr/notice/-/detail/{number}"

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
    "framework-maximum-value-glo",
    "framework-maximum-value-cur-glo",
    "framework-maximum-value-lot",
    "framework-maximum-value-cur-lot",
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


Scalar = str | int | float
#: one field of a TED notice: a value, a list of values (per lot), or a map by language
TedValue = Scalar | list[Scalar | None] | dict[str, Scalar | list[Scalar | None] | None] | None
#: the fields read, with the shapes TED gives them (others are ignored)
TedNotice = create_model(  # type: ignore[call-overload]
    "TedNotice",
    __config__=ConfigDict(extra="ignore"),
    **{
        name.replace("-", "_"): (TedValue, Field(None, alias=name))
        for name in (*FIELDS, "ND", "PD", "TI")
    },
    links=(dict[str, dict[str, str] | str] | None, None),
)


def notice_ref(index: int, raw: Any) -> str:
    number = raw.get("publication-number") or raw.get("ND") if isinstance(raw, dict) else None
    return _first(number) if isinstance(number, str | list) else f"notice {index}"


def notice_from_ted(raw: Any, source: str = "ted") -> Notice:
    """One notice of a TED search answer -> Notice; ValidationError (a ValueError) when a field
    read is not of a shape TED gives."""
    if not isinstance(raw, dict):
        raise ValueError(f"not a notice: {type(raw).__name__}")
    TedNotice.model_validate(raw)
    number = _first(raw.get("publication-number") or raw.get("ND"))
    if not number:
        raise ValueError("notice without publication-number")
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
        estimated_value_max=_maximum(raw, found_lots),
        documents=_unique([u for u in _list(raw.get("document-url-lot")) if is_web_url(u)]),
        kind=kind,
        folder_id=_first(_list(raw.get("procedure-identifier"))).lower(),
        platform_url=_first([u for u in _list(raw.get("submission-url-lot")) if is_web_url(u)]),
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
    maxima = _list(raw.get("framework-maximum-value-lot"))
    max_currencies = _list(raw.get("framework-maximum-value-cur-lot"))
    lots = []
    for i, title in enumerate(titles):
        number, name = lot_number("", title, _at(numbers, i), i + 1)
        low = _euros(_at(values, i), _at(currencies, i) or _at(currencies, 0))
        high = _euros(_at(maxima, i), _at(max_currencies, i) or _at(max_currencies, 0))
        lots.append(
            Lot(
                title=name,
                number=number,
                description=_at(descriptions, i),
                deadline=(_aligned(deadlines, i, len(titles)) or (None, ""))[0],
                cpv=(cpv,) if (cpv := _aligned(cpvs, i, len(titles))) else (),
                estimated_value=low,
                estimated_value_max=high
                if high is not None and (low is None or high > low)
                else None,
            )
        )
    return tuple(lots)


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
    """An amount in euros (the Notice has no currency: others are left out, not misread)."""
    if not amount or currency.upper() not in ("EUR", ""):
        return None
    try:
        value = Decimal(amount)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and 0 < value < Decimal(10) ** 12 else None


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


def _maximum(raw: dict[str, Any], lots: tuple[Lot, ...]) -> Decimal | None:
    """A framework agreement's maximum value (the high bound of the estimate): the notice's,
    else the only lot's."""
    value = _euros(
        _first(_list(raw.get("framework-maximum-value-glo"))),
        _first(_list(raw.get("framework-maximum-value-cur-glo"))),
    )
    if value is None and len(lots) == 1:
        value = lots[0].estimated_value_max
    low = _value(raw)
    return value if value is not None and (low is None or value > low) else None


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


__all__ = ["FIELDS", "TedNotice", "notice_from_ted", "notice_ref", "read_title", "texts"]
