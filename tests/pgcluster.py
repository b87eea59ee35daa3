"""A throwaway PostgreSQL cluster for the test session: initdb + pg_ctl from the server
binaries (Debian's ``postgresql`` package puts them in /usr/lib/postgresql/<version>/bin), in a
temporary folder, on a free loopback port, stopped and removed at the end.

The server refuses to run as root (CI runs as root): then every server command runs as the
``postgres`` system user through ``runuser``, and the folder belongs to that user. Each test
gets a database of its own (``create_database``), created from an empty template in a few
milliseconds because the cluster runs without fsync (a crash of a test cluster loses nothing
anyone needs).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "postgres"
#: durable defaults, on loopback (benchmarks)
DURABLE_OPTIONS = "-c listen_addresses=127.0.0.1 -c max_connections=100"
#: settings of a disposable cluster: speed over durability, room for many test processes
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    " -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB"
)


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (or no user to run them as): the reason in words."""


def find_bin_dir(pattern: str = "/usr/lib/postgresql/*/bin", path: str | None = None) -> Path:
    """The newest ``pattern`` folder with initdb and pg_ctl, else the ones on ``path``
    (default: PATH)."""
    candidates = sorted(glob.glob(pattern), key=lambda p: _version(Path(p).parent.name))
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    initdb, pg_ctl = shutil.which("initdb", path=path), shutil.which("pg_ctl", path=path)
    if initdb and pg_ctl:
        return Path(initdb).parent
    raise ClusterUnavailable(
        "PostgreSQL server binaries not found (initdb/pg_ctl; apt-get install postgresql)"
    )


def _version(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One running server; ``url(name)`` is a SQLAlchemy URL of database ``name`` on it."""

    def __init__(self, bin_dir: Path, options: str = SERVER_OPTIONS) -> None:
        self.bin_dir = bin_dir
        self.options = options
        self.folder = Path(tempfile.mkdtemp(prefix="opco-watch-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self._as_user = os.geteuid() == 0
        self._names = itertools.count(1)

    def start(self) -> Cluster:
        if self._as_user:
            try:
                account = pwd.getpwnam(SERVER_USER)
            except KeyError as exc:
                raise ClusterUnavailable(f"running as root and no {SERVER_USER!r} user") from exc
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {self.port} -k {self.folder} {self.options}"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", options, "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg  # the postgres extra; imported only when a cluster runs

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url().replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return self.url(name)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self._as_user:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr or done.stdout}")
