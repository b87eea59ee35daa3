"""Starting a worker: ``opco-watch worker`` (see the package's docstring)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from watcher.config import Config
from watcher.errors import OpcoWatchError
from watcher.scheduler import Service
from watcher.store import Store

if TYPE_CHECKING:  # procrastinate is in the postgres extra: imported once checked
    from procrastinate import App

    from watcher.worker.queue import WorkerOptions

log = logging.getLogger(__name__)


def require_postgresql(config: Config) -> None:
    """Workers share a queue in the database: PostgreSQL only (a SQLite file is one machine's;
    ``opco-watch run`` serves it)."""
    if not config.database.startswith(("postgresql", "postgres")):
        raise OpcoWatchError(
            "opco-watch worker needs a PostgreSQL database (store.database_url or "
            "OPCO_WATCH_DATABASE_URL); with SQLite, use opco-watch run"
        )
    try:
        import procrastinate  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        raise OpcoWatchError(
            f"opco-watch worker needs the postgres extra ({exc.name} is missing): "
            "pip install 'opco-watch[postgres]'"
        ) from exc


def run_worker(
    config: Config, *, mirror: str | None = None, concurrency: int = 1, heartbeat: float = 10.0
) -> int:
    """Run a worker until SIGTERM / SIGINT; the jobs in progress finish first."""
    require_postgresql(config)
    from watcher.worker.queue import WorkerOptions, build_app, ensure_queue_tables

    service = Service(config, mirror=mirror)
    service.check()
    with Store.open(config.database) as store:
        ensure_queue_tables(store)
    options = WorkerOptions(concurrency=concurrency, heartbeat=heartbeat)
    app = build_app(service, options)
    asyncio.run(_serve(app, options))
    log.info("worker stopped")
    return 0


async def _serve(app: App, options: WorkerOptions) -> None:
    async with app.open_async():
        log.info("worker running (concurrency %d)", options.concurrency)
        await app.run_worker_async(
            concurrency=options.concurrency,
            update_heartbeat_interval=options.heartbeat,
            stalled_worker_timeout=options.stalled_after,
            install_signal_handlers=True,
        )
