"""What the digest, the reminders and the calendar read: tenders with their latest verdict,
loaded in bulk (three queries per chunk of ids, never one per tender)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.models import Match, Notice, Tender
from watcher.pertinence import latest_judgements, pertinent, pertinent_ids
from watcher.store import spans
from watcher.store.records import notice_from_data
from watcher.store.schema import alert_log, matches, notices, tenders

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Judged:
    """A tender, its latest verdict (None when never judged), when it was first seen, and the
    latest judgement of a person (None when nobody judged it)."""

    tender: Tender
    match: Match | None
    first_seen: datetime
    judged: bool | None = None
    judged_by: str = ""  # the author of that judgement

    @property
    def relevant(self) -> bool:
        """Pertinent: a person's latest judgement first, else the classifier's verdict."""
        return pertinent(self.judged, self.match is not None and self.match.relevant)

    @property
    def score(self) -> int:
        return self.match.score if self.match is not None else 0


def load(conn: Connection, ids: Sequence[int]) -> list[Judged]:
    """The tenders of ``ids`` (those that exist and have notices), in the order given."""
    found: dict[int, Judged] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        found.update(_load_chunk(conn, unique[start : start + CHUNK]))
    return [found[i] for i in unique if i in found]


def _load_chunk(conn: Connection, ids: list[int]) -> dict[int, Judged]:
    members: dict[int, list[Notice]] = {}
    query = sa.select(notices.c.tender_id, notices.c.data).where(notices.c.tender_id.in_(ids))
    for row in conn.execute(query.order_by(notices.c.id)):
        members.setdefault(row.tender_id, []).append(notice_from_data(row.data))
    verdicts = {
        row.tender_id: _match(row)
        for row in conn.execute(sa.select(matches).where(matches.c.tender_id.in_(ids)))
    }
    judged = latest_judgements(conn, ids)
    result = {}
    for row in conn.execute(sa.select(tenders).where(tenders.c.id.in_(ids))):
        if row.id in members:
            tender = Tender(
                row.id, tuple(members[row.id]), row.status, row.closed, row.winner, row.owner
            )
            person, author = judged.get(row.id, (None, ""))
            result[row.id] = Judged(tender, verdicts.get(row.id), row.created_at, person, author)
    return result


def _match(row: Any) -> Match:
    return Match(
        row.relevant, row.score, tuple(row.domains), tuple(row.reasons), tuple(row.blockers)
    )


def first_seen_between(conn: Connection, start: datetime, end: datetime) -> list[int]:
    query = sa.select(tenders.c.id).where(tenders.c.created_at >= start, tenders.c.created_at < end)
    return list(conn.execute(query.order_by(tenders.c.id)).scalars())


def open_deadlines_between(conn: Connection, start: datetime, end: datetime) -> list[int]:
    """Tenders not closed with a deadline in [start, end) — their call's or a lot's: their
    span of deadlines meets it (``Deadlines.between`` says which) — earliest first."""
    t = tenders.c
    query = sa.select(t.id).where(
        spans.open_at(start), spans.starts_before(end), t.closed.is_(False)
    )
    first = spans.opens_first()
    return list(conn.execute(query.order_by(first, t.id)).scalars())


def with_status(conn: Connection, statuses: Iterable[str]) -> list[int]:
    query = sa.select(tenders.c.id).where(tenders.c.status.in_(list(statuses)))
    return list(conn.execute(query.order_by(tenders.c.deadline, tenders.c.id)).scalars())


def buyers_seen_since(
    conn: Connection, start: datetime, end: datetime
) -> list[tuple[str, datetime]]:
    """(buyer, first seen) of every tender first seen in [start, end): for counts per OPCO."""
    query = sa.select(tenders.c.buyer, tenders.c.created_at).where(
        tenders.c.created_at >= start, tenders.c.created_at < end
    )
    return [(row.buyer, row.created_at) for row in conn.execute(query)]


def status_counts(conn: Connection, since: datetime, until: datetime) -> dict[str, int]:
    """Per status (today's), the tenders followed: pertinent (a person's judgement first) or
    given a status, first seen in [since, until) or before it and still in progress (go,
    submitted). Nothing first seen after ``until``: a past week's digest counts its weeks."""
    recent = sa.or_(tenders.c.created_at >= since, tenders.c.status.in_(["go", "submitted"]))
    query = sa.select(tenders.c.id, tenders.c.status).where(recent, tenders.c.created_at < until)
    rows = list(conn.execute(query))
    relevant = pertinent_ids(conn, (r.id for r in rows if r.status == "new"))
    counts = Counter(r.status for r in rows if r.status != "new" or r.id in relevant)
    return dict(counts)


def alerted(conn: Connection, tender_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    """tender id -> the recipients already alerted of it, first alerted first."""
    ids, found = sorted(set(tender_ids)), dict[int, list[str]]()
    for start in range(0, len(ids), CHUNK):
        query = sa.select(alert_log.c.tender_id, alert_log.c.recipient).where(
            alert_log.c.tender_id.in_(ids[start : start + CHUNK])
        )
        for row in conn.execute(query.order_by(alert_log.c.created_at, alert_log.c.recipient)):
            found.setdefault(row.tender_id, []).append(row.recipient)
    return {tender_id: tuple(names) for tender_id, names in found.items()}
