"""Learning from judgements: a handful of them changes verdicts; bad ones change nothing."""

from __future__ import annotations

import itertools
import random
from datetime import date
from pathlib import Path

import pytest

from watcher.classify import Classifier, Document, Learner, load_example_profile, train
from watcher.classify.crossval import cross_validate

TODAY = date(2026, 3, 2)
PROFILE = load_example_profile()
DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-notices.jsonl"

FIRE = [
    "Formation incendie et manipulation des extincteurs des agents",
    "Formation d'équipiers de première intervention incendie",
    "Formation évacuation incendie, guide-file et serre-file",
    "Formation incendie des agents des écoles",
    "Formation à la sécurité incendie du personnel",
]
UNSEEN_FIRE = [
    "Formation incendie pour le personnel des crèches",
    "Sessions de manipulation des extincteurs pour les agents",
    "Formation EPI incendie des agents techniques",
]
LANGUAGES = ["Formation en anglais professionnel des agents", "Cours d'espagnol pour les élus"]


def verdict(classifier: Classifier, title: str):  # type: ignore[no-untyped-def]
    return classifier.assess(Document(title=title), today=TODAY).match


def test_a_handful_of_judgements_flips_the_verdicts_of_that_class() -> None:
    rules = Classifier(PROFILE)
    assert all(verdict(rules, t).relevant for t in FIRE + UNSEEN_FIRE + LANGUAGES)
    judged = [(f"fire-{i}", Document(title=t), False) for i, t in enumerate(FIRE)]
    learner = train(judged, profile=PROFILE)
    learnt = Classifier(PROFILE, model=learner)
    for title in UNSEEN_FIRE:
        before, after = verdict(rules, title), verdict(learnt, title)
        assert before.relevant and not after.relevant, (title, after)
        # the rules' reasons are still there, beside what was learnt
        assert after.reasons[: len(before.reasons)] == before.reasons
        learnt_reason = after.reasons[-1]
        assert learnt_reason.startswith("appris de vos retours\u00a0: ")
        assert "jugés pas pertinents" in learnt_reason
    for title in LANGUAGES:  # another class: untouched
        assert verdict(learnt, title) == verdict(rules, title)


def test_judgements_for_a_class_the_rules_miss_lift_it() -> None:
    weak = [
        "Ateliers mémoire pour les seniors",
        "Ateliers mémoire et prévention des chutes",
        "Ateliers mémoire en résidence autonomie",
        "Ateliers mémoire des aînés du quartier",
        "Ateliers mémoire et équilibre",
        "Ateliers mémoire au centre social",
    ]
    rules = Classifier()
    assert not any(verdict(rules, t).relevant for t in weak)
    learnt = Classifier(model=train([(t, Document(title=t), True) for t in weak[:5]]))
    lifted = verdict(learnt, weak[5])
    assert lifted.relevant
    assert "jugés pertinents" in lifted.reasons[-1]


def test_a_new_judgement_replaces_the_old_one_on_the_same_notice() -> None:
    learner = Learner()
    rules = Classifier(PROFILE)
    doc = Document(title=FIRE[0])
    rules.teach(learner, "k", doc, False)
    rules.teach(learner, "k", doc, True)
    assert len(learner) == 1 and learner.relevant_of("k") is True


# ------------------------------------------------------------------------ guard rails


def _notices(rng: random.Random, n: int) -> list[tuple[Document, bool]]:
    """Training calls (clear, in the example profile's domains) and other purchases."""
    topics = ["SST", "incendie", "anglais", "bureautique Excel", "management", "espagnol"]
    publics = ["des agents", "des salariés", "du personnel", "des encadrants", "des élus"]
    others = ["Fourniture de mobilier", "Travaux de voirie", "Nettoyage des locaux"]
    out = []
    for i in range(n):
        if i % 2:
            out.append(
                (Document(title=f"Formation {rng.choice(topics)} {rng.choice(publics)}"), True)
            )
        else:
            out.append((Document(title=f"{rng.choice(others)} du site {i % 17}"), False))
    return out


def _clear_recall(classifier: Classifier, held_out: list[tuple[Document, bool]]) -> float:
    clear = [d for d, label in held_out if label]
    return sum(classifier.assess(d, today=TODAY).match.relevant for d in clear) / len(clear)


@pytest.mark.parametrize("seed", range(5))
def test_random_judgements_cannot_lower_the_recall_of_clear_trainings(seed: int) -> None:
    rng = random.Random(seed)
    judged = [(f"j{i}", d, rng.random() < 0.5) for i, (d, _label) in enumerate(_notices(rng, 300))]
    held_out = _notices(random.Random(100 + seed), 200)
    rules = Classifier(PROFILE)
    learnt = Classifier(PROFILE, model=train(judged, profile=PROFILE))
    assert _clear_recall(learnt, held_out) >= _clear_recall(rules, held_out) == 1.0


def test_contradictory_judgements_cannot_lower_the_recall_of_clear_trainings() -> None:
    rng = random.Random(7)
    pairs = _notices(rng, 200)
    # every notice judged twice, both ways, under two keys (two users, two sources...)
    judged = [
        (f"{who}{i}", d, verdict_)
        for i, (d, _label) in enumerate(pairs)
        for who, verdict_ in (("a", True), ("b", False))
    ]
    rng.shuffle(judged)
    learner = train(judged, profile=PROFILE)
    held_out = _notices(random.Random(8), 200)
    learnt, rules = Classifier(PROFILE, model=learner), Classifier(PROFILE)
    assert not learner.trusted
    assert _clear_recall(learnt, held_out) >= _clear_recall(rules, held_out)


def test_a_few_mistaken_judgements_cannot_turn_down_a_clear_training() -> None:
    """Two "not relevant" clicks on SST calls (with others liked) are not enough."""
    judged = [
        ("a", Document(title="Formation SST des agents techniques"), False),
        ("b", Document(title="Formation SST du personnel des crèches"), False),
        *[(f"ok{i}", Document(title=t), True) for i, t in enumerate(FIRE)],
        *[(f"no{i}", Document(title=f"Travaux de voirie lot {i}"), False) for i in range(5)],
    ]
    learnt = Classifier(PROFILE, model=train(judged, profile=PROFILE))
    assert verdict(learnt, "Formation SST des agents d'entretien").relevant


# ------------------------------------------------------------------------ cross-validation


def test_cross_validation_on_the_dev_set() -> None:
    if not DEV_SET.is_file():
        pytest.skip(f"development set not found at {DEV_SET} (it lives in the shared folder)")
    figures = cross_validate(DEV_SET, folds=5, repeats=1)
    assert figures.n == 100 and figures.positives == 41
    assert figures.learned.f1 >= figures.rules.f1 - 0.02, "the learner must not hurt the rules"
    assert len(figures.rules_f1) == 5
    assert "rules + learnt" in figures.format()


def test_learning_is_incremental() -> None:
    """Adding a judgement indexes one notice: the others are not re-read."""
    learner = Learner()
    rules = Classifier()
    for i, (title, label) in enumerate(itertools.product(FIRE, (True,))):
        rules.teach(learner, f"k{i}", Document(title=title), label)
    keys = learner.keys()
    before = {key: learner.relevant_of(key) for key in keys}
    rules.teach(learner, "new", Document(title=LANGUAGES[0]), False)
    assert {key: learner.relevant_of(key) for key in before} == before
    assert len(learner) == len(before) + 1
