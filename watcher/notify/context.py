"""A tender as the templates see it: plain JSON values, already worded in French.

Contexts are built when a message is queued and stored in the outbox row, so a message sent
later (after an SMTP outage, or from another process) says what was true when it was queued.
Every string from the web stays data: the templates escape it, nothing here renders it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scrapers.registry import source_label
from watcher import deadlines, fr, nuts
from watcher.links import LinkSettings, page_url
from watcher.models import Lot, Match, Notice, Tender
from watcher.notify.opco import buyer_detail, canonical_opco

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
    tender: Tender, match: Match | None, now: datetime, console: LinkSettings | None = None
) -> Context:
    """Everything an email or the digest says about one call at ``now`` (``page_url``: its
    page in the console, at ``console.base_url``)."""
    main = tender.main
    return {
        "id": tender.id,
        "page_url": page_url(console, tender.id),
        "title": tender.title,
        "buyer": tender.buyer or "acheteur non précisé",
        "opco": canonical_opco(tender.buyer) or "",
        "buyer_detail": buyer_detail(tender.buyer),  # "" when it only spells the OPCO
        **deadline_context(deadlines.of(tender), main.deadline_text, now),
        "lots": lot_labels(tender.notices),
        "places": unique_places(tender.notices),
        "value": fr.estimate(main.estimated_value, main.estimated_value_max),
        "value_label": fr.amount_label(main.kind),
        "kind": fr.kind_label(main.kind),
        "status": tender.status,
        "status_label": STATUS_LABELS.get(tender.status, tender.status),
        "closed": tender.closed,
        **match_context(match),
        "links": links(tender.notices),
        "is_update": False,
        "changes": [],
    }


def deadline_context(told: deadlines.Deadlines, raw: str, now: datetime) -> Context:
    """The deadline as told (the call's, and its lots' that differ: ``deadlines.words``); the
    countdown at ``now`` (``Deadlines.countdown``: the list's and the console's too)."""
    countdown = told.countdown(now)
    if countdown is None:
        return {
            "deadline": "",
            "deadline_counted": "",
            "deadline_after": "",
            "deadline_raw": raw,
            "countdown": "",
            "days_left": None,
        }
    # the countdown goes between the two: beside the date it counts to (``deadlines.around``)
    counted, after = deadlines.around(told, countdown.moment)
    return {
        "deadline": deadlines.words(told),
        "deadline_counted": counted,
        "deadline_after": after,
        "deadline_raw": raw,
        "countdown": countdown.words,
        "days_left": countdown.days,
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


def unique_places(notices: tuple[Notice, ...]) -> list[str]:
    """The places of the notices, each once (whatever its case or spacing), first seen first;
    a NUTS code (TED) is said as its region alone: « Hauts-de-France », not « (FRE11) »."""
    return nuts.places_named(p for n in notices for p in n.places)


_LOT_TITLE = re.compile(r"^lot\s*n?°?\s*(\d+)\b", re.IGNORECASE)


def lot_label(lot: Lot) -> str:
    """'Lot 3 — Bretagne'; a reference like 'LOT-0003' is said 'Lot 3', and a title that
    already names its lot ('Lot 3 – Bretagne') is not prefixed a second time."""
    if not lot.number:
        return lot.title
    ordinal = lot.ordinal
    number = lot.number if ordinal is None else f"Lot {ordinal}"
    named = _LOT_TITLE.match(lot.title)
    if named and (ordinal is None or int(named[1]) == ordinal):
        return lot.title
    return f"{number} — {lot.title}" if lot.title else number


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
