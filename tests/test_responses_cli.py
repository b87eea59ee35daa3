"""``opco-watch documents``, ``draft`` and ``templates check`` through the real entry point."""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from responses.sample import sample_notice
from tests.conftest import Database, write_config
from tests.test_cli import cli
from watcher.store import Store

DOCUMENTS = """
[documents]
required = ["qualiopi", "urssaf"]
[[documents.items]]
kind = "qualiopi"
file = "qualiopi.pdf"
issued = 2025-01-10
number = "FR-2025-77"
[[documents.items]]
kind = "urssaf"
file = "urssaf.pdf"
issued = 2020-01-15
"""


@pytest.fixture
def folder(tmp_path: Path, database: Database) -> Path:
    """A config with two documents (one expired) and one stored call due in the future."""
    write_config(tmp_path, DOCUMENTS)
    (tmp_path / "documents").mkdir()
    for name in ("qualiopi.pdf", "urssaf.pdf"):
        (tmp_path / "documents" / name).write_bytes(b"%PDF-1.4")
    notice = sample_notice(datetime.now(UTC).date())
    with Store.open(database.url) as store:
        store.upsert([notice], seen_at=datetime.now(UTC))
    return tmp_path


def test_documents_lists_statuses_as_json(folder: Path) -> None:
    result = cli(folder, "documents", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["kind"]: row for row in json.loads(result.stdout)}
    assert rows["qualiopi"]["status"] == "valid" and rows["urssaf"]["status"] == "expired"
    table = cli(folder, "documents")
    assert "expirée le" in table.stdout and "Certificat Qualiopi" in table.stdout
    # what « expire avant la date limite » is measured by, in the table's language
    for_call = " ".join(cli(folder, "documents", "--for", sample_notice().ref).stdout.split())
    assert "« expire avant la date limite » : celle du " in for_call
    assert "(appel n° " in for_call and "expiring" not in for_call


def test_draft_writes_the_folder_and_warns(folder: Path) -> None:
    out = folder / "brouillon"
    refused = cli(folder, "draft", sample_notice().ref, "--out", str(out))  # blocked: said first
    assert refused.returncode == 2 and "attestation URSSAF expirée le" in refused.stderr
    assert "aucun projet écrit (--force" in refused.stderr and not out.exists()
    result = cli(folder, "draft", sample_notice().ref, "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert "dossier.zip" in result.stdout
    assert "pièce bloquante\u00a0: attestation URSSAF expirée le" in result.stderr
    with zipfile.ZipFile(out / "dossier.zip") as archive:
        assert "pieces/certificat-qualiopi.pdf" in archive.namelist()
    again = cli(folder, "draft", sample_notice().ref, "--out", str(out), "--force")
    assert again.returncode == 5 and "is not empty" in again.stderr
    assert "Traceback" not in again.stderr


def test_draft_of_an_unknown_lot(folder: Path) -> None:
    result = cli(folder, "draft", sample_notice().ref, "--lot", "9", "--force")
    assert result.returncode == 5 and "no such lot" in result.stderr


def test_templates_check(folder: Path) -> None:
    assert cli(folder, "templates", "check").returncode == 0
    (folder / "mine").mkdir()
    (folder / "mine" / "DC1.docx").write_bytes(b"broken")
    config = folder / "opco-watch.toml"
    config.write_text(config.read_text() + '\n[responses]\ntemplates_folder = "mine"\n')
    result = cli(folder, "templates", "check")
    assert result.returncode == 2 and "not a readable .docx file" in result.stderr
