"""CLI commands of the response drafts: ``documents``, ``draft``, ``templates check``.

``responses`` pulls in docxtpl, python-docx and lxml (about 0.3 s): imported inside the
commands, so that the other commands start fast."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from watcher.cli.common import EXIT_CONFIG, EXIT_NOT_FOUND, err, fail, friendly, load, out
from watcher.fr import long_datetime
from watcher.models import PARIS
from watcher.store import Store


@click.command("documents")
@click.option("--for", "call", metavar="ID", help="Judge expiry against this call's deadline.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
@click.pass_context
@friendly
def documents_command(ctx: click.Context, call: str | None, as_json: bool) -> None:
    """The evidence vault: each document and its status (valid, expiring, expired, missing).

    "expiring" means valid today but not on the deadline of the call named with --for, or by
    default of the furthest deadline of the calls followed (go or submitted, else pertinent),
    as the console's Pièces page.
    """
    from responses.vault import DOCUMENT_COLUMNS, Vault, documents_table

    cfg = load(ctx)
    now = datetime.now(PARIS)
    against = _judged_against(cfg.database, call, now)
    vault = Vault.load(cfg.documents, cfg.base_dir)
    rows = documents_table(vault, now.date(), against[1] if against else None)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not vault.configured:
        hint = "No document declared yet: add [[documents.items]] to the configuration."
        out.print(hint, markup=False)
    table = Table(*(header for _, header in DOCUMENT_COLUMNS))
    for row in rows:
        table.add_row(*(row["status_label" if k == "status" else k] for k, _ in DOCUMENT_COLUMNS))
    if against is not None:
        table.caption = f"« expiring »: before {long_datetime(against[1])} ({against[0]})"
    out.print(table)


def _judged_against(database: str, call: str | None, now: datetime) -> tuple[str, datetime] | None:
    """(title, deadline) of the call named, else of the call the console's Pièces judges
    against too (``watcher.pertinence.documents_deadline``)."""
    from watcher.pertinence import documents_deadline

    with Store.open(database) as store:
        if call is None:
            with store.transaction() as conn:
                followed = documents_deadline(conn, now)
            return None if followed is None else (followed.title, followed.deadline)
        row = store.find_notice(call)
    if row is None:
        fail(f"no notice '{call}' (see `opco-watch list`)", EXIT_NOT_FOUND)
    deadline = row.notice.deadline
    return None if deadline is None else (row.notice.title, deadline)


@click.command("draft")
@click.argument("ident")
@click.option("--lot", help="Answer only this lot (its number, e.g. 2).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="Folder to write (default: <data>/drafts/<date>-<source>-<ref>).",
)
@click.option("--overwrite", is_flag=True, help="Write into a folder that is not empty.")
@click.pass_context
@friendly
def draft_command(
    ctx: click.Context, ident: str, lot: str | None, out_dir: Path | None, overwrite: bool
) -> None:
    """Prepare the answer to one call: mémoire technique, DC1/DC2, checklist, dossier.zip."""
    from responses.draft import draft_folder_name, make_draft
    from responses.vault import Vault
    from watcher.judging import Judge

    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        row = store.find_notice(ident)
        judge = Judge.from_config(cfg, store)
    if row is None:
        fail(f"no notice '{ident}' (see `opco-watch list`)", EXIT_NOT_FOUND)
    today = datetime.now(PARIS).date()
    default = cfg.responses.output_dir(cfg.data_dir) / draft_folder_name(row.notice, today)
    result = make_draft(
        row.notice,
        organisation=cfg.organisation,
        profile=cfg.profile,
        responses_settings=cfg.responses,
        vault=Vault.load(cfg.documents, cfg.base_dir),
        out_dir=out_dir or default,
        today=today,
        lot=lot,
        match=judge.judge(row.notice, today=today),
        overwrite=overwrite,
        templates_folder=cfg.responses.templates_dir(cfg.base_dir),
    )
    out.print(f"Draft written to {result.folder}")
    for path in result.files:
        out.print(f"  {path.name}", highlight=False)
    for warning in result.warnings:
        err.print(f"[yellow]![/] {escape(warning)}", highlight=False)


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
        where, message = escape(problem.template), escape(problem.message)
        err.print(f"[{colour}]{problem.level}[/] {where}: {message}", highlight=False)
    if folder is None or folder.is_dir():
        for name, path, own in templates_in_use(folder):
            out.print(f"{name}: {f'yours ({path})' if own else 'shipped'}", highlight=False)
    if any(p.level == "error" for p in problems):
        sys.exit(EXIT_CONFIG)
    out.print("[green]✓[/] every template renders the sample call")
