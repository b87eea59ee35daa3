"""A test helper process: polls or sends on command, so that tests can run several real
processes on one store in lock-step without paying Python's start-up for each step.

    python tests/agent.py CONFIG MIRROR

reads one command per line on stdin — ``poll`` (every enabled source, through the pipeline),
``send`` (one outbox pass) or ``quit`` — and answers each with one JSON line on stdout:
``{"ok": true, ...}``, or ``{"ok": false, "error": "..."}`` with the traceback on stderr.
The database comes from the config (or ``OPCO_WATCH_DATABASE_URL``), as for ``opco-watch``.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from pathlib import Path
from typing import Any

from watcher import pipeline
from watcher.config import load_config
from watcher.scheduler import Service


def answer(command: str, service: Service, mirror: str) -> dict[str, Any]:
    if command == "poll":
        reports = pipeline.poll(service.config, mirror=mirror)
        failed = [f"{r.source}: {r.error}" for r in reports if not r.ok]
        return {"ok": not failed, "failed": failed, "new": sum(r.new for r in reports)}
    if command == "send":
        report = service.send()
        return {"ok": not report.stopped, "sent": report.sent, "stopped": report.stopped}
    return {"ok": False, "error": f"unknown command {command!r}"}


def main(config_file: str, mirror: str) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    service = Service(load_config(Path(config_file)), mirror=mirror)
    print(json.dumps({"ok": True, "ready": True}), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "quit":
            break
        try:
            reply = answer(command, service, mirror)
        except Exception as error:  # reported to the test, which fails on it
            traceback.print_exc()
            reply = {"ok": False, "error": repr(error)}
        print(json.dumps(reply), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
