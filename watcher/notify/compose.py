"""One email per recipient per poll: the pending alert parts (one per recipient and source
transaction) are merged into one email per recipient, in one transaction that inserts the
email and marks the parts consumed. The email's Message-ID derives from its parts', so
composing twice (after a crash) inserts nothing twice."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.notify.outbox import PART, OutboxMessage, insert, message_id
from watcher.notify.settings import NotifySettings
from watcher.notify.subjects import alert_subject
from watcher.store import Store
from watcher.store.schema import outbox

log = logging.getLogger(__name__)


def compose_alerts(store: Store, settings: NotifySettings, now: datetime) -> int:
    """Merge every pending part into one email per recipient; returns the emails queued."""
    with store.transaction(write=True) as conn:
        pending = _pending(conn)
        queued = 0
        for recipient, parts in pending.items():
            queued += insert(conn, _merged(recipient, parts, settings, now))
        ids = [part.id for parts in pending.values() for part in parts]
        if ids:
            conn.execute(sa.update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=now))
    if queued:
        log.info("composed %d alert email(s) from %d part(s)", queued, len(ids))
    return queued


def _pending(conn: Connection) -> dict[str, list[Any]]:
    """The pending parts, claimed until this transaction ends: another sender composing at the
    same time skips them (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the write lock), so no
    part goes into two emails."""
    query = (
        sa.select(outbox.c.id, outbox.c.message_id, outbox.c.recipient, outbox.c.payload)
        .where(outbox.c.kind == PART, outbox.c.sent_at.is_(None))
        .order_by(outbox.c.id)
        .with_for_update(skip_locked=True)
    )
    found: dict[str, list[Any]] = {}
    for row in conn.execute(query):
        found.setdefault(row.recipient, []).append(row)
    return found


def _merged(
    recipient: str, parts: list[Any], settings: NotifySettings, now: datetime
) -> OutboxMessage:
    first = parts[0].payload["context"]
    new = _unique(c for p in parts for c in p.payload["context"]["new"])
    fresh = {call["id"] for call in new}
    updates = _unique(
        c for p in parts for c in p.payload["context"]["updates"] if c["id"] not in fresh
    )
    context = {**first, "new": new, "updates": updates}
    return OutboxMessage(
        message_id=message_id(
            "alert", [recipient, *(p.message_id for p in parts)], settings.domain
        ),
        kind="alert",
        recipient=recipient,
        subject=alert_subject(new, updates),
        template="email/alert",
        context=context,
        created_at=now,
    )


def _unique(calls: Any) -> list[dict[str, Any]]:
    """Calls by tender, in order; a tender seen twice keeps its latest state and all changes."""
    merged: dict[int, dict[str, Any]] = {}
    for call in calls:
        before = merged.get(call["id"])
        changes = [*before["changes"], *call["changes"]] if before else call["changes"]
        merged[call["id"]] = {**call, "changes": list(dict.fromkeys(changes))}
    return sorted(merged.values(), key=lambda c: (-(c["score"] or 0), c["id"]))
