"""Tenders: the notices of one consultation grouped into one record, in the database.

``assign`` runs inside the transaction that stored the notices (the pipeline passes it to
``Store.upsert``), so a notice and the tender event it causes are committed together. The
rules of "same consultation" are in ``watcher/grouping.py``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher import activity, deadlines, grouping
from watcher.errors import OpcoWatchError, StoreError
from watcher.models import Lot, Match, Notice, NoticeKind, Tender
from watcher.store import Store, locks, upserts
from watcher.store.engine import executemany
from watcher.store.notices import CHUNK
from watcher.store.records import notice_from_data
from watcher.store.schema import matches, notice_changes, notices, tender_keys, tenders
from watcher.tender_view import BatchView, Candidate

log = logging.getLogger(__name__)

#: how long after its deadline a call stays a candidate for a new notice of the same title
#: (the default of the ``store.grouping_horizon_days`` setting)
HORIZON = timedelta(days=365)
STATUSES = ("new", "go", "no-go", "submitted", "won", "lost")
KIND_ORDER = {
    NoticeKind.CALL: 0,
    NoticeKind.CORRIGENDUM: 1,
    NoticeKind.AWARD: 2,
    NoticeKind.CANCELLATION: 3,
}


@dataclass(frozen=True, slots=True)
class TenderEvent:
    """What a stored notice did to its tender.

    kind: "new" (a call not seen before), "updated" (a corrigendum or an amended notice;
    ``changes`` says what, in French), "closed" (award or cancellation), "merged" (the same
    call seen on another source: nothing to tell anyone).
    """

    tender_id: int
    kind: str
    notice_key: str
    changes: tuple[str, ...] = ()


def assign(
    conn: Connection,
    stored: Sequence[Notice],
    *,
    at: datetime,
    horizon: timedelta = HORIZON,
) -> list[TenderEvent]:
    """Group the just-stored (new or changed) notices into tenders; say what happened.

    One grouping at a time across processes, until the transaction ends (with the verdicts
    and alerts that follow in it): two sources' polls racing on one consultation would each
    find no tender and create two (``locks.serialise``; SQLite's write lock does the same).
    ``horizon``: how long after its deadline a call stays a candidate for the title match.

    Set-based (issue 12): what the batch may look up is read first (``tender_view``), the
    tenders it creates are inserted and their notices linked together at the end, so a batch
    of new calls costs a handful of statements whatever its size. A notice joining or amending
    a tender takes the statement-per-notice path, after the pending writes are flushed."""
    if not stored:
        return []
    locks.serialise(conn, "tenders")
    ordered = sorted(stored, key=lambda n: KIND_ORDER[n.kind])
    grouped = _tender_ids(conn, [n.key for n in ordered])
    fresh = [notice for notice in ordered if notice.key not in grouped]
    batch = _Batch(conn, BatchView.read(conn, fresh, at, horizon), at, horizon)
    events = [batch.assign(notice, grouped.get(notice.key)) for notice in ordered]
    batch.flush()
    return [batch.final(event) for event in events if event is not None]


def create_each(conn: Connection, stored: Sequence[Notice], *, at: datetime) -> list[TenderEvent]:
    """Each notice its own new tender, ungrouped, as ``assign`` creates them (for histories
    made up by measurements: ``bench/pollwork.py``)."""
    batch = _Batch(conn, BatchView({}, {}), at, HORIZON)
    events = [batch.create(notice) for notice in stored]
    batch.flush()
    return [batch.final(event) for event in events]


def _tender_ids(conn: Connection, keys: list[str]) -> dict[str, int]:
    """The tender of each notice already in one (one statement for the batch)."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), CHUNK):
        query = sa.select(notices.c.key, notices.c.tender_id).where(
            notices.c.key.in_(keys[start : start + CHUNK]), notices.c.tender_id.is_not(None)
        )
        found.update({row.key: int(row.tender_id) for row in conn.execute(query)})
    return found


class _Batch:
    """One ``assign``: its view of the database, and the writes it has not made yet.

    The tenders it creates get stand-in ids (-1, -2…) until ``flush`` inserts them (in
    creation order, so their real ids follow it) and links their notices and keys."""

    def __init__(self, conn: Connection, view: BatchView, at: datetime, horizon: timedelta):
        self.conn, self.view, self.at, self.horizon = conn, view, at, horizon
        self.new_tenders: list[dict[str, Any]] = []
        self.links: list[tuple[str, int]] = []  # notice key, tender id
        self.new_keys: list[tuple[str, int]] = []  # tender key, tender id
        self.ids: dict[int, int] = {}  # stand-in -> real id, once inserted

    def assign(self, notice: Notice, tender_id: int | None) -> TenderEvent | None:
        if tender_id is not None:
            self.flush()
            event = _amended(self.conn, tender_id, notice, self.at)
            self.view.reread(self.conn, tender_id)
            return event
        found = self.view.by_keys(notice) or self.view.similar(notice, self.at, self.horizon)
        if found is None:
            return self.create(notice)
        self.flush()
        found = self.ids.get(found, found)
        joined = _attach(self.conn, found, notice, self.at)
        self.view.name(found, grouping.identity_keys(notice))  # as _link inserted them
        self.view.reread(self.conn, found)
        return joined

    def create(self, notice: Notice) -> TenderEvent:
        values = _tender_values(notice, self.at)
        self.new_tenders.append(values)
        stand_in = -(len(self.ids) + len(self.new_tenders))
        self.links.append((notice.key, stand_in))
        taken = self.view.name(stand_in, grouping.identity_keys(notice))
        self.new_keys += [(key, stand_in) for key in taken]
        if values["closed"]:
            return TenderEvent(stand_in, "closed", notice.key, _closing_words(notice))
        # as the database will read it back: the deadline in UTC
        deadline = notice.deadline.astimezone(UTC) if notice.deadline else None
        row = Candidate(stand_in, values["title_norm"], deadline, self.at)
        self.view.add_tender(values["buyer_norm"], row)
        return TenderEvent(stand_in, "new", notice.key)

    def flush(self) -> None:
        """Insert the tenders created so far, link their notices and keys (3 statements)."""
        if not self.new_tenders:
            return
        first = len(self.ids) + 1
        inserted = _insert_tenders(self.conn, self.new_tenders)
        made = {-(first + i): tender_id for i, tender_id in enumerate(inserted)}
        self.ids.update(made)
        links = [{"b_key": key, "tender_id": made[tender]} for key, tender in self.links]
        executemany(self.conn, _LINK_MANY, links)
        rows = [{"key": key, "tender_id": made[tender]} for key, tender in self.new_keys]
        upserts.insert_all_ignoring(self.conn, tender_keys, rows, ["key"])
        self.view.renumber(made)
        self.new_tenders, self.links, self.new_keys = [], [], []

    def final(self, event: TenderEvent) -> TenderEvent:
        """The event with its tender's real id (after the last ``flush``)."""
        real = self.ids.get(event.tender_id)
        return event if real is None else replace(event, tender_id=real)


def _amended(conn: Connection, tender_id: int, notice: Notice, at: datetime) -> TenderEvent | None:
    """A notice already in a tender changed (the site edited it): report what matters.

    The notice row already holds the new version; the state before is the tender's summary
    row (not refreshed yet) and the old lots kept in the notice's change history."""
    deadline = conn.execute(sa.select(tenders.c.deadline).where(tenders.c.id == tender_id)).scalar()
    found = grouping.changes(deadline, _lots_before(conn, tender_id, notice), notice)
    _refresh(conn, tender_id, at)
    return TenderEvent(tender_id, "updated", notice.key, found) if found else None


def _attach(conn: Connection, tender_id: int, notice: Notice, at: datetime) -> TenderEvent:
    before = load_tender(conn, tender_id)
    found = grouping.changes(before.deadline if before else None, _lots(before), notice)
    _link(conn, tender_id, notice)
    _refresh(conn, tender_id, at)
    if notice.kind in (NoticeKind.AWARD, NoticeKind.CANCELLATION):
        return TenderEvent(tender_id, "closed", notice.key, _closing_words(notice))
    if notice.kind == NoticeKind.CORRIGENDUM:
        return TenderEvent(tender_id, "updated", notice.key, found or ("rectificatif publié",))
    return TenderEvent(tender_id, "updated" if found else "merged", notice.key, found)


def _tender_values(notice: Notice, at: datetime) -> dict[str, Any]:
    """The row of a tender made of this one notice (its summary columns are the notice's)."""
    closing = notice.kind in (NoticeKind.AWARD, NoticeKind.CANCELLATION)
    return {
        "title": notice.title,
        "buyer": notice.buyer,
        "deadline": notice.deadline,
        **_span(deadlines.of_notice(notice)),
        "status": "new",
        "closed": closing,
        "winner": notice.winner if closing else "",
        "created_at": at,
        "updated_at": at,
        "buyer_norm": grouping.normalise_buyer(notice.buyer),
        "title_norm": grouping.normalise_title(notice.title),
    }


#: PostgreSQL: SQLAlchemy's multi-row INSERT … RETURNING ("insertmanyvalues"), the ids in the
#: rows' order (sort_by_parameter_order)
_NEW_TENDERS = sa.insert(tenders).returning(tenders.c.id, sort_by_parameter_order=True)
_LAST_ID = sa.select(sa.func.max(tenders.c.id))
_IDS_AFTER = (
    sa.select(tenders.c.id).where(tenders.c.id > sa.bindparam("last")).order_by(tenders.c.id)
)


def _insert_tenders(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the tenders in one statement (per 1,000); their ids, in the rows' order."""
    if conn.dialect.name != "sqlite":
        inserted = [int(tender_id) for tender_id in conn.execute(_NEW_TENDERS, rows).scalars()]
    else:
        # SQLAlchemy sends ordered RETURNING one row at a time on SQLite; instead, one
        # executemany: each row gets a rowid above every one before it, in the rows' order,
        # and no other writer runs in this write transaction (BEGIN IMMEDIATE)
        last = conn.execute(_LAST_ID).scalar() or 0
        executemany(conn, sa.insert(tenders), rows)
        inserted = [
            int(tender_id) for tender_id in conn.execute(_IDS_AFTER, {"last": last}).scalars()
        ]
    if len(inserted) != len(rows):
        raise StoreError(f"tenders: {len(inserted)} ids for {len(rows)} rows inserted")
    return inserted


_LINK = (
    sa.update(notices)
    .where(notices.c.key == sa.bindparam("b_key"))
    .values(tender_id=sa.bindparam("b_tender"))
)


#: the batch's links, by executemany (``watcher.store.engine``): one statement for the batch
_LINK_MANY = sa.update(notices).where(notices.c.key == sa.bindparam("b_key"))


def _link(conn: Connection, tender_id: int, notice: Notice) -> None:
    conn.execute(_LINK, {"b_key": notice.key, "b_tender": tender_id})
    # a key already naming another tender keeps it (the first tender found by it wins)
    rows = [{"key": key, "tender_id": tender_id} for key in sorted(grouping.identity_keys(notice))]
    upserts.insert_all_ignoring(conn, tender_keys, rows, ["key"])


def _refresh(conn: Connection, tender_id: int, at: datetime) -> None:
    """Recompute the tender's summary columns from its notices."""
    tender = load_tender(conn, tender_id)
    if tender is None:
        return
    closing = [n for n in tender.notices if n.kind in (NoticeKind.AWARD, NoticeKind.CANCELLATION)]
    values: dict[str, Any] = {
        "title": tender.title,
        "buyer": tender.buyer,
        "deadline": tender.deadline,
        **_span(deadlines.of(tender)),
        "closed": bool(closing),
        "winner": next((n.winner for n in closing if n.winner), ""),
        "updated_at": at,
    }
    conn.execute(sa.update(tenders).where(tenders.c.id == tender_id).values(**values))


def _span(told: deadlines.Deadlines) -> dict[str, datetime | None]:
    """The first and last deadline, lots included: what the reminders and calendar select on."""
    return {"first_deadline": told.first, "last_deadline": told.last}


def _closing_words(notice: Notice) -> tuple[str, ...]:
    if notice.kind == NoticeKind.CANCELLATION:
        return ("consultation annulée",)
    return (f"attribué à {notice.winner}",) if notice.winner else ("avis d'attribution publié",)


def _lots_before(conn: Connection, tender_id: int, notice: Notice) -> list[Lot]:
    tender = load_tender(conn, tender_id)
    others = [
        lot for n in (tender.notices if tender else ()) if n.key != notice.key for lot in n.lots
    ]
    query = (
        sa.select(notice_changes.c.fields)
        .join(notices, notices.c.id == notice_changes.c.notice_id)
        .where(notices.c.key == notice.key)
        .order_by(notice_changes.c.id.desc())
        .limit(1)
    )
    latest = conn.execute(query).scalar() or {}
    old = latest["lots"][0] if "lots" in latest else [{"title": lot.title} for lot in notice.lots]
    return others + [Lot.from_json(lot) for lot in old or []]


def _lots(tender: Tender | None) -> list[Any]:
    return [lot for n in tender.notices for lot in n.lots] if tender else []


# --------------------------------------------------------------------------------- reading


_TENDER = sa.select(tenders).where(tenders.c.id == sa.bindparam("tender"))
_MEMBERS = (
    sa.select(notices.c.data)
    .where(notices.c.tender_id == sa.bindparam("tender"))
    .order_by(notices.c.id)
)


def load_tender(conn: Connection, tender_id: int) -> Tender | None:
    row = conn.execute(_TENDER, {"tender": tender_id}).first()
    if row is None:
        return None
    members = [
        notice_from_data(data) for data in conn.execute(_MEMBERS, {"tender": tender_id}).scalars()
    ]
    return _tender(row, members)


_TENDERS = sa.select(tenders).where(tenders.c.id.in_(sa.bindparam("ids", expanding=True)))
_MEMBERS_OF = (
    sa.select(notices.c.tender_id, notices.c.data)
    .where(notices.c.tender_id.in_(sa.bindparam("ids", expanding=True)))
    .order_by(notices.c.tender_id, notices.c.id)
)


def load_tenders(conn: Connection, ids: Iterable[int]) -> dict[int, Tender]:
    """``load_tender`` of each id, in two statements per ``CHUNK`` ids; by id, in the order given
    (the ids of no tender, or of one without notices, are left out)."""
    wanted = list(dict.fromkeys(ids))
    rows: dict[int, Any] = {}
    members: defaultdict[int, list[Notice]] = defaultdict(list)
    for start in range(0, len(wanted), CHUNK):
        chunk = {"ids": wanted[start : start + CHUNK]}
        rows.update({row.id: row for row in conn.execute(_TENDERS, chunk)})
        for row in conn.execute(_MEMBERS_OF, chunk):
            members[row.tender_id].append(notice_from_data(row.data))
    loaded = {tender_id: _tender(rows[tender_id], members[tender_id]) for tender_id in rows}
    return {i: tender for i in wanted if (tender := loaded.get(i)) is not None}


def _tender(row: Any, members: list[Notice]) -> Tender | None:
    if not members:
        return None
    return Tender(
        row.id,
        tuple(members),
        status=row.status,
        closed=row.closed,
        winner=row.winner,
        owner=row.owner,
    )


def get_tender(store: Store, tender_id: int) -> Tender | None:
    with store.transaction() as conn:
        return load_tender(conn, tender_id)


def tender_of(store: Store, notice_key: str) -> Tender | None:
    with store.transaction() as conn:
        query = sa.select(notices.c.tender_id).where(notices.c.key == notice_key)
        tender_id = conn.execute(query).scalar()
        return load_tender(conn, tender_id) if tender_id is not None else None


def set_status(
    store: Store, tender_id: int, status: str, *, at: datetime, actor: str | None = None
) -> None:
    """Set where a call stands; the history records who (``actor``; default: the system user,
    as from the CLI). The status it already has changes nothing and records nothing."""
    if status not in STATUSES:
        raise OpcoWatchError(f"unknown status '{status}': use one of {', '.join(STATUSES)}")
    with store.transaction(write=True) as conn:
        current = conn.execute(sa.select(tenders.c.status).where(tenders.c.id == tender_id))
        before = current.scalar()
        if before is None:
            raise OpcoWatchError(f"no tender #{tender_id}")
        if before == status:
            return
        query = sa.update(tenders).where(tenders.c.id == tender_id)
        conn.execute(query.values(status=status, updated_at=at))
        activity.record(conn, tender_id, actor or activity.cli_actor(), "status", status, at)


def tenders_between(store: Store, start: datetime, end: datetime) -> list[Tender]:
    """Tenders first seen in [start, end)."""
    query = sa.select(tenders.c.id).where(tenders.c.created_at >= start, tenders.c.created_at < end)
    return _load_many(store, query)


def _load_many(store: Store, query: sa.Select[Any]) -> list[Tender]:
    with store.transaction() as conn:
        ids = list(conn.execute(query).scalars())
        return list(load_tenders(conn, ids).values())


def save_match(conn: Connection, tender_id: int, match: Match, *, at: datetime) -> None:
    """Store the classifier's latest verdict on a tender (one row per tender)."""
    upserts.upsert(conn, matches, {"tender_id": tender_id}, _match_values(match, at))


def save_matches(conn: Connection, verdicts: Sequence[tuple[int, Match]], *, at: datetime) -> None:
    """``save_match`` for several tenders, in one statement where the database allows."""
    if not verdicts:
        return
    if not upserts.has_on_conflict(conn):
        for tender_id, match in verdicts:
            save_match(conn, tender_id, match, at=at)
        return
    rows = [{"tender_id": tender_id, **_match_values(m, at)} for tender_id, m in verdicts]
    upserts.upsert_many(conn, matches, rows, ["tender_id"])


def _match_values(match: Match, at: datetime) -> dict[str, Any]:
    return {
        "relevant": match.relevant,
        "score": match.score,
        "domains": list(match.domains),
        "reasons": list(match.reasons),
        "blockers": list(match.blockers),
        "computed_at": at,
    }


def latest_match(store: Store, tender_id: int) -> Match | None:
    with store.transaction() as conn:
        row = conn.execute(sa.select(matches).where(matches.c.tender_id == tender_id)).first()
    if row is None:
        return None
    return Match(
        row.relevant, row.score, tuple(row.domains), tuple(row.reasons), tuple(row.blockers)
    )
