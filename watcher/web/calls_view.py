"""What the page of one call shows, read from the store: the call, its verdict, the notices
on a timeline with what each changed, its history, its draft."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa

from scrapers.registry import source_label
from watcher import activity, deadlines, fr, grouping, tenders
from watcher.models import Lot, Match, Notice, NoticeKind, Tender
from watcher.notify.context import (
    STATUS_LABELS,
    deadline_context,
    links,
    lot_label,
    unique_places,
)
from watcher.notify.opco import buyer_detail, canonical_opco
from watcher.store import Store
from watcher.store import notices as notice_sql
from watcher.store.schema import activity as activity_table
from watcher.store.schema import checklist_ticks, drafts, matches
from watcher.store.schema import tenders as tenders_table

FIELD_WORDS = {
    "title": "titre",
    "deadline": "date limite",
    "deadline_text": "date limite",
    "summary": "résumé",
    "body": "texte",
    "lots": "lots",
    "documents": "documents",
    "estimated_value": "montant",
    "estimated_value_max": "montant",
    "places": "lieux",
    "kind": "type d'avis",
    "winner": "attributaire",
    "platform_url": "plateforme",
    "cpv": "codes CPV",
    "procedure": "procédure",
}


@dataclass(frozen=True)
class CallPage:
    tender: Tender
    match: Match | None
    owner: str
    history: list[activity.Entry]
    draft: dict[str, Any] | None
    ticks: dict[str, str]
    notice_changes: dict[str, list[Any]]


def load_call(store: Store, tender_id: int) -> CallPage | None:
    """Everything the page shows, read in one transaction."""
    with store.transaction() as conn:
        tender = tenders.load_tender(conn, tender_id)
        if tender is None:
            return None
        row = conn.execute(sa.select(matches).where(matches.c.tender_id == tender_id)).first()
        owner = conn.execute(
            sa.select(tenders_table.c.owner).where(tenders_table.c.id == tender_id)
        ).scalar()
        draft_row = conn.execute(sa.select(drafts).where(drafts.c.tender_id == tender_id)).first()
        ticks = conn.execute(
            sa.select(checklist_ticks.c.item, checklist_ticks.c.actor).where(
                checklist_ticks.c.tender_id == tender_id
            )
        ).all()
        query = sa.select(activity_table).where(activity_table.c.tender_id == tender_id)
        entries = conn.execute(query.order_by(activity_table.c.id.desc())).all()
        edits = {n.key: notice_sql.history(conn, n.key) for n in tender.notices}
    match = (
        Match(row.relevant, row.score, tuple(row.domains), tuple(row.reasons), tuple(row.blockers))
        if row is not None
        else None
    )
    return CallPage(
        tender=tender,
        match=match,
        owner=owner or "",
        history=[
            activity.Entry(e.id, e.tender_id, e.at, e.actor, e.action, e.detail) for e in entries
        ],
        draft=dict(draft_row._mapping) if draft_row else None,
        ticks={t.item: t.actor for t in ticks},
        notice_changes=edits,
    )


def call_context(call: CallPage, now: datetime) -> dict[str, Any]:
    """The page's words at ``now`` (its countdown the pipeline's)."""
    tender, main = call.tender, call.tender.main
    return {
        "id": tender.id,
        "title": tender.title,
        "buyer": tender.buyer or "acheteur non précisé",
        "opco": canonical_opco(tender.buyer) or "",
        "buyer_detail": buyer_detail(tender.buyer),  # "" when it only spells the OPCO
        "status": tender.status,
        "status_label": STATUS_LABELS.get(tender.status, tender.status),
        "closed": tender.closed,
        "closed_words": fr.closed_words(tender),
        "winner": tender.winner,
        "owner": call.owner,
        **deadline_context(deadlines.of(tender), main.deadline_text, now),
        "value": _nbsp_euro(fr.estimate(main.estimated_value, main.estimated_value_max)),
        "value_label": fr.amount_label(main.kind),
        "lots": _lots(tender),
        "places": unique_places(tender.notices),
        "procedure": main.procedure,
        "links": _links(tender),
        "documents": _documents(tender),
        "timeline": timeline(tender, call.notice_changes),
        "match": _match(call.match),
        "history": [
            {"at": e.at, "actor": e.actor, "label": e.label, "detail": _detail(e)}
            for e in call.history
        ],
    }


def _links(tender: Tender) -> list[dict[str, str]]:
    """The notice on each source (its kind when there are several), then the platforms."""
    several = len(tender.notices) > 1
    found: dict[str, str] = {}
    for notice in tender.notices:
        kind = f" ({fr.kind_label(notice.kind)})" if several else ""
        found.setdefault(notice.url, f"Avis sur {source_label(notice.source)}{kind}")
    for link in links(tender.notices):  # the shared rules: http(s) only, platforms last
        found.setdefault(link["url"], link["label"])
    safe = {link["url"] for link in links(tender.notices)}
    return [{"label": label, "url": url} for url, label in found.items() if url in safe]


def _lots(tender: Tender) -> list[dict[str, str]]:
    in_force = deadlines.lot_deadlines(tender.notices)  # a corrigendum's, once published
    seen: dict[str, dict[str, str]] = {}
    for lot in (lot for n in tender.notices for lot in n.lots):
        seen.setdefault(lot.title, _lot(lot, in_force.get(deadlines.lot_name(lot))))
    return list(seen.values())


def _lot(lot: Lot, deadline: datetime | None) -> dict[str, str]:
    return {
        "label": lot_label(lot),
        "description": lot.description,
        "value": _nbsp_euro(fr.estimate(lot.estimated_value, lot.estimated_value_max)),
        "deadline": fr.long_datetime(deadline) if deadline else "",
    }


def _nbsp_euro(text: str) -> str:
    """'75 000 € HT' with the space before '€' unbreakable (the amount never loses its unit
    at a line end on a phone)."""
    return text.replace(" €", f"{fr.NBSP}€")


def _documents(tender: Tender) -> list[dict[str, str]]:
    urls = dict.fromkeys(d for n in tender.notices for d in n.documents)
    return [
        {"url": u, "name": document_name(u)}
        for u in urls
        if u.lower().startswith(("http://", "https://"))
    ]


#: the last part of a path that names a program, not a file (``index.cfm?fuseaction=…``)
_SCRIPTS = (".cfm", ".php", ".asp", ".aspx", ".jsp", ".do", ".action", ".html", ".htm")


def document_name(url: str) -> str:
    """A readable label for a document's link: its file name ('reglement.pdf'), else
    'Document sur <site>' when the address is a program with parameters."""
    parts = urlsplit(url)
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
    if name and "." in name and not name.lower().endswith(_SCRIPTS):
        return name
    host = parts.hostname or url
    return f"Document sur {host.removeprefix('www.')}"


def _match(match: Match | None) -> dict[str, Any] | None:
    if match is None:
        return None
    return {
        "score": match.score,
        "relevant": match.relevant,
        "domains": list(match.domains),
        "reasons": list(match.reasons),
        "blockers": list(match.blockers),
    }


def _detail(entry: activity.Entry) -> str:
    if entry.action == "status":
        return STATUS_LABELS.get(entry.detail, entry.detail)
    return entry.detail


def timeline(tender: Tender, changes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The notices in publication order: kind, source, date, and what each one changed
    (a corrigendum's new deadline or lots; an award's winner; a site's later edits)."""
    ordered = sorted(tender.notices, key=_published)
    deadline: datetime | None = None
    lots: list[Lot] = []
    items = []
    for notice in ordered:
        changed = list(grouping.changes(deadline, lots, notice)) if deadline or lots else []
        if notice.kind == NoticeKind.AWARD and notice.winner:
            changed.append(f"attribué à {notice.winner}")
        if notice.kind == NoticeKind.CANCELLATION:
            changed.append("consultation annulée")
        items.append(
            {
                "kind": fr.kind_label(notice.kind),
                "kind_code": notice.kind.value,
                "title": notice.title,
                "source": source_label(notice.source),
                "url": notice.url if notice.url.lower().startswith(("http://", "https://")) else "",
                "published": notice.published,
                "changes": changed,
                "edits": [_edit(c) for c in changes.get(notice.key, [])],
            }
        )
        if notice.deadline is not None and notice.kind in (NoticeKind.CALL, NoticeKind.CORRIGENDUM):
            deadline = notice.deadline
        lots = lots + [lot for lot in notice.lots if lot.title not in {x.title for x in lots}]
    return items


def _published(notice: Notice) -> tuple[date, int]:
    order = {NoticeKind.CALL: 0, NoticeKind.CORRIGENDUM: 1, NoticeKind.AWARD: 2}
    return (notice.published or date.max, order.get(notice.kind, 3))


def _edit(change: Any) -> dict[str, Any]:
    words = list(dict.fromkeys(FIELD_WORDS.get(name, name) for name in change.fields))
    return {"at": change.changed_at, "fields": words}
