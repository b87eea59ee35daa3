"""CLI commands of alerts and digests: ``send``, ``digest``, ``status``, ``calendar``,
``reminders`` and ``run`` (the scheduler)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from pydantic import TypeAdapter, ValidationError

from watcher.cli.common import (
    EXIT_PARTIAL,
    friendly,
    load,
    out,
    output_file,
    the_call,
    writing,
)
from watcher.cli.safe import line, text
from watcher.config import Config
from watcher.config_types import EmailStr
from watcher.errors import ConfigError
from watcher.fr import NBSP, noun, number_sign, plural
from watcher.models import PARIS
from watcher.notify.context import STATUS_LABELS
from watcher.notify.settings import NotifySettings, settings_of
from watcher.notify.week import Week
from watcher.store import Store

if TYPE_CHECKING:
    from watcher.notify.sender import DrainReport


def utcnow() -> datetime:
    """Now, as ``watcher.notify.sender`` has it (not imported: it loads the mail templates)."""
    return datetime.now(UTC)


def _send(store: Store, settings: NotifySettings) -> DrainReport:
    """Drain the outbox and say what happened, in one line."""
    from watcher.notify import queue
    from watcher.notify.sender import drain

    report = drain(store, settings)
    left = queue.counts(store, utcnow())
    where = f" dans {settings.outbox_dir}" if not settings.mail.smtp_host else ""
    sent = "écrit" if not settings.mail.smtp_host else "envoyé"
    words = f"{plural(report.sent, 'e-mail')} {noun(report.sent, sent)}{where}"
    if left.pending:
        when = left.next_attempt.astimezone(PARIS).strftime("%Hh%M") if left.next_attempt else "?"
        words += f"{NBSP}; {left.pending} en attente d'un nouvel essai (le prochain à {when})"
    if left.failed:
        refused = noun(left.failed, "refusé")
        words += f"{NBSP}; {left.failed} {refused} définitivement (voir `opco-watch send --failed`)"
    if report.presumed:
        cut = noun(report.presumed, "interrompu")
        words += f"{NBSP}; {report.presumed} {cut} deux fois à l'envoi, présumé(s) remis"
    out.print(text(words + "."), soft_wrap=True)
    if report.stopped:
        out.print(line((f"Serveur d'e-mail indisponible{NBSP}:", "yellow"), " ", report.stopped))
    return report


@click.command("send")
@click.option("--failed", "show_failed", is_flag=True, help="List the emails refused for good.")
@click.option("--retry-failed", is_flag=True, help="Queue the emails refused for good again.")
@click.pass_context
@friendly
def send_command(ctx: click.Context, show_failed: bool, retry_failed: bool) -> None:
    """Send the queued emails: alerts, digests, reminders, admin alerts."""
    from watcher.notify import queue  # the outbox: not for status or calendar (issue 12)

    cfg = load(ctx)
    settings = settings_of(cfg)
    with Store.open(cfg.database) as store:
        if show_failed:
            for m in queue.messages(store, failed_only=True):
                out.print(text(f"{m.recipient} — {m.subject}\n  {m.last_error}"))
            return
        if retry_failed:
            again = queue.retry_failed(store, utcnow())
            out.print(f"{plural(again, 'e-mail')} de nouveau en file d'attente.")
        report = _send(store, settings)
    if not report.ok:
        sys.exit(EXIT_PARTIAL)


def _address(value: str) -> str:
    try:
        return str(TypeAdapter(EmailStr).validate_python(value))
    except ValidationError:
        raise ConfigError(
            f"--to{NBSP}: «{NBSP}{value}{NBSP}» n'est pas une adresse e-mail"
        ) from None


@click.command("digest")
@click.option("--week", help="ISO week to report on, e.g. 2026-W10 (default: last week).")
@click.option("--to", "to", help="Send the full digest to this address only.")
@click.option(
    "--html",
    "html",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the full digest as a standalone HTML file (no email unless --to is given).",
)
@click.pass_context
@friendly
def digest_command(ctx: click.Context, week: str | None, to: str | None, html: Path | None) -> None:
    """The weekly digest: emailed to every recipient, or written as an HTML file."""
    from watcher.notify.digest import enqueue_digest, write_html  # jinja2: only here

    cfg = load(ctx)
    settings, now = settings_of(cfg), utcnow()
    chosen = Week.parse(week) if week else Week.of(now.astimezone(PARIS).date()).shifted(-1)
    address = _address(to) if to else None
    if html:
        output_file(html, "--html")
    with Store.open(cfg.database) as store:
        if html:
            with writing(html, "--html"):
                data = write_html(store, settings, chosen, now, html)
            out.print(
                text(
                    f"Synthèse de la {chosen.words} écrite dans {html} "
                    f"({plural(len(data.calls), 'appel')} à traiter, "
                    f"{plural(len(data.set_aside), 'écarté')})."
                ),
                soft_wrap=True,
            )
        if address or not html:
            queued = enqueue_digest(store, settings, chosen, now, to=address)
            queued_words = f"{plural(queued, 'e-mail')} en file d'attente"
            out.print(text(f"Synthèse de la {chosen.words}{NBSP}: {queued_words}."))
            if not _send(store, settings).ok:
                sys.exit(EXIT_PARTIAL)


@click.command("status")
@click.argument("ident")
@click.argument("value", required=False, type=click.Choice(list(STATUS_LABELS)))
@click.pass_context
@friendly
def status_command(ctx: click.Context, ident: str, value: str | None) -> None:
    """Show or set where a call stands: new, go, no-go, submitted, won, lost.

    IDENT is the call's number (as in the emails), or one of its notices (key or reference)."""
    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        tender = the_call(store, ident)
        if value is not None:
            from watcher.tenders import set_status

            set_status(store, tender.id, value, at=utcnow())
    shown = value or tender.status
    call = f"Appel {number_sign(tender.id)} «{NBSP}{tender.title}{NBSP}»"
    out.print(text(f"{call}{NBSP}: {shown} ({STATUS_LABELS[shown]})"), soft_wrap=True)


@click.command("calendar")
@click.option(
    "--output",
    "-o",
    help="Where to write the .ics ('-' for standard output; default: DATA_DIR/opco-watch.ics).",
)
@click.option("--all", "everything", is_flag=True, help="Every open call, not only those followed.")
@click.pass_context
@friendly
def calendar_command(ctx: click.Context, output: str | None, everything: bool) -> None:
    """Export the deadlines as an iCalendar file to subscribe to (Outlook, Thunderbird)."""
    from watcher.notify.calendar import calendar_ics, write_calendar  # icalendar: only here

    cfg = load(ctx)
    settings, now = settings_of(cfg), utcnow()
    target = output_file(Path(output), "--output") if output and output != "-" else None
    with Store.open(cfg.database) as store:
        if output == "-":
            sys.stdout.buffer.write(calendar_ics(store, settings, now, everything=everything))
            return
        with writing(target or settings.data_dir, "--output"):
            target = write_calendar(store, settings, now, target, everything=everything)
    uri = target.resolve().as_uri()
    out.print(text(f"Dates limites écrites dans {target} (adresse file://{NBSP}: {uri})."))


@click.command("reminders")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="As of this day (default: today).")
@click.pass_context
@friendly
def reminders_command(ctx: click.Context, today: datetime | None) -> None:
    """Queue and send the deadline reminders due (J-7, J-2) for calls marked go."""
    from watcher.notify.reminders import enqueue_reminders

    cfg = load(ctx)
    settings = settings_of(cfg)
    now = today.replace(hour=7, tzinfo=PARIS) if today else utcnow()
    with Store.open(cfg.database) as store:
        queued = enqueue_reminders(store, settings, now)
        out.print(f"{plural(queued, 'rappel')} en file d'attente.")
        if not _send(store, settings).ok:
            sys.exit(EXIT_PARTIAL)


@click.command("run")
@click.option("--mirror", hidden=True, help="Fetch every URL from this base URL (offline demo).")
@click.option("--serve", is_flag=True, help="Also serve the console, in this process.")
@click.pass_context
@friendly
def run_command(ctx: click.Context, mirror: str | None, serve: bool) -> None:
    """Run continuously: polls, alerts, the weekly digest and reminders (Ctrl-C stops)."""
    from watcher.scheduler import run

    cfg: Config = load(ctx)
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    logging.getLogger("apscheduler").setLevel(max(root.level, logging.WARNING))
    if serve or cfg.web.serve_with_run:
        from watcher.cli.web import serve_console

        sys.exit(serve_console(cfg, mirror=mirror, with_scheduler=True))
    sys.exit(run(cfg, mirror=mirror))


COMMANDS = (
    send_command,
    digest_command,
    status_command,
    calendar_command,
    reminders_command,
    run_command,
)
