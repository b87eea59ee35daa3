"""Learning from judgements: the model refines the verdict, and needs enough judgements."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest

from watcher.classify import Classifier, Document, LearnedModel, cross_validate

TODAY = date(2026, 3, 2)
DEV_SET = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-notices.jsonl"

PUBLICS = ["agents", "salariés", "encadrants", "apprentis", "bénévoles"]
LIKED = ["anglais", "espagnol", "allemand", "italien", "français langue étrangère"]
DISLIKED = ["SST", "incendie", "habilitation électrique", "CACES", "gestes et postures"]


def judgements(n: int) -> list[tuple[Document, bool]]:
    """Users who answer language calls and never safety calls (both are training calls)."""
    liked = [
        (Document(title=f"Formation {topic} pour les {public}"), True)
        for topic, public in itertools.product(LIKED, PUBLICS)
    ]
    disliked = [
        (Document(title=f"Formation {topic} pour les {public}"), False)
        for topic, public in itertools.product(DISLIKED, PUBLICS)
    ]
    return liked[:n] + disliked[:n]


def test_no_model_below_the_minimum_of_each_class() -> None:
    examples = judgements(25)
    assert LearnedModel.train(examples[:9] + examples[25:]) is None
    assert LearnedModel.train(examples[:25] + examples[25:34]) is None
    assert LearnedModel.train(judgements(10)) is not None


def test_model_learns_the_users_preference() -> None:
    model = LearnedModel.train(judgements(25))
    assert model is not None
    liked = model.probability(Document(title="Formation en anglais des agents territoriaux"))
    disliked = model.probability({"title": "Formation SST des agents territoriaux"})
    assert liked > 0.6 > 0.4 > disliked


def test_model_refines_the_score_and_says_so() -> None:
    model = LearnedModel.train(judgements(25))
    rules, refined = Classifier(), Classifier(model=model)
    english = Document(title="Formation anglais professionnel")
    safety = Document(title="Formation incendie et évacuation")
    assert (
        refined.assess(english, today=TODAY).match.score
        >= rules.assess(english, today=TODAY).match.score
    )
    assert (
        refined.assess(safety, today=TODAY).match.score
        < rules.assess(safety, today=TODAY).match.score
    )
    reasons = refined.assess(english, today=TODAY).match.reasons
    assert any(r.startswith("modèle appris sur 50 avis : probabilité 0,") for r in reasons)


def test_blend_weight_grows_with_judgements() -> None:
    small, large = LearnedModel.train(judgements(10)), LearnedModel.train(judgements(25))
    assert small is not None and large is not None
    assert 0 < small.weight < large.weight <= 0.5
    assert small.blend(1.0, 0.0) == pytest.approx(1 - small.weight)


def test_cross_validation_on_the_dev_set() -> None:
    if not DEV_SET.is_file():
        pytest.skip(f"development set not found at {DEV_SET} (it lives in the shared folder)")
    figures = cross_validate(DEV_SET, folds=5, repeats=1)
    assert figures.n == 100 and figures.positives == 41
    assert figures.blended.f1 >= figures.rules.f1 - 1e-9, "the model must not hurt the rules"
    assert figures.model.f1 > 0.8
    assert "rules + model" in figures.format()
