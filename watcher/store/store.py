"""``Store``: the one entry point to the database."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from watcher.errors import StoreError
from watcher.models import Notice
from watcher.store import engine as db
from watcher.store import integrity, locks, state
from watcher.store import notices as notice_sql
from watcher.store.migrations import HEAD, current_version, migrate
from watcher.store.records import NoticeChange, SourceState, StoredNotice, UpsertResult

if TYPE_CHECKING:  # robots.txt copies: for a poll only
    from watcher.robots_memory import RobotsCopy

logger = logging.getLogger(__name__)

InTransaction = Callable[[Connection, UpsertResult], None]


class Store:
    """Notices, their history, source health, HTTP validators and feedback, in one database
    (a SQLite file by default; any SQLAlchemy URL, e.g. PostgreSQL, works too).

    Every method runs in its own transaction and raises ``StoreError`` when the database
    fails. Datetimes must be timezone-aware; they come back aware (UTC).
    """

    def __init__(self, engine: Engine, version: int, where: str) -> None:
        self._engine = engine
        self._version = version
        self._where = where
        self._lock_engine: Engine | None = None

    @classmethod
    def open(cls, url_or_path: str | Path, *, allow_empty: bool = False) -> Store:
        """Open and migrate to the latest schema; a database is created only where no file
        exists (or, with ``allow_empty``, in an empty file: ``opco-watch db init``).

        A path means a SQLite file (its directory is created); a string with ``://`` is a
        SQLAlchemy URL. An empty, foreign or damaged SQLite file is refused before anything
        is written to it (``watcher.store.integrity``). Raises ``StoreError`` saying what to
        check when it cannot.
        """
        url = db.resolve_url(url_or_path)
        where = db.describe(url)
        _check_file(url, allow_empty)
        try:
            engine = db.create(url)
        except db.OPEN_ERRORS as exc:
            raise db.open_error(where, exc) from exc
        version = _migrated(engine, where)
        logger.debug("opened database at %s (schema version %d)", where, version)
        return cls(engine, version, where)

    @property
    def schema_version(self) -> int:
        return self._version

    @property
    def engine(self) -> Engine:
        """For later modules that add their own tables' queries (tenders, matches, outbox)."""
        return self._engine

    def close(self) -> None:
        db.dispose(self._engine)
        if self._lock_engine is not None:
            self._lock_engine.dispose()

    def poll_lock(self, source: str) -> locks.NamedLock:
        """The lock a poll of ``source`` holds from start to end, so that two processes (or
        threads) sharing this store never poll the same source at once; the second waits."""
        return self.named_lock(f"poll:{source}")

    def named_lock(self, name: str) -> locks.NamedLock:
        """A lock between every process sharing this store (see ``watcher.store.locks``)."""
        url: URL = self._engine.url
        if url.get_backend_name() == "postgresql":
            if self._lock_engine is None:  # a connection per lock held, never from the pool
                self._lock_engine = db.create(url, poolclass=NullPool)
            return locks.NamedLock(name, engine=self._lock_engine, where=self._where)
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return locks.NamedLock(name)  # a private database: one process only
        folder = Path(database).with_name(Path(database).name + ".locks")
        return locks.NamedLock(name, folder=folder, where=self._where)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection in a transaction; database errors become ``StoreError``."""
        action = "write" if write else "read"
        try:
            with db.transaction(self._engine, write=write) as conn:
                yield conn
        except db.DATABASE_ERRORS as exc:
            raise db.store_error(self._where, action, exc) from exc

    # ------------------------------------------------------------------------ notices

    def upsert(
        self,
        notices: Iterable[Notice],
        *,
        seen_at: datetime,
        listing_hashes: Mapping[str, str] | None = None,
        in_transaction: InTransaction | None = None,
    ) -> UpsertResult:
        """Store the notices; say which are new, changed (and which fields) or the same.

        A changed notice gets one history row; a same one only ``last_seen`` (and its
        listing hash, when given). ``in_transaction(conn, result)`` runs before the commit,
        in the same transaction: if it raises, nothing of the upsert is committed.
        """
        _require_aware("seen_at", seen_at)
        with self.transaction(write=True) as conn:
            result = notice_sql.upsert(conn, notices, seen_at, listing_hashes or {})
            if in_transaction is not None:
                in_transaction(conn, result)
        logger.debug(
            "upsert: %d new, %d changed, %d same", len(result.new), len(result.changed), result.same
        )
        return result

    def touch(self, keys: Iterable[str], seen_at: datetime) -> None:
        """Mark notices as still listed (``last_seen``) without re-reading them."""
        _require_aware("seen_at", seen_at)
        with self.transaction(write=True) as conn:
            notice_sql.touch(conn, keys, seen_at)

    def listing_hashes(self, keys: Iterable[str]) -> dict[str, str]:
        """key -> the listing hash stored at upsert, for the keys that have one."""
        with self.transaction() as conn:
            return notice_sql.listing_hashes(conn, keys)

    def get_notice(self, key: str) -> StoredNotice | None:
        with self.transaction() as conn:
            return notice_sql.get(conn, key)

    def find_notice(self, ident: str) -> StoredNotice | None:
        """By key, reference, or a key suffix ("26-1234"); None if unknown or ambiguous.
        Calls, not notices, have numbers: see ``watcher.calls.resolve``."""
        found = self.find_notices(ident)
        return found[0] if len(found) == 1 else None

    def find_notices(self, ident: str, limit: int = 10) -> list[StoredNotice]:
        """What ``ident`` may designate: one notice, or the candidates when ambiguous."""
        with self.transaction() as conn:
            return notice_sql.candidates(conn, ident, limit)

    def list_notices(
        self,
        *,
        source: str | None = None,
        since: datetime | None = None,
        text: str | None = None,
        limit: int | None = None,
    ) -> list[StoredNotice]:
        """Newest first seen first, then earliest deadline. ``since`` filters on first seen;
        ``text`` is a case- and accent-insensitive substring of title, buyer or summary."""
        if since is not None:
            _require_aware("since", since)
        with self.transaction() as conn:
            return notice_sql.search(conn, source=source, since=since, text=text, limit=limit)

    def history(self, key: str) -> list[NoticeChange]:
        """The changes of a notice, oldest first."""
        with self.transaction() as conn:
            return notice_sql.history(conn, key)

    def count_notices(self, source: str | None = None) -> int:
        with self.transaction() as conn:
            return notice_sql.count(conn, source)

    # ------------------------------------------------------------------ HTTP validators

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """(etag, last_modified) saved for ``url``, or (None, None)."""
        with self.transaction() as conn:
            return state.validators(conn, url)

    def save_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        """Save the validators of a response; two Nones forget the URL."""
        with self.transaction(write=True) as conn:
            state.save_validators(conn, url, etag, last_modified)

    # -------------------------------------------------------------------- source health

    def robots_copy(self, origin: str) -> RobotsCopy | None:
        """The robots.txt kept for ``origin`` (fresh or not: see ``RobotsCopy.fresh``)."""
        from watcher.store import robots  # a poll's: not at each store open

        with self.transaction() as conn:
            return robots.get(conn, origin)

    def save_robots(self, origin: str, copy: RobotsCopy) -> None:
        from watcher.store import robots

        with self.transaction(write=True) as conn:
            robots.save(conn, origin, copy)

    def record_success(
        self,
        source: str,
        *,
        at: datetime,
        items: int,
        new: int,
        changed: int,
        on_fallback: bool = False,
        details: tuple[int, str] | None = None,
        skipped: int = 0,
    ) -> None:
        """A run that worked: resets the consecutive failures (the last error is kept) and
        any Retry-After pause. ``details``: (detail pages that failed, the first error);
        ``skipped``: records left out as unreadable (the others were stored)."""
        _require_aware("at", at)
        values = {
            "last_run": at,
            "last_success": at,
            "items_seen_last": items,
            "new_last": new,
            "changed_last": changed,
            "on_fallback": on_fallback,
            "skipped_last": skipped,
        }
        with self.transaction(write=True) as conn:
            state.record_success(conn, source, values, details)

    def record_failure(
        self,
        source: str,
        *,
        at: datetime,
        error_kind: str,
        error: str,
        on_fallback: bool = False,
        deferred_until: datetime | None = None,
        details: tuple[int, str] | None = None,
    ) -> int:
        """A run that failed; returns the number of consecutive failures, this one included.
        ``on_fallback``: the generic extractor kept surfacing the source's calls meanwhile;
        ``deferred_until``: the site asked not to come back before then (Retry-After);
        ``details``: as for ``record_success``, when the poll got as far as the detail pages."""
        _require_aware("at", at)
        if deferred_until is not None:
            _require_aware("deferred_until", deferred_until)
        with self.transaction(write=True) as conn:
            return state.record_failure(
                conn,
                source,
                at,
                error_kind,
                error,
                on_fallback,
                deferred_until=deferred_until,
                details=details,
            )

    def source_states(self) -> list[SourceState]:
        with self.transaction() as conn:
            return state.source_states(conn)

    def source_state(self, source: str) -> SourceState | None:
        with self.transaction() as conn:
            found = state.source_states(conn, source)
        return found[0] if found else None

    # ------------------------------------------------------------------------ feedback

    def add_feedback(
        self, key: str, relevant: bool, *, at: datetime, note: str = "", author: str = ""
    ) -> None:
        """A user's judgement on a stored notice (``author``: who, when known); the latest
        per notice wins."""
        _require_aware("at", at)
        with self.transaction(write=True) as conn:
            add_feedback(conn, key, relevant, at=at, note=note, author=author)

    def feedback(self) -> list[tuple[Notice, bool]]:
        """The latest judgement per notice."""
        with self.transaction() as conn:
            return state.latest_feedback(conn)


def database_version(url_or_path: str | Path) -> int | None:
    """The schema version of a database, without migrating it; None when there is none yet
    (a SQLite file that does not exist)."""
    url = db.resolve_url(url_or_path)
    where = db.describe(url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        return None
    try:
        engine = db.create(url)
    except db.OPEN_ERRORS as exc:
        raise db.open_error(where, exc) from exc
    try:
        with db.transaction(engine, write=False) as conn:
            return current_version(conn)
    except db.DATABASE_ERRORS as exc:
        raise db.open_error(where, exc) from exc
    finally:
        engine.dispose()


def add_feedback(
    conn: Connection, key: str, relevant: bool, *, at: datetime, note: str = "", author: str = ""
) -> None:
    """``Store.add_feedback`` inside a transaction the caller holds (with what it records)."""
    notice_id = notice_sql.id_of(conn, key)
    if notice_id is None:
        raise StoreError(f"no stored notice with key {key!r}; check the key or the id")
    state.add_feedback(conn, notice_id, relevant, at, note, author)


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")


def _check_file(url: db.URL, allow_empty: bool) -> None:
    """A SQLite file must be absent (then created), a whole database, or empty when allowed."""
    path = db.sqlite_file(url)
    if path is None:
        return
    if integrity.is_new(path):
        _create(url, path)
    if not integrity.check_file(path, allow_empty=allow_empty):
        integrity.ensure_whole(path)


def _create(url: db.URL, path: Path) -> None:
    """A new database, whole or not at all: built under a temporary name, then linked into
    place, which fails if a file appeared meanwhile (another process created it first). No
    process ever sees a half-created, empty file at ``path``."""
    where = db.describe(url)
    db.make_parent(url)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.new")
    try:
        engine = db.create(url.set(database=str(temporary)))
    except db.OPEN_ERRORS as exc:
        raise db.open_error(where, exc) from exc
    try:
        _migrated(engine, where)
    finally:
        engine.dispose()  # the last connection checkpoints the log into the file
    try:
        os.link(temporary, path)
        logger.info("created a new database at %s", path)
    except FileExistsError:
        pass  # created by another process meanwhile: that one is used
    except OSError:  # a file system without hard links
        if integrity.is_new(path):
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _migrated(engine: Engine, where: str) -> int:
    """Migrate to head; on failure dispose of the engine and say what to check."""
    try:
        with db.transaction(engine, write=False) as conn:  # at head: no write lock to wait for
            if current_version(conn) == HEAD:
                return HEAD
        with db.transaction(engine, write=True) as conn:
            locks.serialise(conn, "migrate")  # parallel first opens of a new database
            return migrate(conn)
    except BaseException as exc:
        engine.dispose()
        if isinstance(exc, StoreError):
            raise StoreError(f"cannot open database at {where}: {exc}") from exc
        if isinstance(exc, db.DATABASE_ERRORS):
            raise db.open_error(where, exc) from exc
        raise
