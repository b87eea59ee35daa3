"""``opco-watch`` run on a pseudo-terminal, as a person at a terminal sees it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path


def on_terminal(folder: Path, args: tuple[str, ...], env: dict[str, str]) -> tuple[int, bytes]:
    """``python -m watcher ARGS`` in ``folder`` with a pty for stdin, stdout and stderr: its
    exit code and every byte it wrote to the terminal."""
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "watcher", *args]
    with subprocess.Popen(
        command, cwd=folder, env=env, stdin=follower, stdout=follower, stderr=follower
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the command closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = process.wait(timeout=600)
    os.close(leader)
    return code, b"".join(chunks)
