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
records, so every change made after a ``Store`` is closed is seen. A write by another
program (not a SQLite commit, which ``PRAGMA data_version`` tells) in the microseconds
between opco-watch's commit and its reading of the identity is not seen either. File
systems that stamp whole seconds are never vouched: there, every open checks.

The sidecar is trusted only when it is a small regular file, owned by this user or the
database's and writable by no one else, written during this boot (a power cut may lose the
last commits of a WAL database); any other sidecar, or one that does not parse, means the
check runs. This defends against stale or accidental sidecars, not against a hostile user
who can write the data folder (who could as well replace the database).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import stat
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns (0 for the write-ahead log)
FileId = tuple[int, int, int, int, int]
#: the database's and its write-ahead log's (None: absent or empty)
Identity = tuple[FileId, FileId | None]

FORMAT = 2
#: a sidecar is one short line; anything larger is not ours
MAX_SIZE = 4096
BOOT_ID = "/proc/sys/kernel/random/boot_id"
_UNREAD = object()
_boot: object = _UNREAD
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
    """Record ``state`` as whole (checked at ``at``), here and in the sidecar; never a state
    whose times have no sub-second part (FAT, some network file systems), where a change
    within the same second would keep the identity."""
    if coarse(state):
        return
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
    """At close (after the last connection's checkpoint): carry ``before``, the state the
    closing process's own checkpoint left, if the file differs from it at most by the
    write-ahead log being gone, once the clock has passed its ctime, so that any later
    write gives it another identity."""
    after = identity(path)
    if before is None or after is None or after[0] != before[0]:
        return
    if after[1] is not None and after[1] != before[1]:
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


def coarse(state: Identity) -> bool:
    """The file system stamps whole seconds (a fine clock ends on 0 ns once in 10^9)."""
    database, wal = state
    times = [database[3], database[4], *([] if wal is None else [wal[3]])]
    return any(stamp % 1_000_000_000 == 0 for stamp in times)


def _now() -> int:
    return time.clock_gettime_ns(_COARSE) if _COARSE is not None else time.time_ns()


def _file_id(path: Path, *, ctime: bool = True) -> FileId | None:
    try:
        found = path.stat()
    except OSError:
        return None
    changed = found.st_ctime_ns if ctime else 0
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, changed


def _read(path: Path) -> tuple[Identity, float] | None:
    """The sidecar's state and check time; None when absent, unreadable or not ours."""
    try:
        data = json.loads(_load(path))
        if data["format"] != FORMAT or data["boot"] != boot_id():
            return None
        wal = data["wal"]
        state: Identity = (_ids(data["database"]), None if wal is None else _ids(wal))
        record = state, float(data["checked_at"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None
    with _lock:
        _shared[str(path)] = state
    return record


def _load(path: Path) -> bytes:
    """The sidecar's bytes, if it is a small regular file we may trust (else ValueError).
    Not following a link and not waiting on a FIFO, it never hangs or fills the memory."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    descriptor = os.open(sidecar(path), flags)
    try:
        found = os.fstat(descriptor)
        if not stat.S_ISREG(found.st_mode) or found.st_size > MAX_SIZE:
            raise ValueError("not a small regular file")
        if not _trusted(found, path):
            raise ValueError("not owned by this user or writable by others")
        data = os.read(descriptor, MAX_SIZE + 1)
    finally:
        os.close(descriptor)
    if len(data) > MAX_SIZE:
        raise ValueError("too large")
    return data


def _trusted(found: os.stat_result, path: Path) -> bool:
    """Owned by this user or by the database's, and writable by no one else."""
    if found.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    geteuid = getattr(os, "geteuid", None)
    if geteuid is None:  # no POSIX owners (Windows)
        return True
    return found.st_uid in (geteuid(), path.stat().st_uid)


def boot_id() -> str | None:
    """This boot's id (Linux): a state vouched before a power cut, which may lose the last
    commits of a WAL database, is not trusted after it."""
    global _boot
    if _boot is _UNREAD:
        try:
            _boot = Path(BOOT_ID).read_text(encoding="ascii").strip() or None
        except (OSError, ValueError):
            _boot = None
    return _boot if isinstance(_boot, str) else None


def _ids(value: object) -> FileId:
    if not isinstance(value, list) or len(value) != 5 or not all(type(v) is int for v in value):
        raise ValueError(value)
    return value[0], value[1], value[2], value[3], value[4]


def _write(path: Path, state: Identity, at: float) -> None:
    """Replace the sidecar atomically; a failure only means the next process checks."""
    database, wal = state
    text = json.dumps(
        {"format": FORMAT, "boot": boot_id(), "database": database, "wal": wal, "checked_at": at},
        indent=None,
    )
    target = sidecar(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        # Created 0o644 at most whatever the umask, so that _trusted accepts it.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, target)
    except OSError as exc:
        log.debug("cannot record the checked state of %s: %s", path, exc)
        temporary.unlink(missing_ok=True)
        with _lock:
            _shared.pop(str(path), None)
