"""« Préparer la réponse » from the console: the draft folder of a call (the one
``opco-watch draft N`` writes too, ``watcher.call_draft``), written in a worker thread (docx
rendering must not block the event loop) and recorded, so that downloads serve only the files
of the call's last draft; and the checklist ticks, kept per call.

A closed, awarded, cancelled or blocked call is said so before anything is written; the user
confirms to draft it anyway (as ``opco-watch draft`` asks for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from watcher import activity, call_draft, tenders
from watcher.config import Config
from watcher.models import Match, Tender
from watcher.store import Store
from watcher.store.schema import checklist_ticks, drafts

ZIP_NAME = "dossier.zip"


@dataclass(frozen=True)
class Written:
    folder: Path
    files: list[str]
    warnings: list[str]


def refusal(tender: Tender, match: Match | None, now: datetime) -> list[str]:
    """Why drafting this call is probably pointless, in French (empty: go ahead): what
    ``opco-watch draft`` says (``responses.draft.entry_refusals``), on the verdict the page
    shows."""
    from responses.draft import entry_refusals

    return entry_refusals(tender, match, now)


def write_draft(config: Config, store: Store, tender_id: int, actor: str) -> Written:
    """Write (or rewrite) the call's draft folder, the one ``opco-watch draft N`` writes too,
    and record it. Blocking: run in a thread."""
    tender = tenders.get_tender(store, tender_id)
    if tender is None:
        raise LookupError(tender_id)
    result = call_draft.write_call_draft(
        config,
        store,
        tender,
        now=datetime.now(UTC),
        match=tenders.latest_match(store, tender_id),
        actor=actor,
        overwrite=True,  # « Préparer de nouveau la réponse » says it replaces the files
    )
    return Written(result.folder, [p.name for p in result.files], result.warnings)


def draft_of(store: Store, tender_id: int) -> dict[str, Any] | None:
    with store.transaction() as conn:
        row = conn.execute(sa.select(drafts).where(drafts.c.tender_id == tender_id)).first()
    return dict(row._mapping) if row else None


def served_file(store: Store, tender_id: int, name: str) -> Path | None:
    """The path of a file of this call's last draft, or None: only names recorded for
    the call's draft, resolved inside its folder."""
    draft = draft_of(store, tender_id)
    if draft is None or name not in draft["files"]:
        return None
    folder = Path(draft["folder"]).resolve()
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


# ------------------------------------------------------------------------------ checklist


def ticks_of(store: Store, tender_id: int) -> dict[str, str]:
    """item key -> who ticked it."""
    query = sa.select(checklist_ticks.c.item, checklist_ticks.c.actor).where(
        checklist_ticks.c.tender_id == tender_id
    )
    with store.transaction() as conn:
        return {row.item: row.actor for row in conn.execute(query)}


def save_ticks(store: Store, tender_id: int, ticked: set[str], actor: str) -> int:
    """Make the ticked items exactly ``ticked`` (among the draft's items); returns changes."""
    draft = draft_of(store, tender_id)
    if draft is None:
        return 0
    labels = {item["key"]: item["label"] for item in draft["checklist"]}
    wanted = {key for key in ticked if key in labels}
    now = datetime.now(UTC)
    with store.transaction(write=True) as conn:
        query = sa.select(checklist_ticks.c.item).where(checklist_ticks.c.tender_id == tender_id)
        before = set(conn.execute(query).scalars())
        removed, added = before - wanted, wanted - before
        if removed:
            conn.execute(
                sa.delete(checklist_ticks).where(
                    checklist_ticks.c.tender_id == tender_id, checklist_ticks.c.item.in_(removed)
                )
            )
        for key in sorted(added):
            conn.execute(
                sa.insert(checklist_ticks).values(
                    tender_id=tender_id, item=key, actor=actor, at=now
                )
            )
        for key in sorted(added):
            activity.record(conn, tender_id, actor, "checklist", f"coché\u00a0: {labels[key]}", now)
        for key in sorted(removed):
            activity.record(
                conn, tender_id, actor, "checklist", f"décoché\u00a0: {labels[key]}", now
            )
    return len(removed) + len(added)
