"""The reliability attack of issue 15, replayed on real processes: kill -9 loops on ``poll``
and ``send``, network faults, hostile payloads and bad files, against the demo's snapshots
served on loopback, a real SQLite file and a real SMTP server (aiosmtpd). Prints one line per
attack class: tried, survived, and what did not survive. A benchmark: it never fails a build.

    python bench/attack.py [--kills 20] [--only poll-kills,send-window,faults,payloads,files]

Survival means: no traceback, the documented exit code, a clear reason in the source's
health, nothing lost (after a clean poll every call of the snapshots is stored), nothing
twice (no call announced twice as new to one recipient; at most two copies of an email killed
in the SMTP window), bad files refused and left as they were.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from tests.smtp_server import Handler, Received, smtp_server  # noqa: E402
from tests.test_pdf_bound import bomb  # noqa: E402
from watcher.demo import snapshot_server  # noqa: E402
from watcher.devserver import DevServer, Fault  # noqa: E402
from watcher.models import PARIS  # noqa: E402
from watcher.starter import write_starter  # noqa: E402
from watcher.store import Store  # noqa: E402
from watcher.store.schema import outbox  # noqa: E402

SOURCES = ("boamp", "akto", "atlas", "afdas", "opcommerce")
AKTO = "/www.akto.fr/appels-d-offres/"
BOAMP = "/boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records"
PDF = "/www.lopcommerce.com/wp-content/uploads/2026/02/AAP-2026-POEC-vendeur-conseil-HDF.pdf"
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x00\x9b2J\u202e\r\nBcc: evil@example.org"
#: control characters a text may not carry (CR and LF are the line ends of emails)
CONTROL = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32), 127]))


@dataclass
class Tally:
    tried: int = 0
    survived: int = 0
    lost: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.tried += 1
        self.survived += ok
        if not ok:
            self.lost.append(what)


RESULTS: dict[str, Tally] = {}


def record(attack: str, ok: bool, what: str) -> None:
    RESULTS.setdefault(attack, Tally()).add(ok, what)
    print(f"  {'ok ' if ok else 'LOST'} {attack}: {what}", flush=True)


# ------------------------------------------------------------------------------ plumbing


class Site:
    """A data folder with the starter configuration (its profile alerts the demo's calls)."""

    def __init__(self, server: DevServer, **settings: dict[str, object]) -> None:
        """``settings``: section -> key -> TOML value, e.g. ``fetch={"retries": 1}``."""
        self.folder = Path(tempfile.mkdtemp(prefix="opco-attack-"))
        self.config = self.folder / "opco-watch.toml"
        write_starter(self.config)
        text = self.config.read_text("utf-8")
        # real-looking people: the SMTP transport refuses the starter's example addresses
        text = text.replace("@exemple-formation.fr", "@of-test.fr").replace(
            "@example.org", "@of-test.fr"
        )
        for section, values in settings.items():  # the starter writes every key
            for key, value in values.items():
                if "\n" + key + " = " not in text:
                    continue  # a setting this version does not have (bench of an old main)
                start = text.index("\n" + key + " = ", text.index(f"[{section}]")) + 1
                end = text.index("\n", start)
                text = text[:start] + f"{key} = {json.dumps(value)}" + text[end:]
        self.config.write_text(text, "utf-8")
        self.server = server
        self.database = self.folder / "data" / "opco-watch.db"

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "watcher", "--config", str(self.config), *args]

    def poll_args(self, *names: str) -> list[str]:
        picked = [arg for name in names or SOURCES for arg in ("-s", name)]
        return ["poll", "--mirror", self.server.base_url, *picked]

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """The command; one that outlives ``timeout`` is killed and reported as exit -9."""
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
        try:
            return subprocess.run(
                self.command(*args), env=env, capture_output=True, text=True, timeout=timeout
            )
        except subprocess.TimeoutExpired as late:
            out = late.stdout.decode() if isinstance(late.stdout, bytes) else late.stdout or ""
            return subprocess.CompletedProcess(args, -9, out, f"killed after {timeout:g} s")

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.Popen(
            self.command(*args),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def emails(self) -> list[Path]:
        return sorted((self.folder / "data" / "outbox").glob("*.eml"))


def announced_twice(database: Path) -> list[str]:
    """(recipient, call) pairs announced as new in more than one email."""
    query = sa.select(outbox.c.recipient, outbox.c.payload).where(outbox.c.kind == "alert")
    with Store.open(database) as store, store.transaction() as conn:
        pairs = Counter(
            (row.recipient, call["id"])
            for row in conn.execute(query)
            for call in row.payload["context"]["new"]
        )
    return [f"{who} #{call}" for (who, call), n in pairs.items() if n > 1]


def keys(database: Path) -> set[str]:
    with Store.open(database) as store:
        return {row.key for row in store.list_notices()}


def kill_after(process: subprocess.Popen[str], ready: Callable[[], bool], limit: float) -> bool:
    """SIGKILL ``process`` once ``ready()``; False when it ended first."""
    deadline = time.monotonic() + limit
    while process.poll() is None and not ready() and time.monotonic() < deadline:
        time.sleep(0.005)
    if process.poll() is not None:
        return False
    process.kill()
    process.communicate()
    return True


# ------------------------------------------------------------------------- kill -9 loops


def poll_kills(server: DevServer, kills: int, rng: random.Random) -> None:
    reference = Site(server)
    assert reference.run(*reference.poll_args()).returncode in (0, 1)
    expected = keys(reference.database)
    site = Site(server)
    done = rounds = 0
    while done < kills and rounds < 3 * kills:
        rounds += 1
        before = len(server.requests)
        wanted = rng.randint(1, 40 if rounds == 1 else 10)  # later polls are mostly 304s
        process = site.spawn(*site.poll_args())
        if not kill_after(process, lambda b=before, w=wanted: len(server.requests) - b >= w, 120):
            continue  # the poll ended before that request: not a kill
        done += 1
        what = f"poll killed after {wanted} requests"
        if done % 3 == 0:  # and a send killed after a random number of emails
            sender = site.spawn("send")
            count, more = len(site.emails()), rng.randint(0, 3)
            if kill_after(sender, lambda n=count + more: len(site.emails()) >= n, 60):
                what += f", send killed after {more} email(s)"
        try:
            twice, whole = announced_twice(site.database), True
        except Exception as error:  # a store that cannot be opened did not survive
            twice, whole = [str(error)], False
        record("kill -9 poll/send", whole and not twice, what + (f": {twice}" if twice else ""))
    final = [site.run(*site.poll_args()), site.run("send")]
    missing = expected - keys(site.database)
    ok = all(done.returncode in (0, 1) for done in final) and not missing
    ok = ok and not announced_twice(site.database)
    record("kill -9 poll/send", ok, f"after {done} kills, a clean poll: {len(missing)} missing")


@dataclass
class Stall(Handler):
    """Records every message; holds the answer to the DATA commands it is told to hold."""

    hold: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(data)))
        if self.hold > 0:
            self.hold -= 1
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 120)
        return "250 accepted"


def send_window(server: DevServer, rounds: int, rng: random.Random) -> None:
    for _ in range(rounds):
        handler = Stall()
        with smtp_server(handler) as smtp:
            mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "security": "none"}
            site = Site(server, mail=mail)
            site.run(*site.poll_args("akto", "atlas"))
            crashes = rng.randint(1, 3)
            for _ in range(crashes):
                handler.hold, handler.arrived, handler.release = (
                    1,
                    threading.Event(),
                    threading.Event(),
                )
                sender = site.spawn("send")
                kill_after(sender, handler.arrived.is_set, 120)
                handler.release.set()
            handler.hold = 0
            done = site.run("send")
        copies = Counter(str(r.message["Message-ID"]) for r in handler.received)
        with Store.open(site.database) as store, store.transaction() as conn:
            unsent = conn.execute(
                sa.select(sa.func.count()).where(
                    outbox.c.kind == "alert", outbox.c.sent_at.is_(None)
                )
            ).scalar()
        ok = done.returncode == 0 and max(copies.values()) <= 2 and unsent == 0
        record(
            "kill -9 in the SMTP window",
            ok,
            f"{crashes} kill(s) in DATA: copies {sorted(copies.values())}",
        )


# -------------------------------------------------------------------------- network faults


Setup = Callable[[DevServer], None]
NEVER_DATE = "Fri, 01 Jan 2100 00:00:00 GMT"
FAULTS: list[tuple[str, Setup, str]] = [
    ("500 forever", lambda s: s.script(AKTO, [Fault.status(500)] * 9), "fetch"),
    ("connection reset", lambda s: s.script(AKTO, [Fault.reset()] * 9), "fetch"),
    ("latency past the timeout", lambda s: s.script(AKTO, [Fault.delay(30)] * 9), "fetch"),
    (
        "429 Retry-After 86400",
        lambda s: s.script(AKTO, [Fault.status(429, retry_after=86400)]),
        "rate-limited",
    ),
    (
        "429 Retry-After in 2100",
        lambda s: s.script(AKTO, [Fault.status(429, retry_after=NEVER_DATE)]),
        "rate-limited",
    ),
    ("429 Retry-After 1", lambda s: s.script(AKTO, [Fault.status(429, retry_after=1)]), ""),
    (
        "body trickled",
        lambda s: s.add(AKTO, "<html>" + "x" * 200_000, slow_body=0.05, chunk=64),
        "fetch",
    ),
    ("oversize body", lambda s: s.add(AKTO, oversize=50_000_000), "fetch"),
    (
        "gzip bomb",
        lambda s: s.add(
            AKTO, gzip.compress(b"\0" * 200_000_000), headers={"Content-Encoding": "gzip"}
        ),
        "fetch",
    ),
    (
        "redirect off the hosts",
        lambda s: s.add(AKTO, status=302, headers={"Location": "https://evil.example/"}),
        "fetch",
    ),
    (
        "detail page 500",
        lambda s: s.script(AKTO + "parcours-clea-hauts-de-france/", [Fault.status(500)] * 9),
        "",
    ),
]
FAST = {
    "timeout_seconds": 2,
    "retries": 1,
    "request_deadline_seconds": 3,
    "source_deadline_seconds": 8,
}


def faults() -> None:
    for name, apply, kind in FAULTS:
        with snapshot_server(datetime.now(PARIS).date()) as server:
            site = Site(server, fetch=FAST)
            apply(server)
            started = time.monotonic()
            done = site.run(*site.poll_args("boamp", "akto"), "--json", timeout=120)
            took = time.monotonic() - started
        try:
            reports = {r["source"]: r for r in json.loads(done.stdout)}
        except ValueError:
            record("network faults", False, f"{name}: no report ({done.stderr[-200:]})")
            continue
        akto = reports["akto"]
        ok = reports["boamp"]["ok"] and "Traceback" not in done.stderr and took < 60
        ok = ok and (akto["ok"] if not kind else (not akto["ok"] and akto["error_kind"] == kind))
        record("network faults", ok, f"{name}: akto {akto['error'] or 'ok'} ({took:.0f} s)")


# ------------------------------------------------------------------------ hostile payloads


def _in_title(words: str) -> Setup:
    return lambda s: s.add(
        AKTO, server_text(s, AKTO).replace("Commissariat", words + "Commissariat")
    )


def _in_json(s: DevServer) -> None:
    escaped = json.dumps(ESCAPES)[1:-1]
    body = server_text(s, BOAMP).replace('"objet": "', '"objet": "' + escaped)
    s.add(BOAMP, body, content_type="application/json")


PAYLOADS: list[tuple[str, Setup]] = [
    ("terminal escapes in HTML", _in_title(ESCAPES.replace("\r\n", " "))),
    ("terminal escapes in JSON", _in_json),
    ("Jinja and <script> in a title", _in_title("{{ 7*7 }} <script>alert(1)</script> ")),
    (
        "rich markup in a title (display: trust-numbers)",
        _in_title("[/nope] [link=file:///etc/passwd]x[/link] "),
    ),
    ("PDF bomb (100 kB -> 70 MB)", lambda s: s.add(PDF, bomb(), content_type="application/pdf")),
]


def payloads() -> None:
    for name, apply in PAYLOADS:
        with snapshot_server(datetime.now(PARIS).date()) as server:
            apply(server)
            site = Site(server)
            started = time.monotonic()
            polled = site.run(*site.poll_args("boamp", "akto", "opcommerce"), timeout=300)
            took = time.monotonic() - started
            listed, shown = site.run("list"), site.run("show", "1", "--json")
            site.run("send")
        emails = [e.read_text("utf-8", "replace") for e in site.emails()]
        texts = [polled.stdout, listed.stdout, shown.stdout, *emails]
        clean = not any(c in text for text in texts for c in CONTROL)
        clean = clean and "\\u001b" not in shown.stdout and "\x1b]8" not in listed.stdout
        html = "".join(emails)
        escaped = "<script>alert(1)</script>" not in html and " 49 " not in html
        codes = polled.returncode in (0, 1) and listed.returncode == 0 and shown.returncode == 0
        quiet = "Traceback" not in polled.stderr + listed.stderr
        ok = clean and escaped and codes and quiet and took < 120
        record(
            "hostile payloads",
            ok,
            f"{name}: poll {polled.returncode}, list {listed.returncode} ({took:.0f} s)",
        )


def server_text(server: DevServer, path: str) -> str:
    import httpx

    return httpx.get(server.base_url + path).text


# ------------------------------------------------------------------------------- bad files


def files(server: DevServer) -> None:
    def flipped(path: Path) -> None:
        data = bytearray(path.read_bytes())
        start = len(data) // 2 // 4096 * 4096
        data[start : start + 8192] = bytes(b ^ 0xFF for b in data[start : start + 8192])
        path.write_bytes(bytes(data))

    def flipped_index(path: Path) -> None:
        """8 kB on two index pages near the middle: what ordinary reads do not notice."""
        import sqlite3

        with sqlite3.connect(path) as conn:
            pages = dict(conn.execute("SELECT pageno, name FROM dbstat WHERE pagetype = 'leaf'"))
        index = [n for n, name in pages.items() if name.startswith(("ix_", "sqlite_autoindex"))]
        pairs = [n for n in index if n + 1 in index] or index
        first = min(pairs, key=lambda n: abs(n - path.stat().st_size // 8192))
        data = bytearray(path.read_bytes())
        start = (first - 1) * 4096
        data[start : start + 8192] = bytes(b ^ 0xFF for b in data[start : start + 8192])
        path.write_bytes(bytes(data))

    cases: dict[str, Callable[[Path], None]] = {
        "8 kB flipped in the middle": flipped,
        "8 kB flipped on index pages": flipped_index,
        "zero-length file": lambda p: p.write_bytes(b""),
        "truncated to half": lambda p: p.write_bytes(p.read_bytes()[: p.stat().st_size // 2]),
        "random bytes": lambda p: p.write_bytes(os.urandom(p.stat().st_size)),
        "a text file": lambda p: p.write_text("not a database\n"),
        "a directory": lambda p: (p.unlink(), p.mkdir()),
        "first page zeroed": lambda p: p.write_bytes(b"\0" * 4096 + p.read_bytes()[4096:]),
    }
    for name, damage in cases.items():
        site = Site(server)
        site.run(*site.poll_args("boamp", "akto"))
        site.run("send")
        sent = len(site.emails())
        damage(site.database)
        before = fingerprint(site.database)
        runs = [site.run(*site.poll_args("boamp", "akto")), site.run("send"), site.run("list")]
        refused = all(r.returncode == 3 and "Traceback" not in r.stderr for r in runs)
        ok = refused and fingerprint(site.database) == before and len(site.emails()) == sent
        words = " ".join(runs[0].stderr.split())[:90]
        record("bad files", ok, f"{name}: exit {[r.returncode for r in runs]}: {words}")


def fingerprint(path: Path) -> str:
    return "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="kill -9 rounds of poll/send")
    parser.add_argument("--only", default="poll-kills,send-window,faults,payloads,files")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    rng, chosen = random.Random(args.seed), set(args.only.split(","))
    started = time.monotonic()
    with snapshot_server(datetime.now(PARIS).date()) as server:
        if "poll-kills" in chosen:
            poll_kills(server, args.kills, rng)
        if "send-window" in chosen:
            send_window(server, max(3, args.kills // 3), rng)
        if "faults" in chosen:
            faults()
        if "payloads" in chosen:
            payloads()
        if "files" in chosen:
            files(server)
    print(
        f"\nattack class                   tried  survived   ({time.monotonic() - started:.0f} s)"
    )
    for name, tally in RESULTS.items():
        print(f"{name:<30} {tally.tried:>5}  {tally.survived:>8}")
        for what in tally.lost:
            print(f"    not survived: {what}")


if __name__ == "__main__":
    main()
