"""The ``opco-watch`` command line.

Exit codes a script can trust:
    0  everything worked
    1  the command ran but part of it failed (a source could not be polled)
    2  bad usage or bad configuration
    3  the database could not be opened or written
    4  the thing asked for does not exist (``show ID``)
    5  any other opco-watch error (network, parse, mail, draft)

The group is lazy: ``COMMANDS`` names each command's module, imported only when the command
runs (or its own ``--help`` is asked), so ``opco-watch --help`` and every command start
without loading what the other commands need (issue 12). The one-line helps listed by
``--help`` live here too; a test checks that they equal each command's docstring.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from watcher import __version__
from watcher.cli import collector

#: command name -> ("module:attribute", the first sentence of its help)
COMMANDS: dict[str, tuple[str, str]] = {
    "calendar": (
        "watcher.cli.notify:calendar_command",
        "Export the deadlines as an iCalendar file to subscribe to (Outlook, Thunderbird).",
    ),
    "classify": (
        "watcher.cli.matching:classify_command",
        "Classify notices in bulk: id, relevant, score, domains, reasons, blockers.",
    ),
    "config": ("watcher.cli.setup:config_group", "Check the configuration."),
    "db": (
        "watcher.cli.db:db_group",
        "The database: create it, check its schema version and integrity, upgrade it.",
    ),
    "demo": (
        "watcher.cli.polling:demo_command",
        "Run a complete offline demo on bundled snapshots of the sources.",
    ),
    "digest": (
        "watcher.cli.notify:digest_command",
        "The weekly digest: emailed to every recipient, or written as an HTML file.",
    ),
    "documents": (
        "watcher.cli.responses:documents_command",
        "The evidence vault: each document and its status (valid, expiring, expired, missing).",
    ),
    "draft": (
        "watcher.cli.responses:draft_command",
        "Prepare the answer to one call: mémoire technique, DC1/DC2, checklist, dossier.zip.",
    ),
    "eval": (
        "watcher.cli.matching:eval_command",
        "Measure the classifier on labelled notices, beside a naive baseline.",
    ),
    "feedback": (
        "watcher.cli.matching:feedback_command",
        "Record whether a call was relevant: the classifier learns from these.",
    ),
    "init": ("watcher.cli.setup:init_command", "Write a commented starter configuration file."),
    "list": (
        "watcher.cli.reading:list_command",
        "List the calls by deadline, the next one first (then those without a deadline, then "
        "the closed ones): number, deadline, OPCO, title, score, status, owner.",
    ),
    "poll": ("watcher.cli.polling:poll_command", "Fetch the sources once and store what is new."),
    "reminders": (
        "watcher.cli.notify:reminders_command",
        "Queue and send the deadline reminders due (J-7, J-2) for calls marked go.",
    ),
    "run": (
        "watcher.cli.notify:run_command",
        "Run continuously: polls, alerts, the weekly digest and reminders (Ctrl-C stops).",
    ),
    "send": (
        "watcher.cli.notify:send_command",
        "Send the queued emails: alerts, digests, reminders, admin alerts.",
    ),
    "serve": (
        "watcher.cli.web:serve_command",
        "Serve the staff console (web pages in French) on http://127.0.0.1:8000/.",
    ),
    "show": (
        "watcher.cli.reading:show_command",
        "Show one call in full: verdict, reasons, blockers, status, owner, and each of its "
        "notices (initial, corrigenda, award) with its changes.",
    ),
    "sources": (
        "watcher.cli.polling:sources_group",
        "The sources and their health: last success, items, failures, last error, fallback.",
    ),
    "status": (
        "watcher.cli.notify:status_command",
        "Show or set where a call stands: new, go, no-go, submitted, won, lost.",
    ),
    "templates": (
        "watcher.cli.responses:templates_group",
        "Response templates (yours override the shipped ones by file name).",
    ),
    "users": (
        "watcher.cli.web:users_group",
        "Accounts of the console: admins manage, members act on the calls.",
    ),
    "worker": (
        "watcher.cli.db:worker_command",
        "Run the scheduled jobs on the shared queue (PostgreSQL; start one per machine).",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported by name when first needed."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """click's ``main``; run as the program (its arguments read from ``sys.argv``), with
        the garbage collector paused while the command starts (``watcher.cli.collector``)."""
        if args is None:
            collector.pause()
        try:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        finally:
            collector.resume()

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name][0].partition(":")
            command = getattr(import_module(module), attribute)
            if not isinstance(command, click.Command):  # pragma: no cover - a registry typo
                raise TypeError(f"{self.lazy[cmd_name][0]} is not a click command")
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The listing of ``--help`` from the registry's helps, without importing a command
        (click shortens them exactly as it does a command's own help)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.lazy and name not in self.commands:
                stand_in = click.Command(name, help=self.lazy[name][1])
                rows.append((name, stand_in.get_short_help_str(limit)))
            else:
                command = self.commands[name]
                if not command.hidden:
                    rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class SafeFormatter(logging.Formatter):
    """Log lines quote pages and errors from the web: no control sequence reaches stderr."""

    def format(self, record: logging.LogRecord) -> str:
        from watcher.cli.safe import clean

        return clean(super().format(record))


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    envvar="OPCO_WATCH_CONFIG",
    help="Configuration file (default: ./opco-watch.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="opco-watch")
@click.pass_context
def main(ctx: click.Context, config_file: Path | None, verbose: int) -> None:
    """Watch OPCO calls for tenders, match them to your organisation, alert and draft answers."""
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(verbose, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    ctx.obj = config_file


if __name__ == "__main__":  # pragma: no cover
    main()
