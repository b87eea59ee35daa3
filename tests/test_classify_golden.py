"""Every verdict of the classifier on every real notice we hold, recorded: a change of speed
must change no verdict, score, domain, reason or blocker (issue 11, "Speed").

Sets: the 100 labelled development notices (all fields), the 5,154 DECP records (buyer + title
only, as scored in issue 11), every notice of the saved demo pages with its real body, and the
same notices with that body made 20 kB long (so that the rest of a body is read when the head
leaves the verdict undecided). Each set is classified with the empty profile and with the
example profile; the development notices and DECP records also with a trusted learner (judged
by simulated users), so that « appris de vos retours » reasons are covered.

Golden files live in ``tests/golden/classify/`` (gzip-compressed JSON lines, one per notice:
``zcat`` reads them). Regenerate them only after a deliberate change of behaviour with
``UPDATE_GOLDEN=1 pytest tests/test_classify_golden.py``, and review the diff.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
from collections.abc import Callable, Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from watcher.classify import (
    Classifier,
    Document,
    Learner,
    Profile,
    from_notice,
    from_record,
    label_topics,
    load_example_profile,
    train,
)
from watcher.models import Notice

TODAY = date(2026, 3, 2)
HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "classify"
PAGES_GOLDEN = HERE / "pages" / "golden"
EVAL = HERE.parents[1] / "shared" / "eval"
DEV_SET = EVAL / "dev-notices.jsonl"
DECP_SET = EVAL / "decp-2019-dev.jsonl"
#: The example profile's domains in the general taxonomy (the simulated users' interests).
EXAMPLE_TOPICS = {"management", "numerique", "langues", "securite", "bilans"}
#: Consultation rules: ordinary French text that lengthens a body to 20 kB.
RULES = [
    "Le présent règlement de consultation précise les modalités de remise des offres.",
    "Les candidats transmettent leur offre par voie électronique sur le profil d'acheteur.",
    "Le dossier de consultation comprend le cahier des clauses particulières et ses annexes.",
    "Les prix sont réputés fermes pour toute la durée d'exécution de l'accord-cadre.",
    "Le titulaire produit tous les six mois les attestations sociales et fiscales exigées.",
    "Les questions sont posées par écrit au plus tard dix jours avant la date limite.",
]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def _require(path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"{path.name} not found at {path} (it lives in the shared folder)")


def dev_documents() -> list[Document]:
    _require(DEV_SET)
    return [from_record(_unlabelled(r)) for r in _jsonl(DEV_SET)]


def decp_documents() -> list[Document]:
    _require(DECP_SET)
    rows = _jsonl(DECP_SET)
    return [from_record({"id": r["id"], "buyer": r["buyer"], "title": r["title"]}) for r in rows]


def _unlabelled(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("label_training", "domain")}


def page_notices() -> list[Notice]:
    """Every notice of the saved demo pages, as the parsers read them (their golden output)."""
    notices = []
    for path in sorted(PAGES_GOLDEN.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("title"):
                notices.append(Notice.from_json(item))
    return notices


def page_documents() -> list[Document]:
    return [from_notice(n) for n in page_notices()]


def long_page_documents() -> list[Document]:
    """The saved pages' notices with their real body followed by rules up to 20 kB."""
    out = []
    for i, doc in enumerate(page_documents()):
        rng = random.Random(i)
        parts = [doc.body or doc.summary]
        while sum(map(len, parts)) < 20_000:
            parts.append(rng.choice(RULES))
        out.append(_with_body(doc, " ".join(parts)[:20_000]))
    return out


def _with_body(doc: Document, body: str) -> Document:
    from dataclasses import replace

    return replace(doc, body=body)


@cache
def example_profile() -> Profile:
    return load_example_profile()


#: Users who want no fire-safety training and do want memory workshops: judgements the rules
#: disagree with, so the learner earns trust and moves verdicts.
FIRE = [
    "Formation incendie et manipulation des extincteurs des agents",
    "Formation d'équipiers de première intervention incendie",
    "Formation évacuation incendie, guide-file et serre-file",
    "Formation incendie des agents des écoles",
    "Formation à la sécurité incendie du personnel",
    "Formation incendie pour le personnel des crèches",
    "Sessions de manipulation des extincteurs pour les agents",
    "Formation EPI incendie des agents techniques",
    "Formation sécurité incendie des agents d'accueil",
]
MEMORY = [
    "Ateliers mémoire pour les seniors",
    "Ateliers mémoire et prévention des chutes",
    "Ateliers mémoire en résidence autonomie",
    "Ateliers mémoire des aînés du quartier",
    "Ateliers mémoire et équilibre",
    "Ateliers mémoire au centre social",
    "Ateliers mémoire pour les retraités",
]


@cache
def users_learner() -> Learner:
    """A learner taught by simulated users of the example organisation: the dev notices
    (relevant = a labelled training call in one of its domains), then fire-safety calls not
    relevant and memory workshops relevant."""
    _require(DEV_SET)
    judged: list[tuple[str, Document, bool]] = []
    for i, r in enumerate(_jsonl(DEV_SET)):
        wanted = bool(r["label_training"]) and bool(
            label_topics(str(r.get("domain"))) & EXAMPLE_TOPICS
        )
        judged.append((f"dev-{i}", from_record(_unlabelled(r)), wanted))
    judged += [(f"fire-{i}", Document(title=t), False) for i, t in enumerate(FIRE)]
    judged += [(f"memory-{i}", Document(title=t), True) for i, t in enumerate(MEMORY)]
    learner = train(judged, profile=example_profile())
    assert learner.trusted, "the golden set must exercise a learner that moves verdicts"
    return learner


def empty() -> Classifier:
    return Classifier()


def example() -> Classifier:
    return Classifier(example_profile())


def learnt() -> Classifier:
    return Classifier(example_profile(), model=users_learner())


#: name -> (documents, classifier factory)
CASES: dict[str, tuple[Callable[[], list[Document]], Callable[[], Classifier]]] = {
    "dev-empty": (dev_documents, empty),
    "dev-example": (dev_documents, example),
    "dev-learnt": (dev_documents, learnt),
    "decp-empty": (decp_documents, empty),
    "decp-example": (decp_documents, example),
    "decp-learnt": (decp_documents, learnt),
    "pages-empty": (page_documents, empty),
    "pages-example": (page_documents, example),
    "pages-20k-empty": (long_page_documents, empty),
    "pages-20k-example": (long_page_documents, example),
}


def fingerprint(doc: Document) -> str:
    """A short digest of what the classifier reads (tells a changed input from a changed
    verdict when the parsers' golden files or the shared sets move)."""
    return hashlib.sha1(repr(doc).encode("utf-8")).hexdigest()[:12]


def verdict_rows(docs: list[Document], classifier: Classifier) -> Iterator[dict[str, Any]]:
    for doc in docs:
        v = classifier.assess(doc, today=TODAY)
        m = v.match
        yield {
            "id": doc.id,
            "input": fingerprint(doc),
            "relevant": m.relevant,
            "score": m.score,
            "domains": list(m.domains),
            "reasons": list(m.reasons),
            "blockers": list(m.blockers),
            "training": v.training,
            "probability": v.probability,
            "points": v.points,
            "topics": list(v.topics),
        }


def _round_trip(row: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(json.dumps(row, ensure_ascii=False))
    return loaded


@pytest.mark.parametrize("case", list(CASES))
def test_every_verdict_is_the_recorded_one(case: str) -> None:
    documents, factory = CASES[case]
    docs = documents()
    produced = [_round_trip(row) for row in verdict_rows(docs, factory())]
    file = GOLDEN / f"{case}.jsonl.gz"
    if os.environ.get("UPDATE_GOLDEN"):
        file.parent.mkdir(parents=True, exist_ok=True)
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in produced)
        # mtime=0: the same verdicts give the same bytes (no spurious diff)
        file.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))
    assert file.exists(), f"no golden file {file}: run with UPDATE_GOLDEN=1 and review it"
    recorded = [json.loads(line) for line in gzip.decompress(file.read_bytes()).splitlines()]
    assert len(produced) == len(recorded), f"{case}: {len(produced)} notices, {len(recorded)}"
    for new, old in zip(produced, recorded, strict=True):
        assert new["input"] == old["input"], (
            f"{case}: the input of {new['id']} changed (shared set or parsers' golden files?); "
            "regenerate with UPDATE_GOLDEN=1 once the verdicts are known to be unchanged"
        )
        assert new == old, f"{case}: verdict on {new['id']} changed"


def test_the_golden_sets_cover_what_matters() -> None:
    """The recorded verdicts include training calls and others, reasons of every stage,
    blockers, bodies read beyond their head and learnt reasons (else the check is weak)."""
    rows = {
        case: [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
        for case in CASES
        if (path := GOLDEN / f"{case}.jsonl.gz").exists()
    }
    if len(rows) < len(CASES):
        pytest.skip("golden files not generated yet")
    assert len(rows["decp-empty"]) == 5154 and len(rows["dev-empty"]) == 100
    assert len(rows["pages-empty"]) > 30
    every = [r for case in rows.values() for r in case]
    reasons = [reason for r in every for reason in r["reasons"]]
    assert sum(r["training"] for r in every) > 300 and sum(r["relevant"] for r in every) > 100
    assert any(reason.startswith("domaine «\u00a0") for reason in reasons)
    assert any(reason.startswith("ressemble au cours ") for reason in reasons)
    assert any(reason.startswith("malgré ") for reason in reasons)
    assert any("appris de vos retours" in reason for reason in reasons)
    assert any(r["blockers"] for r in every)
    long_bodies = rows["pages-20k-example"]
    assert any(a != b for a, b in zip(long_bodies, rows["pages-example"], strict=True))
