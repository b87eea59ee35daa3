"""The commands of alerts and digests, through click, on a config in a temp folder."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from tests.conftest import Database, write_config
from tests.notify_data import T0, notice, poll
from watcher.cli.notify import COMMANDS
from watcher.config import load_config
from watcher.models import PARIS
from watcher.notify.settings import settings_of
from watcher.store import Store


@click.group()
@click.option("--config", "config_file", type=click.Path(path_type=Path))
@click.pass_context
def cli(ctx: click.Context, config_file: Path) -> None:
    ctx.obj = config_file


for command in COMMANDS:
    cli.add_command(command)


@pytest.fixture
def config_file(tmp_path: Path, database: Database) -> Path:
    file = write_config(tmp_path)
    config = load_config(file)
    with Store.open(config.database) as store:
        soon = datetime.now(PARIS) + timedelta(days=20)
        calls = [
            notice("A1", "Formation management", deadline=datetime(2026, 3, 9, 12, tzinfo=PARIS)),
            notice("A2", "Cours d'anglais", deadline=soon),
        ]
        poll(store, calls, settings_of(config))
    return file


def invoke(config_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_file), *args])


def test_status_shows_and_sets(config_file: Path) -> None:
    assert "new (nouveau)" in invoke(config_file, "status", "1").output
    result = invoke(config_file, "status", "#1", "go")
    assert (
        result.exit_code == 0
        and "Appel n°\u00a01 «\u00a0Formation management\u00a0»\u00a0: go (go)" in result.output
    )
    assert "go (go)" in invoke(config_file, "status", "akto:A1").output
    missing = invoke(config_file, "status", "99", "won")
    assert missing.exit_code == 4 and "aucun appel «\u00a099\u00a0»" in missing.output
    assert invoke(config_file, "status", "1", "maybe").exit_code == 2


def test_send_writes_eml_files(config_file: Path) -> None:
    result = invoke(config_file, "send")
    assert result.exit_code == 0, result.output
    assert "1\u00a0e-mail écrit dans" in result.output  # one recipient: the default one
    assert len(list((config_file.parent / "data" / "outbox").glob("*.eml"))) == 1
    assert "0\u00a0e-mail écrit" in invoke(config_file, "send").output


def test_digest_html_only_writes_the_file(config_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "digest.html"
    result = invoke(config_file, "digest", "--week", "2026-W10", "--html", str(target))
    assert result.exit_code == 0, result.output
    assert (
        "Synthèse de la semaine 10, du lundi 2 au dimanche 8 mars 2026 écrite dans" in result.output
    )
    assert "(1\u00a0appel à traiter, 1\u00a0écarté)" in result.output  # A1's deadline has passed
    assert "<svg" in target.read_text("utf-8")
    assert "queued" not in result.output


def test_digest_to_one_address(config_file: Path) -> None:
    result = invoke(config_file, "digest", "--week", "2026-W10", "--to", "boss@of.fr")
    assert result.exit_code == 0 and "1\u00a0e-mail en file d'attente" in result.output
    assert re.search(r"\d\u00a0e-mails? (écrits?|envoyés?)", result.output), result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-13"], "is not an ISO week"),
        (["--to", "boss-at-of"], "n'est pas une adresse e-mail"),
    ],
)
def test_digest_bad_options(config_file: Path, args: list[str], message: str) -> None:
    result = invoke(config_file, "digest", *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_calendar_to_stdout_and_to_the_data_dir(config_file: Path) -> None:
    ics = invoke(config_file, "calendar", "-o", "-")
    assert ics.exit_code == 0 and ics.output.startswith("BEGIN:VCALENDAR")
    assert ics.output.count("BEGIN:VEVENT") == 1  # A1's deadline is long past
    written = invoke(config_file, "calendar")
    assert "opco-watch.ics" in written.output and "file://" in written.output


def test_reminders_for_a_call_marked_go(config_file: Path) -> None:
    invoke(config_file, "status", "1", "go")
    result = invoke(config_file, "reminders", "--today", "2026-03-04")
    assert result.exit_code == 0 and "1\u00a0rappel en file d'attente" in result.output
    assert (
        "0\u00a0rappel en file d'attente"
        in invoke(config_file, "reminders", "--today", "2026-03-05").output
    )
    assert T0.date().isoformat() == "2026-03-02"
