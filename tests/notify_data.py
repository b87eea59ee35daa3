"""Shared data for the notify tests: settings, notices, and a stand-in for the pipeline's
step (store -> group into tenders -> judge -> queue alerts, in one transaction)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from watcher import tenders
from watcher.classify.profile import Domain, Profile
from watcher.models import PARIS, Lot, Match, Notice, Tender
from watcher.notify.outbox import AlertItem, enqueue_alerts
from watcher.notify.settings import MailConfig, NotifySettings, Route, ScheduleConfig
from watcher.store import Store, UpsertResult

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)  # Monday of ISO week 2026-W10
CLAIRE, SOFIA, BRETAGNE, VEILLE, ADMIN = (
    "claire@of.fr",
    "sofia@of.fr",
    "bretagne@of.fr",
    "veille@of.fr",
    "admin@of.fr",
)
HOSTILE = "<script>alert(1)</script> \"quotes\" & 'apostrophes' {{ 7*7 }}"

Verdict = Callable[[Tender], Match]


def profile() -> Profile:
    return Profile(
        domains=[
            Domain(name="Management", phrases=["management"], owner=CLAIRE),
            Domain(name="Langues", phrases=["anglais"], owner=SOFIA),
            Domain(name="Bureautique", phrases=["bureautique"]),  # no owner
        ]
    )


def settings(folder: Path, **mail: Any) -> NotifySettings:
    routes = mail.pop("routes", [Route(recipient=BRETAGNE, regions=["Bretagne"])])
    return NotifySettings(
        mail=MailConfig(default_recipient=VEILLE, admin_recipient=ADMIN, routes=routes, **mail),
        schedule=ScheduleConfig(),
        profile=profile(),
        data_dir=folder,
        contact="veille@of.fr",
        organisation="OF Test",
    )


def loopback_settings(folder: Path, port: int) -> NotifySettings:
    """``settings`` sending through the test's own SMTP server on ``port`` (no TLS)."""
    return settings(
        folder, smtp_host="127.0.0.1", smtp_port=port, security="none", timeout_seconds=30
    )


def notice(
    ref: str, title: str = "Formation management des équipes", source: str = "akto", **fields: Any
) -> Notice:
    values: dict[str, Any] = {
        "url": f"https://www.{source}.fr/ao/{ref}",
        "buyer": "AKTO",
        "deadline": datetime(2026, 3, 20, 12, 0, tzinfo=PARIS),
        "lots": (Lot("Île-de-France", "1"),),
        "places": ("Île-de-France",),
        **fields,
    }
    return Notice(source, ref, title, **values)


class Collect:
    """A transport that keeps the messages in memory."""

    name = "memory"

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage, on_data: Callable[[], None] | None = None) -> None:
        if on_data is not None:
            on_data()
        self.sent.append(message)

    def close(self) -> None:
        """Nothing to release."""

    def by_recipient(self) -> dict[str, EmailMessage]:
        return {str(m["To"]): m for m in self.sent}


def parts(message: EmailMessage) -> tuple[str, str]:
    """(text, html) of a multipart/alternative email, decoded."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


def by_title(tender: Tender) -> Match:
    """A verdict from the title: domains named in it, relevant unless it says "hors sujet"."""
    title = tender.title.lower()
    domains = tuple(
        name
        for key, name in (
            ("management", "Management"),
            ("anglais", "Langues"),
            ("bureautique", "Bureautique"),
        )
        if key in title
    )
    relevant = "hors sujet" not in title
    reasons = ("«\u00a0management\u00a0» dans le titre",)
    return Match(relevant, 80 if relevant else 10, domains, reasons, ())


def poll(
    store: Store,
    notices: Iterable[Notice],
    config: NotifySettings,
    *,
    at: datetime = T0,
    verdict: Verdict = by_title,
) -> int:
    """What the pipeline does with a poll's notices; returns the alert emails queued."""
    queued: list[int] = []

    def step(conn: Connection, result: UpsertResult) -> None:
        stored = [*result.new, *(n for n, _ in result.changed)]
        items = []
        for event in tenders.assign(conn, stored, at=at):
            tender = tenders.load_tender(conn, event.tender_id)
            assert tender is not None
            match = verdict(tender)
            tenders.save_match(conn, tender.id, match, at=at)
            items.append(AlertItem(tender, match, event))
        queued.append(enqueue_alerts(conn, items, config=config, now=at))

    store.upsert(list(notices), seen_at=at, in_transaction=step)
    return queued[0] if queued else 0
