"""Text from the web shown by the CLI is shown as written: never read as rich markup, and no
control character or escape sequence reaches the terminal, whatever the store holds.

Hostile titles, buyers, references, source errors and SMTP replies are stored in a real SQLite
store (as a site or a mail server could make them), then every command that shows them runs
through the real entry point; the raw bytes it writes are checked, piped and on a terminal.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import PAGE_DAY, ROOT, write_config
from tests.notify_data import notice, poll
from tests.smtp_server import Handler, smtp_server
from tests.terminal import on_terminal
from watcher.cli import views
from watcher.cli.safe import clean
from watcher.config import load_config
from watcher.demo import DATA, fill_dates
from watcher.devserver import DevServer
from watcher.models import PARIS, Match, Tender
from watcher.notify.settings import settings_of
from watcher.store import Store

MARKUP = "[/nope] [link=file:///etc/passwd]clique[/link] [bold red]rouge[/] :smile:"
CONTROLS = (
    "\x1b]0;pwned\x07"  # OSC: sets the window title
    "\x1b[2J\x1b[H"  # CSI: clears the screen
    "\x1b]8;;file:///etc/passwd\x1b\\lien\x1b]8;;\x1b\\"  # OSC 8: a hyperlink
    "\x9b31m\x9d0;pwned\x9c"  # the same in 8-bit C1 form
    "\u202eevil\u202c\x00\x08\r"  # a bidirectional override, NUL, backspace, CR
)
TITLE = f"Formation management {MARKUP} {CONTROLS} fin"
BUYER = f"AKTO [/] \x1b[31m{CONTROLS}"
ERROR = f"<html><body>{MARKUP} {CONTROLS}</body></html>"
#: what may reach a terminal: text, newlines, and rich's own colours (SGR: ESC [ ... m)
SGR = re.compile(rb"\x1b\[[0-9;]*m")
FORBIDDEN = (b"\x07", b"\x00", b"\x08", b"\r", "\u202e".encode(), "\u202c".encode())


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding a hostile call, a hostile source error and a hostile refused email."""
    folder = tmp_path_factory.mktemp("hostile")
    refusal = f"550 5.1.1 {MARKUP} \x1b]0;pwned\x07 \x1b[2J no such user"
    with smtp_server(Handler(refuse_all_rcpt=refusal)) as server:
        mail = f"[mail]\nsmtp_host = '127.0.0.1'\nsmtp_port = {server.port}\nsecurity = 'none'\n"
        config = load_config(write_config(folder, mail))
        with Store.open(config.database) as store:
            soon = datetime.now(PARIS) + timedelta(days=30)
            hostile = notice("26-666", TITLE, buyer=BUYER, deadline=soon, summary=ERROR)
            poll(store, [hostile], settings_of(config), at=datetime.now(UTC))
            store.record_failure("akto", at=datetime.now(UTC), error_kind="parse", error=ERROR)
        sent = run(folder, "send")
    assert sent.returncode == 1, sent.stderr  # the one email refused for good
    return folder


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": str(ROOT)}
    env.pop("OPCO_WATCH_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        timeout=600,
    )


def run_in_terminal(folder: Path, *args: str) -> tuple[int, bytes]:
    """The command's output as a terminal receives it (a pseudo-terminal: rich colours on)."""
    env = {**os.environ, "COLUMNS": "200", "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
    for name in ("OPCO_WATCH_CONFIG", "NO_COLOR"):
        env.pop(name, None)
    return on_terminal(folder, args, env)


def assert_harmless(raw: bytes, *, terminal: bool = False) -> None:
    rest = raw.replace(b"\r\n", b"\n")  # a terminal's own line ends
    if terminal:
        rest = SGR.sub(b"", rest)
    assert b"\x1b" not in rest, rest
    assert not re.search(rb"\xc2[\x80-\x9f]", rest), rest  # C1 controls, UTF-8 encoded
    for byte in FORBIDDEN:
        assert byte not in rest, (byte, rest)


COMMANDS = [
    ("list",),
    ("list", "--json"),
    ("show", "26-666"),
    ("show", "26-666", "--json"),
    ("sources",),
    ("sources", "--json"),
    ("send", "--failed"),
    ("status", "26-666"),
    ("documents", "--for", "26-666"),
    ("calendar", "-o", "-"),
]


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_hostile_text_is_shown_as_written_and_harmless(folder: Path, args: tuple[str, ...]) -> None:
    done = run(folder, *args)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    assert_harmless(done.stdout + done.stderr)


def test_markup_in_web_text_is_text(folder: Path) -> None:
    shown = run(folder, "show", "26-666").stdout.decode()
    assert "[/nope] [link=file:///etc/passwd]clique[/link] [bold red]rouge[/] :smile:" in shown
    assert "Formation management" in shown and "fin" in shown
    health = run(folder, "sources").stdout.decode()
    assert "[/nope]" in health and "<html><body>" in health
    failed = run(folder, "send", "--failed").stdout.decode()
    assert "[/nope]" in failed and "no such user" in failed


def test_json_keeps_the_data_and_escapes_what_a_terminal_acts_on(folder: Path) -> None:
    raw = run(folder, "show", "26-666", "--json").stdout
    data = json.loads(raw)
    assert data["title"] == TITLE and data["buyer"] == BUYER  # lossless
    assert b"\\u001b]0;pwned\\u0007" in raw and b"\\u009b31m" in raw and b"\\u202e" in raw


@pytest.mark.parametrize(
    "args", [("list",), ("show", "26-666"), ("sources",), ("send", "--failed")], ids=" ".join
)
def test_on_a_terminal_only_colours_reach_it(folder: Path, args: tuple[str, ...]) -> None:
    code, raw = run_in_terminal(folder, *args)
    assert code == 0 and b"Traceback" not in raw, raw
    if args[0] != "send":  # send --failed has no colour
        assert SGR.search(raw), raw  # it is a terminal: rich colours are on
    assert b"\x1b]8;" not in raw  # no hyperlink, from the web or from [link=...]
    assert_harmless(raw, terminal=True)
    assert b"[/nope]" in raw


def test_the_demo_s_verdict_table_is_safe() -> None:
    """The demo prints bundled pages only, but through views that must stand any page."""
    tender = Tender(7, (notice("26-666", TITLE, buyer=BUYER),))
    match = Match(True, 80, ("Management",), (TITLE,), (f"région {CONTROLS}",))
    screen = io.StringIO()
    Console(file=screen, force_terminal=True, width=160).print(
        views.verdicts_table([(match, tender)])
    )
    raw = screen.getvalue().encode()
    assert_harmless(raw, terminal=True)
    assert b"[/nope]" in raw and b"\x1b]8;" not in raw


def test_clean_removes_sequences_with_their_payload() -> None:
    assert clean("a\x1b]0;pwned\x07b\x1b[2Jc\x9b31md") == "abcd"
    assert clean("tab\there") == "tab here" and clean("x\ny", one_line=True) == "x y"


def test_a_poll_of_a_hostile_page_prints_nothing_harmful(
    tmp_path: Path, demo_server: DevServer
) -> None:
    page = (DATA / "akto" / "listing.html").read_text("utf-8")
    hostile = "&#27;]0;pwned&#7;&#27;[2J [/nope] [link=file:///etc/passwd]x[/link] &#155;31m"
    page = page.replace("Parcours savoirs de base", f"Parcours {hostile} savoirs de base")
    demo_server.add("/www.akto.fr/appels-d-offres/", fill_dates(page, PAGE_DAY))
    write_config(tmp_path)
    for args in (("-v", "poll", "--source", "akto", "--mirror", demo_server.base_url), ("list",)):
        done = run(tmp_path, *args)
        assert done.returncode == 0, done.stderr.decode()
        assert_harmless(done.stdout + done.stderr)
    assert b"[/nope]" in run(tmp_path, "list").stdout
