"""The demo, run as a newcomer runs it (``opco-watch demo``): the call it drafts has one
number, and that number names the same call in its alert email, in ``show``, in ``draft``, in
the digest, in the calendar and on the console's page ``/appels/<n>``; every "Try next" command
works."""

from __future__ import annotations

import html
import json
import re
import shlex
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import httpx
import pytest
from icalendar import Calendar

from tests.test_cli import cli
from tests.web_site import serve
from watcher.config import load_config

BEST = re.compile(r"Best call: n° (?P<number>\d+) « (?P<title>.+) » \(score \d+\)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(demo folder, number, title) of the call the demo drafted; its output is checked too."""
    folder = tmp_path_factory.mktemp("demo")
    run = cli(folder, "demo", "--dir", str(folder / "demo"))
    assert run.returncode == 0, run.stdout + run.stderr
    found = BEST.search(run.stdout)
    assert found is not None, run.stdout
    number, title = found["number"], found["title"]
    assert f"The best call is « n° {number} » in its alert email and in the digest." in run.stdout
    (folder / "demo" / "stdout.txt").write_text(run.stdout, encoding="utf-8")
    return folder / "demo", number, title


def plain_texts(outbox: Path) -> list[str]:
    texts = []
    for file in sorted(outbox.glob("*.eml")):
        message = cast(EmailMessage, message_from_bytes(file.read_bytes(), policy=policy.default))
        body = message.get_body(("plain",))
        assert body is not None
        texts.append(str(cast(EmailMessage, body).get_content()).replace("\r\n", "\n"))
    return texts


def test_the_alert_email_names_the_call_by_its_number(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    block = re.compile(
        rf"{re.escape(title)}\n[^\n]*· n° {number}\n.*?Dans la console : (\S+)", re.S
    )
    links = [
        found[1]
        for text in plain_texts(folder / "data" / "outbox")
        for found in block.finditer(text)
    ]
    assert links and all(link.endswith(f"/appels/{number}") for link in links)  # its page


def test_show_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config = str(folder / "opco-watch.toml")
    shown = cli(folder, "--config", config, "show", number)
    assert shown.returncode == 0, shown.stderr
    assert f"Appel n° {number} — {title[:60]}" in shown.stdout
    data = json.loads(cli(folder, "--config", config, "show", number, "--json").stdout)
    assert (data["number"], data["title"]) == (int(number), title)


def test_draft_drafts_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config = str(folder / "opco-watch.toml")
    drafted = cli(folder, "--config", config, "draft", number, "--overwrite")
    assert drafted.returncode == 0, drafted.stderr
    found = re.search(rf"Draft of call n° {number} written to (\S+)", drafted.stdout)
    assert found is not None, drafted.stdout
    (demo_draft,) = (folder / "drafts").iterdir()  # what the demo's step 5 wrote
    assert Path(found[1]).name == demo_draft.name  # <date>-<source>-<ref>: the same notice
    memoire = (Path(found[1]) / "memoire-technique.md").read_text("utf-8")
    assert title in memoire.replace("\\", "")  # Markdown escapes removed


def test_the_digest_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    page = html.unescape(re.sub(r"<[^>]+>", "\n", (folder / "data" / "digest.html").read_text()))
    words = " ".join(page.split())
    near = re.compile(
        rf"n° {number}\b.{{0,200}}{re.escape(title)}|{re.escape(title)}.{{0,200}}n° {number}\b"
    )
    assert near.search(words), words[:2000]


def test_the_calendar_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config = str(folder / "opco-watch.toml")
    feed = cli(folder, "--config", config, "calendar", "-o", "-")
    assert feed.returncode == 0, feed.stderr
    events = Calendar.from_ical(feed.stdout).walk("VEVENT")
    (event,) = [e for e in events if str(e["uid"]).startswith(f"tender-{number}@")]
    assert title in str(event["summary"])
    assert f"Appel n° {number} " in str(event["description"])
    assert f"/appels/{number}" in str(event["description"])  # the console's page of the call


def test_the_console_page_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config_file = folder / "opco-watch.toml"
    with serve(load_config(config_file), config_file) as (base, _app):
        page = httpx.get(f"{base}/appels/{number}", timeout=60)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"<title>Appel n° {number} " in text
    assert re.search(r"<h1[^>]*>([^<]*)</h1>", text)[1] == title  # type: ignore[index]


def test_every_try_next_command_works(demo: tuple[Path, str, str]) -> None:
    folder, number, _ = demo
    output = (folder / "stdout.txt").read_text("utf-8")
    commands = [line.split(None, 1)[1] for line in output.splitlines() if "  opco-watch " in line]
    assert len(commands) >= 8 and any(f"draft {number}" in c for c in commands)
    (serve_line,) = [c for c in commands if c.split("#")[0].split()[-1] == "serve"]
    assert f"/appels/{number}" in serve_line  # the page the console shows the call on
    commands.remove(serve_line)  # it serves until stopped: the console test above runs it
    for command in commands:
        done = cli(folder, *shlex.split(command))
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
