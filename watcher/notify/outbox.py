"""The outbox: messages are queued in the transaction of what caused them, sent later.

``enqueue_alerts`` runs inside the pipeline's upsert transaction (one per source): the
notices, their tenders and the alert parts they cause (one per recipient, kind "alert-part")
are committed together or not at all. Before sending, ``compose.py`` merges the pending parts
of each recipient into one email, so the sources of one poll make one email per recipient.
Every row has a deterministic Message-ID and the column is UNIQUE, so queueing the same
message twice inserts it once. The sender (``sender.py``) drains the table.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from watcher import fr
from watcher.links import ActionSigner, add_links
from watcher.models import PARIS, Match, Tender
from watcher.notify.context import Context, tender_context
from watcher.notify.queries import alerted
from watcher.notify.routing import Router
from watcher.notify.settings import NotifySettings, served, settings_of
from watcher.notify.subjects import alert_subject
from watcher.store import upserts
from watcher.store.schema import alert_log, outbox

if TYPE_CHECKING:  # the grouping of notices into calls is the poll's, not the outbox's
    from watcher.tenders import TenderEvent

log = logging.getLogger(__name__)

#: the kind of the rows ``enqueue_alerts`` writes: merged into emails before sending
PART = "alert-part"


@dataclass(frozen=True, slots=True)
class AlertItem:
    """A tender event of this poll with the tender as it now is and its verdict."""

    tender: Tender
    match: Match
    event: TenderEvent


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One email to queue: rendered from ``template`` with ``context`` when it is sent."""

    message_id: str
    kind: str
    recipient: str
    subject: str
    template: str
    context: Context
    created_at: datetime

    def row(self) -> dict[str, Any]:
        payload = {"template": self.template, "context": self.context}
        return {
            "message_id": self.message_id,
            "kind": self.kind,
            "recipient": self.recipient,
            "subject": self.subject,
            "payload": payload,
            "created_at": self.created_at,
            "attempts": 0,
            "next_attempt_at": self.created_at,
        }


@dataclass
class _Entry:
    """One call in one recipient's email of this poll."""

    tender: Tender
    match: Match
    update: bool
    changes: list[str] = field(default_factory=list)


def message_id(kind: str, parts: Iterable[str], domain: str) -> str:
    """``<kind.HASH@domain>``: the same parts always give the same Message-ID."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=12).hexdigest()
    return f"<{kind}.{digest}@{domain}>"


def insert(conn: Connection, message: OutboxMessage) -> bool:
    """Queue a message; False when its Message-ID is already queued (or sent)."""
    return insert_ignoring(conn, outbox, [message.row()], ["message_id"]) == 1


#: INSERT rows, skipping those whose keys already exist; returns how many went in
insert_ignoring = upserts.insert_ignoring


# ---------------------------------------------------------------------------------- alerts


def enqueue_alerts(
    conn: Connection, items: Sequence[AlertItem], *, config: Any, now: datetime
) -> int:
    """Queue the alerts of this poll's events, one part per recipient; returns how many.

    New relevant calls go to their routed recipients; updates and closures of a call go to
    whoever was alerted of it before (marked as updates); "merged" events say nothing.
    """
    settings = served(settings_of(config), conn)
    plan = _plan(conn, items, Router(settings))
    queued = 0
    signer = ActionSigner.of(conn, settings.links) if plan else None
    for recipient, entries in plan.items():
        message = alert_message(recipient, list(entries.values()), settings, now)
        add_links([*message.context["new"], *message.context["updates"]], recipient, signer)
        queued += insert(conn, message)
        _remember(conn, entries, recipient, message.message_id, now)
    if queued:
        log.info("queued alerts for %d recipient(s), %d event(s)", queued, len(items))
    return queued


def _plan(
    conn: Connection, items: Sequence[AlertItem], router: Router
) -> dict[str, dict[int, _Entry]]:
    """recipient -> tender id -> what to tell them about it."""
    before = alerted(conn, {item.tender.id for item in items})
    plan: dict[str, dict[int, _Entry]] = {}
    for item in items:
        tender, kind = item.tender, item.event.kind
        known = before.get(tender.id, ())
        routed = router.recipients(tender, item.match) if _alertable(item) else ()
        fresh = [r for r in routed if r not in known] if kind in ("new", "updated") else []
        told = list(known) if kind in ("updated", "closed") else []
        for recipient in fresh:
            _add(plan, recipient, item, update=False)
        for recipient in told:
            _add(plan, recipient, item, update=True)
    return plan


def _alertable(item: AlertItem) -> bool:
    return item.match.relevant and not item.tender.closed


def _add(plan: dict[str, dict[int, _Entry]], recipient: str, item: AlertItem, update: bool) -> None:
    entries = plan.setdefault(recipient, {})
    entry = entries.get(item.tender.id)
    if entry is None:
        entry = entries[item.tender.id] = _Entry(item.tender, item.match, update)
    entry.tender, entry.match = item.tender, item.match
    entry.update = entry.update and update  # new to them at least once in this poll: new
    entry.changes += [c for c in item.event.changes if c not in entry.changes]


def _remember(
    conn: Connection, entries: dict[int, _Entry], recipient: str, mid: str, now: datetime
) -> None:
    rows = [
        {"tender_id": tid, "recipient": recipient, "message_id": mid, "created_at": now}
        for tid, entry in entries.items()
        if not entry.update
    ]
    # one executemany for the recipient's calls (the count is not needed)
    upserts.insert_all_ignoring(conn, alert_log, rows, ["tender_id", "recipient"])


def alert_message(
    recipient: str, entries: list[_Entry], settings: NotifySettings, now: datetime
) -> OutboxMessage:
    today = now.astimezone(PARIS).date()
    new = sorted((e for e in entries if not e.update), key=_rank)
    updates = sorted((e for e in entries if e.update), key=_rank)
    new_calls = [_entry_context(e, today, settings) for e in new]
    updated_calls = [_entry_context(e, today, settings) for e in updates]
    context = {
        "organisation": settings.organisation,
        "recipient": recipient,
        "generated": fr.long_datetime(now),
        "new": new_calls,
        "updates": updated_calls,
    }
    parts = [recipient, now.isoformat(), *(_identity(e) for e in new + updates)]
    return OutboxMessage(
        message_id=message_id("alert-part", parts, settings.domain),
        kind=PART,
        recipient=recipient,
        subject=alert_subject(new_calls, updated_calls),
        template="email/alert",
        context=context,
        created_at=now,
    )


def _rank(entry: _Entry) -> tuple[int, float, int]:
    deadline = entry.tender.deadline
    return (-entry.match.score, deadline.timestamp() if deadline else float("inf"), entry.tender.id)


def _entry_context(entry: _Entry, today: Any, settings: NotifySettings) -> Context:
    return {
        **tender_context(entry.tender, entry.match, today, settings.links),
        "is_update": entry.update,
        "changes": entry.changes,
    }


def _identity(entry: _Entry) -> str:
    kind = "update" if entry.update else "new"
    return f"{entry.tender.id}:{kind}:{'|'.join(entry.changes)}"
