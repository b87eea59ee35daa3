"""The cost of a verdict is bounded in the length of a detail body, and the verdict and its
reasons are the same as when the whole body is read (issue 12)."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

from watcher.classify import Classifier, Document, Profile, load_example_profile
from watcher.classify import analysis as an_module
from watcher.classify.analysis import BODY_HEAD, analyse

TODAY = date(2026, 3, 2)
GOLDEN = Path(__file__).resolve().parent / "pages" / "golden"
RULES = [
    "Le présent règlement de consultation précise les modalités de remise des offres.",
    "Les candidats transmettent leur offre par voie électronique sur le profil d'acheteur.",
    "Le dossier de consultation comprend le cahier des clauses particulières et ses annexes.",
    "Les prix sont réputés fermes pour toute la durée d'exécution de l'accord-cadre.",
    "Le titulaire produit tous les six mois les attestations sociales et fiscales exigées.",
]


def long_body(head: str, size: int = 20_000, seed: int = 0) -> str:
    rng = random.Random(seed)
    parts = [head]
    while sum(map(len, parts)) < size:
        parts.append(rng.choice(RULES))
    return " ".join(parts)[:size]


def saved_notices() -> list[Document]:
    """Every notice of the saved pages, with its real body made 20 kB long."""
    docs = []
    for path in sorted(GOLDEN.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("title"):
                body = long_body(str(item.get("body") or item.get("summary") or ""))
                docs.append(
                    Document(
                        id=str(item.get("ref")),
                        title=str(item["title"]),
                        summary=str(item.get("summary") or ""),
                        body=body,
                        buyer=str(item.get("buyer") or ""),
                    )
                )
    return docs


DOCS = saved_notices()


@pytest.mark.parametrize("profile", [None, load_example_profile()], ids=["empty", "example"])
def test_reading_the_head_first_changes_no_verdict_nor_reason(
    profile: Profile | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert len(DOCS) > 30
    bounded = [Classifier(profile).assess(d, today=TODAY).match for d in DOCS]
    monkeypatch.setattr(an_module, "BODY_HEAD", an_module.BODY_LIMIT)
    whole = [Classifier(profile).assess(d, today=TODAY).match for d in DOCS]
    assert bounded == whole


def test_a_long_body_is_read_no_further_than_its_head_when_the_verdict_is_clear() -> None:
    classifier = Classifier()
    doc = Document(title="Formation SST des agents", body=long_body("Formation SST."))
    analysed, stage1, _fit, _score = classifier.rules(doc)
    read = sum(len(seg.text) for seg in analysed.segments if seg.field == "body")
    assert stage1.training and read <= BODY_HEAD
    nothing = Document(title="Fourniture de sel", body=long_body("Sel de déneigement."))
    analysed, stage1, _fit, _score = classifier.rules(nothing)
    read = sum(len(seg.text) for seg in analysed.segments if seg.field == "body")
    assert not stage1.training and read <= BODY_HEAD


def test_an_undecided_head_reads_the_rest_of_the_body() -> None:
    classifier = Classifier()
    tail = (
        " Le prestataire assure des actions de formation des agents et des bilans de compétences."
    )
    doc = Document(title="Accompagnement des agents", body=long_body("Objet.", 6_000) + tail)
    assert len(analyse(doc, classifier._index).rest) > 0
    analysed, stage1, _fit, _score = classifier.rules(doc)
    assert stage1.training
    assert any(seg.field == "body" and "bilans" in seg.text for seg in analysed.segments)
