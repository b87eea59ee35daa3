"""Locks between the processes (and threads) that share a store, by name.

``serialise(conn, name)`` — for one transaction: the sections that read, decide, then write
(grouping notices into tenders and queueing their alerts, migrations) run one at a time.
PostgreSQL: a transaction-level advisory lock, released at commit or rollback. SQLite: nothing
more is needed, a write transaction holds the database's write lock from ``BEGIN IMMEDIATE``.

``NamedLock`` — across transactions, e.g. a whole poll of one source (``Store.poll_lock``).
PostgreSQL: a session advisory lock on a connection of its own. SQLite: ``flock`` on a file
beside the database. Both are released by the system when the holding process dies (kill -9
included), so a crash never leaves a source locked.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from watcher.store.engine import DATABASE_ERRORS, store_error

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite polls are not locked between processes
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: the first half of every advisory lock key: opco-watch's locks never collide with others'
NAMESPACE = 0x0C0


def lock_key(name: str) -> int:
    """A stable 32-bit key for ``name`` (advisory locks take two int4: namespace, key)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=4).digest(), "big", signed=True
    )


def serialise(conn: Connection, name: str) -> None:
    """Until this transaction ends, no other transaction runs a section of the same name."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:ns, :key)"),
            {"ns": NAMESPACE, "key": lock_key(name)},
        )


class NamedLock:
    """A lock held across transactions; blocking ``acquire``, idempotent ``release``.

    One object per holder (not shared between threads); ``with`` works, and ``async with``
    waits in a thread so an event loop keeps running the other sources meanwhile."""

    def __init__(
        self,
        name: str,
        *,
        engine: Engine | None = None,
        folder: Path | None = None,
        where: str = "",
    ) -> None:
        self.name = name
        self._where = where
        self._engine = engine
        self._folder = folder
        self._conn: Connection | None = None
        self._file: IO[bytes] | None = None
        self._guard = threading.Lock()

    def acquire(self) -> None:
        with self._guard:
            try:
                if self._engine is not None:
                    self._acquire_advisory(self._engine)
                elif self._folder is not None and fcntl is not None:
                    self._acquire_file(self._folder)
            except (*DATABASE_ERRORS, OSError) as exc:  # type: ignore[misc]
                raise store_error(self._where, f"take the lock {self.name}", exc) from exc

    def release(self) -> None:
        with self._guard:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                conn.close()  # a session lock ends with its session
            if self._file is not None:
                file, self._file = self._file, None
                file.close()  # closing the descriptor drops the flock

    def _acquire_advisory(self, engine: Engine) -> None:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        params = {"ns": NAMESPACE, "key": lock_key(self.name)}
        try:
            if not conn.execute(sa.text("SELECT pg_try_advisory_lock(:ns, :key)"), params).scalar():
                log.info("waiting for %s, held by another process", self.name)
                conn.execute(sa.text("SELECT pg_advisory_lock(:ns, :key)"), params)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def _acquire_file(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        file = (folder / f"{_file_name(self.name)}.lock").open("ab")
        try:
            try:
                fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("waiting for %s, held by another process", self.name)
                fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        except BaseException:
            file.close()
            raise
        self._file = file

    def __enter__(self) -> NamedLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    async def __aenter__(self) -> NamedLock:
        waiting = asyncio.ensure_future(asyncio.to_thread(self.acquire))
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:  # the thread still acquires: release it then
            waiting.add_done_callback(lambda _: self.release())
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _file_name(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return f"{safe[:80]}-{lock_key(name) & 0xFFFFFFFF:08x}"
