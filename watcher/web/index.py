"""The pipeline's rows, kept in memory and refreshed by what changed.

The Appels page filters and counts over every call (OPCO, domain and region come from the
notices' data, which SQL cannot index portably), so the console keeps one light row per call
and reloads only the calls that changed since the last look: tenders updated, verdicts
recomputed, activity and feedback recorded — each found through an indexed column. A request
costs one small query when nothing changed; another process's poll or action shows on the
next request.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.classify.geo import read_place
from watcher.config import Config
from watcher.models import NoticeKind
from watcher.notify import queries
from watcher.notify.opco import canonical_opco
from watcher.store import Store
from watcher.store.schema import activity, feedback, matches, notices, tenders

NOT_SERVED = "région non desservie"
CHUNK = 500


@dataclass(frozen=True, slots=True)
class CallRow:
    id: int
    title: str
    buyer: str
    opco: str
    deadline: datetime | None
    deadline_text: str
    status: str
    owner: str
    closed: bool
    winner: str
    kind: str
    score: int | None
    relevant: bool
    domains: tuple[str, ...]
    blockers: tuple[str, ...]
    regions: tuple[str, ...]
    first_seen: datetime
    #: the latest judgement of a person (True / False), None when nobody judged
    judged: bool | None
    judged_by: str

    def hidden_reason(self, now: datetime) -> str | None:
        """Why the default pipeline hides the call: closed, passed, not served (or None)."""
        if self.closed:
            return "closed"
        if self.deadline is not None and self.deadline < now:
            return "passed"
        if any(b.startswith(NOT_SERVED) for b in self.blockers):
            return "not_served"
        return None

    @property
    def pertinent(self) -> bool:
        """A person's judgement first, else the classifier's."""
        return self.judged if self.judged is not None else self.relevant


class PipelineIndex:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self._rows: dict[int, CallRow] = {}
        self._sorted: list[CallRow] = []
        self._mark: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    def rows(self) -> list[CallRow]:
        """Every call, earliest deadline first (no deadline last), as of now."""
        with self._lock:
            with self.store.transaction() as conn:
                mark = _mark(conn)
                if mark != self._mark:
                    self._reload(conn, self._changed(conn, self._mark), mark)
            return self._sorted

    def get(self, tender_id: int) -> CallRow | None:
        return next((r for r in self.rows() if r.id == tender_id), None)

    def _changed(self, conn: Connection, old: tuple[Any, ...] | None) -> list[int]:
        if old is None:
            return list(conn.execute(sa.select(tenders.c.id)).scalars())
        updated, _, computed, act, judged = old
        found: set[int] = set()
        if updated is not None:
            query = sa.select(tenders.c.id).where(tenders.c.updated_at >= updated)
            found.update(conn.execute(query).scalars())
        if computed is not None:
            query = sa.select(matches.c.tender_id).where(matches.c.computed_at >= computed)
            found.update(conn.execute(query).scalars())
        query = sa.select(activity.c.tender_id).where(activity.c.id > (act or 0))
        found.update(t for t in conn.execute(query).scalars() if t is not None)
        query = (
            sa.select(notices.c.tender_id)
            .join(feedback, feedback.c.notice_id == notices.c.id)
            .where(feedback.c.id > (judged or 0))
        )
        found.update(t for t in conn.execute(query).scalars() if t is not None)
        if updated is None:  # the store was empty: everything is new
            found.update(conn.execute(sa.select(tenders.c.id)).scalars())
        return sorted(found)

    def _reload(self, conn: Connection, ids: list[int], mark: tuple[Any, ...]) -> None:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for row in _load(conn, chunk):
                self._rows[row.id] = row
        self._sorted = sorted(self._rows.values(), key=_order)
        self._mark = mark


def _order(row: CallRow) -> tuple[bool, float, int]:
    return (row.deadline is None, row.deadline.timestamp() if row.deadline else 0.0, row.id)


def _mark(conn: Connection) -> tuple[Any, ...]:
    """What moves when anything the pipeline shows changes."""
    return tuple(
        conn.execute(
            sa.select(
                sa.select(sa.func.max(tenders.c.updated_at)).scalar_subquery(),
                sa.select(sa.func.count()).select_from(tenders).scalar_subquery(),
                sa.select(sa.func.max(matches.c.computed_at)).scalar_subquery(),
                sa.select(sa.func.max(activity.c.id)).scalar_subquery(),
                sa.select(sa.func.max(feedback.c.id)).scalar_subquery(),
            )
        ).one()
    )


def _load(conn: Connection, ids: list[int]) -> Iterable[CallRow]:
    owners = dict(
        conn.execute(sa.select(tenders.c.id, tenders.c.owner).where(tenders.c.id.in_(ids))).all()
    )
    judged = _judgements(conn, ids)
    for item in queries.load(conn, ids):
        tender, match = item.tender, item.match
        main = tender.main
        places = (p for n in tender.notices for p in n.places)
        regions = tuple(dict.fromkeys(r for r in (read_place(p)[0] for p in places) if r))
        verdict, who = judged.get(tender.id, (None, ""))
        yield CallRow(
            id=tender.id,
            title=tender.title,
            buyer=tender.buyer,
            opco=canonical_opco(tender.buyer) or "",
            deadline=tender.deadline,
            deadline_text=main.deadline_text,
            status=tender.status,
            owner=owners.get(tender.id, "") or "",
            closed=tender.closed,
            winner=tender.winner,
            kind=_kind(tender.notices),
            score=match.score if match else None,
            relevant=bool(match and match.relevant),
            domains=match.domains if match else (),
            blockers=match.blockers if match else (),
            regions=regions,
            first_seen=item.first_seen,
            judged=verdict,
            judged_by=who,
        )


def _kind(members: Iterable[Any]) -> str:
    kinds = {n.kind for n in members}
    for kind in (NoticeKind.CANCELLATION, NoticeKind.AWARD, NoticeKind.CORRIGENDUM):
        if kind in kinds:
            return kind.value
    return NoticeKind.CALL.value


def _judgements(conn: Connection, ids: list[int]) -> dict[int, tuple[bool | None, str]]:
    """The latest feedback on any notice of each call: (relevant, author)."""
    query = (
        sa.select(notices.c.tender_id, feedback.c.relevant, feedback.c.author)
        .join(feedback, feedback.c.notice_id == notices.c.id)
        .where(notices.c.tender_id.in_(ids))
        .order_by(feedback.c.at, feedback.c.id)
    )
    return {row.tender_id: (bool(row.relevant), row.author) for row in conn.execute(query)}
