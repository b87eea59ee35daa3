"""The CLI through its real entry point (``python -m watcher``), in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, Database, write_config
from tests.terminal import on_terminal
from watcher.devserver import DevServer, Fault

#: the sources the CLI tests poll (each source has parser tests of its own)
FOUNDATION = ("--source", "boamp", "--source", "akto")


def cli(folder: Path, *args: str, columns: int = 200) -> subprocess.CompletedProcess[str]:
    """``opco-watch ARGS`` run in ``folder`` as a process, without colour, ``columns`` wide."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    env.pop("OPCO_WATCH_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "watcher", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert result.returncode == code, result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_init_then_check(tmp_path: Path) -> None:
    assert cli(tmp_path, "init").returncode == 0
    assert (tmp_path / "opco-watch.toml").exists()
    checked = cli(tmp_path, "config", "check")
    assert checked.returncode == 0 and "est valide" in checked.stdout
    assert_clean_error(cli(tmp_path, "init"), 2, "existe déjà")


def test_check_reports_each_problem_with_its_key(tmp_path: Path) -> None:
    write_config(tmp_path, "[sources.bomap]\n[store]\ndata_dri = 'x'\n")
    result = cli(tmp_path, "config", "check")
    assert_clean_error(result, 2, "sources.bomap\u00a0: unknown source 'bomap'")
    assert (
        "store.data_dri\u00a0: unknown key" in result.stderr
        and "did you mean 'data_dir'" in result.stderr
    )


def test_missing_config_is_explained(tmp_path: Path) -> None:
    assert_clean_error(cli(tmp_path, "list"), 2, "lancez `opco-watch init`")
    assert_clean_error(cli(tmp_path, "config", "check"), 2, "aucun fichier de configuration")


@pytest.fixture
def polled(tmp_path: Path, demo_server: DevServer, database: Database) -> Path:
    write_config(tmp_path)
    result = cli(tmp_path, "poll", *FOUNDATION, "--mirror", demo_server.base_url, "--json")
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert {r["source"]: r["new"] for r in reports} == {"boamp": 6, "akto": 4}
    return tmp_path


def test_list_json_is_parseable_and_filters(polled: Path) -> None:
    everything = json.loads(cli(polled, "list", "--json").stdout)
    assert len(everything) == 10 and {"number", "key", "title", "deadline"} <= set(everything[0])
    assert len(json.loads(cli(polled, "list", "--json", "--source", "akto").stdout)) == 4
    clea = json.loads(cli(polled, "list", "--json", "--text", "clea").stdout)
    assert sorted(c["key"] for c in clea) == [  # accent- and case-insensitive
        "akto:https://www.akto.fr/appels-d-offres/parcours-clea-hauts-de-france/",
        "boamp:26-90210",
    ]
    assert json.loads(cli(polled, "list", "--json", "--since", "1d").stdout)


def test_list_table_and_show(polled: Path) -> None:
    table = cli(polled, "list")
    assert table.returncode == 0 and "Atlas" in table.stdout  # the OPCO's one name
    assert "OPCO ATLAS" not in table.stdout  # as BOAMP spells it
    shown = cli(polled, "show", "26-91551")
    assert shown.returncode == 0 and "180\u202f000 € HT" in shown.stdout
    assert "Prise de poste du manager de proximité" in shown.stdout
    assert_clean_error(cli(polled, "show", "999"), 4, "aucun appel «\u00a0999\u00a0»")


def test_a_persons_judgement_wins_in_list_relevant_and_show(polled: Path) -> None:
    """One rule everywhere (the console, the digest): the latest judgement, else the verdict."""

    def relevant_keys() -> set[str]:
        listed = cli(polled, "list", "--relevant", "--json")
        assert listed.returncode == 0, listed.stderr
        return {call["key"] for call in json.loads(listed.stdout)}

    everything = {c["key"]: c for c in json.loads(cli(polled, "list", "--json").stdout)}
    by_verdict = {k for k, c in everything.items() if c["verdict"]["relevant"]}
    assert relevant_keys() == by_verdict and "boamp:26-91551" in by_verdict
    other = sorted(set(everything) - by_verdict)[0]
    assert cli(polled, "feedback", "26-91551", "irrelevant").returncode == 0
    assert cli(polled, "feedback", other, "relevant").returncode == 0
    assert relevant_keys() == by_verdict - {"boamp:26-91551"} | {other}
    shown = cli(polled, "show", "26-91551")
    assert "jugé pas pertinent" in shown.stdout and "l'emporte sur le verdict" in shown.stdout
    judgement = json.loads(cli(polled, "show", "26-91551", "--json").stdout)["judgement"]
    assert judgement is not None and judgement["relevant"] is False


def terminal(folder: Path, *args: str, columns: int) -> tuple[int, str]:
    """``opco-watch ARGS`` on a terminal ``columns`` wide (a pty): what a person sees."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    env.pop("OPCO_WATCH_CONFIG", None)
    code, raw = on_terminal(folder, args, env)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", raw.decode("utf-8"))
    return code, shown.replace("\r\n", "\n")


def test_list_shows_a_persons_judgement_not_the_verdict_it_overrides(polled: Path) -> None:
    """« pas pertinent » on a call the classifier said go: the table says « jugé non » (and
    why, under it), readable at 80 columns; --json gives the judgement and what wins."""
    everything = json.loads(cli(polled, "list", "--json").stdout)
    judged = next(c for c in everything if c["verdict"] and c["verdict"]["go"])
    assert judged["judgement"] is None and judged["relevant"]
    number = str(judged["number"])
    assert cli(polled, "feedback", number, "irrelevant").returncode == 0
    code, shown = terminal(polled, "list", columns=80)
    assert code == 0, shown
    (row,) = [ln for ln in shown.splitlines() if re.match(rf"│ *{judged['number']} │", ln)]
    assert "jugé non" in row and " go " not in row, row
    assert all(len(ln) <= 80 for ln in shown.splitlines()), shown
    legend = "« jugé oui / non »\u00a0: l'avis d'une personne sur la pertinence"
    assert legend in " ".join(shown.split("\n")).replace("  ", " "), shown
    again = {c["number"]: c for c in json.loads(cli(polled, "list", "--json").stdout)}
    assert again[judged["number"]]["judgement"] == {"relevant": False, "author": ""}
    assert again[judged["number"]]["relevant"] is False
    assert again[judged["number"]]["verdict"]["go"]  # the verdict itself is kept
    plain = cli(polled, "list", "--text", "clea")
    assert plain.returncode == 0 and "jugé" not in plain.stdout  # no judgement: no legend


@pytest.mark.parametrize("searched", ["", "   ", "...", " - ! "])
def test_list_text_refuses_a_text_without_a_word(polled: Path, searched: str) -> None:
    """It would list every call: refused as a bad option, with the usage line."""
    result = cli(polled, "list", "--text", searched)
    assert_clean_error(result, 2, "Invalid value for '--text' / '-t'")
    assert "ne contient ni lettre ni chiffre" in result.stderr and result.stdout == ""
    assert "Usage: opco-watch list" in result.stderr or "Usage: python -m watcher" in result.stderr


def test_sources_health_json(polled: Path) -> None:
    rows = {r["source"]: r for r in json.loads(cli(polled, "sources", "--json").stdout)}
    assert rows["akto"]["last_success"] and rows["akto"]["items_last"] == 4
    assert rows["boamp"]["consecutive_failures"] == 0


def test_poll_exit_code_says_a_source_failed(
    tmp_path: Path, demo_server: DevServer, database: Database
) -> None:
    write_config(tmp_path)
    demo_server.script("/www.akto.fr/appels-d-offres/", [Fault.status(503)] * 3)
    result = cli(tmp_path, "poll", *FOUNDATION, "--mirror", demo_server.base_url)
    assert result.returncode == 1
    assert "HTTP 503" in result.stdout
    health = cli(tmp_path, "sources")
    assert "HTTP 503" in health.stdout


def test_unknown_source_and_bad_since(tmp_path: Path) -> None:
    write_config(tmp_path)
    assert_clean_error(
        cli(tmp_path, "poll", "--source", "nope"), 2, "source inconnue «\u00a0nope\u00a0»"
    )
    assert_clean_error(cli(tmp_path, "list", "--since", "yesterday"), 2, "n'est ni une date")


def test_unusable_database_is_a_store_error(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the data folder should be")
    write_config(tmp_path, "[store]\ndata_dir = 'blocker'\n")
    assert_clean_error(cli(tmp_path, "list"), 3, "cannot open database")


def test_sources_snapshot_saves_dated_pages(tmp_path: Path, demo_server: DevServer) -> None:
    write_config(tmp_path)
    result = cli(
        tmp_path,
        "sources",
        "snapshot",
        "akto",
        "--out",
        "snaps",
        "--details",
        "2",
        "--mirror",
        demo_server.base_url,
    )
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "snaps" / "akto").iterdir()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest[0]["url"] == "https://www.akto.fr/appels-d-offres/"
    assert len(manifest) == 3 and all((folder / e["file"]).stat().st_size for e in manifest)
    assert (
        "real capture of https://www.akto.fr/appels-d-offres/"
        in (folder / "PROVENANCE.md").read_text()
    )
    assert_clean_error(
        cli(tmp_path, "sources", "snapshot", "nope"), 2, "source inconnue «\u00a0nope\u00a0»"
    )
