"""``make_draft``: one call -> a folder a bid team can open and work from.

    memoire-technique.docx / .md   the mémoire technique skeleton, prefilled (domain.md §2.7)
    DC1.docx                       candidature letter, the candidate's identity
    DC2.docx                       candidate's declaration; one per lot (DC2-lot-3.docx) when
                                   several lots are answered
    checklist.md / .html           every piece asked for, with its status and the deadline
    dossier.zip                    the drafts plus copies of the valid documents

The only I/O is writing into ``out_dir`` (and reading templates and vault documents). A
non-empty ``out_dir`` is refused unless ``overwrite``; every name written is fixed or a safe
slug, checked to stay inside ``out_dir``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from responses import bundle, checklist
from responses.context import (
    DraftInputs,
    Organisation,
    Selection,
    build_context,
    select,
)
from responses.matching import select_lots
from responses.settings import DocumentKind, ResponsesConfig
from responses.vault import Vault, required_document_blockers
from responses.wording import safe_name
from watcher import deadlines, fr
from watcher.classify.blockers import CLOSED_KIND_BLOCKERS, DEADLINE_PASSED
from watcher.classify.profile import Profile
from watcher.errors import DraftError
from watcher.models import Match, Notice, NoticeKind, Tender

if TYPE_CHECKING:  # docxtpl and jinja2 load once a draft is written, not to refuse one
    from responses import render

log = logging.getLogger(__name__)

MEMOIRE, MEMOIRE_MD, DC1 = "memoire-technique.docx", "memoire-technique.md", "DC1.docx"
CHECKLIST_MD, CHECKLIST_HTML, ZIP = "checklist.md", "checklist.html", "dossier.zip"
NO_DOCUMENTS = (
    f"aucun document déclaré ([[documents.items]])\u00a0: rien n'est joint, voir {CHECKLIST_MD}"
)


@dataclass
class DraftResult:
    folder: Path
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: the checklist's items as planned (key, label, stage, status, status_label, detail...)
    checklist: list[dict[str, str]] = field(default_factory=list)


def make_draft(
    notice: Notice,
    *,
    organisation: Organisation,
    profile: Profile,
    responses_settings: ResponsesConfig,
    vault: Vault,
    out_dir: Path,
    now: datetime,
    lot: str | None = None,
    match: Match | None = None,
    overwrite: bool = False,
    templates_folder: Path | None = None,
) -> DraftResult:
    """Write the draft folder for ``notice``; raises DraftError with a message to act on.

    ``templates_folder``: the user's templates, resolved by the caller
    (``responses_settings.templates_dir(config.base_dir)``).
    """
    lots = select_lots(notice, lot)
    inputs = DraftInputs(
        notice,
        organisation,
        profile,
        responses_settings,
        vault,
        now,
        lots,
        lot is not None,
        match,
    )
    from responses import render

    templates = render.Templates(templates_folder)
    folder = prepare_folder(out_dir, overwrite=overwrite)
    plan = plan_draft(inputs)
    with _staging(folder) as staging:  # a failing template leaves no half-written draft
        drafts = _render_all(templates, plan.context, staging, plan.dc2)
        archive = bundle.write_zip(_inside(staging, ZIP), drafts, plan.attachments)
        files = [_publish(path, folder) for path in [*drafts, archive]]
    log.info("draft of %s written to %s (%d files)", notice.key, folder, len(files))
    return DraftResult(folder, files, _warnings(inputs, plan.checklist), plan.checklist)


def entry_refusals(tender: Tender, verdict: Match | None, now: datetime) -> list[str]:
    """Why the call should not be drafted, in French, said before anything is written (by
    ``opco-watch draft`` and the console alike): it was awarded or cancelled, its deadline
    has passed, or its verdict is blocked (deadline too close, region not served, a required
    document missing...). Empty: draft it.

    ``verdict`` judges the call's main notice (``watcher.calls.verdict_now`` for today's, or
    the stored one); the award, the cancellation and the deadline in force are read from the
    call itself, so a stored verdict older than them still says them."""
    closing: list[str] = []
    kinds = {n.kind for n in tender.notices}
    if NoticeKind.CANCELLATION in kinds:
        closing.append("consultation annulée (avis d'annulation publié)")
    elif NoticeKind.AWARD in kinds:
        winner = f" à {tender.winner}" if tender.winner else ""
        closing.append(f"consultation attribuée{winner} (avis d'attribution publié)")
    elif tender.closed:
        closing.append("consultation close")
    blockers = [b for b in (verdict.blockers if verdict else ()) if b not in CLOSED_KIND_BLOCKERS]
    deadline = deadlines.open_until(tender)  # a lot closing later can still be answered
    if (
        deadline is not None
        and deadlines.passed(deadline, now)
        and not any(b.startswith(DEADLINE_PASSED) for b in blockers)
    ):
        closing.append(f"{DEADLINE_PASSED} ({fr.long_datetime(deadline)})")
    return list(dict.fromkeys([*closing, *blockers]))


@dataclass
class DraftPlan:
    """Everything decided before writing: the context, the DC2 files, the attachments."""

    context: dict[str, Any]
    dc2: list[tuple[str, dict[str, Any] | None]]
    attachments: list[bundle.Attachment]
    checklist: list[dict[str, str]]


def plan_draft(inputs: DraftInputs) -> DraftPlan:
    """Pure: the template context (checklist included) and what goes into the folder."""
    selection = select(inputs)
    context = build_context(inputs, selection)
    dc2 = _dc2_names(context)
    deadline = _answered_by(inputs)
    attachments = bundle.plan_attachments(inputs.vault, selection.trainers, inputs.today, deadline)
    items = _checklist(inputs, selection, dc2, attachments)
    call = context["call"]
    context["checklist"] = checklist.checklist_context(items, call["deadline_told"], inputs.today)
    return DraftPlan(context, dc2, attachments, items)


def call_draft_folder(drafts_dir: Path, number: int, title: str) -> Path:
    """The draft folder of call n° ``number``, the one ``opco-watch draft N``, the demo and the
    console's « Préparer la réponse » all write: ``appel-<N>-<slug of the title>`` under the
    drafts folder. A folder of that call already there (``appel-<N>`` written by the console
    before the slug, or ``appel-<N>-…`` under a title a rectificatif has changed since) is the
    call's folder: one call, one folder."""
    existing = [drafts_dir / f"appel-{number}", *drafts_dir.glob(f"appel-{number}-*")]
    folders = sorted(path for path in existing if path.is_dir())
    if folders:
        return folders[0]
    return drafts_dir / f"appel-{number}-{safe_name(title, fallback='sans-titre', size=50)}"


def draft_folder_name(notice: Notice, today: date) -> str:
    """A folder name for a notice drafted outside the store (no call number, e.g. a source
    test): '2026-03-02-boamp-26-12345' (the title when ref is a URL)."""
    ref = notice.ref if not notice.ref.startswith(("http://", "https://")) else notice.title
    return f"{today.isoformat()}-{safe_name(notice.source, size=20)}-{safe_name(ref, size=50)}"


def prepare_folder(out_dir: Path, *, overwrite: bool) -> Path:
    if out_dir.exists() and not out_dir.is_dir():
        raise DraftError(f"{out_dir} exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise DraftError(f"{out_dir} is not empty: choose another folder or use --overwrite")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DraftError(f"cannot create {out_dir}: {error.strerror}") from None
    for stale in out_dir.glob("DC2-lot-*.docx"):  # from an earlier draft with other lots
        stale.unlink()
    return out_dir.resolve()


@contextmanager
def _staging(folder: Path) -> Iterator[Path]:
    """A hidden folder inside ``folder`` where files are rendered before being moved."""
    staging = Path(tempfile.mkdtemp(prefix=".draft-", dir=folder))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(path: Path, folder: Path) -> Path:
    target = _inside(folder, path.name)
    os.replace(path, target)
    return target


def _inside(folder: Path, name: str) -> Path:
    target = (folder / name).resolve()
    if target.parent != folder:
        raise DraftError(f"refusing to write {name!r} outside {folder}")
    return target


def _dc2_names(context: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
    """(file name, lot) of each DC2: one per lot when several lots are answered."""
    lots = context["lots"]
    if len(lots) < 2:
        return [("DC2.docx", context["lot"])]
    return [(f"DC2-lot-{safe_name(lot['key'], fallback='x')}.docx", lot) for lot in lots]


def _render_all(
    templates: render.Templates,
    context: dict[str, Any],
    folder: Path,
    dc2: list[tuple[str, dict[str, Any] | None]],
) -> list[Path]:
    from responses import render

    files = [
        templates.render_docx(render.MEMOIRE_DOCX, context, _inside(folder, MEMOIRE)),
        _write(_inside(folder, MEMOIRE_MD), templates.render_text(render.MEMOIRE_MD, context)),
        templates.render_docx(render.DC1_DOCX, context, _inside(folder, DC1)),
    ]
    for name, lot in dc2:
        per_lot = {**context, "lot": lot}
        files.append(templates.render_docx(render.DC2_DOCX, per_lot, _inside(folder, name)))
    for name, template in (
        (CHECKLIST_MD, render.CHECKLIST_MD),
        (CHECKLIST_HTML, render.CHECKLIST_HTML),
    ):
        files.append(_write(_inside(folder, name), templates.render_text(template, context)))
    return files


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _checklist(
    inputs: DraftInputs,
    selection: Selection,
    dc2: list[tuple[str, dict[str, Any] | None]],
    attachments: list[bundle.Attachment],
) -> list[dict[str, str]]:
    return checklist.build_checklist(
        checklist.ChecklistInputs(
            text=inputs.notice.text(),
            vault=inputs.vault,
            today=inputs.today,
            deadline=_answered_by(inputs),
            trainers=selection.trainers,
            turnover_years=[t.year for t in inputs.settings.turnover],
            drafted={"dc1": [DC1], "dc2": [n for n, _ in dc2], "memoire": [MEMOIRE, MEMOIRE_MD]},
            attached={str(a.source): a.arcname for a in attachments},
        )
    )


# --------------------------------------------------------------------------------- warnings


def _warnings(inputs: DraftInputs, items: list[dict[str, str]]) -> list[str]:
    deadline = _deadline_warning(inputs)
    mismatch = _qualiopi_mismatch(inputs)
    return _document_warnings(inputs, items) + [w for w in (deadline, mismatch) if w]


def _document_warnings(inputs: DraftInputs, items: list[dict[str, str]]) -> list[str]:
    blockers = required_document_blockers(inputs.vault, inputs.today, _answered_by(inputs))
    warnings = [f"pièce bloquante\u00a0: {b}" for b in blockers]
    listed = [i for i in items if i["status"] in ("missing", "expired", "expiring")]
    if not inputs.vault.configured:  # one line rather than one per document
        listed = [i for i in listed if i["source"] != "vault"]
        warnings.append(NO_DOCUMENTS)
    return warnings + [f"{i['label']}\u00a0: {i['status_label']}" for i in listed]


def _answered_by(inputs: DraftInputs) -> datetime | None:
    """The deadline this draft answers: the lot's asked with ``--lot``, else the countdown's
    (lot 2's once lot 1 has closed). Documents must be valid on it to count, to be attached
    and to be « valide » in the checklist."""
    if inputs.chosen_lot and inputs.lots:
        return inputs.lots[0][1].deadline or inputs.notice.deadline
    return deadlines.of_notice(inputs.notice).answered_by(inputs.now)


def _deadline_warning(inputs: DraftInputs) -> str | None:
    """Unknown, every deadline passed, or some lots closed already while others are open
    (a call is answerable until its last deadline: ``watcher.deadlines``), at the instant."""
    told = deadlines.of_notice(inputs.notice)
    if told.last is None:
        return "date limite inconnue\u00a0: vérifiez-la dans le règlement de consultation"
    closed = [m for m in told.moments if deadlines.passed(m.at, inputs.now)]
    if len(closed) == len(told.moments):
        return f"la date limite est dépassée ({fr.long_datetime(told.last)})"
    if closed:
        which = " ; ".join(f"{_lots_article(m.named)} ({fr.long_datetime(m.at)})" for m in closed)
        return f"date limite dépassée pour {which}\u00a0: seuls les lots encore ouverts comptent"
    return None


def _lots_article(named: str) -> str:
    """« le lot 1 », « les lots 2 et 3 »; « l'appel » for the call's own deadline when no
    lot closes with it."""
    if not named:
        return "l'appel"
    return f"les {named}" if named.startswith("lots ") else f"le {named}"


def _qualiopi_mismatch(inputs: DraftInputs) -> str | None:
    declared = inputs.profile.qualiopi.certificate_number
    documents = inputs.vault.of_kind(DocumentKind.QUALIOPI)
    numbers = {d.item.number for d in documents if d.item.number}
    if declared and numbers and declared not in numbers:
        return (
            f"numéro Qualiopi différent entre [profile.qualiopi] ({declared}) et le coffre de "
            f"documents ({', '.join(sorted(numbers))})\u00a0: le mémoire utilise celui du coffre"
        )
    return None
