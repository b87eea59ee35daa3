"""A response draft made as the demo makes it: the example documents (written into a vault),
profile and organisation; for tests that read what a draft says."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from responses.demo import write_demo_files
from responses.draft import make_draft
from responses.sample import SampleOrganisation
from responses.settings import load_example
from responses.vault import Vault
from watcher.classify.profile import load_example_profile
from watcher.models import Notice


def example_draft(tmp_path: Path, notice: Notice, *, now: datetime) -> dict[str, Path]:
    """The files of ``notice``'s draft at ``now``, by name (written under ``tmp_path``)."""
    documents, responses = load_example()
    write_demo_files(documents, tmp_path / "config" / documents.folder)
    result = make_draft(
        notice,
        organisation=SampleOrganisation(),
        profile=load_example_profile(),
        responses_settings=responses,
        vault=Vault.load(documents, tmp_path / "config"),
        out_dir=tmp_path / "out",
        now=now,
    )
    return {path.name: path for path in result.files}
