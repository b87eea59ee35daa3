"""The demo's mail step: the alert emails (and admin alerts, if any) as ``.eml`` files, and
the digest as a standalone HTML file. The demo command (``watcher/cli/demo.py``) shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from watcher.models import PARIS
from watcher.notify import queue
from watcher.notify.admin import check_sources
from watcher.notify.digest import write_html
from watcher.notify.eml import EmlTransport
from watcher.notify.outbox import AlertItem, enqueue_alerts
from watcher.notify.queries import load
from watcher.notify.queue import QueuedMessage
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.store import Store
from watcher.store.schema import alert_log, matches
from watcher.tenders import TenderEvent

DIGEST_FILE = "digest.html"


@dataclass(frozen=True)
class MailStep:
    """What the demo's mail step wrote, for the demo command to show."""

    sent: list[QueuedMessage]
    outbox_dir: Path
    digest: Path
    week: str  # its ISO label, for `digest --week`
    week_words: str  # « semaine 49, du lundi 30 novembre au dimanche 6 décembre 2026 »
    to_answer: int
    set_aside: int


def demo_mail_step(config: Any, store: Store, *, now: datetime) -> MailStep:
    """Queue (if the polls did not), send to .eml files, write the digest."""
    settings = settings_of(config)
    backfill_alerts(store, config, now)
    check_sources(store, settings, now)
    drain(store, settings, EmlTransport(settings.outbox_dir), clock=lambda: now)
    sent = [m for m in queue.messages(store, limit=1000) if m.sent_at is not None]
    digest = settings.data_dir / DIGEST_FILE
    week = Week.of(now.astimezone(PARIS).date())
    data = write_html(store, settings, week, now, digest)
    return MailStep(
        sent,
        settings.outbox_dir,
        digest,
        week.label,
        week.words,
        len(data.calls),
        len(data.set_aside),
    )


def backfill_alerts(store: Store, config: Any, now: datetime) -> int:
    """Alert the relevant judged tenders nobody was alerted of (for a pipeline that stored
    verdicts without queueing alerts); a no-op once the pipeline queues them itself."""
    with store.transaction(write=True) as conn:
        told = sa.select(alert_log.c.tender_id)
        query = sa.select(matches.c.tender_id).where(
            matches.c.relevant.is_(True), matches.c.tender_id.not_in(told)
        )
        judged = load(conn, list(conn.execute(query.order_by(matches.c.tender_id)).scalars()))
        items = [
            AlertItem(j.tender, j.match, TenderEvent(j.tender.id, "new", j.tender.main.key))
            for j in judged
            if j.match is not None
        ]
        return enqueue_alerts(conn, items, config=config, now=now) if items else 0
