"""The draft as bid staff read it: zip entries in Paris time, and what is missing said in
plain French (the admin, not the bid staff, edits the configuration)."""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from responses.sample import SampleOrganisation, sample_notice
from responses.settings import DocumentsConfig, ResponsesConfig
from responses.vault import Vault
from tests.test_responses_draft import docx_text, draft, files, vault  # noqa: F401
from watcher.classify.profile import Profile
from watcher.models import PARIS, Notice

#: what the configuration's syntax looks like: « [organisation] siret », « [[documents.items]] »
CONFIG_SYNTAX = re.compile(r"\[\[?[a-z_.]+\]\]?")


@pytest.fixture
def utc_clock() -> Iterator[None]:
    """The process in UTC, as on the server: its local time is not Paris time."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.usefixtures("utc_clock")
def test_zip_entries_carry_paris_time(tmp_path: Path, vault: Vault) -> None:  # noqa: F811
    result = draft(tmp_path, sample_notice(), vault)
    archive_path = files(result)["dossier.zip"]
    with zipfile.ZipFile(archive_path) as archive:
        entries = archive.infolist()
    memo = next(e for e in entries if e.filename == "memoire-technique.docx")
    written = datetime.fromtimestamp(files(result)["memoire-technique.docx"].stat().st_mtime, UTC)
    paris = written.astimezone(PARIS)
    assert memo.date_time[:5] == (paris.year, paris.month, paris.day, paris.hour, paris.minute)
    assert paris.utcoffset() != written.utcoffset(), "Paris is never UTC: the test can fail"
    with zipfile.ZipFile(archive_path) as archive:
        assert archive.testzip() is None
        assert archive.getinfo("memoire-technique.docx").compress_type == zipfile.ZIP_DEFLATED


def test_what_the_draft_lacks_is_said_without_configuration_syntax(tmp_path: Path) -> None:
    notice = Notice("akto", "https://www.akto.fr/ao/1", "Formation SST", "https://www.akto.fr/ao/1")
    result = draft(
        tmp_path,
        notice,
        Vault.load(DocumentsConfig(), tmp_path),
        settings=ResponsesConfig(),
        profile=Profile(),
        organisation=replace(SampleOrganisation(), siret="", nda=""),
    )
    found = files(result)
    markdown = found["memoire-technique.md"].read_text("utf-8")
    word = docx_text(found["memoire-technique.docx"])
    checklist = found["checklist.md"].read_text("utf-8")
    for text in (markdown, word, checklist):
        assert CONFIG_SYNTAX.findall(text) == []
    for text in (markdown, word):
        assert "Il manque\u00a0: forme juridique, SIRET, numéro de déclaration d'activité" in text
        assert "votre administrateur les renseigne dans les réglages (" in text
