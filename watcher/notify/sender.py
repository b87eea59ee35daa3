"""The sender: drains the outbox, one message at a time, exactly once where it can be.

For each message: **claim** it (its own committed transaction: ``claimed_at``, ``claimed_by``
= "host pid", one more attempt), **send** it, **mark** it (``sent_at``, committed) — a tight
sequence, one message in flight. Once the server has accepted the recipients and just before
the message data goes out, the message is marked **in doubt** (``doubtful_sends`` + 1,
committed): from there on, a crash may leave a message delivered but not marked sent.

A crash leaves a claim, which expires after ``lease`` — at once when it names a process of
this host that is gone. The message is then sent again, with the same Message-ID: a
message not in doubt was never handed over; one in doubt may have been (for the ``.eml``
transport that rewrites the same file, no duplicate; an SMTP server does not dedupe
Message-IDs, so the recipient may get it twice). An in-doubt message is sent **at most once
more**: after two sends in doubt it is marked sent, presumed delivered, never sent a third
time. A refusal the server answers to the data itself (4xx, 5xx) means not delivered: the
mark is taken back.

Failures: 4xx or an unreachable server -> retried, ``next_attempt_at`` doubling from 1 minute
up to 6 hours, never given up; a 5xx refusal of the recipient or content -> ``failed_at`` with
the reason, not retried (``retry_failed`` puts them back).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
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
#: sends in doubt after which a message is presumed delivered (so at most two copies)
MAX_DOUBTFUL_SENDS = 2
PRESUMED = (
    "interrupted twice after the server may have accepted it: presumed delivered, "
    "not sent a third time"
)
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
    #: in doubt twice: marked sent without a third send
    presumed: int = 0
    stopped: str = ""

    @property
    def ok(self) -> bool:
        return not (self.retried or self.failed or self.stopped)


@dataclass(slots=True)
class Claimed:
    id: int
    envelope: Envelope
    attempts: int
    claimed_at: datetime
    #: earlier sends that reached DATA without a known outcome
    doubtful: int
    #: this attempt was marked in doubt (it reached DATA)
    marked: bool = field(default=False)

    @property
    def in_doubt(self) -> bool:
        return self.doubtful > 0


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
    release_dead_claims(store)
    while limit is None or report.sent + report.retried + report.failed < limit:
        claimed = claim_next(store, clock(), lease(settings), report)
        if claimed is None:
            break
        failure = _send(store, claimed, settings, transport)
        record(store, claimed, failure, clock())
        _count(report, claimed, failure)
        if isinstance(failure, TransportDown):
            report.stopped = failure.reason
            break
    _log(report, transport)
    return report


def _send(
    store: Store, claimed: Claimed, settings: NotifySettings, transport: Transport
) -> SendFailure | None:
    if claimed.in_doubt:
        log.warning(
            "re-sending %s to %s: an earlier attempt was interrupted and may have been delivered",
            claimed.envelope.message_id,
            claimed.envelope.recipient,
        )
    try:
        message = build_message(claimed.envelope, settings.sender, settings.templates_dir)
        transport.send(message, on_data=lambda: mark_in_doubt(store, claimed))
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
    if report.presumed:
        log.warning(
            "%d message(s) in doubt twice, presumed delivered: %s", report.presumed, PRESUMED
        )
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


def claim_next(
    store: Store, now: datetime, lease: timedelta, report: DrainReport | None = None
) -> Claimed | None:
    """Claim the oldest due message in its own committed transaction. A message already
    sent twice in doubt is marked sent instead (presumed delivered), and the next one taken."""
    with store.transaction(write=True) as conn:
        while True:
            row = conn.execute(_due(now, now - lease)).first()
            if row is None:
                return None
            if row.doubtful_sends < MAX_DOUBTFUL_SENDS:
                break
            _presume_sent(conn, row, now, report)
        attempts = row.attempts + 1
        conn.execute(
            sa.update(outbox)
            .where(outbox.c.id == row.id)
            .values(claimed_at=now, claimed_by=claimant(), attempts=attempts)
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
    return Claimed(row.id, envelope, attempts, now, doubtful=row.doubtful_sends)


def _presume_sent(conn: Any, row: Any, now: datetime, report: DrainReport | None) -> None:
    conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == row.id)
        .values(sent_at=now, claimed_at=None, claimed_by=None, last_error=PRESUMED)
    )
    log.warning("%s to %s: %s", row.message_id, row.recipient, PRESUMED)
    if report is not None:
        report.presumed += 1


def mark_in_doubt(store: Store, claimed: Claimed) -> None:
    """Committed just before the message data goes out: from here a crash may leave it
    delivered but not marked sent. Raises ``TemporaryFailure`` when the claim was lost
    (another sender took the message over after our lease): the data is not sent."""
    mine = (outbox.c.id == claimed.id, outbox.c.claimed_at == claimed.claimed_at)
    bump = {"doubtful_sends": outbox.c.doubtful_sends + 1}
    with store.transaction(write=True) as conn:
        taken = conn.execute(sa.update(outbox).where(*mine).values(**bump)).rowcount == 0
    if taken:
        raise TemporaryFailure("the claim on this message expired; another sender has it")
    claimed.marked = True


def record(store: Store, claimed: Claimed, failure: SendFailure | None, now: datetime) -> None:
    """Mark the message sent, failed, or due again later, and release the claim. A refusal
    of the data itself (an SMTP reply) takes back this attempt's in-doubt mark."""
    values: dict[str, object] = {"claimed_at": None, "claimed_by": None}
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
    if failure is not None and claimed.marked and not isinstance(failure, TransportDown):
        values["doubtful_sends"] = outbox.c.doubtful_sends - 1  # the server said no
    mine = (outbox.c.id == claimed.id, outbox.c.claimed_at == claimed.claimed_at)
    with store.transaction(write=True) as conn:
        conn.execute(sa.update(outbox).where(*mine).values(**values))


# ------------------------------------------------------------------------- dead claimants


def claimant() -> str:
    """Who holds a claim: "host pid"."""
    return f"{socket.gethostname()} {os.getpid()}"


def release_dead_claims(store: Store) -> int:
    """Release the claims of processes of this host that are gone (killed, crashed): their
    messages need not wait for the lease to expire. Returns how many were released."""
    host = socket.gethostname()
    c = outbox.c
    query = sa.select(c.id, c.claimed_at, c.claimed_by, c.message_id).where(
        c.claimed_at.is_not(None), c.sent_at.is_(None), c.claimed_by.like(f"{host} %")
    )
    with store.transaction(write=True) as conn:
        rows = [r for r in conn.execute(query) if _gone(r.claimed_by.removeprefix(f"{host} "))]
        for row in rows:
            mine = (c.id == row.id, c.claimed_at == row.claimed_at)
            conn.execute(sa.update(outbox).where(*mine).values(claimed_at=None, claimed_by=None))
            log.info("released %s: its sender (pid %s) is gone", row.message_id, row.claimed_by)
    return len(rows)


def _gone(pid_text: str) -> bool:
    """True when no process has this pid (or only a zombie); a pid in use may be another
    program's: then the claim waits for its lease."""
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]
