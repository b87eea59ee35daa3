"""``opco-watch db init`` / ``db upgrade`` / ``db check``: the database's schema and, for a
SQLite file, its integrity, said plainly (admin text)."""

from __future__ import annotations

import sys

import click

from watcher.cli.common import EXIT_PARTIAL, EXIT_STORE, fail, friendly, load, out
from watcher.config import Config
from watcher.store import SCHEMA_HEAD, Store, integrity
from watcher.store.engine import describe, resolve_url, sqlite_file
from watcher.store.migrations import describe_step
from watcher.store.store import database_version


@click.group("db")
def db_group() -> None:
    """The database: create it, check its schema version and integrity, upgrade it."""


@db_group.command("init")
@click.pass_context
@friendly
def init_command(ctx: click.Context) -> None:
    """Create the database (also in an empty file, which every other command refuses)."""
    cfg: Config = load(ctx)
    path = sqlite_file(resolve_url(cfg.database))
    existed = path is not None and path.exists() and path.stat().st_size > 0
    with Store.open(cfg.database, allow_empty=True) as store:
        version = store.schema_version
    where = path or describe(resolve_url(cfg.database))
    if existed:
        out.print(f"The database at {where} already exists (schema version {version}).")
    else:
        out.print(f"Created the database at {where} (schema version {version}).")


@db_group.command("check")
@click.pass_context
@friendly
def check_command(ctx: click.Context) -> None:
    """Say whether a SQLite file is whole (full integrity check), the schema version and
    what an upgrade would apply (changes nothing)."""
    cfg: Config = load(ctx)
    where = describe(resolve_url(cfg.database))
    _say_integrity(cfg)
    version = database_version(cfg.database)
    if version is None:
        out.print(
            f"No database yet at {where}: `opco-watch db upgrade` (or the first poll) creates it."
        )
        sys.exit(EXIT_PARTIAL)
    out.print(f"Database at {where}: schema version {version} (this opco-watch: {SCHEMA_HEAD}).")
    if version > SCHEMA_HEAD:
        out.print("It is newer than this opco-watch: upgrade opco-watch before using it.")
        sys.exit(EXIT_PARTIAL)
    if version < SCHEMA_HEAD:
        out.print(f"`opco-watch db upgrade` would apply {SCHEMA_HEAD - version} step(s):")
        for step in range(version + 1, SCHEMA_HEAD + 1):
            out.print(f"  {step}. {describe_step(step)}", highlight=False)
        sys.exit(EXIT_PARTIAL)
    out.print("Up to date.")
    _say_queue(cfg, create=False)


@db_group.command("upgrade")
@click.pass_context
@friendly
def upgrade_command(ctx: click.Context) -> None:
    """Apply the missing schema steps (data is kept; safe to run at any time)."""
    cfg: Config = load(ctx)
    where = describe(resolve_url(cfg.database))
    before = database_version(cfg.database) or 0
    with Store.open(cfg.database) as store:
        after = store.schema_version
    if after == before:
        out.print(f"Database at {where}: already at schema version {after}; nothing to do.")
    else:
        out.print(f"Database at {where}: schema version {before} -> {after}.")
        for step in range(before + 1, after + 1):
            out.print(f"  applied {step}. {describe_step(step)}", highlight=False)
    _say_queue(cfg, create=True)


def _say_integrity(cfg: Config) -> None:
    """A SQLite file: SQLite's full ``integrity_check``, on a read-only connection."""
    path = sqlite_file(resolve_url(cfg.database))
    if path is None or not path.exists():
        return
    if integrity.check_file(path, allow_empty=True):
        return  # empty: `db init` makes it a database
    problems = integrity.run_check(path, "integrity_check")
    if problems:
        for problem in problems[:20]:
            out.print(f"✗ {problem}", highlight=False, markup=False)
        fail(integrity.damaged_message(path, problems), EXIT_STORE)
    out.print(f"✓ {path} is whole (PRAGMA integrity_check: ok).", highlight=False)


def _say_queue(cfg: Config, *, create: bool) -> None:
    """On PostgreSQL with the postgres extra: the job queue's tables (opco-watch worker)."""
    if not cfg.database.startswith(("postgresql", "postgres")):
        return
    try:
        from watcher.worker.queue import ensure_queue_tables, has_queue_tables
    except ImportError:
        return  # no procrastinate: no workers to serve
    with Store.open(cfg.database) as store:
        if create:
            made = ensure_queue_tables(store)
            out.print("Job queue tables: created." if made else "Job queue tables: present.")
        else:
            present = has_queue_tables(store)
            out.print(
                "Job queue tables: present."
                if present
                else "Job queue tables: absent (`opco-watch db upgrade` creates them)."
            )


@click.command("worker")
@click.option(
    "--concurrency", default=1, show_default=True, help="Jobs run at once by this worker."
)
@click.option(
    "--heartbeat",
    default=10.0,
    show_default=True,
    help="Seconds between heartbeats; a worker silent for three is taken as dead.",
)
@click.option("--mirror", hidden=True, help="Fetch every URL from this base URL (tests).")
@click.pass_context
@friendly
def worker_command(
    ctx: click.Context, concurrency: int, heartbeat: float, mirror: str | None
) -> None:
    """Run the scheduled jobs on the shared queue (PostgreSQL; start one per machine)."""
    import logging

    from watcher.worker.run import run_worker

    cfg: Config = load(ctx)
    root = logging.getLogger()
    root.setLevel(min(root.level, logging.INFO))
    logging.getLogger("procrastinate").setLevel(max(root.level, logging.WARNING))
    sys.exit(run_worker(cfg, mirror=mirror, concurrency=concurrency, heartbeat=heartbeat))


#: registered by watcher/cli/app.py
COMMANDS = (db_group, worker_command)
