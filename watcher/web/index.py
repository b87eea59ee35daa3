"""The pipeline's rows, kept in memory and refreshed by what changed.

The Appels page filters and counts over every call (OPCO, domain and region come from the
notices' data, which SQL cannot index portably), so the console keeps one light row per call
and reloads only the calls that changed since the last look: tenders updated, verdicts
recomputed, activity and feedback recorded — each found through an indexed column. A request
costs one small query when nothing changed; another process's poll or action shows on the
next request.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher import deadlines
from watcher.classify.geo import read_place
from watcher.config import Config
from watcher.models import NoticeKind
from watcher.notify import queries
from watcher.notify.opco import canonical_opco
from watcher.notify.routing import call_owners, domain_owners
from watcher.pertinence import latest_judgements, pertinent
from watcher.store import Store
from watcher.store.schema import activity, feedback, matches, notices, tenders

NOT_SERVED = "région non desservie"
CHUNK = 500
#: how long the rows are trusted without asking the store what changed (another process's
#: poll or action shows within this delay; this process's own actions show at once)
FRESH_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class CallRow:
    id: int
    title: str
    buyer: str
    opco: str
    deadline: datetime | None
    deadline_text: str
    status: str
    #: the person assigned in the console ("" for nobody)
    owner: str
    #: who owns the call: the person assigned, else its domains' owners (``call_owners``)
    owners: tuple[str, ...]
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
    #: a blocker says the region is not served
    not_served: bool = False
    #: every deadline of the call, in time order: the call's and its lots' closing on other
    #: days, each with the lots it is for (``watcher.deadlines``); () without a deadline
    moments: tuple[deadlines.Moment, ...] = ()

    def hidden_reason(self, now: datetime) -> str | None:
        """Why the default pipeline hides the call: closed, passed, not served (or None)."""
        if self.closed:
            return "closed"
        if deadlines.passed(self.open_until, now):  # a lot still open keeps it shown
            return "passed"
        return "not_served" if self.not_served else None

    # ``moments`` are in time order: ``Deadlines.first`` / ``.last`` by index, without
    # building one (20 times the cost, on every row of every request)
    @property
    def first(self) -> datetime | None:
        return self.moments[0].at if self.moments else None

    @property
    def open_until(self) -> datetime | None:
        return self.moments[-1].at if self.moments else None

    def sort_at(self, now: datetime) -> datetime | None:
        """When the call sorts in the pipeline: a call whose lots close apart by its next
        deadline not passed (lot 2's once lot 1 has closed), else its last; any other by its
        one deadline (the order ``rows`` keeps)."""
        if len(self.moments) < 2:
            return self.first
        return self.ahead(now) or self.open_until

    def ahead(self, now: datetime) -> datetime | None:
        """The call's earliest deadline at ``now`` or later (None when all have passed)."""
        return deadlines.ahead([m.at for m in self.moments], now)

    def countdown(self, now: datetime) -> deadlines.Countdown | None:
        """The countdown at ``now``, to the deadline the row sorts by (``sort_at``)."""
        return deadlines.Deadlines(self.moments).countdown(now)

    @property
    def pertinent(self) -> bool:
        """A person's judgement first, else the classifier's (the core's one rule)."""
        return pertinent(self.judged, self.relevant)


class PipelineIndex:
    def __init__(self, store: Store, config: Config) -> None:
        self.store = store
        self.config = config
        self._rows: dict[int, CallRow] = {}
        self._sorted: list[CallRow] = []
        self._mark: tuple[Any, ...] | None = None
        self._lock = threading.Lock()
        self._memo: dict[Any, Any] = {}
        self._checked = float("-inf")
        self._domain_owners = domain_owners(config.profile)

    def rows(self) -> list[CallRow]:
        """Every call, earliest deadline first (no deadline last), as of now."""
        with self._lock:
            if time.monotonic() - self._checked < FRESH_SECONDS:
                return self._sorted
            with self.store.transaction() as conn:
                mark = _mark(conn)
                if mark != self._mark:
                    self._reload(conn, self._changed(conn, self._mark), mark)
                    self._memo.clear()
            self._checked = time.monotonic()
            return self._sorted

    def stale(self) -> None:
        """This process changed a call: look at the store on the next read."""
        with self._lock:
            self._checked = float("-inf")

    def memo(self, key: Any, compute: Callable[[list[CallRow]], Any]) -> Any:
        """``compute(rows)``, remembered for ``key`` until anything changes: a filtered view
        is computed once per change of the data (and per minute, in the caller's key)."""
        rows = self.rows()
        with self._lock:
            if key in self._memo:
                return self._memo[key]
        found = compute(rows)
        with self._lock:
            if len(self._memo) > 256:
                self._memo.clear()
            self._memo[key] = found
        return found

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
            for row in _load(conn, chunk, self._domain_owners):
                self._rows[row.id] = row
        self._sorted = sorted(self._rows.values(), key=_order)
        self._mark = mark
        # the rows live as long as the process: keep them out of the collector's full scans
        # (10,000 calls made a 0.4 s pause in every full collection under load)
        gc.freeze()


def _order(row: CallRow) -> tuple[bool, float, int]:
    at = row.first  # the lots' common day for a call without a deadline of its own
    return (at is None, at.timestamp() if at else 0.0, row.id)


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


def _load(conn: Connection, ids: list[int], owners: dict[str, str]) -> Iterable[CallRow]:
    """The rows of ``ids``: the tenders' summary columns (title, buyer, deadline in force,
    kept by ``tenders.assign``), their verdicts, and from the notices' data only what the
    pipeline needs (places, kinds, the deadline's wording), read with orjson."""
    members = _members(conn, ids)
    verdicts = {
        row.tender_id: row
        for row in conn.execute(sa.select(matches).where(matches.c.tender_id.in_(ids)))
    }
    judged = latest_judgements(conn, ids)
    rows = list(conn.execute(sa.select(tenders).where(tenders.c.id.in_(ids))))
    split = _split_moments(conn, [r.id for r in rows if _split(r)])
    for row in rows:
        if row.id not in members:
            continue
        kinds, places, deadline_text = members[row.id]
        match = verdicts.get(row.id)
        blockers = tuple(match.blockers) if match is not None else ()
        regions = tuple(dict.fromkeys(r for r in (read_place(p)[0] for p in places) if r))
        verdict, who = judged.get(row.id, (None, ""))
        domains = tuple(match.domains) if match is not None else ()
        yield CallRow(
            id=row.id,
            title=row.title,
            buyer=row.buyer,
            opco=canonical_opco(row.buyer) or "",
            deadline=row.deadline,
            moments=split.get(row.id) or _one_moment(row),
            deadline_text=deadline_text,
            status=row.status,
            owner=row.owner or "",
            owners=call_owners(row.owner or "", domains, owners),
            closed=bool(row.closed),
            winner=row.winner,
            kind=_kind(kinds),
            score=match.score if match is not None else None,
            relevant=bool(match is not None and match.relevant),
            domains=domains,
            blockers=blockers,
            regions=regions,
            first_seen=row.created_at,
            judged=verdict,
            judged_by=who,
            not_served=any(b.startswith(NOT_SERVED) for b in blockers),
        )


def _split(row: Any) -> bool:
    """Some lot closes on another day than the call (the stored span is not one moment)."""
    return row.first_deadline is not None and row.first_deadline != row.last_deadline


def _one_moment(row: Any) -> tuple[deadlines.Moment, ...]:
    """A call not split: its deadline, else its lots' common one (no deadline of its own)."""
    at = row.deadline or row.last_deadline
    return (deadlines.Moment(at),) if at else ()


def _split_moments(conn: Connection, ids: list[int]) -> dict[int, tuple[deadlines.Moment, ...]]:
    """Each split call's deadlines, read from its notices (few calls: the others have one)."""
    if not ids:
        return {}
    return {
        judged.tender.id: tuple(sorted(deadlines.of(judged.tender).moments, key=_at))
        for judged in queries.load(conn, ids)
    }


def _at(moment: deadlines.Moment) -> datetime:
    return moment.at


def _members(conn: Connection, ids: list[int]) -> dict[int, tuple[set[str], list[str], str]]:
    """tender id -> (kinds of its notices, their places, the main call's deadline wording)."""
    found: dict[int, tuple[set[str], list[str], str]] = {}
    query = sa.select(notices.c.tender_id, notices.c.kind, notices.c.data)
    for row in conn.execute(query.where(notices.c.tender_id.in_(ids)).order_by(notices.c.id)):
        data = orjson.loads(row.data)
        kinds, places, text = found.setdefault(row.tender_id, (set(), [], ""))
        first_call = row.kind == NoticeKind.CALL.value and NoticeKind.CALL.value not in kinds
        kinds.add(row.kind)
        places.extend(data.get("places") or ())
        if first_call or not text:
            text = data.get("deadline_text") or "" if first_call else text
        found[row.tender_id] = (kinds, places, text)
    return found


def _kind(kinds: set[str]) -> str:
    for kind in (NoticeKind.CANCELLATION, NoticeKind.AWARD, NoticeKind.CORRIGENDUM):
        if kind.value in kinds:
            return kind.value
    return NoticeKind.CALL.value
