"""A call's response draft, one folder for every way of writing it: ``opco-watch draft N``,
the demo's step 5 and the console's « Préparer la réponse » all write
``<[responses] output_folder>/appel-<N>-<slug>/`` (``responses.draft.call_draft_folder``) and
record it in the store, so the console lists and serves the files the last of them wrote.

``responses`` (docxtpl, python-docx, lxml) is imported inside the functions: importing this
module costs nothing to the commands that do not draft.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from watcher import activity
from watcher.store.schema import drafts

if TYPE_CHECKING:
    from responses.draft import DraftResult
    from watcher.config import Config
    from watcher.models import Match, Tender
    from watcher.store import Store


def folder_of(config: Config, tender: Tender) -> Path:
    """Where call ``tender``'s draft is (or goes)."""
    from responses.draft import call_draft_folder

    return call_draft_folder(config.responses.output_dir(config.data_dir), tender.id, tender.title)


def existing_draft(config: Config, tender: Tender) -> Path | None:
    """The call's draft folder when it holds files already (writing again needs overwrite)."""
    folder = folder_of(config, tender)
    return folder if folder.is_dir() and any(folder.iterdir()) else None


def draft_into(
    config: Config,
    tender: Tender,
    out_dir: Path,
    *,
    now: datetime,
    match: Match | None,
    lot: str | None = None,
    overwrite: bool = False,
) -> DraftResult:
    """Write the call's draft into ``out_dir`` with the organisation, profile, vault and
    templates of ``config`` (not recorded: ``write_call_draft`` records it)."""
    from responses.draft import make_draft
    from responses.vault import Vault
    from watcher.models import tender_notice

    return make_draft(
        tender_notice(tender),
        organisation=config.organisation,
        profile=config.profile,
        responses_settings=config.responses,
        vault=Vault.load(config.documents, config.base_dir),
        out_dir=out_dir,
        now=now,
        lot=lot,
        match=match,
        overwrite=overwrite,
        templates_folder=config.responses.templates_dir(config.base_dir),
    )


def write_call_draft(
    config: Config,
    store: Store,
    tender: Tender,
    *,
    now: datetime,
    match: Match | None,
    actor: str,
    lot: str | None = None,
    overwrite: bool = False,
) -> DraftResult:
    """Write the call's draft into its folder and record it for the console (who, when, the
    files, the checklist). Raises DraftError (a non-empty folder without ``overwrite``...).
    Blocking (docx rendering): the console runs it in a thread."""
    folder = folder_of(config, tender)
    result = draft_into(config, tender, folder, now=now, match=match, lot=lot, overwrite=overwrite)
    record(store, tender.id, result, actor)
    return result


def record(store: Store, tender_id: int, result: DraftResult, actor: str) -> None:
    """The call's draft is now ``result`` (the one before is forgotten, its ticks kept)."""
    now = datetime.now(UTC)
    values = {
        "folder": str(result.folder),
        "files": [path.name for path in result.files],
        "checklist": _checklist_rows(result.checklist),
        "warnings": list(result.warnings),
        "actor": actor,
        "at": now,
    }
    with store.transaction(write=True) as conn:
        conn.execute(sa.delete(drafts).where(drafts.c.tender_id == tender_id))
        conn.execute(sa.insert(drafts).values(tender_id=tender_id, **values))
        detail = f"{len(result.files)} fichiers"
        activity.record(conn, tender_id, actor, "draft", detail, now)


def _checklist_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The checklist's items as the console ticks them: one key per line, even if a piece
    were listed twice."""
    keep = ("key", "label", "stage", "status", "status_label", "detail")
    rows = [{k: item[k] for k in keep} for item in items]
    seen: dict[str, int] = {}
    for row in rows:
        n = seen[row["key"]] = seen.get(row["key"], 0) + 1
        row["key"] = row["key"] if n == 1 else f"{row['key']}-{n}"
    return rows
