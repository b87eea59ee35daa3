"""Damaged and empty database files: a file with 8 kB of flipped bytes is refused by every
command (and never written to), an empty file is never silently made a new database (which
would alert every open call again). Polls and sends run as real ``opco-watch`` processes,
the other commands through click in this process."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from watcher.cli import main
from watcher.config import Config, load_config
from watcher.devserver import DevServer
from watcher.errors import StoreError
from watcher.starter import write_starter
from watcher.store import Store

SOURCES = ("-s", "boamp", "-s", "akto")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    file = tmp_path / "opco-watch.toml"
    write_starter(file)
    return load_config(file)


def opco_watch(config: Config, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "watcher",
            "--config",
            str(config.base_dir / "opco-watch.toml"),
            *args,
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def invoke(config: Config, *args: str) -> subprocess.CompletedProcess[str]:
    """The command through click, in this process, as a CompletedProcess."""
    result = CliRunner().invoke(main, ["--config", str(config.base_dir / "opco-watch.toml"), *args])
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def poll_and_send(config: Config, server: DevServer) -> int:
    """A real poll and send; returns how many emails are in the outbox folder."""
    for args in (("poll", "--mirror", server.base_url, *SOURCES), ("send",)):
        done = opco_watch(config, *args)
        assert done.returncode == 0, done.stderr
    return len(list((config.data_dir / "outbox").glob("*.eml")))


def said(done: subprocess.CompletedProcess[str], words: str) -> bool:
    """``words`` are in the command's error output, however the console wrapped it."""
    return "".join(words.split()) in "".join(done.stderr.split())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip_middle(path: Path, size: int = 8192) -> None:
    """XOR ``size`` bytes from the page boundary nearest the middle of the file."""
    data = bytearray(path.read_bytes())
    start = len(data) // 2 // 4096 * 4096
    for index in range(start, min(start + size, len(data))):
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))


def index_pages_near_the_middle(path: Path) -> int:
    """The first of two adjacent index pages nearest the middle of the file (SQLite's dbstat):
    damage there is what no ordinary read notices, only an integrity check."""
    with sqlite3.connect(path) as conn:
        pages = dict(conn.execute("SELECT pageno, name FROM dbstat WHERE pagetype = 'leaf'"))
    middle = path.stat().st_size // 4096 // 2
    pairs = [
        n
        for n in pages
        if n + 1 in pages
        and all(pages[k].startswith(("ix_", "sqlite_autoindex")) for k in (n, n + 1))
    ]
    return min(pairs, key=lambda n: abs(n - middle))


def flip_pages(path: Path, first: int, size: int = 8192) -> None:
    """XOR ``size`` bytes from the start of page ``first`` (pages are numbered from 1)."""
    data = bytearray(path.read_bytes())
    start = (first - 1) * 4096
    for index in range(start, start + size):
        data[index] ^= 0xFF
    path.write_bytes(bytes(data))


def full_check(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        try:
            return [row[0] for row in conn.execute("PRAGMA integrity_check")]
        except sqlite3.DatabaseError as error:
            return [str(error)]


def test_a_damaged_database_is_refused_by_every_command_and_left_untouched(
    config: Config, demo_server: DevServer
) -> None:
    assert poll_and_send(config, demo_server) > 0
    database = Path(config.database)
    assert not database.with_name(database.name + "-wal").exists()  # checkpointed at exit
    flip_pages(database, index_pages_near_the_middle(database))
    assert full_check(database) != ["ok"]  # what the attack found: damaged...
    before = digest(database)
    commands = [
        (opco_watch, ("poll", "--mirror", demo_server.base_url, *SOURCES)),
        (opco_watch, ("send",)),
        (invoke, ("list",)),
        (invoke, ("show", "1")),
        (invoke, ("sources",)),
        (invoke, ("status", "1", "go")),
        (invoke, ("digest", "--html", str(config.base_dir / "digest.html"))),
        (invoke, ("calendar", "-o", "-")),
        (invoke, ("reminders",)),
    ]
    for run, command in commands:
        done = run(config, *command)
        assert done.returncode == 3, (
            command,
            done.stdout,
            done.stderr,
        )  # ...and every command said 0
        assert said(done, f"the database {database} is damaged"), command
        assert said(done, "opco-watch will not write to it") and said(done, ".recover")
        assert "Traceback" not in done.stderr
    assert digest(database) == before
    checked = invoke(config, "db", "check")
    assert checked.returncode == 3 and "✗" in checked.stdout


def test_db_check_says_a_whole_database_is_whole(config: Config, demo_server: DevServer) -> None:
    poll_and_send(config, demo_server)
    done = invoke(config, "db", "check")
    assert done.returncode == 0 and "is whole (PRAGMA integrity_check: ok)" in done.stdout


def test_an_emptied_database_file_is_refused_not_recreated(
    config: Config, demo_server: DevServer
) -> None:
    sent = poll_and_send(config, demo_server)
    assert sent > 0
    database = Path(config.database)
    database.write_bytes(b"")  # truncated: a full disk, a bad copy, `> opco-watch.db`
    for command in (("poll", "--mirror", demo_server.base_url, *SOURCES), ("send",)):
        done = opco_watch(config, *command)
        assert done.returncode == 3, (command, done.stderr)
        assert said(done, f"the database file {database} is empty (0 bytes)")
        assert said(done, "`opco-watch db init`")
    assert database.stat().st_size == 0
    assert len(list((config.data_dir / "outbox").glob("*.eml"))) == sent  # nobody re-alerted

    created = invoke(config, "db", "init")
    assert created.returncode == 0 and "Created the database at" in created.stdout
    with Store.open(database) as store:
        assert store.count_notices() == 0
    again = invoke(config, "db", "init")
    assert again.returncode == 0 and "already exists" in again.stdout


def test_a_missing_database_is_created(config: Config) -> None:
    assert not Path(config.database).exists()
    done = invoke(config, "list")
    assert done.returncode == 0 and Path(config.database).stat().st_size > 0


@pytest.mark.parametrize(
    ("content", "words"),
    [(b"hello, not a database\n", "the file is not an SQLite database")],
)
def test_a_foreign_file_is_refused(config: Config, content: bytes, words: str) -> None:
    database = Path(config.database)
    database.parent.mkdir(parents=True)
    database.write_bytes(content)
    done = invoke(config, "sources")
    assert done.returncode == 3 and said(done, words)
    assert database.read_bytes() == content


def test_a_long_running_process_checks_again_a_file_that_changed(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    with Store.open(path) as store:
        store.count_notices()
    Store.open(path).close()  # checked once, remembered
    for _ in range(50):  # enough rows that the middle of the file is a b-tree page
        with Store.open(path) as store, store.transaction(write=True) as conn:
            conn.exec_driver_sql(
                "INSERT INTO jobs_state (name, value, updated_at) VALUES (?, ?, ?)",
                (os.urandom(8).hex(), "x" * 3000, "2026-03-02 09:00:00"),
            )
    flip_middle(path)
    assert full_check(path) != ["ok"]
    with pytest.raises(StoreError, match="is damaged"):
        Store.open(path)


def open_at_once(path: str, barrier: Any) -> None:
    barrier.wait(timeout=120)
    with Store.open(path) as store:
        store.count_notices()


def test_processes_creating_the_database_at_once_all_get_a_whole_one(tmp_path: Path) -> None:
    """A new database is built aside and linked into place: no process ever finds the
    half-created, empty file that it would now refuse."""
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(4)
    path = tmp_path / "data" / "opco-watch.db"
    workers = [spawn.Process(target=open_at_once, args=(str(path), barrier)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=180)
    assert [w.exitcode for w in workers] == [0] * 4
    assert full_check(path) == ["ok"]
    names = sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert names in (["opco-watch.db"], ["opco-watch.db", "opco-watch.db.checked"])  # no temp


def test_threads_creating_the_database_at_once_all_get_a_whole_one(tmp_path: Path) -> None:
    """The scheduler's jobs are threads of one process: their first opens race too."""
    path = tmp_path / "data" / "opco-watch.db"
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            open_at_once(str(path), barrier)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and full_check(path) == ["ok"]
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".new")] == []


#: what `opco-watch status` or `users add` does beside a running console: a write, then close
OTHER_PROCESS_WRITES = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1])\n"
    "conn.execute('CREATE TABLE written_beside (x)')\n"
    "conn.commit()\n"
    "conn.close()\n"
)


def test_opening_the_store_again_keeps_the_locks_of_the_connections_open(tmp_path: Path) -> None:
    """The console polls (« Interroger maintenant ») with its connections open: the poll's
    check of the file must not release the process's locks, or the next command takes itself
    for the last user, checkpoints and deletes the write-ahead log under the console, and
    the two then write apart until the indexes no longer hold together."""
    path = tmp_path / "opco-watch.db"
    wal = path.with_name(path.name + "-wal")
    with Store.open(path) as console:
        console.list_notices()  # a connection of the console, open in its pool
        Store.open(path).close()  # the poll's store: the file is checked again
        subprocess.run([sys.executable, "-c", OTHER_PROCESS_WRITES, str(path)], check=True)
        assert wal.exists(), "the write-ahead log was deleted under an open connection"
        with console.transaction() as conn:
            tables = conn.exec_driver_sql("SELECT name FROM sqlite_master").scalars().all()
        assert "written_beside" in tables, "the console no longer sees the other's writes"
