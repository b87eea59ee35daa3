"""Which states of a SQLite file are known whole, shared between processes.

A state is the file's identity: (device, inode, size, mtime, ctime) of the database and
(device, inode, size, mtime) of its write-ahead log (none when absent or empty, which SQLite
reads alike; its ctime moves whenever SQLite opens it as root, to give it the database's
owner). A state is
*vouched* when ``PRAGMA quick_check`` passed on it, or when it came from a vouched state
through SQLite's own commits and checkpoints (a write transaction or a close of this
process). Vouched states are kept in this process and in a sidecar next to the database
(``<name>.checked``, replaced atomically), so the next process skips the check of a file
that nothing else changed since.

Why a stale or foreign sidecar never skips a check that is due:

- a process skips only when the file's identity *now* equals a vouched one;
- every identity ever written to the sidecar was the file's at a moment when it was
  vouched (checked, or carried from a vouched identity: a change made in between by another
  opco-watch process is a SQLite commit too, and only makes the carried state newer);
- any write to a file moves its ctime forward, which no program can set back, and a new
  file (a restored copy, ``mv``) has another inode. So a file that changed after the
  sidecar was written no longer matches it: a sidecar left by a crash, by a race of two
  writers (the last rename wins with an older state), or copied elsewhere only costs a check.

The limit is the file system's clock: a change by another program within the same clock
tick (a few ms) as opco-watch's own last write, keeping the size, is not told apart (the
"racy" case of make, rsync and git). A closing process waits for the tick to pass before it
records, so every change made after a ``Store`` is closed is seen.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns (0 for the write-ahead log)
FileId = tuple[int, int, int, int, int]
#: the database's and its write-ahead log's (None: absent or empty)
Identity = tuple[FileId, FileId | None]

FORMAT = 1
#: the clock the kernel stamps files with (Linux); elsewhere files carry the fine clock
_COARSE = getattr(time, "CLOCK_REALTIME_COARSE", 5 if sys.platform.startswith("linux") else None)
#: longest wait at close for the clock to pass the file's ctime (one tick is 1-10 ms)
SETTLE_LIMIT = 0.05

#: identity -> wall time of the quick_check it descends from
_known: dict[Identity, float] = {}
#: path -> the identity this process last read or wrote in its sidecar
_shared: dict[str, Identity] = {}
_lock = threading.Lock()


def sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".checked")


def identity(path: Path) -> Identity | None:
    database = _file_id(path)
    if database is None:
        return None
    wal = _file_id(path.with_name(path.name + "-wal"), ctime=False)
    return database, (wal if wal is not None and wal[2] > 0 else None)


def checked_at(path: Path, state: Identity) -> float | None:
    """When the check that ``state`` descends from ran, if ``state`` is vouched."""
    with _lock:
        at = _known.get(state)
    if at is not None:
        return at
    record = _read(path)
    if record is None or record[0] != state:
        return None
    with _lock:
        _known[state] = record[1]
    return record[1]


def vouch(path: Path, state: Identity, at: float) -> None:
    """Record ``state`` as whole (checked at ``at``), here and in the sidecar."""
    with _lock:
        if len(_known) > 256:  # a long-running process: old states never come back
            _known.clear()
        _known[state] = at
        if _shared.get(str(path)) == state:
            return
        _shared[str(path)] = state
    _write(path, state, at)


def carry(path: Path, before: Identity | None, after: Identity | None) -> None:
    """``after`` is ``before`` changed by SQLite's commits: vouched when ``before`` was."""
    if before is None or after is None or before == after:
        return
    at = checked_at(path, before)
    if at is not None:
        vouch(path, after, at)


def settle(path: Path, before: Identity | None) -> None:
    """At close (after the last connection's checkpoint): carry the file's state once the
    clock has passed its ctime, so that any later write gives it another identity."""
    after = identity(path)
    if before is None or after is None:
        return
    at = checked_at(path, before)
    if at is None:
        return
    stamp = max(max(part[3:]) for part in after if part is not None)
    deadline = time.monotonic() + SETTLE_LIMIT
    while _now() <= stamp:
        if time.monotonic() > deadline:  # a clock set back, or a coarse file system
            return
        time.sleep(0.001)
    if identity(path) == after:  # nothing wrote meanwhile
        vouch(path, after, at)


def _now() -> int:
    return time.clock_gettime_ns(_COARSE) if _COARSE is not None else time.time_ns()


def _file_id(path: Path, *, ctime: bool = True) -> FileId | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    changed = stat.st_ctime_ns if ctime else 0
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, changed


def _read(path: Path) -> tuple[Identity, float] | None:
    """The sidecar's state and check time; None when absent, unreadable or not ours."""
    try:
        data = json.loads(sidecar(path).read_text(encoding="utf-8"))
        if data["format"] != FORMAT:
            return None
        wal = data["wal"]
        state: Identity = (_ids(data["database"]), None if wal is None else _ids(wal))
        record = state, float(data["checked_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with _lock:
        _shared[str(path)] = state
    return record


def _ids(value: object) -> FileId:
    if not isinstance(value, list) or len(value) != 5 or not all(type(v) is int for v in value):
        raise ValueError(value)
    return value[0], value[1], value[2], value[3], value[4]


def _write(path: Path, state: Identity, at: float) -> None:
    """Replace the sidecar atomically; a failure only means the next process checks."""
    database, wal = state
    text = json.dumps(
        {"format": FORMAT, "database": database, "wal": wal, "checked_at": at}, indent=None
    )
    target = sidecar(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        log.debug("cannot record the checked state of %s: %s", path, exc)
        temporary.unlink(missing_ok=True)
        with _lock:
            _shared.pop(str(path), None)
