"""Calls as users address them: one number for one call, everywhere.

A *call* is a tender (``watcher/tenders.py``): the notices of one consultation (the initial
notice, its corrigenda, the award), seen on one or several sources. Its **number** is the
tender's id (``tenders.id``): the « n° 40 » of the alert emails, the reminders, the digest and
the calendar, and what every command takes (``show 40``, ``draft 40``, ``feedback 40``,
``documents --for 40``, ``status 40``) and the web console's ``/appels/40``. A notice has no
public number: it is addressed by its key (``boamp:26-91551``) or its reference
(``26-91551``), which ``resolve`` turns into the call it belongs to.

Functions of a ``Store``, for the CLI and the web console alike.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.models import Match, Notice, Tender, tender_notice
from watcher.notify import queries
from watcher.notify.queries import Judged
from watcher.notify.routing import Router
from watcher.pertinence import latest_judgements, pertinent_clause
from watcher.store import NoticeChange, Store, StoredNotice, search_index, spans
from watcher.store import notices as notice_sql
from watcher.store.schema import notices, tenders

if TYPE_CHECKING:
    from watcher.judging import Judge

# ``watcher.tenders`` (and the grouping rules it brings) loads where one call is looked up or
# grouped, not for ``list`` (issue 12)

#: « #40 », « n° 40 », « no 40 »: a call number, never a notice reference
_PREFIXED = re.compile(r"^(?:#|n\s*°|no\.?)\s*(\d+)$", re.IGNORECASE)
CHUNK = 200
MAX_NUMBER = 2**63 - 1


@dataclass(frozen=True, slots=True)
class Candidate:
    """One thing a user's words may designate: a call (``number``) through one of its
    notices, or a notice not grouped into a call yet (``number`` None)."""

    number: int | None
    key: str
    title: str

    def describe(self) -> str:
        call = f"n° {self.number}" if self.number is not None else "no call yet"
        return f"{call} — {self.key} — {self.title[:80]}"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What ``typed`` designates: one call (``tender``), or the candidates when it could be
    several calls (or only notices without a call). Nothing at all: no tender, no candidate."""

    typed: str
    tender: Tender | None = None
    candidates: tuple[Candidate, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.tender is None and bool(self.candidates)


def resolve(store: Store, typed: str) -> Lookup:
    """The call a user means by a call number (« 40 », « #40 », « n° 40 »), a notice key
    (``boamp:26-91551``) or a notice reference (``26-91551``; the end of a key also works).

    A notice stored without a call (by a version before calls, or outside the pipeline) is
    grouped into its call on the spot, as a poll would: it then has a number like any other."""
    from watcher import tenders as tender_sql

    words = typed.strip()
    with store.transaction() as conn:
        found = _designated(conn, words)
    if len(found) == 1 and found[0].number is None:
        found = [_grouped(store, found[0])]
    if len(found) == 1 and found[0].number is not None:
        with store.transaction() as conn:
            tender = tender_sql.load_tender(conn, found[0].number)
        if tender is not None:
            return Lookup(typed, tender)
    return Lookup(typed, None, tuple(found))


def _grouped(store: Store, orphan: Candidate) -> Candidate:
    from watcher import tenders as tender_sql

    with store.transaction(write=True) as conn:
        stored = notice_sql.get(conn, orphan.key)
        if stored is None:
            return orphan
        if stored.tender_id is None:
            tender_sql.assign(conn, [stored.notice], at=datetime.now(UTC))
            stored = notice_sql.get(conn, orphan.key)
    number = stored.tender_id if stored else None
    return Candidate(number, orphan.key, orphan.title)


def _designated(conn: Connection, words: str) -> list[Candidate]:
    prefixed = _PREFIXED.match(words)
    if prefixed:
        call = _by_number(conn, int(prefixed.group(1)))
        return [call] if call else []
    stored = notice_sql.candidates(conn, words)
    found = [Candidate(s.tender_id, s.key, s.notice.title) for s in stored]
    call = _by_number(conn, int(words)) if words.isdigit() else None
    if call is not None:  # a bare number is a call number, and maybe a reference too
        found = [call, *(c for c in found if c.number != call.number)]
    return _one_per_call(found)


def _by_number(conn: Connection, number: int) -> Candidate | None:
    if number > MAX_NUMBER:  # no database integer is that large (SQLite refuses to compare)
        return None
    from watcher import tenders as tender_sql

    tender = tender_sql.load_tender(conn, number)
    return Candidate(tender.id, tender.main.key, tender.title) if tender else None


def _one_per_call(found: list[Candidate]) -> list[Candidate]:
    kept: dict[int | str, Candidate] = {}
    for candidate in found:
        kept.setdefault(candidate.key if candidate.number is None else candidate.number, candidate)
    return list(kept.values())


def find_call(store: Store, typed: str) -> Tender | None:
    """The call ``typed`` designates, None when unknown or ambiguous (see ``resolve``)."""
    return resolve(store, typed).tender


# ----------------------------------------------------------------------------- one call


@dataclass(frozen=True, slots=True)
class CallNotice:
    """A notice of a call, as stored, with its change history (oldest first)."""

    stored: StoredNotice
    history: tuple[NoticeChange, ...]

    @property
    def notice(self) -> Notice:
        return self.stored.notice


@dataclass(frozen=True, slots=True)
class CallView:
    """Everything a person reads about one call."""

    tender: Tender
    verdict: Match | None
    #: the initial notice first, then corrigenda, then award or cancellation, each by date
    notices: tuple[CallNotice, ...]
    owners: tuple[str, ...]
    #: the latest judgement of a person (relevant, author): it wins over the verdict
    judgement: tuple[bool, str] | None = None

    @property
    def number(self) -> int:
        return self.tender.id


def call_view(store: Store, tender: Tender, verdict: Match | None, router: Router) -> CallView:
    from watcher.tenders import KIND_ORDER

    with store.transaction() as conn:
        query = notice_sql.STORED.where(notices.c.tender_id == tender.id)
        rows = [notice_sql.stored(row) for row in conn.execute(query)]
        members = [CallNotice(s, tuple(notice_sql.history(conn, s.key))) for s in rows]
        judgement = latest_judgements(conn, [tender.id]).get(tender.id)
    members.sort(key=lambda m: (KIND_ORDER[m.notice.kind], m.stored.first_seen))
    owners = router.owners_of(tender, verdict)
    return CallView(tender, verdict, tuple(members), owners, judgement)


def verdict_now(judge: Judge, tender: Tender, today: date) -> Match:
    """The verdict on the call as of ``today``: its main notice with the deadline in force and
    the lots and documents of all its notices (what the poll judges), and today's blockers."""
    return judge.judge(tender_notice(tender), today=today)


# ---------------------------------------------------------------------------- many calls


@dataclass(frozen=True, slots=True)
class CallFilter:
    """What ``list`` keeps: every criterion given must hold."""

    relevant: bool = False  # pertinent: a person's latest judgement, else the verdict
    open_only: bool = False  # not awarded or cancelled, last deadline not passed (or unknown)
    owner: str | None = None  # a part of an owner's address, case ignored
    source: str | None = None  # one of its notices comes from this source
    since: datetime | None = None  # first seen since
    text: str | None = None  # in the title, buyer or summary of one of its notices


@dataclass(frozen=True, slots=True)
class CallRow:
    judged: Judged
    owners: tuple[str, ...]

    @property
    def tender(self) -> Tender:
        return self.judged.tender


def list_calls(
    store: Store, chosen: CallFilter, *, now: datetime, router: Router, limit: int | None = 50
) -> list[CallRow]:
    """The calls ``chosen`` keeps, by deadline: the open ones first, by their next deadline
    (lot 2's once lot 1 has closed), then the calls without a deadline, then those closed or
    past (the latest last deadline first)."""
    with store.transaction() as conn:
        return list(iter_calls(conn, chosen, now=now, router=router, limit=limit))


def iter_calls(
    conn: Connection, chosen: CallFilter, *, now: datetime, router: Router, limit: int | None
) -> Iterator[CallRow]:
    """``list_calls`` as it reads, on an open connection: the ids come from the cursor a
    chunk at a time and each chunk's calls are loaded only when the previous ones were
    taken, so a consumer writing rows as they come (``list --json``) holds one chunk."""
    query = _query(conn, chosen, now)
    if chosen.owner is not None or limit is None:  # the owner is found in Python
        yield from _rows(conn, query, chosen, router, limit)
        return
    # SQL can stop at the page; a call it holds that has no notice (``queries.load`` skips
    # it) makes the page short: the rest comes from after it
    taken = yield from _rows(conn, query.limit(limit), chosen, router, limit)
    if taken < limit:
        yield from _rows(conn, query.offset(limit), chosen, router, limit - taken)


def _rows(
    conn: Connection,
    query: sa.Select[Any],
    chosen: CallFilter,
    router: Router,
    limit: int | None,
) -> Generator[CallRow, None, int]:
    taken = 0
    ids = conn.execute(query.execution_options(yield_per=CHUNK)).scalars()
    for chunk in ids.partitions(CHUNK):
        for judged in queries.load(conn, chunk):
            owners = router.owners_of(judged.tender, judged.match)
            if chosen.owner is None or any(_owned(chosen.owner, o) for o in owners):
                yield CallRow(judged, owners)
                taken += 1
                if limit is not None and taken >= limit:
                    ids.close()
                    return taken
    return taken


def _owned(wanted: str, owner: str) -> bool:
    return wanted.strip().casefold() in owner.casefold()


def _query(conn: Connection, chosen: CallFilter, now: datetime) -> sa.Select[Any]:
    t = tenders.c
    query = sa.select(t.id)
    if chosen.relevant:
        query = query.where(pertinent_clause(t.id))
    if chosen.open_only:  # until the last deadline: a lot may close after the call
        query = query.where(t.closed.is_(False), spans.open_at(now, undated=True))
    if chosen.since is not None:
        query = query.where(t.created_at >= chosen.since)
    if chosen.source is not None:
        query = query.where(t.id.in_(_members(notices.c.source == chosen.source)))
    if chosen.text:
        members = _members(notices.c.tender_id.is_not(None))
        query = query.where(t.id.in_(search_index.matching(conn, members, chosen.text)))
    # open calls first, by their next deadline (lot 2's once lot 1 has closed), then those
    # without a deadline, then the passed ones, latest first
    upcoming = sa.and_(t.closed.is_(False), spans.open_at(now))
    undated = sa.and_(t.closed.is_(False), spans.open_until().is_(None))
    group = sa.case((upcoming, 0), (undated, 1), else_=2)
    return query.order_by(
        group,
        sa.case((upcoming, spans.next_open(now))).asc(),
        spans.open_until().desc().nulls_last(),
        t.id.desc(),
    )


def _members(condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(notices.c.tender_id).where(condition, notices.c.tender_id.is_not(None))
