"""A stored call's span of deadlines in SQL: the rules of ``watcher.deadlines`` on the columns
``tenders.first_deadline`` / ``last_deadline`` (migration 11), which every writer sets from
``deadlines.of``. The fallback to ``deadline`` covers rows written without them (direct
inserts of the benchmarks and of some tests).

- ``open_until``: the row value a call can be answered until (its last deadline, a lot's
  closing after the call included);
- ``open_at(now)``: not passed at ``now`` — written as an OR, not a coalesce, so that the
  ``last_deadline`` index serves it (6.4 against 0.6 ms at 30,000 stored calls, SQLite);
- ``next_open(now)``: the earliest of the stored deadlines not passed at ``now``, what an
  open call sorts by.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from watcher.store.schema import tenders

_t = tenders.c


def open_until() -> sa.ColumnElement[datetime]:
    """The last deadline, a lot's included (NULL: no deadline known)."""
    return sa.func.coalesce(_t.last_deadline, _t.deadline)


def open_at(now: datetime, *, undated: bool = False) -> sa.ColumnElement[bool]:
    """The call's last deadline is ``now`` or later (``undated``: a call with no deadline
    counts as open)."""
    ends_after = sa.or_(
        _t.last_deadline >= now, sa.and_(_t.last_deadline.is_(None), _t.deadline >= now)
    )
    if undated:
        return sa.or_(ends_after, sa.and_(_t.last_deadline.is_(None), _t.deadline.is_(None)))
    return ends_after


def starts_before(end: datetime) -> sa.ColumnElement[bool]:
    """The call's first deadline is before ``end``."""
    return sa.or_(_t.first_deadline < end, sa.and_(_t.first_deadline.is_(None), _t.deadline < end))


def opens_first() -> sa.ColumnElement[datetime]:
    """The first deadline, a lot's closing before the call included."""
    return sa.func.coalesce(_t.first_deadline, _t.deadline)


def next_open(now: datetime) -> sa.ColumnElement[datetime]:
    """The earliest stored deadline not passed at ``now`` (NULL when all have): the first, the
    call's, else the last. A call with lots closing on three or more days stores only its
    first and last: between them, the call's own stands for the others."""
    first = opens_first()
    return sa.case(
        (first >= now, first),
        (_t.deadline >= now, _t.deadline),
        (open_until() >= now, open_until()),
    )
