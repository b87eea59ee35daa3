"""Whether a call matters to the organisation: the latest judgement of a person first (from the
console, an email link or ``opco-watch feedback``), else the classifier's verdict.

One rule for every reader: the console's pipeline, the weekly digest (email and page), the
calendar, ``list --relevant`` and ``show``, and the deadline the evidence vault is judged
against. Functions of a connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.store import spans
from watcher.store.schema import feedback, matches, notices, tenders

#: statuses of a call being answered: it needs the documents whatever anyone judged
IN_PROGRESS = ("go", "submitted")
#: statuses of a call nobody answers any more
DROPPED = ("no-go", "won", "lost")
CHUNK = 500


def pertinent(judged: bool | None, classifier: bool) -> bool:
    """A person's judgement (True / False) wins; None (nobody judged) leaves the classifier's."""
    return judged if judged is not None else classifier


def pertinent_clause(tender_id: sa.ColumnElement[int]) -> sa.ColumnElement[bool]:
    """``pertinent`` in SQL, for the tender whose id is ``tender_id`` (``list --relevant``):
    the latest judgement on any of its notices, else its verdict, else not pertinent."""
    latest = (
        sa.select(feedback.c.relevant)
        .join(notices, notices.c.id == feedback.c.notice_id)
        .where(notices.c.tender_id == tender_id)
        .order_by(feedback.c.at.desc(), feedback.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    verdict = (
        sa.select(matches.c.relevant).where(matches.c.tender_id == tender_id).scalar_subquery()
    )
    return sa.func.coalesce(latest, verdict, sa.false()).is_(sa.true())


def latest_judgements(conn: Connection, ids: Iterable[int]) -> dict[int, tuple[bool, str]]:
    """tender id -> (relevant, author) of the latest judgement on any of its notices."""
    found: dict[int, tuple[bool, str]] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), CHUNK):
        query = (
            sa.select(notices.c.tender_id, feedback.c.relevant, feedback.c.author)
            .join(feedback, feedback.c.notice_id == notices.c.id)
            .where(notices.c.tender_id.in_(unique[start : start + CHUNK]))
            .order_by(feedback.c.at, feedback.c.id)
        )
        found.update(
            (row.tender_id, (bool(row.relevant), row.author)) for row in conn.execute(query)
        )
    return found


def pertinent_ids(conn: Connection, ids: Iterable[int]) -> set[int]:
    """The tenders of ``ids`` that are pertinent by the rule above."""
    unique = sorted(set(ids))
    verdicts: dict[int, bool] = {}
    for start in range(0, len(unique), CHUNK):
        query = sa.select(matches.c.tender_id, matches.c.relevant).where(
            matches.c.tender_id.in_(unique[start : start + CHUNK])
        )
        verdicts.update((row.tender_id, bool(row.relevant)) for row in conn.execute(query))
    judged = latest_judgements(conn, unique)
    return {
        i
        for i in unique
        if pertinent(judged[i][0] if i in judged else None, verdicts.get(i, False))
    }


@dataclass(frozen=True, slots=True)
class FollowedCall:
    """A call whose deadline the organisation's documents must still be valid on."""

    id: int
    title: str
    deadline: datetime


def documents_deadline(conn: Connection, now: datetime) -> FollowedCall | None:
    """The call the evidence vault is judged against: of the calls still open (last deadline
    ahead, a lot's included; not closed, not dropped), those being answered (go, submitted),
    else the pertinent ones; the one whose last deadline is the furthest. None when no call
    needs the documents."""
    last = spans.open_until().label("deadline")  # a lot closing after the call: its day
    query = sa.select(tenders.c.id, tenders.c.title, last, tenders.c.status).where(
        spans.open_at(now),
        tenders.c.closed.is_(False),
        tenders.c.status.not_in(DROPPED),
    )
    rows = list(conn.execute(query))
    chosen = [r for r in rows if r.status in IN_PROGRESS]
    if not chosen:
        relevant = pertinent_ids(conn, (r.id for r in rows))
        chosen = [r for r in rows if r.id in relevant]
    best = max(chosen, key=lambda r: (r.deadline, -r.id), default=None)
    return None if best is None else FollowedCall(best.id, best.title, best.deadline)
