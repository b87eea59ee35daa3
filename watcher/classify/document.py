"""``Document``: what the classifier reads, built from a ``Notice`` or from a JSONL record.

A JSONL record has the fields id, title, summary, buyer, lots, cpv, region, published, deadline
(any may be missing or null); ``body``, ``places``, ``departments`` and ``kind`` are read too.
A field of the wrong type raises ``RecordError`` naming the field, never a bare ``TypeError``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

from watcher import deadlines
from watcher.classify import cpv as cpv_codes
from watcher.classify import geo
from watcher.classify.frozen import draft_of
from watcher.models import PARIS, Notice

#: A CPV code as written in most records: nothing to clean.
_CODE = re.compile(r"\d{8}\Z")
#: A deadline given as a date only is taken as the end of that day, Paris time.
END_OF_DAY = time(23, 59)


class RecordError(ValueError):
    """A JSONL record cannot be read; the message names the field and what was expected."""


@dataclass(frozen=True, slots=True)
class Document:
    """The text and facts of one notice, as the classifier reads them."""

    id: str | None = None
    title: str = ""
    summary: str = ""
    body: str = ""
    buyer: str = ""
    lots: tuple[str, ...] = ()
    cpv: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    published: date | None = None
    deadline: datetime | None = None
    kind: str = "call"
    #: when lots close on other days than the call: each deadline with the lots it is for
    #: (« lot 1 », « lot 2 »; ``deadlines.Moment.named``), the call's first; else ()
    #: (out of ``repr``: the golden sets fingerprint a document by it)
    lot_deadlines: tuple[tuple[str, datetime], ...] = field(default=(), repr=False)

    def text(self) -> str:
        """All the free text (title, summary, body, lots): used by the baseline."""
        return "\n".join(p for p in (self.title, self.summary, self.body, *self.lots) if p)


#: ``Document`` filled in as a plain object (``frozen.draft_of``: the most part of reading a
#: record was setting its frozen fields)
_Draft = draft_of(Document)


def _document(
    id: str | None,
    title: str,
    summary: str,
    body: str,
    buyer: str,
    lots: tuple[str, ...],
    cpv: tuple[str, ...],
    places: tuple[str, ...],
    published: date | None,
    deadline: datetime | None,
    kind: str,
) -> Document:
    """``Document(...)`` for every field, without the frozen dataclass's ``__init__``: each
    field stored once on a draft, which becomes the document before anyone sees it."""
    doc = _Draft()
    doc.id = id
    doc.title = title
    doc.summary = summary
    doc.body = body
    doc.buyer = buyer
    doc.lots = lots
    doc.cpv = cpv
    doc.places = places
    doc.published = published
    doc.deadline = deadline
    doc.kind = kind
    doc.lot_deadlines = ()  # a record gives one deadline
    doc.__class__ = Document
    return doc


def from_notice(notice: Notice) -> Document:
    lots = tuple(" — ".join(p for p in (lot.title, lot.description) if p) for lot in notice.lots)
    codes = [*notice.cpv, *(code for lot in notice.lots for code in lot.cpv)]
    places = [
        *notice.places,
        *(place for lot in notice.lots for place in lot.places),
        *filter(None, (geo.region_ending(lot.title) for lot in notice.lots)),
    ]
    deadline, lot_deadlines = _deadlines(notice)
    return Document(
        id=notice.key,
        title=notice.title,
        summary=notice.summary,
        body=notice.body,
        buyer=notice.buyer,
        lots=lots,
        cpv=_clean_cpv(codes),
        places=tuple(dict.fromkeys(places)),
        published=notice.published,
        deadline=deadline,
        kind=str(notice.kind),
        lot_deadlines=lot_deadlines,
    )


def from_record(record: Any) -> Document:
    """Read one decoded JSON line; raises ``RecordError`` on a wrong type or value."""
    if not isinstance(record, dict):
        raise RecordError(f"expected a JSON object, got {_type(record)}")
    get = record.get
    # the common case inline (a string or nothing); anything else through the checks
    title, summary, body, buyer = get("title"), get("summary"), get("body"), get("buyer")
    lots, published, deadline, kind = get("lots"), get("published"), get("deadline"), get("kind")
    ident, cpv, region = get("id"), get("cpv"), get("region")
    return _document(
        ident if ident is None or ident.__class__ is str else _id(ident),
        title if title.__class__ is str else "" if title is None else _text_of(title, "title"),
        summary
        if summary.__class__ is str
        else ""
        if summary is None
        else _text_of(summary, "summary"),
        body if body.__class__ is str else "" if body is None else _text_of(body, "body"),
        buyer if buyer.__class__ is str else "" if buyer is None else _text_of(buyer, "buyer"),
        () if lots is None else _lots(lots),
        () if cpv is None else _cpv(cpv),
        # a region alone (the common case) inline; anything else through the checks
        (region,)
        if region.__class__ is str and get("places") is None and get("departments") is None
        else _places(record),
        # a date as text (the common case) read at once; anything else through the checks
        None
        if published is None
        else _date_of(published, "published")
        if published.__class__ is str and published
        else _date(record, "published"),
        None
        if deadline is None
        else _deadline_of(deadline)
        if deadline.__class__ is str and deadline
        else _deadline(deadline),
        "call"
        if kind is None
        else (kind if kind.__class__ is str else _text_of(kind, "kind")) or "call",
    )


def _type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    names |= {int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _id(value: Any) -> str | None:
    if value is None or value.__class__ is str or isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise RecordError(f"field 'id': expected a string or an integer, got {_type(value)}")


def _text(record: dict[str, Any], name: str) -> str:
    return _text_of(record.get(name), name)


def _text_of(value: Any, name: str) -> str:
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RecordError(f"field {name!r}: expected a string, got {_type(value)}")
    return value


def _lots(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if value.__class__ is list:
        lots = tuple(value)
        if set(map(type, lots)) <= _STR_ONLY:
            return lots  # lots as plain strings: nothing to join
    if not isinstance(value, list):
        raise RecordError(f"field 'lots': expected a list, got {_type(value)}")
    return tuple(_lot(item) for item in value)


_STR_ONLY = {str}


def _lot(item: Any) -> str:
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and all(
        isinstance(item.get(k, ""), str) for k in ("title", "description")
    ):
        return " — ".join(p for p in (item.get("title"), item.get("description")) if p)
    raise RecordError("field 'lots': each lot must be a string or an object with a 'title'")


def _cpv(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if items.__class__ is list:
        if len(items) == 1:  # one plain code (the most common case): nothing to clean
            code = items[0]
            if code.__class__ is str and len(code) == 8 and code.isdecimal():
                return (code,)
        elif all(c.__class__ is str and _CODE.match(c) for c in items):
            codes = tuple(dict.fromkeys(items))  # plain codes: nothing to clean
            if len(codes) == len(items):
                return codes
    if not isinstance(items, list) or not all(isinstance(c, str | int) for c in items):
        raise RecordError(f"field 'cpv': expected a list of codes, got {_type(value)}")
    codes = _clean_cpv(str(c) for c in items)
    if len(codes) != len(items):
        raise RecordError(f"field 'cpv': expected 8-digit codes (e.g. 80530000), got {value!r}")
    return codes


def _clean_cpv(codes: Any) -> tuple[str, ...]:
    cleaned = (cpv_codes.clean_code(code) for code in codes)
    return tuple(dict.fromkeys(c for c in cleaned if c))


def _places(record: dict[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for name in ("region", "places", "departments"):
        value = record.get(name)
        if value is None:
            continue
        if value.__class__ is str:
            found.append(value)
            continue
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise RecordError(f"field {name!r}: expected a string or a list of strings")
        found += items
    return tuple(dict.fromkeys(found))


def _date(record: dict[str, Any], name: str) -> date | None:
    value = _text(record, name)
    if not value:
        return None
    return _date_of(value, name)


@lru_cache(maxsize=4096)
def _date_of(value: str, name: str) -> date:
    """A date read from its text (cached: dates repeat across a feed; dates are immutable)."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RecordError(f"field {name!r}: expected a date YYYY-MM-DD, got {value!r}") from None


def _deadline(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RecordError(f"field 'deadline': expected a string, got {_type(value)}")
    return _deadline_of(value)


@lru_cache(maxsize=4096)
def _deadline_of(value: str) -> datetime:
    """A deadline read from its text (cached, as dates; an error is raised again each time)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise RecordError(
            f"field 'deadline': expected YYYY-MM-DD or YYYY-MM-DDTHH:MM, got {value!r}"
        ) from None
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), END_OF_DAY)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=PARIS)


def _deadlines(notice: Notice) -> tuple[datetime | None, tuple[tuple[str, datetime], ...]]:
    """The call's deadline (else its earliest lot's) and, when lots close on other days, each
    deadline with its lots (``Document.lot_deadlines``)."""
    lots = notice.lots
    if not lots or all(lot.deadline is None for lot in lots):
        return notice.deadline, ()
    told = deadlines.of_notice(notice)
    moments = tuple((m.named, m.at) for m in told.moments) if told.split else ()
    return told.moments[0].at, moments
