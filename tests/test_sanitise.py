"""Control characters and terminal escapes from the web: cleaned once, at ingestion.

Unit tests of ``watcher.sanitise``, then a hostile site on loopback polled by the real
pipeline into a real SQLite file, and the bytes that come out of it: the stored notices,
the alert email (.eml), the calendar (.ics) and ``show --json``.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest
from click.testing import CliRunner

from scrapers.base import ParseResult, Source
from tests.conftest import PAGE_DAY
from watcher.cli import main
from watcher.config import Config, load_config
from watcher.devserver import DevServer
from watcher.fetch import Fetcher, Request
from watcher.judging import Judge
from watcher.models import PARIS, Lot, Notice
from watcher.notify.settings import settings_of
from watcher.pipeline import RunContext, run_once
from watcher.sanitise import NO_TITLE, clean_block, clean_line, clean_link, clean_notice
from watcher.starter import write_starter
from watcher.store import Store

#: what a hostile page puts in its text: window title (OSC 0), clear screen, colours, a
#: terminal hyperlink (OSC 8), NUL, BEL, backspace, DEL, 8-bit CSI, a bidi override, and a
#: CR LF that would start a new mail header
HOSTILE = (
    "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x00\x07\x08\x7f\x9b2J\u202e"
    "\x1b]8;;file:///etc/passwd\x1b\\lien\x1b]8;;\x1b\\\r\nBcc: evil@example.org"
)
#: C0 (but tab and line feed), DEL, C1, bidi embeddings/overrides/isolates, line separators
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CONTROL_BYTES = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]"
)


# ----------------------------------------------------------------------------- the functions


@pytest.mark.parametrize(
    ("raw", "line", "block"),
    [
        ("Formation\x1b]0;pwned\x07 SST\x1b[2J", "Formation SST", "Formation SST"),
        ("\x1b[1;31mrouge\x1b[0m et noir", "rouge et noir", "rouge et noir"),
        ("\x1b]8;;file:///etc/passwd\x1b\\lien\x1b]8;;\x1b\\", "lien", "lien"),
        ("a\x00b\x07c\x08d\x7fe", "abcde", "abcde"),
        (
            "ligne 1\r\nligne 2\rligne 3\tfin",
            "ligne 1 ligne 2 ligne 3 fin",
            "ligne 1\nligne 2\nligne 3\tfin",
        ),
        ("titre \x1b]0;sans fin", "titre", "titre "),
        ("\u202eevil\u2066x\u2069", "evilx", "evilx"),
        # C1 code points are Windows-1252 bytes read as Latin-1: the character meant
        (
            "main-d\x9cuvre, l\x92offre\x85 \x9b2J",
            "main-dœuvre, l’offre… ›2J",
            "main-dœuvre, l’offre… ›2J",
        ),
        (
            "Île-de-France — « 12 000 € » ’",
            "Île-de-France — « 12 000 € » ’",
            "Île-de-France — « 12 000 € » ’",
        ),
    ],
)
def test_clean_line_and_block(raw: str, line: str, block: str) -> None:
    assert (clean_line(raw), clean_block(raw)) == (line, block)
    assert not CONTROL.search(clean_line(raw) + clean_block(raw).replace("\n", ""))


def test_clean_text_is_returned_as_is() -> None:
    text = "Formation « management » — 12 000 € HT\n\tlot 1"
    assert clean_block(text) is text and clean_line("Formation") == "Formation"


def test_links_keep_their_identity_encoded() -> None:
    assert clean_link("https://x.fr/a\x1b[2J b") == "https://x.fr/a%1B[2J b"
    assert clean_link("https://x.fr/ok") == "https://x.fr/ok"


def test_a_notice_is_cleaned_field_by_field() -> None:
    dirty = Notice(
        "akto",
        "ref\x1b[2J",
        "\x1b]0;x\x07",
        "https://www.akto.fr/a\x07",
        buyer=f"AKTO{HOSTILE}",
        summary="l'offre\x1b[2J\nsuite",
        lots=(
            Lot(
                f"Lot {HOSTILE}",
                description=f"une\r\ndeux{HOSTILE}",
                places=(f"Bretagne{HOSTILE}",),
            ),
        ),
        places=(f"Île-de-France{HOSTILE}",),
        deadline_text=f"12/03{HOSTILE}",
        winner=f"OF{HOSTILE}",
        procedure=f"MAPA{HOSTILE}",
    )
    clean = clean_notice(dirty)
    assert clean.title == NO_TITLE and clean.ref == "ref%1B[2J"
    assert clean.url == "https://www.akto.fr/a%07"
    assert clean.summary == "l'offre\nsuite" and clean.lots[0].description.startswith("une\ndeux")
    assert all_clean(clean.to_json())
    assert clean_notice(clean) is clean  # already clean: the same object, the same fingerprint


def all_clean(value: Any, multiline: bool = False) -> bool:
    """No control character left in any string of a JSON value (line breaks only where
    a field may hold several lines)."""
    if isinstance(value, dict):
        return all(all_clean(v, k in ("summary", "body", "description")) for k, v in value.items())
    if isinstance(value, list):
        return all(all_clean(v, multiline) for v in value)
    if isinstance(value, str):
        text = value.replace("\n", "").replace("\t", "") if multiline else value
        return not CONTROL.search(text)
    return True


# --------------------------------------------------------------- a hostile site, end to end


class Hostile(Source):
    """Hostile — a site whose every text field carries terminal escapes."""

    name = "hostile"
    hosts = ("hostile.test",)
    platform: ClassVar[str] = "api"

    def start_requests(self, today: date) -> list[Request]:
        return [Request("https://hostile.test/calls.json")]

    def parse(self, text: str, url: str) -> ParseResult:
        return ParseResult([Notice.from_json(record) for record in json.loads(text)])


def hostile_record(deadline: datetime) -> dict[str, Any]:
    """A relevant call for the starter profile, with HOSTILE in every text field."""
    title = "Formation management de proximité des managers"
    return {
        "source": "hostile",
        "ref": f"AO-1{HOSTILE}",
        "title": f"{title}{HOSTILE}",
        "url": "https://hostile.test/ao/1",
        "buyer": f"OPCO ATLAS{HOSTILE}",
        "published": PAGE_DAY.isoformat(),
        "deadline": deadline.isoformat(),
        "deadline_text": f"Date limite{HOSTILE}",
        "summary": f"Accord-cadre de formation au management de proximité.{HOSTILE}",
        "body": f"Formation des managers de proximité en Île-de-France.{HOSTILE}\nSuite.",
        "lots": [
            {
                "title": f"Lot 1 management{HOSTILE}",
                "number": f"1{HOSTILE}",
                "description": f"Managers{HOSTILE}",
                "places": [f"Île-de-France{HOSTILE}"],
            }
        ],
        "places": [f"Île-de-France{HOSTILE}"],
        "procedure": f"Procédure adaptée{HOSTILE}",
        "documents": [f"https://hostile.test/dce.zip{HOSTILE}"],
        "buyer_ref": f"REF{HOSTILE}",
        "winner": f"Personne{HOSTILE}",
        "platform_url": f"https://hostile.test/depot{HOSTILE}",
    }


@pytest.fixture
def config(tmp_path: Path) -> Config:
    file = tmp_path / "opco-watch.toml"
    write_starter(file)
    return load_config(file)


def poll_hostile(config: Config, server: DevServer) -> None:
    async def scenario() -> None:
        with Store.open(config.database) as store:
            async with Fetcher(config.fetch_settings(mirror=server.base_url)) as fetcher:
                ctx = RunContext(
                    store=store,
                    fetcher=fetcher,
                    today=datetime.now(PARIS).date(),
                    judge=Judge.from_config(config, store),
                    notify=settings_of(config),
                )
                (report,) = await run_once([Hostile()], ctx)
                assert report.ok and report.new == 1, report

    asyncio.run(scenario())


def cli(config: Config, *args: str) -> bytes:
    result = CliRunner().invoke(main, ["--config", str(config.base_dir / "opco-watch.toml"), *args])
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


def test_a_hostile_page_leaves_no_control_character_in_store_mail_calendar_or_json(
    config: Config, server: DevServer
) -> None:
    deadline = (datetime.now(PARIS) + timedelta(days=20)).replace(microsecond=0)
    body = json.dumps([hostile_record(deadline)])
    assert "\\u001b" in body
    server.add("/hostile.test/calls.json", body, content_type="application/json")
    poll_hostile(config, server)

    with Store.open(config.database) as store:
        (stored,) = store.list_notices()
    assert all_clean(stored.notice.to_json())
    assert stored.notice.title.startswith("Formation management de proximité des managers")
    assert stored.notice.body.endswith("\nSuite.")  # the line break of a body is kept

    cli(config, "send")
    (eml,) = (config.data_dir / "outbox").glob("*.eml")
    message = cast(EmailMessage, message_from_bytes(eml.read_bytes(), policy=policy.default))
    subject = str(message["Subject"])
    assert subject.endswith("— Atlas") and not CONTROL.search(subject)  # its OPCO, one name
    assert message["Bcc"] is None and "evil@example.org" not in subject
    parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    assert len(parts) == 2 and "Formation management de proximité" in parts[0]
    for part in parts:  # the .eml keeps SMTP's CR LF line ends
        assert not CONTROL.search(part.replace("\r\n", "").replace("\n", "").replace("\t", ""))

    ics = cli(config, "calendar", "--all", "-o", "-")
    assert b"BEGIN:VEVENT" in ics and b"Formation management" in ics
    assert not CONTROL_BYTES.search(ics)

    shown = cli(config, "show", "1", "--json")
    assert not CONTROL_BYTES.search(shown)
    assert all_clean(json.loads(shown))  # nor hidden behind JSON's \\u001b escapes
