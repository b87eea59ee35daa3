"""What grouping looks up for one batch of notices, read in a few statements (issue 12).

``tenders.assign`` asks, for each new notice, "which tender has one of these keys?" and "which
open tender of this buyer has this title around this deadline?". Asked of the database notice by
notice, that was two statements each. ``BatchView.read`` answers both for the whole batch: the
``tender_keys`` rows of every key the batch may look up (one statement per 500 keys), and per
buyer the open tenders in the union of the batch's deadline windows (one statement per buyer);
the exact window of each notice is then applied in Python, in id order, as the statements did.

The view is kept equal to what the database would answer at each step of the batch: tenders
created and keys named earlier in the batch are added (``add_tender``, ``name``), and a tender
changed by a later notice is read again (``reread``).
"""

from __future__ import annotations

import bisect
import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher import grouping
from watcher.models import Notice, NoticeKind
from watcher.store.notices import CHUNK
from watcher.store.schema import tender_keys, tenders

#: deadline windows per buyer's statement: more are merged across their smallest gaps (a few
#: more rows read, then left out by the exact windows in Python)
MAX_WINDOWS = 16


@dataclass(frozen=True, slots=True)
class Window:
    """Where a candidate's deadline may be for one notice (``tenders._find_similar``): dated
    tenders with ``start <= deadline < end`` (``end`` None: no bound), undated ones updated
    since ``undated_since``."""

    start: datetime
    end: datetime | None
    undated_since: datetime
    #: a call's window: its deadline's day (``start`` to ``end``)
    day: date | None = None

    def admits(self, row: Candidate) -> bool:
        if row.deadline is None:
            return row.updated_at >= self.undated_since
        return row.deadline >= self.start and (self.end is None or row.deadline < self.end)


def window(notice: Notice, at: datetime, horizon: timedelta) -> Window:
    """A call with a deadline: the tenders whose deadline is on the same day; other notices:
    those whose deadline is at most ``horizon`` before the notice (published, else ``at``)."""
    reference = datetime.combine(notice.published or at.date(), time(0), UTC)
    if notice.kind == NoticeKind.CALL and notice.deadline is not None:
        # compatible_deadlines compares the stored (UTC) deadline's date with the notice's
        day = datetime.combine(notice.deadline.date(), time(0), UTC)
        return Window(day, day + timedelta(days=1), reference - horizon, day.date())
    return Window(reference - horizon, None, reference - horizon)


@dataclass(slots=True)
class Candidate:
    """An open tender as the title match sees it (its id may stand for one not inserted yet)."""

    id: int
    title_norm: str
    deadline: datetime | None
    updated_at: datetime


def order(row: Candidate) -> tuple[bool, int]:
    """Id order, with the batch's not yet inserted tenders (negative ids, -1, -2…) after the
    stored ones, in creation order: the ids the database will give them."""
    return (row.id < 0, abs(row.id))


class Rows:
    """One buyer's candidates, in id order: all of them, and by deadline day (UTC, as
    stored) with the undated ones apart, so a call's same-day window reads only its day's."""

    def __init__(self, rows: list[Candidate]) -> None:
        self.all: list[Candidate] = []
        self.undated: list[Candidate] = []
        self.by_day: dict[date, list[Candidate]] = {}
        for row in rows:  # already in id order
            for kept in self._lists(row):
                kept.append(row)

    def _lists(self, row: Candidate) -> tuple[list[Candidate], list[Candidate]]:
        if row.deadline is None:
            return self.all, self.undated
        return self.all, self.by_day.setdefault(row.deadline.date(), [])

    def around(self, where: Window) -> Iterable[Candidate]:
        """The rows that may be in the window, in id order (``Window.admits`` decides)."""
        if where.day is None:
            return self.all
        return heapq.merge(self.by_day.get(where.day, ()), self.undated, key=order)

    def add(self, row: Candidate) -> None:
        for kept in self._lists(row):
            bisect.insort(kept, row, key=order)

    def remove(self, tender_id: int) -> None:
        for kept in (self.all, self.undated, *self.by_day.values()):
            kept[:] = [row for row in kept if row.id != tender_id]

    def renumber(self, ids: dict[int, int]) -> None:
        """Stand-in ids become real ones. The stand-ins are the tail of each list and get ids
        in their order, above the stored ones (re-sorted if not: not the database's way)."""
        top = 0
        for row in reversed(self.all):
            if row.id > 0:
                top = row.id
                break
            row.id = ids.get(row.id, row.id)
        if ids and min(ids.values()) < top:
            for kept in (self.all, self.undated, *self.by_day.values()):
                kept.sort(key=order)


class BatchView:
    def __init__(self, keys: dict[str, int], candidates: dict[str, Rows]) -> None:
        self.keys = keys
        self.candidates = candidates

    @classmethod
    def read(
        cls, conn: Connection, batch: Sequence[Notice], at: datetime, horizon: timedelta
    ) -> BatchView:
        """The keys and candidates the notices of ``batch`` (not yet in a tender) may find."""
        wanted = sorted({key for notice in batch for key in grouping.lookup_keys(notice)})
        windows: dict[str, list[Window]] = {}
        for notice in batch:
            buyer = grouping.normalise_buyer(notice.buyer)
            if buyer and grouping.normalise_title(notice.title):
                windows.setdefault(buyer, []).append(window(notice, at, horizon))
        found = {buyer: _candidates(conn, buyer, spans) for buyer, spans in windows.items()}
        return cls(_keys(conn, wanted), found)

    # ------------------------------------------------------------------------- lookups

    def by_keys(self, notice: Notice) -> int | None:
        """The tender of the smallest of the notice's lookup keys that names one (what the
        key index answers to ``key IN (…) LIMIT 1``)."""
        named = [key for key in grouping.lookup_keys(notice) if key in self.keys]
        return self.keys[min(named)] if named else None

    def similar(self, notice: Notice, at: datetime, horizon: timedelta) -> int | None:
        """An open tender of the same buyer with the same significant title words (or, for a
        notice quoting its call's name, the buyer's one open call of that name)."""
        buyer, title = (
            grouping.normalise_buyer(notice.buyer),
            grouping.normalise_title(notice.title),
        )
        if not buyer or not title:
            return None
        where = window(notice, at, horizon)
        call_name = grouping.amended_call_name(notice)
        named: list[int] = []
        rows = self.candidates.get(buyer)
        for row in rows.around(where) if rows is not None else ():
            if not where.admits(row):
                continue
            if grouping.similar_titles(row.title_norm, title) and grouping.compatible_deadlines(
                row.deadline, notice.deadline, notice.kind
            ):
                return row.id
            if call_name and grouping.names_call(call_name, row.title_norm):
                named.append(row.id)
        # A quoted name is trusted only when it points at one open call of that buyer.
        return named[0] if len(named) == 1 else None

    # ------------------------------------------------------------------------- changes

    def name(self, tender_id: int, keys: Iterable[str]) -> list[str]:
        """The tender now has these keys, except those already naming another (the first
        tender found by a key wins); returns the keys it took, to insert."""
        taken = [key for key in sorted(keys) if key not in self.keys]
        self.keys.update(dict.fromkeys(taken, tender_id))
        return taken

    def add_tender(self, buyer: str, row: Candidate) -> None:
        """A tender created in the batch (open): a candidate for the notices after it."""
        rows = self.candidates.get(buyer)
        if rows is not None:  # no buyer's rows: no notice of the batch asks about that buyer
            rows.add(row)

    def renumber(self, ids: dict[int, int]) -> None:
        """The batch's new tenders were inserted: their stand-in ids become the real ones."""
        self.keys = {key: ids.get(tender, tender) for key, tender in self.keys.items()}
        for rows in self.candidates.values():
            rows.renumber(ids)

    def reread(self, conn: Connection, tender_id: int) -> None:
        """A tender of the database changed (a notice joined or amended it): its row again."""
        for rows in self.candidates.values():
            rows.remove(tender_id)
        query = sa.select(*_COLUMNS, tenders.c.buyer_norm, tenders.c.closed)
        row = conn.execute(query.where(tenders.c.id == tender_id)).first()
        if row is not None and not row.closed:
            self.add_tender(row.buyer_norm, _candidate(row))


_COLUMNS = (tenders.c.id, tenders.c.title_norm, tenders.c.deadline, tenders.c.updated_at)
_KEYS = sa.select(tender_keys.c.key, tender_keys.c.tender_id).where(
    tender_keys.c.key.in_(sa.bindparam("keys", expanding=True))
)


def _keys(conn: Connection, wanted: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        rows = conn.execute(_KEYS, {"keys": wanted[start : start + CHUNK]})
        found.update({row.key: int(row.tender_id) for row in rows})
    return found


def _candidate(row: Any) -> Candidate:
    return Candidate(int(row.id), row.title_norm, row.deadline, row.updated_at)


def _candidates(conn: Connection, buyer: str, windows: list[Window]) -> Rows:
    """The buyer's open tenders in any of the windows (a superset: exact windows later)."""
    spans = _merged([(w.start, w.end) for w in windows])
    undated_since = min(w.undated_since for w in windows)
    values: dict[str, Any] = {"buyer": buyer, "undated_since": undated_since}
    for number, (start, end) in enumerate(spans):
        values[f"start{number}"] = start
        if end is not None:
            values[f"end{number}"] = end
    statement = _statement(len(spans), spans[-1][1] is None)
    return Rows([_candidate(row) for row in conn.execute(statement, values)])


Span = tuple[datetime, datetime | None]


def _merged(spans: list[Span]) -> list[Span]:
    """The union of the spans as few disjoint ones (at most ``MAX_WINDOWS``), by start."""
    merged: list[Span] = []
    for start, end in sorted(spans, key=lambda s: s[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_start, last_end = merged[-1]
            joined = None if end is None or last_end is None else max(last_end, end)
            merged[-1] = (last_start, joined)
        else:
            merged.append((start, end))
    while len(merged) > MAX_WINDOWS:  # join the two nearest spans
        gaps = [merged[i + 1][0] - (merged[i][1] or merged[i][0]) for i in range(len(merged) - 1)]
        i = gaps.index(min(gaps))
        merged[i : i + 2] = [(merged[i][0], merged[i + 1][1])]
    return merged


_STATEMENTS: dict[tuple[int, bool], sa.Select[Any]] = {}


def _statement(spans: int, open_ended: bool) -> sa.Select[Any]:
    """One range scan of ix_tenders_candidates (buyer, closed, deadline) per span, and one for
    the undated tenders, by id; built once per shape (building costs more than running)."""
    key = (spans, open_ended)
    if key not in _STATEMENTS:
        open_of_buyer = (
            tenders.c.buyer_norm == sa.bindparam("buyer"),
            tenders.c.closed == sa.false(),
        )
        branches = []
        for number in range(spans):
            dated = [tenders.c.deadline >= sa.bindparam(f"start{number}")]
            if not (open_ended and number == spans - 1):
                dated.append(tenders.c.deadline < sa.bindparam(f"end{number}"))
            branches.append(sa.select(*_COLUMNS).where(*open_of_buyer, *dated))
        undated = (
            tenders.c.deadline.is_(None),
            tenders.c.updated_at >= sa.bindparam("undated_since"),
        )
        branches.append(sa.select(*_COLUMNS).where(*open_of_buyer, *undated))
        union = sa.union_all(*branches).subquery()
        _STATEMENTS[key] = sa.select(union).order_by(union.c.id)
    return _STATEMENTS[key]
