"""``opco-watch poll``, ``sources`` (health, ``sources snapshot``) and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watcher.cli import collector
from watcher.cli.common import (
    EXIT_PARTIAL,
    check_source_names,
    err,
    friendly,
    load,
    out,
    output_folder,
)
from watcher.cli.safe import clean, dumps
from watcher.fr import noun, plural


@click.command("poll")
@click.option("--source", "-s", "names", multiple=True, help="Poll only this source (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON.")
@click.option("--mirror", hidden=True, help="Fetch every URL from this base URL (offline demo).")
@click.pass_context
@friendly
def poll_command(
    ctx: click.Context, names: tuple[str, ...], as_json: bool, mirror: str | None
) -> None:
    """Fetch the sources once and store what is new."""
    cfg = load(ctx)
    check_source_names(cfg, names)
    from watcher.cli import views
    from watcher.pipeline import poll as run_poll

    with views.PollProgress(err, enabled=not as_json) as progress:
        reports = run_poll(cfg, names=names or None, mirror=mirror, progress=progress.update)
    if as_json:
        click.echo(dumps([views.report_json(r) for r in reports]))
    else:
        out.print(views.reports_table(reports))
    if not all(r.ok for r in reports):
        sys.exit(EXIT_PARTIAL)


# ------------------------------------------------------------------------------------ health


@click.group("sources", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@friendly
def sources_group(ctx: click.Context, as_json: bool) -> None:
    """The sources and their health: last success, items, failures, last error, fallback."""
    if ctx.invoked_subcommand is not None:
        return
    from watcher.cli import views
    from watcher.store import Store

    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        states = {s.source: s for s in store.source_states()}
    rows = views.source_rows(cfg, states)
    if as_json:
        click.echo(dumps(rows))
    else:
        out.print(views.sources_table(rows))


@sources_group.command("snapshot")
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
    pages = plural(len(saved), "page")
    click.echo(f"{pages} {noun(len(saved), 'enregistrée')} avec manifest.json et PROVENANCE.md")


# -------------------------------------------------------------------------------------- demo


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=None,
    help="Keep the demo's data here (default: a new temporary folder).",
)
@click.option("--serve", is_flag=True, help="Then serve the console on the demo's data (Ctrl-C).")
@friendly
def demo_command(directory: Path | None, serve: bool) -> None:
    """Run a complete offline demo on bundled snapshots of the sources."""
    from watcher.cli.demo import run_demo

    collector.resume()  # the demo loads its own configuration: start-up is over here
    if directory is not None:
        output_folder(directory, "--dir")
    if not serve:
        sys.exit(run_demo(out, directory))
    from watcher.cli.web import demo_folder, serve_demo

    folder = demo_folder(directory)
    code = run_demo(out, folder)
    sys.exit(code or serve_demo(folder / "opco-watch.toml"))
