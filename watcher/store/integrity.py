"""Before a SQLite file is used: is it there, is it a database, is it whole?

- **No file**: a new database is created (the only case where one is).
- **An empty file** (0 bytes, no write-ahead log): refused. SQLite would take it for a new
  database, and the next poll and send would alert every open call again; ``opco-watch db
  init`` creates the database there on purpose.
- **Not a database** (no SQLite header), a directory, an unreadable file: refused.
- **Damaged** (``PRAGMA quick_check`` fails): refused, with how to restore. The check reads
  every page but not the indexes' content (0.25 s for 260 MB, measured), on a read-only
  connection so a damaged file is never written to. The check is skipped when the file is
  in a state known whole (``watcher.store.checked``: checked, or changed since only by
  opco-watch's own commits, in this process or another), for ``RECHECK`` after the check.

``opco-watch db check`` runs the full ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from urllib.parse import quote

from watcher.errors import StoreError
from watcher.store import checked

log = logging.getLogger(__name__)

#: what SQLite says of a file whose pages do not hold together
DAMAGE_WORDS = ("malformed", "corrupt", "not a database")
#: seconds after which a file found whole is checked again, however it changed since
RECHECK = 3600.0


class DamagedStore(StoreError):
    """The database file is damaged: opco-watch will not write to it."""

    kind = "store"


def is_new(path: Path) -> bool:
    """True when no file is there yet (the database may be created)."""
    return not path.exists() and not path.is_symlink()


def check_file(path: Path, *, allow_empty: bool = False) -> bool:
    """Raise ``StoreError`` unless ``path`` is an SQLite database (or, with ``allow_empty``,
    an empty file); returns True when it is empty.

    The file is read through SQLite, never opened by Python itself: closing any descriptor
    of a database file releases every POSIX lock the process holds on it, so a console whose
    connections are open would look gone to the next command, which would then checkpoint
    and delete the write-ahead log under it (SQLite's "How To Corrupt", 2.2)."""
    if path.is_dir():
        raise StoreError(f"cannot open database at {path}: it is a directory; check store.data_dir")
    empty = _size(path) == 0
    if empty and not _has_log(path):
        if allow_empty:
            return True
        raise StoreError(
            f"the database file {path} is empty (0 bytes): opco-watch does not start afresh "
            "over it (every open call would be alerted again). If it held your data, restore "
            "it from a backup; to start a new database there, run `opco-watch db init`"
        )
    if not empty and not _is_database(path):
        raise StoreError(
            f"cannot open database at {path}: the file is not an SQLite database; restore the "
            "database from a backup, or check store.data_dir / store.database_url"
        )
    return False


def ensure_whole(path: Path) -> None:
    """Raise ``DamagedStore`` when ``PRAGMA quick_check`` finds the file damaged; skipped
    for a state known whole."""
    state = checked.identity(path)
    at = checked.checked_at(path, state) if state is not None else None
    if at is not None and 0 <= time.time() - at < RECHECK:
        return
    started = time.time()
    problems = run_check(path, "quick_check")
    if problems:
        raise DamagedStore(damaged_message(path, problems))
    if state is not None and checked.identity(path) == state:  # what was checked is there
        checked.vouch(path, state, started)


def run_check(path: Path, pragma: str = "quick_check") -> list[str]:
    """The problems ``PRAGMA quick_check`` or ``integrity_check`` reports ([] when whole),
    on a read-only connection."""
    started = time.perf_counter()
    try:
        conn = read_only(path)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database at {path}: {exc}") from exc
    try:
        rows = [str(row[0]) for row in conn.execute(f"PRAGMA {pragma}")]
    except sqlite3.DatabaseError as exc:
        if not any(word in str(exc) for word in DAMAGE_WORDS):  # locked, I/O error...
            raise StoreError(
                f"cannot check database at {path}: {exc}; check that no other program "
                "holds the database and that the disk works, then retry"
            ) from exc
        rows = [str(exc)]  # "database disk image is malformed": damaged beyond listing
    finally:
        conn.close()
    log.debug("%s of %s: %s in %.3f s", pragma, path, rows[:1], time.perf_counter() - started)
    return [] if rows == ["ok"] else rows


def damaged_message(path: Path, problems: list[str]) -> str:
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return (
        f"the database {path} is damaged ({problems[0]}{more}); opco-watch will not write to "
        "it. Stop `opco-watch run`, keep a copy of the damaged file, then either restore your "
        f"last backup to {path}, or save what can be read: `sqlite3 {path} .recover | sqlite3 "
        f"{path}.recovered` and put {path}.recovered in its place. `opco-watch db check` "
        "runs the full check"
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise _unreadable(path, exc.strerror) from exc


def _is_database(path: Path) -> bool:
    """Whether SQLite reads ``path`` as a database (its own descriptors stay open while the
    process holds locks); a damaged or busy one counts: the check that follows says which."""
    try:
        conn = read_only(path)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc):
            return False
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc):
            raise _unreadable(path, str(exc)) from exc
    return True


def read_only(path: Path) -> sqlite3.Connection:
    """A read-only SQLite connection to ``path`` (never creates nor writes the file)."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=10)


def _unreadable(path: Path, words: str | None) -> StoreError:
    return StoreError(f"cannot open database at {path}: {words}; check that the file is readable")


def _has_log(path: Path) -> bool:
    """A write-ahead log with content: the database lives there until a checkpoint."""
    wal = path.with_name(path.name + "-wal")
    try:
        return wal.stat().st_size > 0
    except OSError:
        return False
