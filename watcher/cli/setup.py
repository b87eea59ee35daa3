"""``opco-watch init`` and ``config check``: the configuration file, written and checked."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watcher.cli.common import EXIT_CONFIG, err, fail, friendly, out, output_file, writing
from watcher.cli.safe import line
from watcher.config import config_path
from watcher.errors import ConfigError


@click.command("init")
@click.option("--path", type=click.Path(path_type=Path), default=None, help="Where to write it.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.pass_context
@friendly
def init_command(ctx: click.Context, path: Path | None, force: bool) -> None:
    """Write a commented starter configuration file."""
    from watcher.starter import write_starter

    target = output_file(path or config_path(ctx.find_root().obj), "--path")
    if target.exists() and not force:
        fail(f"{target} already exists (use --force to overwrite it)", EXIT_CONFIG)
    with writing(target, "--path"):
        write_starter(target, force=force)
    out.print(f"Wrote {target}. Edit it, then run: opco-watch config check")


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.pass_context
@friendly
def config_check(ctx: click.Context) -> None:
    """Validate the configuration file and explain each problem (errors and warnings)."""
    from watcher.config_check import check_config

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
