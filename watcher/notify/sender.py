"""The sender: drains the outbox, one message at a time, exactly once where it can be.

For each message: **claim** it (its own committed transaction: ``claimed_at``, one more
attempt), **send** it, **mark** it (``sent_at``, committed) — a tight sequence, one message
in flight. A crash before the send leaves a claim that expires after ``lease``; the message is
then sent. A crash between the server's acceptance and the mark (a window of one local commit)
also leaves an expired claim: the message is sent again, with the same Message-ID. For the
``.eml`` transport that rewrites the same file (no duplicate); an SMTP server does not dedupe
Message-IDs, so there the recipient may get it twice (clients such as Gmail hide the second
copy). Such messages are counted as ``in_doubt`` and logged.

Failures: 4xx or an unreachable server -> retried, ``next_attempt_at`` doubling from 1 minute
up to 6 hours, never given up; a 5xx refusal of the recipient or content -> ``failed_at`` with
the reason, not retried (``retry_failed`` puts them back).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from watcher.errors import NotifyError
from watcher.notify.compose import compose_alerts
from watcher.notify.outbox import PART
from watcher.notify.render import Envelope, build_message
from watcher.notify.settings import NotifySettings
from watcher.notify.transport import (
    SendFailure,
    TemporaryFailure,
    Transport,
    TransportDown,
    open_transport,
)
from watcher.store import Store
from watcher.store.schema import outbox

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
MIN_LEASE = timedelta(minutes=5)
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class DrainReport:
    """What one pass of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not (self.retried or self.failed or self.stopped)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    envelope: Envelope
    attempts: int
    claimed_at: datetime
    in_doubt: bool


def lease(settings: NotifySettings) -> timedelta:
    """How long a claim protects a message being sent: far above one SMTP dialog."""
    return max(MIN_LEASE, 4 * timedelta(seconds=settings.mail.timeout_seconds))


def backoff(attempts: int) -> timedelta:
    """1 min, 2, 4, ... capped at 6 h, after the ``attempts``-th failed attempt."""
    return min(MAX_RETRY, FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 20))


def drain(
    store: Store,
    settings: NotifySettings,
    transport: Transport | None = None,
    *,
    clock: Clock = utcnow,
    limit: int | None = None,
) -> DrainReport:
    """Compose the pending alerts, then send every due message (at most ``limit``); the
    transport is opened when not given."""
    own = transport is None
    active = transport or open_transport(settings)  # a config error before anything changes
    try:
        compose_alerts(store, settings, clock())
        return _drain(store, settings, active, clock, limit)
    finally:
        if own:
            active.close()


def _drain(
    store: Store, settings: NotifySettings, transport: Transport, clock: Clock, limit: int | None
) -> DrainReport:
    report = DrainReport()
    while limit is None or report.sent + report.retried + report.failed < limit:
        claimed = claim_next(store, clock(), lease(settings))
        if claimed is None:
            break
        failure = _send(claimed, settings, transport)
        record(store, claimed, failure, clock())
        _count(report, claimed, failure)
        if isinstance(failure, TransportDown):
            report.stopped = failure.reason
            break
    _log(report, transport)
    return report


def _send(claimed: Claimed, settings: NotifySettings, transport: Transport) -> SendFailure | None:
    if claimed.in_doubt:
        log.warning(
            "re-sending %s to %s: an earlier attempt was interrupted and may have been delivered",
            claimed.envelope.message_id,
            claimed.envelope.recipient,
        )
    try:
        message = build_message(claimed.envelope, settings.sender, settings.templates_dir)
        transport.send(message)
    except NotifyError as error:  # a broken (user) template: retried once it is fixed
        return TemporaryFailure(str(error))
    except SendFailure as failure:
        return failure
    return None


def _count(report: DrainReport, claimed: Claimed, failure: SendFailure | None) -> None:
    report.in_doubt += claimed.in_doubt
    if failure is None:
        report.sent += 1
    elif failure.permanent:
        report.failed += 1
    else:
        report.retried += 1


def _log(report: DrainReport, transport: Transport) -> None:
    if report.sent or report.retried or report.failed:
        log.info(
            "outbox via %s: %d sent, %d to retry, %d failed%s",
            transport.name,
            report.sent,
            report.retried,
            report.failed,
            f" (stopped: {report.stopped})" if report.stopped else "",
        )


# ------------------------------------------------------------------------------- bookkeeping


def _due(now: datetime, stale: datetime) -> sa.Select[Any]:
    c = outbox.c
    return (
        sa.select(outbox)
        .where(c.sent_at.is_(None), c.failed_at.is_(None), c.kind != PART)
        .where(sa.or_(c.next_attempt_at.is_(None), c.next_attempt_at <= now))
        .where(sa.or_(c.claimed_at.is_(None), c.claimed_at <= stale))
        .order_by(c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def claim_next(store: Store, now: datetime, lease: timedelta) -> Claimed | None:
    """Claim the oldest due message in its own committed transaction."""
    with store.transaction(write=True) as conn:
        row = conn.execute(_due(now, now - lease)).first()
        if row is None:
            return None
        attempts = row.attempts + 1
        conn.execute(
            sa.update(outbox).where(outbox.c.id == row.id).values(claimed_at=now, attempts=attempts)
        )
    envelope = Envelope(
        row.message_id,
        row.kind,
        row.recipient,
        row.subject,
        row.payload["template"],
        row.payload["context"],
        row.created_at,
    )
    return Claimed(row.id, envelope, attempts, now, in_doubt=row.claimed_at is not None)


def record(store: Store, claimed: Claimed, failure: SendFailure | None, now: datetime) -> None:
    """Mark the message sent, failed, or due again later, and release the claim."""
    values: dict[str, object] = {"claimed_at": None}
    if failure is None:
        values.update(sent_at=now, last_error=None)
    elif failure.permanent:
        values.update(failed_at=now, last_error=failure.reason)
        log.error(
            "%s to %s refused for good: %s",
            claimed.envelope.message_id,
            claimed.envelope.recipient,
            failure.reason,
        )
    else:
        values.update(next_attempt_at=now + backoff(claimed.attempts), last_error=failure.reason)
    mine = (outbox.c.id == claimed.id, outbox.c.claimed_at == claimed.claimed_at)
    with store.transaction(write=True) as conn:
        conn.execute(sa.update(outbox).where(*mine).values(**values))
