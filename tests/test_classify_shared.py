"""Kept segments (issue 11, "Speed"): the short texts of notices (titles, lots, summaries) are
analysed once and shared by the notices and threads that repeat them; verdicts must not change.

- a repeated text is read once (its segment is the same object);
- the golden sets judged from kept segments, in another order, give the recorded verdicts;
- threads racing over the lazy parts of shared segments judge as one thread;
- a randomised set (fields of the development notices recombined: titles, summaries, lots, CPV
  codes, places and bodies of different notices) gives the verdicts that the implementation
  before this work gave, frozen in ``tests/golden/classify/mixed-example.jsonl.gz``. That file
  was written by the code before kept segments (main 3b9b6a9): ``python
  tests/test_classify_shared.py --write FILE`` run by that checkout's interpreter under five
  hash seeds (``PYTHONHASHSEED=0..4``), then ``--merge OUT FILE...`` keeps the notices on which
  the five runs agree. The code before let a course's similarity depend on the order of a set
  (so on the process's hash seed) for a few notices; it no longer does
  (``test_a_verdict_does_not_depend_on_the_hash_seed``). The reasons' no-break spaces came
  later: they are read as plain spaces in this comparison.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import pytest

from watcher.classify import Classifier, Document, from_record, load_example_profile
from watcher.classify.analysis import Phrases, analyse

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden" / "classify"
DEV_SET = HERE.parents[1] / "shared" / "eval" / "dev-notices.jsonl"
MIXED = GOLDEN / "mixed-example.jsonl.gz"
T = TypeVar("T")
THREADS = 4
PLACES = ["Bretagne", "35", "Normandie", "Corse", "France entière", "FRK", "Rennes (35)", ""]
DEADLINES = ["2026-02-20", "2026-03-04", "2026-03-30", "2026-06-15T12:00", None]


def _dev_rows() -> list[dict[str, Any]]:
    if not DEV_SET.is_file():
        pytest.skip(f"{DEV_SET} not found (it lives in the shared folder)")
    with DEV_SET.open(encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


def mixed_records(rows: list[dict[str, Any]], n: int = 3000, seed: int = 11) -> list[Any]:
    """``n`` records whose fields come from different development notices (fixed seed)."""
    rng = random.Random(seed)
    lots = [lot for r in rows for lot in r.get("lots") or ()]
    summaries = [r["summary"] for r in rows if r.get("summary")]
    out = []
    for i in range(n):
        record: dict[str, Any] = {
            "id": f"mixed-{i}",
            "title": rng.choice(rows)["title"],
            "summary": rng.choice(summaries) if rng.random() < 0.7 else "",
            "buyer": rng.choice(rows).get("buyer"),
            "lots": rng.sample(lots, rng.randrange(4)) or None,
            "cpv": rng.choice(rows).get("cpv"),
            "region": rng.choice(PLACES) or None,
            "deadline": rng.choice(DEADLINES),
        }
        if rng.random() < 0.2:  # a body: short (the head alone) or long (the rest read too)
            record["body"] = " ".join(rng.sample(summaries, rng.choice((2, 40))))
        out.append(record)
    return out


def rows_of(classifier: Classifier, docs: list[Document]) -> Iterator[dict[str, Any]]:
    for doc in docs:
        v = classifier.assess(doc, today=date(2026, 3, 2))
        m = v.match
        yield json.loads(
            json.dumps(
                {
                    "id": doc.id,
                    "relevant": m.relevant,
                    "score": m.score,
                    "domains": list(m.domains),
                    "reasons": list(m.reasons),
                    "blockers": list(m.blockers),
                    "training": v.training,
                    "probability": v.probability,
                    "points": v.points,
                    "topics": list(v.topics),
                },
                ensure_ascii=False,
            )
        )


def _recorded(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]


def _golden_case(case: str) -> tuple[list[Document], list[dict[str, Any]]]:
    """The documents of one case of the classify golden, each with a unique id (some DECP ids
    repeat), and the recorded verdicts in the same order."""
    from dataclasses import replace

    from tests.test_classify_golden import decp_documents, dev_documents

    docs = dev_documents() if case.startswith("dev") else decp_documents()
    recorded = _recorded(GOLDEN / f"{case}.jsonl.gz")
    assert len(recorded) == len(docs)
    numbered = [replace(doc, id=str(i)) for i, doc in enumerate(docs)]
    rows = [{**r, "id": str(i)} for i, r in enumerate(recorded)]
    return numbered, [{k: v for k, v in r.items() if k != "input"} for r in rows]


def _phrases(classifier: Classifier) -> Phrases:
    return classifier._index


def forget_segments(classifier: Classifier) -> None:
    _phrases(classifier).segment.cache_clear()
    _phrases(classifier).seen.clear()


def test_a_repeated_text_is_read_once() -> None:
    """From its second reading on (a text seen once, as most titles, is not kept)."""
    classifier = Classifier(load_example_profile())
    forget_segments(classifier)
    doc = Document(title="Formation bureautique des agents", lots=("Lot 1 : Excel",))
    first, again, third = (analyse(doc, _phrases(classifier)) for _ in range(3))
    assert first.segments[0] is not again.segments[0]
    assert again.segments[0] is third.segments[0] and again.segments[1] is third.segments[1]
    assert [s.field for s in third.segments] == ["title", "lots"]
    # a long text is not kept (bounded memory), and its verdict is the same
    long_title = "Formation bureautique des agents " * 20
    assert (
        analyse(Document(title=long_title), _phrases(classifier)).segments[0]
        is not (analyse(Document(title=long_title), _phrases(classifier)).segments[0])
    )


@pytest.mark.parametrize("case", ["dev-example", "decp-example"])
def test_kept_segments_give_the_recorded_verdicts(case: str) -> None:
    docs, recorded = _golden_case(case)
    classifier = Classifier(load_example_profile())
    forget_segments(classifier)
    shuffled = docs[:]
    random.Random(3).shuffle(shuffled)
    for order in (shuffled, docs, shuffled):  # first read, seen again (kept), then kept
        for row in rows_of(classifier, order):
            assert row == recorded[int(row["id"])], f"{case}: verdict on {row['id']} changed"


def together(work: Callable[[int], T], threads: int = THREADS) -> list[T]:
    """``work(i)`` in threads started on one barrier; re-raises the first error."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as error:
            errors.append(error)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return results


def test_threads_sharing_segments_judge_as_one_thread() -> None:
    """Segments kept but not yet complete (their later phrases and quotes' positions are
    computed when first asked): threads race to complete the same ones."""
    docs, recorded = _golden_case("dev-example")
    classifier = Classifier(load_example_profile())
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for round_ in range(3):
            forget_segments(classifier)
            for _ in range(2):
                for doc in docs:
                    analyse(doc, _phrases(classifier))  # kept, lazy parts not computed yet

            def judge(i: int, round_: int = round_) -> list[dict[str, Any]]:
                order = docs[:]
                random.Random(round_ * THREADS + i).shuffle(order)
                return list(rows_of(classifier, order))

            for rows in together(judge):
                assert all(row == recorded[int(row["id"])] for row in rows)
    finally:
        sys.setswitchinterval(before)


def test_recombined_notices_give_the_verdicts_of_the_code_before() -> None:
    assert MIXED.exists(), f"{MIXED} missing: see this module's docstring"
    docs = [from_record(r) for r in mixed_records(_dev_rows())]
    recorded = {int(r.pop("index")): r for r in _recorded(MIXED)}
    assert len(docs) == 3000 and len(recorded) > 2950
    rows = recorded.values()
    assert sum(r["training"] for r in rows) > 500 and sum(bool(r["blockers"]) for r in rows) > 500
    assert any(r["reasons"][-1].startswith("ressemble au cours") for r in rows)
    classifier = Classifier(load_example_profile())
    forget_segments(classifier)
    for _ in range(3):  # read, seen again (kept), then kept
        for index, new in enumerate(rows_of(classifier, docs)):
            if index in recorded:
                assert _spaces_plain(new) == recorded[index], f"verdict on {new['id']} changed"


def _spaces_plain(verdict: dict[str, Any]) -> dict[str, Any]:
    """The verdict with its no-break spaces as plain ones: the frozen file predates the
    reasons' French typography (« domaine « Langues » : … » then, with no-break spaces now)."""
    return json.loads(json.dumps(verdict, ensure_ascii=False).replace("\u00a0", " "))


#: A recombined notice whose course similarity lies on the threshold: summed in a set's order,
#: it was above or below depending on the process's hash seed.
ON_THE_THRESHOLD = 658


@pytest.mark.parametrize("seed", ["0", "1", "3"])
def test_a_verdict_does_not_depend_on_the_hash_seed(seed: str) -> None:
    import os
    import subprocess

    record = mixed_records(_dev_rows())[ON_THE_THRESHOLD]
    code = (
        "import json, sys\n"
        "from datetime import date\n"
        "from watcher.classify import Classifier, from_record, load_example_profile\n"
        "match = Classifier(load_example_profile()).classify_record(\n"
        "    json.loads(sys.stdin.read()), today=date(2026, 3, 2))\n"
        "print(json.dumps(list(match.reasons), ensure_ascii=False))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(record),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": seed},
    )
    here = Classifier(load_example_profile()).classify_record(record, today=date(2026, 3, 2))
    assert json.loads(run.stdout) == list(here.reasons)


def _write(path: Path) -> None:
    """Write the frozen verdicts of ``mixed_records`` with the code this interpreter imports."""
    with DEV_SET.open(encoding="utf-8") as stream:
        rows = [json.loads(line) for line in stream if line.strip()]
    docs = [from_record(r) for r in mixed_records(rows)]
    out = rows_of(Classifier(load_example_profile()), docs)
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out)
    path.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))


def _merge(out: Path, files: list[Path]) -> None:
    """Keep the verdicts on which every run agrees, with their index in ``mixed_records``."""
    runs = [_recorded(path) for path in files]
    kept = [
        {**rows[0], "index": i}
        for i, rows in enumerate(zip(*runs, strict=True))
        if all(row == rows[0] for row in rows)
    ]
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept)
    out.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))


if __name__ == "__main__" and sys.argv[1:2] == ["--write"]:
    _write(Path(sys.argv[2]))
if __name__ == "__main__" and sys.argv[1:2] == ["--merge"]:
    _merge(Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])


def test_a_record_reads_as_the_document_built_by_its_fields() -> None:
    """``from_record`` builds its document without the dataclass's ``__init__``: the same
    document, still frozen, hashable and replaceable."""
    import dataclasses

    record = {
        "id": 7,
        "title": "Formation SST",
        "summary": "Sessions",
        "body": "Texte",
        "buyer": "Ville",
        "lots": ["Lot 1 : Rennes", {"title": "Lot 2", "description": "Brest"}],
        "cpv": ["80530000", "80500000"],
        "region": "Bretagne",
        "departments": ["35"],
        "published": "2026-01-15",
        "deadline": "2026-03-20",
        "kind": "award",
    }
    doc = from_record(record)
    fields = {f.name: getattr(doc, f.name) for f in dataclasses.fields(Document)}
    assert doc == Document(**fields) and hash(doc) == hash(Document(**fields))
    assert doc.id == "7" and doc.lots == ("Lot 1 : Rennes", "Lot 2 — Brest")
    assert doc.cpv == ("80530000", "80500000") and doc.places == ("Bretagne", "35")
    assert doc.deadline is not None and doc.deadline.hour == 23 and doc.kind == "award"
    assert dataclasses.replace(doc, body="").body == "" and from_record({}) == Document()
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.title = "x"  # type: ignore[misc]
