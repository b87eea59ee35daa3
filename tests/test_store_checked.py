"""The check of a SQLite file at open, shared between processes (issue 12): a process that
opens a file which only opco-watch changed since it was found whole skips ``PRAGMA
quick_check``; any other change (in place, a copy with its times kept, a file moved in, a
crash in the middle of a write, a stale sidecar) makes the next process check again, and a
damaged file is refused with the same message as ever. Every open here is a real process."""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.test_store_damage import flip_pages, full_check, index_pages_near_the_middle
from watcher.store import Store
from watcher.store.checked import identity, sidecar
from watcher.store.integrity import damaged_message, run_check

#: opens the store (writing a row when asked) and says whether the file was checked
OPEN = """
import logging, os, sys
from watcher.errors import StoreError
from watcher.store import Store
logging.basicConfig(stream=sys.stdout, format="%(name)s %(message)s")
logging.getLogger("watcher.store.integrity").setLevel(logging.DEBUG)
try:
    with Store.open(sys.argv[1]) as store:
        for _ in range(int(sys.argv[2])):
            with store.transaction(write=True) as conn:
                conn.exec_driver_sql(
                    "INSERT INTO jobs_state (name, value, updated_at) VALUES (?, ?, ?)",
                    (os.urandom(8).hex(), "x" * 3000, "2026-03-02 09:00:00"),
                )
except StoreError as exc:
    print("refused:", exc)
"""

#: writes without committing until SQLite spills pages into the write-ahead log, then dies
DIE_IN_A_WRITE = """
import os, signal, sys
from watcher.store import Store
store = Store.open(sys.argv[1])
with store.transaction(write=True) as conn:
    conn.exec_driver_sql("PRAGMA cache_size = 10")
    for _ in range(400):
        conn.exec_driver_sql(
            "INSERT INTO jobs_state (name, value, updated_at) VALUES (?, ?, ?)",
            (os.urandom(8).hex(), "y" * 3000, "2026-03-02 09:00:00"),
        )
    os.kill(os.getpid(), signal.SIGKILL)
"""


#: an external program's commit, from another process
WRITE_BESIDE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
conn.execute("CREATE TABLE IF NOT EXISTS written_beside (x)")
conn.execute("INSERT INTO written_beside VALUES (randomblob(100))")
conn.commit()
conn.close()
"""

#: writes a row; another program commits right after opco-watch's commit ("commit": before
#: the identity read that follows it, found by wrapping the real ``checked.identity``) or
#: right after its connections are closed ("close": wrapping SQLAlchemy's Engine.dispose)
WRITE_IN_THE_GAP = """
import os, subprocess, sys
from sqlalchemy.engine import Engine
from watcher.store import Store, checked
mode, path, beside = sys.argv[1:4]
armed = False
def write_beside() -> None:
    global armed
    armed = False
    subprocess.run([sys.executable, "-c", beside, path], check=True, timeout=60)
real_identity = checked.identity
def identity(target):
    if armed and mode == "commit":
        write_beside()
    return real_identity(target)
checked.identity = identity
real_dispose = Engine.dispose
def dispose(self, close=True):
    real_dispose(self, close)
    if armed and mode == "close":
        write_beside()
Engine.dispose = dispose
with Store.open(path) as store:
    with store.transaction(write=True) as conn:
        conn.exec_driver_sql(
            "INSERT INTO jobs_state (name, value, updated_at) VALUES (?, ?, ?)",
            (os.urandom(8).hex(), "x" * 3000, "2026-03-02 09:00:00"),
        )
        armed = mode == "commit"
    armed = mode == "close"
assert not armed, "the external write did not happen"
"""


def opened(path: Path, writes: int = 0, timeout: float = 120) -> tuple[bool, str]:
    """A real process opens ``path`` (and writes ``writes`` rows): (whether it ran the
    quick_check, what it printed)."""
    done = subprocess.run(
        [sys.executable, "-c", OPEN, str(path), str(writes)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return "watcher.store.integrity quick_check of" in done.stdout, done.stdout


@pytest.fixture
def written(tmp_path: Path) -> Path:
    """A file a first process created and wrote 50 rows to (enough for index pages)."""
    path = tmp_path / "data" / "opco-watch.db"
    was_checked, _ = opened(path, writes=50)
    assert was_checked
    return path


def test_a_second_process_skips_the_check_of_a_file_opco_watch_wrote_last(written: Path) -> None:
    assert opened(written) == (False, "")
    assert opened(written, writes=3)[0] is False  # ... and after its writes, the next one
    assert opened(written)[0] is False
    assert full_check(written) == ["ok"]


def flip_in_place(path: Path) -> None:
    flip_pages(path, index_pages_near_the_middle(path))


def copy_with_its_times(path: Path) -> None:
    """A damaged copy put back with ``cp -p``: same inode, size and mtime; only ctime moves."""
    aside = path.with_name("aside.db")
    shutil.copy2(path, aside)
    flip_in_place(aside)
    stat = path.stat()
    os.utime(aside, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    shutil.copy2(aside, path)
    assert path.stat().st_mtime_ns == stat.st_mtime_ns and path.stat().st_ino == stat.st_ino


def move_in(path: Path) -> None:
    """A damaged copy moved in place (another inode), its times those of the original."""
    aside = path.with_name("aside.db")
    shutil.copy2(path, aside)
    flip_in_place(aside)
    os.replace(aside, path)


@pytest.mark.parametrize("damage", [flip_in_place, copy_with_its_times, move_in])
def test_a_file_changed_by_something_else_is_checked_and_refused_as_ever(
    written: Path, damage: Callable[[Path], None]
) -> None:
    vouched = json.loads(sidecar(written).read_text())
    assert vouched["database"] == list(identity(written)[0])  # type: ignore[index]
    damage(written)
    problems = run_check(written)
    assert problems and full_check(written) != ["ok"]
    was_checked, said = opened(written)
    assert was_checked
    assert said.split("refused: ", 1)[1].strip() == damaged_message(written, problems)


def test_a_write_by_another_program_makes_the_next_process_check(written: Path) -> None:
    with sqlite3.connect(written) as conn:
        conn.execute("CREATE TABLE written_beside (x)")
    assert opened(written)[0] is True
    assert opened(written)[0] is False  # found whole: known whole again


def test_a_process_killed_in_the_middle_of_a_write_makes_the_next_one_check(
    written: Path,
) -> None:
    died = subprocess.run(
        [sys.executable, "-c", DIE_IN_A_WRITE, str(written)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert died.returncode == -signal.SIGKILL
    assert written.with_name(written.name + "-wal").stat().st_size > 0  # frames never committed
    was_checked, _ = opened(written)
    assert was_checked
    with sqlite3.connect(written) as conn:
        assert conn.execute("SELECT count(*) FROM jobs_state WHERE value LIKE 'y%'").fetchone() == (
            0,
        )


def test_a_stale_sidecar_costs_a_check_never_skips_one(written: Path) -> None:
    stale = sidecar(written).read_text()
    assert opened(written, writes=1)[0] is False
    assert sidecar(written).read_text() != stale
    sidecar(written).write_text(stale)  # e.g. an older state renamed in last by a slower writer
    assert opened(written)[0] is True


def test_a_check_older_than_recheck_is_run_again(written: Path) -> None:
    vouched = json.loads(sidecar(written).read_text())
    sidecar(written).write_text(json.dumps({**vouched, "checked_at": vouched["checked_at"] - 3601}))
    assert opened(written)[0] is True


def write_rows(path: str, rounds: int, barrier: Any) -> None:
    barrier.wait(timeout=120)
    for _ in range(rounds):
        with Store.open(path) as store, store.transaction(write=True) as conn:
            conn.exec_driver_sql(
                "INSERT INTO jobs_state (name, value, updated_at) VALUES (?, ?, ?)",
                (os.urandom(8).hex(), "z" * 500, "2026-03-02 09:00:00"),
            )


def test_concurrent_writers_leave_a_sidecar_that_tells_the_truth(written: Path) -> None:
    """Four processes open, write and close at once: whatever state the last rename left in
    the sidecar, a process skips the check only if the file is that state, which is whole,
    and a damage made after them is still refused."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(4)
    workers = [spawn.Process(target=write_rows, args=(str(written), 15, barrier)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [w.exitcode for w in workers] == [0] * 4
    with sqlite3.connect(written) as conn:
        assert conn.execute("SELECT count(*) FROM jobs_state WHERE value LIKE 'z%'").fetchone() == (
            60,
        )
    recorded = json.loads(sidecar(written).read_text())
    state = identity(written)
    assert state is not None
    wal = None if state[1] is None else list(state[1])
    matches = [recorded["database"], recorded["wal"]] == [list(state[0]), wal]
    assert opened(written)[0] is not matches
    assert full_check(written) == ["ok"]
    flip_in_place(written)
    was_checked, said = opened(written)
    assert was_checked and "refused: the database" in said
    assert [p.name for p in written.parent.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("gap", ["commit", "close"])
def test_a_commit_by_another_program_right_after_ours_is_not_carried(
    written: Path, gap: str
) -> None:
    """Between opco-watch's commit (or close) and its reading of the file's identity, the
    write lock is free: another program's commit there must not be vouched as ours."""
    subprocess.run(
        [sys.executable, "-c", WRITE_IN_THE_GAP, gap, str(written), WRITE_BESIDE],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    with sqlite3.connect(written) as conn:
        assert conn.execute("SELECT count(*) FROM written_beside").fetchone() == (1,)
    assert opened(written)[0] is True
    assert opened(written)[0] is False  # found whole: known whole again


def sidecar_record(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(sidecar(path).read_text())
    return record


def replace_sidecar(path: Path, make: Callable[[Path], None]) -> None:
    sidecar(path).unlink()
    make(sidecar(path))


def deep_nesting(target: Path) -> None:
    target.write_text("[" * 200_000)


def short_deep_nesting(target: Path) -> None:
    target.write_text("[" * 4000)


def fifo(target: Path) -> None:
    os.mkfifo(target)


def huge(target: Path) -> None:
    """The true record after 64 MiB of spaces (valid JSON): too large to be ours."""
    record = json.loads(target.with_name(target.name + ".kept").read_text())
    with target.open("w") as file:
        file.write(" " * (64 << 20))
        file.write(json.dumps(record))


def symlink(target: Path) -> None:
    target.symlink_to(target.with_name(target.name + ".kept"))


@pytest.mark.parametrize("make", [deep_nesting, short_deep_nesting, fifo, huge, symlink])
def test_a_malformed_sidecar_means_the_check_runs(
    written: Path, make: Callable[[Path], None]
) -> None:
    kept = written.with_name(sidecar(written).name + ".kept")
    shutil.copy2(sidecar(written), kept)
    replace_sidecar(written, make)
    was_checked, said = opened(written, timeout=30)
    assert (was_checked, said.count("refused")) == (True, 0)
    assert opened(written)[0] is False  # the check's own record replaced it


@pytest.mark.parametrize(
    "spoil",
    [
        lambda target: target.chmod(0o664),
        lambda target: target.chmod(0o646),
        lambda target: os.chown(target, os.geteuid() + 4321, -1),
    ],
    ids=["group-writable", "world-writable", "another-owner"],
)
def test_a_sidecar_others_could_write_is_not_trusted(
    written: Path, spoil: Callable[[Path], None]
) -> None:
    try:
        spoil(sidecar(written))
    except PermissionError:  # giving a file away needs root
        pytest.skip("cannot give the sidecar to another user")
    assert opened(written)[0] is True


def test_a_sidecar_from_another_boot_is_not_trusted(written: Path) -> None:
    """A power cut may roll back the last commits: the state vouched before it is not."""
    record = sidecar_record(written)
    sidecar(written).write_text(json.dumps(record))  # rewritten as it was: still trusted
    assert opened(written)[0] is False
    sidecar(written).write_text(json.dumps({**record, "boot": str(uuid.uuid4())}))
    assert opened(written)[0] is True
    assert (
        sidecar_record(written)["boot"]
        == Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    )


def test_a_file_stamped_in_whole_seconds_is_always_checked(written: Path) -> None:
    """As on FAT: a change within the same second would keep the file's identity."""
    whole = written.stat().st_mtime_ns // 1_000_000_000 * 1_000_000_000
    os.utime(written, ns=(whole, whole))
    assert opened(written)[0] is True
    assert written.stat().st_mtime_ns == whole  # an open without writes keeps it
    assert opened(written)[0] is True
