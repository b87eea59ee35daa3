"""Engines and transactions: SQLite set up for a long-lived file database, errors a person
can act on."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from watcher.errors import StoreError
from watcher.store import checked

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
#: execution option marking a connection that will write (SQLite: BEGIN IMMEDIATE)
WRITE_OPTION = "opco_watch_write"
#: errors that mean "the database cannot be used", whatever layer raised them
DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, sqlite3.Error)
#: ... and when creating an engine: a missing driver, a directory that cannot be made
OPEN_ERRORS: tuple[type[BaseException], ...] = (*DATABASE_ERRORS, OSError, ImportError)


def resolve_url(url_or_path: str | Path) -> URL:
    """A path becomes ``sqlite:///path``; anything with ``://`` is taken as a URL."""
    if isinstance(url_or_path, Path) or "://" not in url_or_path:
        return URL.create("sqlite", database=str(Path(url_or_path).expanduser()))
    try:
        return sa.make_url(url_or_path)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot open database at {url_or_path}: {reason(exc)}; "
            "check the database URL (e.g. sqlite:///path/to/opco-watch.db)"
        ) from exc


def describe(url: URL) -> str:
    """Where the database is, for messages (a file path, or the URL without password)."""
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def create(url: URL, **options: Any) -> Engine:
    """An engine for ``url``; SQLite files get their directory created and their pragmas."""
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True, **options)
    make_parent(url)
    engine = sa.create_engine(url, **options)
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL; None for other databases, memory and ``file:`` URIs."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return None if database.startswith("file:") else Path(database)


def make_parent(url: URL) -> None:
    path = sqlite_file(url)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise open_error(describe(url), exc) from exc


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin): pysqlite's own transaction
    # handling would run DDL and SELECTs outside any transaction.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        # WAL + NORMAL: a commit is atomic and survives a crash of the program; only a
        # power cut may roll back the last commits (never half of one). FULL would fsync
        # on every commit.
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()
    if mode not in ("wal", "memory"):
        logger.warning(
            "SQLite refused WAL mode (journal_mode=%s): concurrent readers may wait", mode
        )


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that upgrades from
    # read to write can fail with "database is locked" without waiting for busy_timeout.
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def executemany(
    conn: Connection, statement: sa.Insert | sa.Update, rows: list[dict[str, Any]]
) -> int:
    """``conn.execute(statement, rows)``, faster on SQLite; returns the rows written (on
    SQLite, where the count is exact). All rows have the same keys.

    SQLAlchemy builds and processes a parameter dict per row, which costs more than
    SQLite's own insert; here the statement is compiled once and the parameters are
    processed column by column. Other dialects take the ordinary path.
    """
    if not rows:
        return 0
    if conn.dialect.name != "sqlite":
        return int(conn.execute(statement, rows).rowcount)
    compiled = statement.compile(dialect=conn.dialect, column_keys=list(rows[0]))
    columns = [
        _bind_column(rows, name, compiled.binds[name].type, conn.dialect)
        for name in compiled.positiontup or ()
    ]
    done = conn.exec_driver_sql(compiled.string, list(zip(*columns, strict=True)))
    return int(done.rowcount)


def _bind_column(
    rows: list[dict[str, Any]], name: str, kind: sa.types.TypeEngine[Any], dialect: sa.Dialect
) -> list[Any]:
    values = [row[name] for row in rows]
    process = kind.dialect_impl(dialect).bind_processor(dialect)
    if process is None:
        return values
    first = values[0]
    if all(value is first for value in values):  # e.g. the same seen_at on every row
        return [process(first)] * len(values)
    return [process(value) for value in values]


@contextmanager
def transaction(engine: Engine, *, write: bool) -> Iterator[Connection]:
    """One transaction: committed when the block ends, rolled back if it raises. A write
    to a SQLite file known whole leaves it known whole (``watcher.store.checked``)."""
    path = sqlite_file(engine.url) if write else None
    with engine.connect() as conn:
        if write:
            conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if path is not None:  # under the write lock: no other commit until ours
                version = data_version(conn)
                before = checked.identity(path)
            yield conn
        if path is not None:
            after = checked.identity(path)
            # Another connection's commit between ours and ``after`` is not ours to carry.
            if data_version(conn) == version:
                checked.carry(path, before, after)


def data_version(conn: Connection) -> int:
    """SQLite's count of commits by *other* connections, read on this one's own handle
    (outside SQLAlchemy, which would begin a transaction)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    return int(raw.execute("PRAGMA data_version").fetchone()[0])


def dispose(engine: Engine) -> None:
    """Close the engine's connections; the last one's checkpoint of a SQLite file known
    whole leaves it known whole."""
    path = sqlite_file(engine.url)
    state = _checkpoint(engine, path) if path is not None and path.exists() else None
    engine.dispose()
    if path is not None:
        checked.settle(path, state)


def _checkpoint(engine: Engine, path: Path) -> checked.Identity | None:
    """Copy the write-ahead log into the file and empty it, carrying a state known whole
    only when no other connection committed meanwhile: the state the closing connection
    will leave, so ``settle`` accepts only the log's removal after it. None if busy."""
    try:
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout = 0")  # a close does not wait for a writer
            raw.execute("BEGIN IMMEDIATE")
            version = data_version(conn)
            before = checked.identity(path)
            raw.execute("COMMIT")
            busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            after = checked.identity(path)
            if busy or data_version(conn) != version:
                return None
            checked.carry(path, before, after)
            return after
    except DATABASE_ERRORS as exc:
        logger.debug("no checkpoint of %s at close: %s", path, exc)
        return None


def reason(exc: BaseException) -> str:
    """The first line of the underlying error, without SQLAlchemy's decorations."""
    inner = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    text = str(inner).strip().splitlines()
    return text[0] if text else type(inner).__name__


_HINTS = (
    (
        ("not a database", "malformed", "corrupt"),
        "that the file is an opco-watch database "
        "(restore a backup, or move the file away to start afresh)",
    ),
    (("locked", "busy"), "that no other program holds the database, then retry"),
    (
        ("disk is full", "disk i/o error", "i/o error"),
        "that the disk has free space and works (then retry: nothing was half written)",
    ),
    (
        ("readonly", "read-only", "permission", "unable to open"),
        "that the file and its directory exist and are writable",
    ),
)


def hint(exc: BaseException) -> str:
    """What the user should check, from the kind of error."""
    if isinstance(exc, OSError):
        return "that the directory exists or can be created, and that it is writable"
    if isinstance(exc, ImportError):
        return "that the database driver for this URL is installed"
    text = reason(exc).lower()
    for needles, advice in _HINTS:
        if any(needle in text for needle in needles):
            return advice
    return "the database path or URL in the configuration"


def open_error(where: str, exc: BaseException) -> StoreError:
    return StoreError(f"cannot open database at {where}: {reason(exc)}; check {hint(exc)}")


def store_error(where: str, action: str, exc: BaseException) -> StoreError:
    return StoreError(f"database at {where}: cannot {action}: {reason(exc)}; check {hint(exc)}")
