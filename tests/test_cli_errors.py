"""Every command given a bad path, number or option, through the real entry point: one clear
line saying what is wrong, the documented exit code (2 usage or configuration, 3 database,
4 not found, 5 other), never a traceback, and nothing created where it was not asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import write_config
from tests.notify_data import notice, poll
from tests.test_cli import ROOT
from tests.test_cli import cli as run_cli
from watcher.config import load_config
from watcher.models import PARIS
from watcher.notify.settings import settings_of
from watcher.store import Store

ABSENT = "absent/deeper"  # a folder that does not exist, under the test's folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A configuration, a store with one call (n° 1, ref A1) and a few files and folders."""
    folder = tmp_path_factory.mktemp("errors")
    config = load_config(write_config(folder))
    with Store.open(config.database) as store:
        due = datetime.now(PARIS) + timedelta(days=30)
        poll(store, [notice("A1", deadline=due)], settings_of(config), at=datetime.now(UTC))
    (folder / "a-file.txt").write_text("not a folder")
    (folder / "a-folder").mkdir()
    (folder / "in.jsonl").write_text(json.dumps({"id": "a", "title": "Formation"}) + "\n")
    return folder


def cli(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(folder, *args, columns=100)


#: (arguments, exit code, words of the message); "ours" errors are one line "erreur : ..."
OURS = [
    (("--config", "missing.toml", "list"), 2, "aucun fichier de configuration à missing.toml"),
    (("--config", "a-folder", "list"), 2, "a-folder"),
    (
        ("list", "--since", "yesterday"),
        2,
        "--since\u00a0: «\u00a0yesterday\u00a0» n'est ni une date",
    ),
    (
        ("list", "--since", "99999999999d"),
        2,
        "--since\u00a0: «\u00a099999999999d\u00a0» n'est ni une date",
    ),
    (("list", "--source", "nope"), 2, "source inconnue «\u00a0nope\u00a0»"),
    (("show", "999"), 4, "aucun appel «\u00a0999\u00a0»"),
    (("show", "#999"), 4, "aucun appel «\u00a0#999\u00a0»"),
    (("show", "99999999999999999999"), 4, "aucun appel «\u00a099999999999999999999\u00a0»"),
    (("show", "akto:nope"), 4, "aucun appel «\u00a0akto:nope\u00a0»"),
    (("feedback", "999", "relevant"), 4, "aucun appel «\u00a0999\u00a0»"),
    (("documents", "--for", "999"), 4, "aucun appel «\u00a0999\u00a0»"),
    (("draft", "999"), 4, "aucun appel «\u00a0999\u00a0»"),
    (
        ("draft", "1", "--out", "a-file.txt"),
        2,
        "--out\u00a0: a-file.txt est un fichier, pas un dossier",
    ),
    (
        ("draft", "1", "--out", f"{ABSENT}/draft"),
        2,
        f"--out\u00a0: le dossier {ABSENT} n'existe pas",
    ),
    (("draft", "1", "--lot", "9"), 5, "no such lot"),
    (("status", "999", "go"), 4, "aucun appel «\u00a0999\u00a0»"),
    (("calendar", "-o", f"{ABSENT}/x.ics"), 2, f"--output\u00a0: le dossier {ABSENT} n'existe pas"),
    (("calendar", "-o", "a-folder"), 2, "--output\u00a0: a-folder est un dossier"),
    (
        ("calendar", "-o", "a-file.txt/x.ics"),
        2,
        "--output\u00a0: le dossier a-file.txt n'est pas un dossier",
    ),
    (("calendar", "-o", "/proc/x.ics"), 2, "--output\u00a0: impossible d'écrire /proc/x.ics"),
    (
        ("digest", "--html", f"{ABSENT}/d.html"),
        2,
        f"--html\u00a0: le dossier {ABSENT} n'existe pas",
    ),
    (("digest", "--week", "2026-99"), 2, "is not an ISO week"),
    (
        ("digest", "--to", "boss-at-of"),
        2,
        "--to\u00a0: «\u00a0boss-at-of\u00a0» n'est pas une adresse e-mail",
    ),
    (("init", "--path", f"{ABSENT}/x.toml"), 2, f"--path\u00a0: le dossier {ABSENT} n'existe pas"),
    (("init", "--path", "a-folder"), 2, "--path\u00a0: a-folder est un dossier"),
    (("init", "--path", "opco-watch.toml"), 2, "opco-watch.toml existe déjà"),
    (("sources", "snapshot", "nope"), 2, "source inconnue «\u00a0nope\u00a0»"),
    (
        ("sources", "snapshot", "akto", "--out", f"{ABSENT}/s"),
        2,
        f"--out\u00a0: le dossier {ABSENT}",
    ),
    (("poll", "--source", "nope"), 2, "source inconnue «\u00a0nope\u00a0»"),
    (("demo", "--dir", "a-file.txt"), 2, "--dir\u00a0: a-file.txt est un fichier, pas un dossier"),
    (("demo", "--dir", f"{ABSENT}/demo"), 2, f"--dir\u00a0: le dossier {ABSENT} n'existe pas"),
]
#: click's own usage errors: "Usage: ..." then "Error: ...", exit 2
CLICK = [
    (("list", "-n", "0"), "0 is not in the range"),
    (("digest", "--html", "a-folder"), "'a-folder' is a directory"),
    (("feedback", "1", "maybe"), "'maybe' is not one of"),
    (("status", "1", "maybe"), "'maybe' is not one of"),
    (("reminders", "--today", "2026-13-45"), "does not match the format"),
    (("classify", "--input", "absent.jsonl"), "No such file or directory"),
    (("classify", "--input", "in.jsonl", "--output", f"{ABSENT}/out.jsonl"), "No such file"),
    (("eval", "--input", "absent.jsonl"), "No such file or directory"),
    (("show",), "Missing argument 'IDENT'"),
    (("nope",), "No such command 'nope'"),
]


@pytest.mark.parametrize(("args", "code", "words"), OURS, ids=[" ".join(c[0]) for c in OURS])
def test_a_user_error_is_one_clear_line(
    folder: Path, args: tuple[str, ...], code: int, words: str
) -> None:
    done = cli(folder, *args)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    first, *more = done.stderr.strip().splitlines()
    assert first.startswith("erreur\u00a0: ") and words in done.stderr, done.stderr
    assert len(more) <= 1 and all(m.startswith(("  -> ", "- ")) for m in more), done.stderr
    assert not (folder / "absent").exists()  # nothing created where it was not asked


@pytest.mark.parametrize(("args", "words"), CLICK, ids=[" ".join(c[0]) for c in CLICK])
def test_a_usage_error_says_how_to_use_it(folder: Path, args: tuple[str, ...], words: str) -> None:
    done = cli(folder, *args)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and words in done.stderr
    assert done.stderr.strip().splitlines()[-1].startswith("Error: ")
    assert not (folder / "absent").exists()


def test_an_unusable_database_is_exit_3(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the data folder should be")
    write_config(tmp_path, "[store]\ndata_dir = 'blocker'\n")
    for args in (("list",), ("show", "1"), ("status", "1"), ("sources",), ("calendar",)):
        done = cli(tmp_path, *args)
        assert done.returncode == 3 and "cannot open database" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [("list",), ("list", "--json"), ("show", "1")])
def test_a_reader_that_goes_away_ends_the_command_quietly(
    folder: Path, args: tuple[str, ...]
) -> None:
    """``opco-watch list | head``: the pipe is closed before the command writes (closed here
    at once, so its first write fails): no "error: Broken pipe", no traceback, exit 141."""
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    env.pop("OPCO_WATCH_CONFIG", None)
    command = [sys.executable, "-m", "watcher", *args]
    with subprocess.Popen(
        command, cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        stderr = process.stderr.read().decode()
        code = process.wait(timeout=600)
    assert stderr == "" and code == 141, (code, stderr)
