"""The data that flows between stages: ``Notice`` (one publication on one source), ``Tender``
(the notices of one consultation across sources) and ``Match`` (the classifier's verdict).

Only these types cross stage boundaries; no dicts between stages. All are frozen.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import orjson

from watcher.call_names import named_call

PARIS = ZoneInfo("Europe/Paris")


class NoticeKind(StrEnum):
    CALL = "call"
    CORRIGENDUM = "corrigendum"
    AWARD = "award"
    CANCELLATION = "cancellation"


@dataclass(frozen=True, slots=True)
class Lot:
    """One lot of a consultation. ``number`` as published ("1", "Lot 3"), or None."""

    title: str
    number: str | None = None
    description: str = ""
    deadline: datetime | None = None
    cpv: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    #: the estimate as published: one figure, or the low bound of a range
    estimated_value: Decimal | None = None
    #: the high bound when a range is published ("fourchette"), else None
    estimated_value_max: Decimal | None = None

    def __post_init__(self) -> None:
        _check_aware("Lot.deadline", self.deadline)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Lot:
        return _lot_from_json(data)

    @property
    def ordinal(self) -> int | None:
        """The lot's number as published (« 2 », « Lot 2 », « LOT-0002 ») read as 2; None
        without one or without digits in it: the one reading of the emails, the deadlines
        and the drafts."""
        return number_in(self.number) if self.number else None


@dataclass(frozen=True, slots=True)
class Notice:
    """One publication of a call (or its corrigendum, award, cancellation) on one source.

    ``ref`` is the site's own reference, else the detail URL; ``key`` is unique across sources.
    ``deadline`` is timezone-aware (Europe/Paris); when the wording could not be read it is None
    and ``deadline_text`` keeps the raw text, so nothing is guessed silently.
    """

    source: str
    ref: str
    title: str
    url: str
    buyer: str = ""
    published: date | None = None
    deadline: datetime | None = None
    deadline_text: str = ""
    summary: str = ""
    body: str = ""
    lots: tuple[Lot, ...] = ()
    cpv: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    procedure: str = ""
    #: the estimate as published: one figure, or the low bound of a range (a buyer who types
    #: a range "1 – 75 000" means "up to 75 000": show it with ``fr.estimate``, never alone)
    estimated_value: Decimal | None = None
    #: the high bound when a range is published ("fourchette"), else None
    estimated_value_max: Decimal | None = None
    documents: tuple[str, ...] = ()
    kind: NoticeKind = NoticeKind.CALL
    #: the eForms procedure identifier (BOAMP contractfolderid, TED procedure-identifier)
    folder_id: str = ""
    #: the buyer's own reference of the consultation ("[réf. 12345]", BOAMP idMarche)
    buyer_ref: str = ""
    #: refs of earlier notices this one amends or awards (BOAMP ``annonce_lie``)
    related_refs: tuple[str, ...] = ()
    #: the buyer's platform where the DCE is downloaded and answers are submitted
    platform_url: str = ""
    #: winner(s) on an award notice
    winner: str = ""
    #: True when the generic fallback extractor produced it (the source's scraper is broken)
    via_fallback: bool = False

    def __post_init__(self) -> None:
        if not self.source or not self.ref:
            raise ValueError("Notice needs a source and a ref")
        if not self.title.strip():
            raise ValueError(f"Notice {self.source}:{self.ref} has an empty title")
        if not _is_absolute_http(self.url):
            raise ValueError(f"Notice {self.source}:{self.ref} url is not absolute: {self.url!r}")
        _check_aware("Notice.deadline", self.deadline)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.ref}"

    def text(self) -> str:
        """All the free text of the notice, for matching."""
        parts = [self.title, self.summary, self.body, *(lot.title for lot in self.lots)]
        parts += [lot.description for lot in self.lots]
        return "\n".join(p for p in parts if p)

    def with_changes(self, **changes: Any) -> Notice:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO strings, decimals as strings)."""
        # field by field rather than dataclasses.asdict, which deep-copies (2x slower upserts)
        return {name: _jsonable(getattr(self, name)) for name in _NOTICE_FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Notice:
        values = dict(data)
        values["published"] = _parse_date(values.get("published"))
        values["deadline"] = _parse_datetime(values.get("deadline"))
        values["estimated_value"] = _parse_decimal(values.get("estimated_value"))
        values["estimated_value_max"] = _parse_decimal(values.get("estimated_value_max"))
        values["kind"] = NoticeKind(values.get("kind", "call"))
        values["lots"] = tuple(_lot_from_json(lot) for lot in values.get("lots") or ())
        for name in ("cpv", "places", "documents", "related_refs"):
            values[name] = tuple(values.get(name) or ())
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def canonical_json(self) -> str:
        """The notice as compact JSON, fields in declaration order: what the store keeps and
        what ``fingerprint`` hashes. orjson walks the dataclasses natively: a bulk upsert spent
        most of its time here with the standard encoder."""
        return orjson.dumps(self, default=_decimal_as_text).decode()

    def fingerprint(self) -> str:
        """A stable hash of the content: equal fingerprints mean nothing changed."""
        return hashlib.blake2b(self.canonical_json().encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Tender:
    """One consultation, seen as one or more notices (OPCO site, BOAMP, TED, corrigenda)."""

    id: int
    notices: tuple[Notice, ...]
    status: str = "new"
    closed: bool = False
    winner: str = ""
    #: the person assigned to the call (in the console, or by « Je prends »); "" for nobody
    owner: str = ""

    def __post_init__(self) -> None:
        if not self.notices:
            raise ValueError("a Tender groups at least one notice")

    @property
    def main(self) -> Notice:
        """The original call if present, else the first notice seen."""
        calls = [n for n in self.notices if n.kind == NoticeKind.CALL]
        return calls[0] if calls else self.notices[0]

    @property
    def title(self) -> str:
        """The call's title: its own, or the name a change notice gives it (``call_names``)."""
        main = self.main
        return main.title if main.kind == NoticeKind.CALL else named_call(main.title)

    @property
    def buyer(self) -> str:
        return self.main.buyer

    @property
    def deadline(self) -> datetime | None:
        """The deadline in force (``in_force``)."""
        return in_force((n.kind, n.deadline) for n in self.notices)

    @property
    def deadline_text(self) -> str:
        """The deadline as published by the notice that set the one in force (a
        corrigendum's wording once it moved the date, not the call's old one); without any
        deadline, the call's wording (« voir le règlement de consultation »)."""
        deadline = self.deadline
        if deadline is None:
            return self.main.deadline_text
        setting = [n for n in self.notices if n.deadline == deadline]
        amended = [n for n in setting if n.kind == NoticeKind.CORRIGENDUM]
        return (amended or setting)[-1].deadline_text


@dataclass(frozen=True, slots=True)
class Match:
    """The classifier's verdict on a tender (or a notice) for the organisation."""

    relevant: bool
    score: int
    domains: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    blockers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0 <= self.score <= 100:
            raise ValueError(f"score must be within 0-100, got {self.score}")

    @property
    def go(self) -> bool:
        return self.relevant and not self.blockers


# ---------------------------------------------------------------------------------- helpers


def _decimal_as_text(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _check_aware(name: str, value: datetime | None) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _is_absolute_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, Lot):
        return {name: _jsonable(getattr(value, name)) for name in _LOT_FIELDS}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, StrEnum):
        return value.value
    return value


def _parse_date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _parse_datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _parse_decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def _lot_from_json(data: dict[str, Any]) -> Lot:
    values = dict(data)
    values["deadline"] = _parse_datetime(values.get("deadline"))
    values["estimated_value"] = _parse_decimal(values.get("estimated_value"))
    values["estimated_value_max"] = _parse_decimal(values.get("estimated_value_max"))
    values["cpv"] = tuple(values.get("cpv") or ())
    values["places"] = tuple(values.get("places") or ())
    return Lot(**values)


#: a run of digits (a lot's number: « Lot 2 », « LOT-0002 »)
DIGITS = re.compile(r"\d+")


def in_force(given: Iterable[tuple[NoticeKind, datetime | None]]) -> datetime | None:
    """The deadline in force among those notices give, in publication order: the last
    corrigendum's that sets one, else the latest another gives (two sources may round it
    differently). The call's (``Tender.deadline``) and each lot's (``deadlines``)."""
    amended = latest = None
    for kind, at in given:
        if at is None:
            continue
        if kind == NoticeKind.CORRIGENDUM:
            amended = at
        elif latest is None or at > latest:
            latest = at
    return amended or latest


def number_in(text: str) -> int | None:
    """The first number written in ``text`` (« LOT-0002 » -> 2), None without digits."""
    digits = DIGITS.search(text)
    return int(digits[0]) if digits else None


_NOTICE_FIELDS = tuple(f.name for f in fields(Notice))
_LOT_FIELDS = tuple(f.name for f in fields(Lot))

__all__ = ["PARIS", "Lot", "Match", "Notice", "NoticeKind", "Tender", "tender_notice"]


def tender_notice(tender: Tender) -> Notice:
    """The notice a tender is judged on: its main call, with the deadline in force and every
    lot and document its notices list."""
    main = tender.main
    lots = {lot.title: lot for n in tender.notices for lot in n.lots}
    documents = dict.fromkeys(d for n in tender.notices for d in n.documents)
    return main.with_changes(
        deadline=tender.deadline, lots=tuple(lots.values()), documents=tuple(documents)
    )
