"""The verdict on a call: the classifier's, plus the evidence vault's blockers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.conftest import ROOT, write_config
from watcher.config import Config, load_config
from watcher.judging import Judge, forget_learners, wait_for_learning
from watcher.models import PARIS, Notice
from watcher.store import Store

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


# ------------------------------------------------------------------------ learning from judgements

FIRE = [
    "Formation incendie et manipulation des extincteurs des agents",
    "Formation d'équipiers de première intervention incendie",
    "Formation évacuation incendie, guide-file et serre-file",
    "Formation incendie des agents des écoles",
    "Formation à la sécurité incendie du personnel",
]
UNSEEN = Notice(
    "akto", "new", "Formation incendie du personnel des crèches", "https://www.akto.fr/n"
)
T0 = datetime(2026, 3, 2, 9, tzinfo=PARIS)
EXAMPLE_PROFILE = (ROOT / "watcher" / "classify" / "example_profile.toml").read_text("utf-8")


def _fire_notices() -> list[Notice]:
    return [Notice("akto", f"f{i}", t, f"https://www.akto.fr/f{i}") for i, t in enumerate(FIRE)]


@pytest.fixture
def learning(tmp_path: Path) -> Iterator[Config]:
    forget_learners()
    config = load_config(write_config(tmp_path, EXAMPLE_PROFILE))
    config.data_dir.mkdir(parents=True, exist_ok=True)
    with Store.open(config.database) as store:
        store.upsert([*_fire_notices(), UNSEEN], seen_at=T0)
    yield config
    wait_for_learning(config)
    forget_learners()


def test_judge_learn_changes_the_next_verdict_at_once(learning: Config) -> None:
    with Store.open(learning.database) as store:
        judge = Judge.from_config(learning, store)
    today = date(2026, 3, 2)
    assert judge.judge(UNSEEN, today=today).relevant
    for notice in _fire_notices():
        judge.learn(notice, False)  # what the console does after Store.add_feedback
    match = judge.judge(UNSEEN, today=today)
    assert not match.relevant
    assert match.reasons[-1].startswith("appris de vos retours\u00a0: 5 appels semblables")


def test_judgements_in_the_store_teach_a_new_process_before_its_first_verdict(
    learning: Config,
) -> None:
    with Store.open(learning.database) as store:
        for notice in _fire_notices():
            store.add_feedback(notice.key, False, at=T0)
    forget_learners()  # as in a new process (`opco-watch poll` after `opco-watch feedback`)
    with Store.open(learning.database) as store:
        judge = Judge.from_config(learning, store)
    assert not judge.judge(UNSEEN, today=date(2026, 3, 2)).relevant


def test_new_judgements_are_learnt_in_the_background_without_blocking_a_poll(
    learning: Config,
) -> None:
    with Store.open(learning.database) as store:
        first = Judge.from_config(learning, store)
        learner = first.classifier.model
        assert learner is not None and len(learner) == 0
        for notice in _fire_notices():  # written by another process: this one was not told
            store.add_feedback(notice.key, False, at=T0)
        with learner._lock:  # the learner is busy: a refresh has to wait, a poll does not
            second = Judge.from_config(learning, store)
            assert second.classifier.model is learner
            assert len(learner) == 0, "the judge was returned before the refresh"
            assert second.judge(UNSEEN, today=date(2026, 3, 2)).relevant
    assert wait_for_learning(learning)
    assert len(learner) == 5
    assert not second.judge(UNSEEN, today=date(2026, 3, 2)).relevant
