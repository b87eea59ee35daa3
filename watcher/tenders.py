"""Tenders: the notices of one consultation grouped into one record, in the database.

``assign`` runs inside the transaction that stored the notices (the pipeline passes it to
``Store.upsert``), so a notice and the tender event it causes are committed together. The
rules of "same consultation" are in ``watcher/grouping.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher import activity, deadlines, grouping
from watcher.errors import OpcoWatchError
from watcher.models import Lot, Match, Notice, NoticeKind, Tender
from watcher.store import Store, locks, upserts
from watcher.store.records import notice_from_data
from watcher.store.schema import matches, notice_changes, notices, tender_keys, tenders

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
    ``horizon``: how long after its deadline a call stays a candidate for the title match."""
    if not stored:
        return []
    locks.serialise(conn, "tenders")
    ordered = sorted(stored, key=lambda n: KIND_ORDER[n.kind])
    grouped = _tender_ids(conn, [n.key for n in ordered])
    events = [_assign_one(conn, notice, grouped.get(notice.key), at, horizon) for notice in ordered]
    return [event for event in events if event is not None]


def _tender_ids(conn: Connection, keys: list[str]) -> dict[str, int]:
    """The tender of each notice already in one (one statement for the batch)."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        query = sa.select(notices.c.key, notices.c.tender_id).where(
            notices.c.key.in_(keys[start : start + 500]), notices.c.tender_id.is_not(None)
        )
        found.update({row.key: int(row.tender_id) for row in conn.execute(query)})
    return found


def _assign_one(
    conn: Connection, notice: Notice, tender_id: int | None, at: datetime, horizon: timedelta
) -> TenderEvent | None:
    if tender_id is not None:
        return _amended(conn, tender_id, notice, at)
    tender_id = _find_by_keys(conn, notice) or _find_similar(conn, notice, at, horizon)
    if tender_id is None:
        return _create(conn, notice, at)
    return _attach(conn, tender_id, notice, at)


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


def _create(conn: Connection, notice: Notice, at: datetime) -> TenderEvent:
    closing = notice.kind in (NoticeKind.AWARD, NoticeKind.CANCELLATION)
    values = {
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
    inserted = conn.execute(_NEW_TENDER, values).inserted_primary_key
    assert inserted is not None
    tender_id = int(inserted[0])
    _link(conn, tender_id, notice)  # one notice: the summary columns are already right
    if closing:
        return TenderEvent(tender_id, "closed", notice.key, _closing_words(notice))
    return TenderEvent(tender_id, "new", notice.key)


# The statements run for every new notice are built once, with bind parameters: building a
# SQLAlchemy statement (and its union's columns) cost more than running it.
_BY_KEYS = (
    sa.select(tender_keys.c.tender_id)
    .where(tender_keys.c.key.in_(sa.bindparam("keys", expanding=True)))
    .limit(1)
)


def _find_by_keys(conn: Connection, notice: Notice) -> int | None:
    keys = sorted(grouping.lookup_keys(notice))
    return conn.execute(_BY_KEYS, {"keys": keys}).scalar() if keys else None


def _find_similar(conn: Connection, notice: Notice, at: datetime, horizon: timedelta) -> int | None:
    """An open tender of the same buyer with the same significant title words (or, for a
    notice quoting its call's name, the buyer's one open call of that name).

    Candidates come from an index (buyer, open, deadline): for a call with a deadline, the
    tenders whose deadline is on the same day (``grouping.compatible_deadlines``); for other
    notices, the tenders whose deadline is at most ``horizon`` before the notice. A tender
    without a deadline stays a candidate until ``horizon`` after its last update. So the work
    is bounded by the calls of one buyer around one date, not by the history kept."""
    buyer, title = grouping.normalise_buyer(notice.buyer), grouping.normalise_title(notice.title)
    if not buyer or not title:
        return None
    query, window = _candidates_query(notice, at, horizon)
    rows = conn.execute(query, {"buyer": buyer, **window})
    call_name = grouping.amended_call_name(notice)
    named: list[int] = []
    for row in rows:
        if grouping.similar_titles(row.title_norm, title) and grouping.compatible_deadlines(
            row.deadline, notice.deadline, notice.kind
        ):
            return int(row.id)
        if call_name and grouping.names_call(call_name, row.title_norm):
            named.append(int(row.id))
    # A quoted name is trusted only when it points at one open call of that buyer.
    return named[0] if len(named) == 1 else None


def _candidates(dated: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The open tenders of ``:buyer`` whose deadline is in the ``dated`` window, and those
    without a deadline updated since ``:undated_since``; by id."""
    columns = (tenders.c.id, tenders.c.title_norm, tenders.c.deadline)
    open_of_buyer = (tenders.c.buyer_norm == sa.bindparam("buyer"), tenders.c.closed == sa.false())
    undated = sa.and_(
        tenders.c.deadline.is_(None), tenders.c.updated_at >= sa.bindparam("undated_since")
    )
    # two range scans of ix_tenders_candidates (an OR would scan all the buyer's entries)
    query = sa.union_all(
        sa.select(*columns).where(*open_of_buyer, dated),
        sa.select(*columns).where(*open_of_buyer, undated),
    ).subquery()
    return sa.select(query).order_by(query.c.id)


#: a call with a deadline: the tenders whose deadline is on the same day
_SAME_DAY = _candidates(
    sa.and_(tenders.c.deadline >= sa.bindparam("day"), tenders.c.deadline < sa.bindparam("next"))
)
#: other notices: the tenders whose deadline is at most the horizon before the notice
_SINCE = _candidates(tenders.c.deadline >= sa.bindparam("since"))


def _candidates_query(
    notice: Notice, at: datetime, horizon: timedelta
) -> tuple[sa.Select[Any], dict[str, datetime]]:
    """The candidates' statement and where their deadlines may be (see ``_find_similar``)."""
    reference = datetime.combine(notice.published or at.date(), time(0), UTC)
    undated = {"undated_since": reference - horizon}
    if notice.kind == NoticeKind.CALL and notice.deadline is not None:
        # compatible_deadlines compares the stored (UTC) deadline's date with the notice's
        day = datetime.combine(notice.deadline.date(), time(0), UTC)
        return _SAME_DAY, {"day": day, "next": day + timedelta(days=1), **undated}
    return _SINCE, {"since": reference - horizon, **undated}


_NEW_TENDER = sa.insert(tenders)
_LINK = (
    sa.update(notices)
    .where(notices.c.key == sa.bindparam("b_key"))
    .values(tender_id=sa.bindparam("b_tender"))
)


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


def tenders_with_deadline_between(store: Store, start: datetime, end: datetime) -> list[Tender]:
    query = sa.select(tenders.c.id).where(tenders.c.deadline >= start, tenders.c.deadline < end)
    return _load_many(store, query.order_by(tenders.c.deadline))


def _load_many(store: Store, query: sa.Select[Any]) -> list[Tender]:
    with store.transaction() as conn:
        ids = list(conn.execute(query).scalars())
        loaded = [load_tender(conn, tender_id) for tender_id in ids]
    return [tender for tender in loaded if tender is not None]


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
