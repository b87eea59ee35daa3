"""``opco-watch init`` and ``config check``: the configuration file, written and checked."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from watcher.cli.common import EXIT_CONFIG, err, fail, friendly, out, output_file, writing
from watcher.cli.safe import line, text
from watcher.config import config_path
from watcher.errors import ConfigError
from watcher.fr import NBSP, noun, plural


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
        fail(f"{target} existe déjà (--force pour le remplacer)", EXIT_CONFIG)
    with writing(target, "--path"):
        write_starter(target, force=force)
    out.print(
        text(
            f"Configuration écrite dans {target}. Modifiez-la, puis lancez{NBSP}: "
            "opco-watch config check"
        ),
        soft_wrap=True,
    )


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
        raise ConfigError(
            f"aucun fichier de configuration à {file}", hint="lancez `opco-watch init`"
        )
    report = check_config(file)
    for problem in report.errors:
        err.print(line(("✗", "red"), " ", in_french(problem)))
    for warning in report.warnings:
        err.print(line(("!", "yellow"), " ", in_french(warning)))
    if report.config is None:
        errors, warnings = len(report.errors), len(report.warnings)
        err.print(f"{plural(errors, 'erreur')}, {plural(warnings, 'avertissement')}")
        sys.exit(EXIT_CONFIG)
    cfg, count = report.config, len(report.warnings)
    warned = f", {plural(count, 'avertissement')}" if count else ""
    enabled = len(cfg.enabled_sources())
    sources = f"{plural(enabled, 'source')} {noun(enabled, 'activée')}"
    out.print(
        line(
            ("✓", "green"),
            f" {file} est valide{warned}{NBSP}: {sources}, données dans {cfg.data_dir}",
        ),
        soft_wrap=True,
    )


def in_french(problem: ConfigError) -> str:
    """A problem as the console's Réglages page says it: in French when its wording is known
    (``watcher.check_words``), else as the check wrote it."""
    from watcher.check_words import finding

    found = finding(problem)
    head = f"{found.key}{NBSP}: {found.message}" if found.key else found.message
    return f"{head}\n  -> {found.hint}" if found.hint else head
