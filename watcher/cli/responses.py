"""CLI commands of the response drafts: ``documents``, ``draft``, ``templates check``.

``responses`` pulls in docxtpl, python-docx and lxml (about 0.3 s): imported inside the
commands, so that the other commands start fast."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from watcher.calls import verdict_now
from watcher.cli.common import (
    EXIT_CONFIG,
    EXIT_ERROR,
    err,
    fail,
    friendly,
    load,
    out,
    output_folder,
    the_call,
)
from watcher.cli.safe import dumps, line, text
from watcher.fr import NBSP, long_datetime, number_sign
from watcher.models import PARIS, Match, Tender
from watcher.store import Store

if TYPE_CHECKING:
    from responses.draft import DraftResult
    from watcher.config import Config


@click.command("documents")
@click.option(
    "--for", "call", metavar="N", help="Judge expiry against this call's deadline (its number)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
@click.pass_context
@friendly
def documents_command(ctx: click.Context, call: str | None, as_json: bool) -> None:
    """The evidence vault: each document and its status (valid, expiring, expired, missing).

    "expiring" means valid today but not on the deadline of the call named with --for (its
    number, or one of its notices), or by default of the furthest deadline of the calls
    followed (go or submitted, else pertinent), as the console's Pièces page.
    """
    from responses.vault import DOCUMENT_COLUMNS, Vault, documents_table

    cfg = load(ctx)
    now = datetime.now(PARIS)
    against = _judged_against(cfg.database, call, now)
    vault = Vault.load(cfg.documents, cfg.base_dir)
    deadline = against[1] if against else None
    rows = documents_table(vault, now.date(), deadline)
    if as_json:
        click.echo(dumps(rows))
        return
    if not vault.configured:
        out.print(f"Aucun document déclaré{NBSP}: ajoutez [[documents.items]] à la configuration.")
    from rich.table import Table  # not for --json (issue 12)

    table = Table(*(header for _, header in DOCUMENT_COLUMNS))
    for row in rows:
        cells = (row["status_label" if k == "status" else k] for k, _ in DOCUMENT_COLUMNS)
        table.add_row(*(text(cell) for cell in cells))
    if against is not None and deadline is not None:
        # the statuses are in French (the vault's labels): so is what « expire » is measured by
        words = f"« expire avant la date limite » : celle du {long_datetime(deadline)}"
        table.caption = text(f"{words} ({against[0]})")
    out.print(table)


def _judged_against(
    database: str, call: str | None, now: datetime
) -> tuple[str, datetime | None] | None:
    """(what the deadline belongs to, the deadline): the call named, else the call the
    console's Pièces page judges against too (``watcher.pertinence.documents_deadline``)."""
    from watcher import deadlines
    from watcher.pertinence import documents_deadline

    with Store.open(database) as store:
        if call is not None:
            tender = the_call(store, call)
            # valid until the last deadline: a lot closing after the call can be answered
            return f"appel n° {tender.id}, {tender.title[:60]}", deadlines.open_until(tender)
        with store.transaction() as conn:
            followed = documents_deadline(conn, now)
    return None if followed is None else (followed.title, followed.deadline)


@click.command("draft")
@click.argument("ident")
@click.option("--lot", help="Answer only this lot (its number, e.g. 2).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder to write instead of the call's own (<drafts>/appel-N-<title>), which the "
    "console shows.",
)
@click.option("--overwrite", is_flag=True, help="Rewrite a draft already written (its files).")
@click.option(
    "--force", is_flag=True, help="Draft a call that is closed, awarded, cancelled or blocked."
)
@click.pass_context
@friendly
def draft_command(
    ctx: click.Context,
    ident: str,
    lot: str | None,
    out_dir: Path | None,
    overwrite: bool,
    force: bool,
) -> None:
    """Prepare the answer to one call: mémoire technique, DC1/DC2, checklist, dossier.zip.

    IDENT is the call's number (as in the emails), or one of its notices (key or reference).
    A call awarded, cancelled or blocked (deadline passed or too close, region not served, a
    required document missing) is said so and not drafted, unless --force.

    The draft goes to the call's folder, <drafts>/appel-N-<title>, the one the demo and the
    console write too (the console offers its files); a draft there is rewritten only with
    --overwrite."""
    cfg = load(ctx)
    if out_dir is not None:
        output_folder(out_dir, "--out")
    now = datetime.now(UTC)
    with Store.open(cfg.database) as store:
        tender = the_call(store, ident)
        from responses.draft import entry_refusals  # the classifier: once the call is found
        from watcher.judging import Judge

        verdict = verdict_now(Judge.from_config(cfg, store), tender, now.astimezone(PARIS).date())
        refusals = entry_refusals(tender, verdict, now)
        for reason in refusals:
            err.print(line(("!", "yellow"), f" Appel n° {tender.id} : ", reason))
        if refusals and not force:
            fail(
                f"l'appel {number_sign(tender.id)} est clos ou bloqué{NBSP}: aucun projet "
                "écrit (--force pour le rédiger quand même)",
                EXIT_CONFIG,
            )
        if out_dir is not None:
            result = _draft_elsewhere(cfg, tender, verdict, out_dir, lot, overwrite, now)
        else:
            result = _draft_in_its_folder(cfg, store, tender, verdict, lot, overwrite, now)
    drafted = f"Projet de réponse à l'appel {number_sign(tender.id)} écrit dans {result.folder}"
    out.print(text(drafted), soft_wrap=True)
    for path in result.files:
        out.print(text(f"  {path.name}"))
    for warning in result.warnings:
        err.print(line(("!", "yellow"), " ", warning))


def _draft_in_its_folder(
    cfg: Config,
    store: Store,
    tender: Tender,
    verdict: Match,
    lot: str | None,
    overwrite: bool,
    now: datetime,
) -> DraftResult:
    """The call's own folder, the one the demo and the console write and show."""
    from watcher.activity import cli_actor
    from watcher.call_draft import existing_draft, write_call_draft

    existing = existing_draft(cfg, tender)
    if existing is not None and not overwrite:
        fail(
            f"l'appel {number_sign(tender.id)} a déjà un projet de réponse dans {existing}"
            f"{NBSP}: `opco-watch draft {tender.id} --overwrite` le réécrit",
            EXIT_ERROR,
        )
    return write_call_draft(
        cfg,
        store,
        tender,
        now=now,
        match=verdict,
        actor=cli_actor(),
        lot=lot,
        overwrite=overwrite,
    )


def _draft_elsewhere(
    cfg: Config,
    tender: Tender,
    verdict: Match,
    out_dir: Path,
    lot: str | None,
    overwrite: bool,
    now: datetime,
) -> DraftResult:
    """``--out DIR``: a draft of the user's own, not recorded (the console keeps showing the
    call's folder)."""
    from watcher.call_draft import draft_into

    return draft_into(cfg, tender, out_dir, now=now, match=verdict, lot=lot, overwrite=overwrite)


@click.group("templates")
def templates_group() -> None:
    """Response templates (yours override the shipped ones by file name)."""


@templates_group.command("check")
@click.pass_context
@friendly
def templates_check_command(ctx: click.Context) -> None:
    """Lint the templates in use: syntax, unknown variables, tags split by Word, sample render."""
    from responses.templates_check import check_templates, templates_in_use

    cfg = load(ctx, required=False)
    folder = cfg.responses.templates_dir(cfg.base_dir)
    problems = check_templates(folder)
    for problem in problems:
        colour = "red" if problem.level == "error" else "yellow"
        where, message = problem.template, problem.message
        err.print(line((problem.level, colour), f" {where}: {message}"))
    if folder is None or folder.is_dir():
        for name, path, own in templates_in_use(folder):
            out.print(text(f"{name}: {f'yours ({path})' if own else 'shipped'}"))
    if any(p.level == "error" for p in problems):
        sys.exit(EXIT_CONFIG)
    out.print(line(("✓", "green"), " every template renders the sample call"))
