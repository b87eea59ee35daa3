"""The demo's mail step: the alert emails as ``.eml`` files with a one-line summary each, the
admin alerts if any, and the digest as a standalone HTML file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from rich.console import Console
from rich.markup import escape

from watcher.models import PARIS
from watcher.notify import queue
from watcher.notify.admin import check_sources
from watcher.notify.digest import write_html
from watcher.notify.eml import EmlTransport
from watcher.notify.outbox import AlertItem, enqueue_alerts
from watcher.notify.queries import load
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.store import Store
from watcher.store.schema import alert_log, matches
from watcher.tenders import TenderEvent

DIGEST_FILE = "digest.html"


def demo_mail_step(console: Console, config: Any, store: Store, *, now: datetime) -> int:
    """Queue (if the polls did not), send to .eml files, summarise; returns emails written."""
    settings = settings_of(config)
    backfill_alerts(store, config, now)
    check_sources(store, settings, now)
    report = drain(store, settings, EmlTransport(settings.outbox_dir), clock=lambda: now)
    for message in queue.messages(store, limit=1000):
        if message.sent_at is not None:
            line = f"  {message.recipient:<40} {message.subject}  ({message.calls} appel(s))"
            console.print(escape(line), highlight=False)
    digest = settings.data_dir / DIGEST_FILE
    week = Week.of(now.astimezone(PARIS).date())
    data = write_html(store, settings, week, now, digest)
    console.print(
        f"\n{report.sent} email(s) written to {settings.outbox_dir}/ (one .eml file each, "
        f"named after its Message-ID; open them with any mail client)"
        f"\nDigest of {week.label} ({len(data.calls)} call(s) to answer, "
        f"{len(data.set_aside)} set aside) written to {digest}",
        highlight=False,
        markup=False,
    )
    return report.sent


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
