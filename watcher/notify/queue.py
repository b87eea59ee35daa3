"""The outbox seen from outside: counts for ``opco-watch send``, failed messages, retrying
them, and the messages of a time window (for the demo's summary)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from watcher.notify.outbox import PART
from watcher.store import Store
from watcher.store.schema import outbox


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    due: int
    sent: int
    failed: int
    in_flight: int
    next_attempt: datetime | None


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    message_id: str
    kind: str
    recipient: str
    subject: str
    calls: int
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    attempts: int
    last_error: str | None


def counts(store: Store, now: datetime) -> OutboxCounts:
    c = outbox.c
    waiting = sa.and_(c.sent_at.is_(None), c.failed_at.is_(None))
    due = sa.and_(waiting, sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
    query = sa.select(
        sa.func.count().filter(waiting),
        sa.func.count().filter(due),
        sa.func.count().filter(c.sent_at.is_not(None)),
        sa.func.count().filter(c.failed_at.is_not(None)),
        sa.func.count().filter(sa.and_(waiting, c.claimed_at.is_not(None))),
        sa.func.min(c.next_attempt_at).filter(waiting),
    ).where(c.kind != PART)
    with store.transaction() as conn:
        row = conn.execute(query).one()
    pending, due_now, sent, failed, in_flight = (int(v or 0) for v in row[:5])
    return OutboxCounts(pending, due_now, sent, failed, in_flight, next_attempt=row[5])


def messages(
    store: Store, *, since: datetime | None = None, failed_only: bool = False, limit: int = 100
) -> list[QueuedMessage]:
    """Messages queued since ``since`` (or failed ones), oldest first."""
    query = sa.select(outbox).where(outbox.c.kind != PART).order_by(outbox.c.id).limit(limit)
    if since is not None:
        query = query.where(outbox.c.created_at >= since)
    if failed_only:
        query = query.where(outbox.c.failed_at.is_not(None))
    with store.transaction() as conn:
        return [_message(row) for row in conn.execute(query)]


def _message(row: sa.Row[tuple[object, ...]]) -> QueuedMessage:
    context = row.payload.get("context", {})
    calls = (
        len(context.get("new", []))
        + len(context.get("updates", []))
        + len(context.get("calls", []))
        + (1 if "call" in context else 0)
    )
    return QueuedMessage(
        row.message_id,
        row.kind,
        row.recipient,
        row.subject,
        calls,
        row.created_at,
        row.sent_at,
        row.failed_at,
        row.attempts,
        row.last_error,
    )


def retry_failed(store: Store, now: datetime) -> int:
    """Put the messages refused for good back in the queue (after fixing an address)."""
    query = (
        sa.update(outbox)
        .where(outbox.c.failed_at.is_not(None), outbox.c.sent_at.is_(None))
        .values(failed_at=None, next_attempt_at=now)
    )
    with store.transaction(write=True) as conn:
        return int(conn.execute(query).rowcount)
