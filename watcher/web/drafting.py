"""« Préparer la réponse » from the console: the draft folder of a call, written in a worker
thread (docx rendering must not block the event loop), recorded so that downloads serve only
the files the console wrote; and the checklist ticks, kept per call.

A closed, awarded, cancelled or blocked call is said so before anything is written; the user
confirms to draft it anyway (as ``opco-watch draft`` asks for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from watcher import activity, tenders
from watcher.config import Config
from watcher.models import PARIS, Match, Tender
from watcher.pipeline import tender_notice
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


def draft_folder(config: Config, tender_id: int) -> Path:
    return config.responses.output_dir(config.data_dir) / f"appel-{tender_id}"


def write_draft(config: Config, store: Store, tender_id: int, actor: str) -> Written:
    """Write (or rewrite) the call's draft folder and record it. Blocking: run in a thread."""
    from responses.draft import make_draft
    from responses.vault import Vault

    tender = tenders.get_tender(store, tender_id)
    if tender is None:
        raise LookupError(tender_id)
    notice = tender_notice(tender)
    today = datetime.now(PARIS).date()
    result = make_draft(
        notice,
        organisation=config.organisation,
        profile=config.profile,
        responses_settings=config.responses,
        vault=Vault.load(config.documents, config.base_dir),
        out_dir=draft_folder(config, tender_id),
        today=today,
        match=tenders.latest_match(store, tender_id),
        overwrite=True,
        templates_folder=config.responses.templates_dir(config.base_dir),
    )
    checklist = _checklist(config, store, notice, today, tender_id)
    names = [p.name for p in result.files]
    _record(store, tender_id, result.folder, names, checklist, result.warnings, actor)
    return Written(result.folder, names, result.warnings)


def _checklist(config: Config, store: Store, notice: Any, today: Any, tender_id: int) -> list[Any]:
    """The checklist's items as the draft planned them: key, label, stage, status."""
    from responses.context import DraftInputs
    from responses.draft import plan_draft
    from responses.matching import select_lots
    from responses.vault import Vault

    inputs = DraftInputs(
        notice,
        config.organisation,
        config.profile,
        config.responses,
        Vault.load(config.documents, config.base_dir),
        today,
        select_lots(notice, None),
        False,
        tenders.latest_match(store, tender_id),
    )
    keep = ("key", "label", "stage", "status", "status_label", "detail")
    items = [{k: item[k] for k in keep} for item in plan_draft(inputs).checklist]
    seen: dict[str, int] = {}
    for item in items:  # one key per line, even if a piece were listed twice
        n = seen[item["key"]] = seen.get(item["key"], 0) + 1
        item["key"] = item["key"] if n == 1 else f"{item['key']}-{n}"
    return items


def _record(
    store: Store,
    tender_id: int,
    folder: Path,
    names: list[str],
    checklist: list[dict[str, str]],
    warnings: list[str],
    actor: str,
) -> None:
    now = datetime.now(UTC)
    values = {
        "folder": str(folder),
        "files": names,
        "checklist": checklist,
        "warnings": list(warnings),
        "actor": actor,
        "at": now,
    }
    with store.transaction(write=True) as conn:
        conn.execute(sa.delete(drafts).where(drafts.c.tender_id == tender_id))
        conn.execute(sa.insert(drafts).values(tender_id=tender_id, **values))
        activity.record(conn, tender_id, actor, "draft", f"{len(names)} fichiers", now)


def draft_of(store: Store, tender_id: int) -> dict[str, Any] | None:
    with store.transaction() as conn:
        row = conn.execute(sa.select(drafts).where(drafts.c.tender_id == tender_id)).first()
    return dict(row._mapping) if row else None


def served_file(store: Store, tender_id: int, name: str) -> Path | None:
    """The path of a file the console wrote for this call, or None: only names recorded for
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
            activity.record(conn, tender_id, actor, "checklist", f"coché : {labels[key]}", now)
        for key in sorted(removed):
            activity.record(conn, tender_id, actor, "checklist", f"décoché : {labels[key]}", now)
    return len(removed) + len(added)
