"""The verdict on a call: the classifier's, plus the evidence vault's blockers."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from tests.conftest import write_config
from watcher.config import load_config
from watcher.judging import Judge
from watcher.models import PARIS, Notice

CALL = Notice(
    "akto",
    "x",
    "Formation Sauveteur Secouriste du Travail (SST) pour les salariés",
    "https://www.akto.fr/x",
    buyer="AKTO",
    cpv=("80550000",),
    deadline=datetime(2026, 9, 30, 12, tzinfo=PARIS),
)
VAULT = """
[documents]
folder = "documents"
required = ["urssaf", "kbis"]

[[documents.items]]
kind = "urssaf"
file = "urssaf.pdf"
issued = 2026-01-15
"""


def test_expired_or_missing_required_documents_block_the_call(tmp_path: Path) -> None:
    (tmp_path / "documents").mkdir()
    (tmp_path / "documents" / "urssaf.pdf").write_bytes(b"%PDF-1.4 demo")
    judge = Judge.from_config(load_config(write_config(tmp_path, VAULT)))
    match = judge.judge(CALL, today=date(2026, 8, 1))  # the attestation expired on 14 July
    assert any("URSSAF" in b and "expir" in b for b in match.blockers), match.blockers
    assert any("Kbis" in b or "kbis" in b for b in match.blockers), match.blockers
    assert not match.go


def test_without_a_vault_only_the_classifier_speaks(tmp_path: Path) -> None:
    judge = Judge.from_config(load_config(write_config(tmp_path)))
    match = judge.judge(CALL, today=date(2026, 8, 1))
    assert match == judge.classifier.classify(CALL, today=date(2026, 8, 1))
