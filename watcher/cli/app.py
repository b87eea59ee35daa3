"""The ``opco-watch`` command line.

Exit codes a script can trust:
    0  everything worked
    1  the command ran but part of it failed (a source could not be polled)
    2  bad usage or bad configuration
    3  the database could not be opened or written
    4  the thing asked for does not exist (``show ID``)
    5  any other opco-watch error (network, parse, mail, draft)
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from watcher import __version__
from watcher.cli import views
from watcher.cli.common import (
    EXIT_CONFIG,
    EXIT_PARTIAL,
    err,
    fail,
    friendly,
    load,
    out,
    output_file,
    output_folder,
    writing,
)
from watcher.cli.db import COMMANDS as DB_COMMANDS
from watcher.cli.matching import classify_command, eval_command, feedback_command
from watcher.cli.notify import COMMANDS as NOTIFY_COMMANDS
from watcher.cli.reading import check_source_names, list_command, show_command
from watcher.cli.responses import documents_command, draft_command, templates_group
from watcher.cli.safe import clean, dumps, line
from watcher.cli.web import COMMANDS as WEB_COMMANDS
from watcher.config import config_path
from watcher.config_check import check_config
from watcher.errors import ConfigError
from watcher.pipeline import poll as run_poll
from watcher.starter import write_starter
from watcher.store import Store


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


# ----------------------------------------------------------------------------- configuration


class SafeFormatter(logging.Formatter):
    """Log lines quote pages and errors from the web: no control sequence reaches stderr."""

    def format(self, record: logging.LogRecord) -> str:
        return clean(super().format(record))


@main.command()
@click.option("--path", type=click.Path(path_type=Path), default=None, help="Where to write it.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
@friendly
def init(ctx: click.Context, path: Path | None, force: bool) -> None:
    """Write a commented starter configuration file."""
    target = output_file(path or config_path(ctx.find_root().obj), "--path")
    if target.exists() and not force:
        fail(f"{target} already exists (use --force to overwrite it)", EXIT_CONFIG)
    with writing(target, "--path"):
        write_starter(target, force=force)
    out.print(f"Wrote {target}. Edit it, then run: opco-watch config check")


@main.group()
def config() -> None:
    """Check the configuration."""


@config.command("check")
@click.pass_context
@friendly
def config_check(ctx: click.Context) -> None:
    """Validate the configuration file and explain each problem (errors and warnings)."""
    file = config_path(ctx.find_root().obj)
    if not file.exists():
        raise ConfigError(f"no configuration file at {file}", hint="run `opco-watch init`")
    report = check_config(file)
    for problem in report.errors:
        err.print(line(("✗", "red"), " ", str(problem)))
    for warning in report.warnings:
        err.print(line(("!", "yellow"), " ", str(warning)))
    if report.config is None:
        err.print(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        sys.exit(EXIT_CONFIG)
    cfg, warned = report.config, f", {len(report.warnings)} warning(s)" if report.warnings else ""
    enabled = len(cfg.enabled_sources())
    out.print(
        line(
            ("✓", "green"),
            f" {file} is valid{warned}: {enabled} source(s) enabled, data in {cfg.data_dir}",
        )
    )


# ------------------------------------------------------------------------------------ polling


@main.command()
@click.option("--source", "-s", "names", multiple=True, help="Poll only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--mirror", hidden=True, help="Fetch every URL from this base URL (offline demo).")
@click.pass_context
@friendly
def poll(ctx: click.Context, names: tuple[str, ...], as_json: bool, mirror: str | None) -> None:
    """Fetch the sources once and store what is new."""
    cfg = load(ctx)
    check_source_names(cfg, names)
    with views.PollProgress(err, enabled=not as_json) as progress:
        reports = run_poll(cfg, names=names or None, mirror=mirror, progress=progress.update)
    if as_json:
        click.echo(dumps([views.report_json(r) for r in reports]))
    else:
        out.print(views.reports_table(reports))
    if not all(r.ok for r in reports):
        sys.exit(EXIT_PARTIAL)


# ------------------------------------------------------------------------------------ health


@main.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def sources(ctx: click.Context, as_json: bool) -> None:
    """The sources and their health: last success, items, failures, last error, fallback."""
    if ctx.invoked_subcommand is not None:
        return
    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        states = {s.source: s for s in store.source_states()}
    rows = views.source_rows(cfg, states)
    if as_json:
        click.echo(dumps(rows))
    else:
        out.print(views.sources_table(rows))


@sources.command("snapshot")
@click.argument("name")
@click.option(
    "--out",
    "folder",
    type=click.Path(path_type=Path),
    default=Path("snapshots"),
    show_default=True,
    help="Where to save: OUT/NAME/YYYY-MM-DD/.",
)
@click.option(
    "--details",
    type=click.IntRange(0, 50),
    default=3,
    show_default=True,
    help="Detail pages to save (the first calls of the listing).",
)
@click.option("--mirror", hidden=True, help="Fetch every URL from this base URL (tests).")
@click.pass_context
@friendly
def sources_snapshot(
    ctx: click.Context, name: str, folder: Path, details: int, mirror: str | None
) -> None:
    """Save the live pages of a source as dated fixtures (to fix a changed layout)."""
    from watcher.snapshot import snapshot

    cfg = load(ctx)
    check_source_names(cfg, (name,))
    output_folder(folder, "--out")
    saved = snapshot(cfg, name, folder, details=details, mirror=mirror)
    for item in saved:
        click.echo(clean(f"{item.status}  {item.file}  <- {item.url}"))
    click.echo(f"{len(saved)} page(s) saved with manifest.json and PROVENANCE.md")


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Keep the demo's data here (default: a new temporary folder).",
)
@click.option("--serve", is_flag=True, help="Then serve the console on the demo's data (Ctrl-C).")
@friendly
def demo(directory: Path | None, serve: bool) -> None:
    """Run a complete offline demo on bundled snapshots of the sources."""
    from watcher.cli.demo import run_demo

    if directory is not None:
        output_folder(directory, "--dir")
    if not serve:
        sys.exit(run_demo(out, directory))
    from watcher.cli.web import demo_folder, serve_demo

    folder = demo_folder(directory)
    code = run_demo(out, folder)
    sys.exit(code or serve_demo(folder / "opco-watch.toml"))


main.add_command(list_command)
main.add_command(show_command)
main.add_command(documents_command)
main.add_command(draft_command)
main.add_command(templates_group)
main.add_command(classify_command)
main.add_command(eval_command)
main.add_command(feedback_command)
for command in (*NOTIFY_COMMANDS, *WEB_COMMANDS):
    main.add_command(command)
for command in DB_COMMANDS:  # db upgrade / db check, worker
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
