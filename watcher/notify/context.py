"""A tender as the templates see it: plain JSON values, already worded in French.

Contexts are built when a message is queued and stored in the outbox row, so a message sent
later (after an SMTP outage, or from another process) says what was true when it was queued.
Every string from the web stays data: the templates escape it, nothing here renders it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from scrapers.registry import source_label
from watcher import fr
from watcher.links import LinkSettings, page_url
from watcher.models import PARIS, Lot, Match, Notice, Tender
from watcher.notify.opco import canonical_opco

STATUS_LABELS = {
    "new": "nouveau",
    "go": "go",
    "no-go": "no-go",
    "submitted": "offre déposée",
    "won": "gagné",
    "lost": "perdu",
}
Context = dict[str, Any]


def tender_context(
    tender: Tender, match: Match | None, today: date, console: LinkSettings | None = None
) -> Context:
    """Everything an email or the digest says about one call (``page_url``: its page in the
    console, at ``console.base_url``)."""
    main = tender.main
    return {
        "id": tender.id,
        "page_url": page_url(console, tender.id),
        "title": tender.title,
        "buyer": tender.buyer or "acheteur non précisé",
        "opco": canonical_opco(tender.buyer) or "",
        **deadline_context(tender.deadline, main.deadline_text, today),
        "lots": lot_labels(tender.notices),
        "places": list(dict.fromkeys(p for n in tender.notices for p in n.places)),
        "value": fr.estimate(main.estimated_value, main.estimated_value_max),
        "kind": fr.kind_label(main.kind),
        "status": tender.status,
        "status_label": STATUS_LABELS.get(tender.status, tender.status),
        "closed": tender.closed,
        **match_context(match),
        "links": links(tender.notices),
        "is_update": False,
        "changes": [],
    }


def deadline_context(deadline: datetime | None, raw: str, today: date) -> Context:
    if deadline is None:
        return {"deadline": "", "deadline_raw": raw, "countdown": "", "days_left": None}
    days = (deadline.astimezone(PARIS).date() - today).days
    return {
        "deadline": fr.long_datetime(deadline),
        "deadline_raw": raw,
        "countdown": fr.countdown(deadline, today),
        "days_left": days,
    }


def match_context(match: Match | None) -> Context:
    if match is None:
        return {"score": None, "relevant": False, "domains": [], "reasons": [], "blockers": []}
    return {
        "score": match.score,
        "relevant": match.relevant,
        "domains": list(match.domains),
        "reasons": list(match.reasons),
        "blockers": list(match.blockers),
    }


def lot_labels(notices: tuple[Notice, ...]) -> list[str]:
    """'Lot 3 — Bretagne' once per lot title, across the tender's notices."""
    seen: dict[str, str] = {}
    for lot in (lot for n in notices for lot in n.lots):
        seen.setdefault(lot.title, lot_label(lot))
    return list(seen.values())


def lot_label(lot: Lot) -> str:
    if not lot.number:
        return lot.title
    number = lot.number if lot.number.lower().startswith("lot") else f"Lot {lot.number}"
    return f"{number} — {lot.title}"


def links(notices: tuple[Notice, ...]) -> list[dict[str, str]]:
    """The notice on each source, then the buyer's platform (the DCE), each URL once."""
    found: dict[str, str] = {}
    for notice in notices:
        found.setdefault(notice.url, f"Avis sur {source_label(notice.source)}")
    for notice in notices:
        if notice.platform_url:
            found.setdefault(notice.platform_url, "Plateforme de l'acheteur (DCE)")
    return [{"label": label, "url": url} for url, label in found.items() if _web(url)]


def _web(url: str) -> bool:
    """Only http(s) links reach an href (never ``javascript:`` from a scraped page)."""
    return url.lower().startswith(("http://", "https://"))
