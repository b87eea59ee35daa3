"""What the scheduler's threads share, used from real threads at once.

Each test starts its threads together on a barrier, repeats the work many times, and compares
the results with a single-threaded run. Python switches threads every 5 ms by default; the
tests ask for a switch every few microseconds, so that an unsafe interleaving shows within a
few thousand calls instead of once a week in production.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from icalendar import Calendar

from tests.conftest import write_config
from tests.notify_data import T0, notice, poll, settings
from watcher import scheduler
from watcher.classify import Classifier
from watcher.classify import text as text_module
from watcher.classify.profile import load_example_profile
from watcher.config import load_config
from watcher.judging import Judge, forget_learners
from watcher.models import Match
from watcher.notify import queue
from watcher.notify.admin import check_sources
from watcher.notify.calendar import calendar_ics, write_calendar
from watcher.notify.settings import NotifySettings
from watcher.store import Store

T = TypeVar("T")
THREADS = 4


@pytest.fixture(autouse=True)
def frequent_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def together(work: Callable[[int], T], threads: int = THREADS) -> list[T]:
    """``work(i)`` in ``threads`` threads started on one barrier; re-raises the first error."""
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


def forget_stems() -> None:
    """Empty the stem caches, as at the start of a process: the stemmer itself runs again."""
    text_module.clear_caches()


# ------------------------------------------------------------------------------ classifier


def dev_records(shared: Path) -> list[dict[str, Any]]:
    lines = (shared / "eval" / "dev-notices.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def folded_words(records: list[dict[str, Any]]) -> list[str]:
    found = {
        word
        for record in records
        for value in (record.get("title"), record.get("summary"))
        if isinstance(value, str)
        for word in text_module.words(value)
    }
    return sorted(word for word in found if word.isalpha())


def test_stemming_in_threads_gives_the_stems_of_one_thread(shared: Path) -> None:
    vocabulary = folded_words(dev_records(shared)) * 8
    raw_stem = text_module.stem.__wrapped__  # the stemmer itself, without the cache
    expected = [raw_stem(word) for word in vocabulary]
    results = together(lambda _: [raw_stem(word) for word in vocabulary])
    for got in results:
        wrong = [(w, g, e) for w, g, e in zip(vocabulary, got, expected, strict=True) if g != e]
        assert wrong == []


def verdicts(classifier: Classifier, records: list[dict[str, Any]]) -> list[Match]:
    return [classifier.classify_record(r, today=date(2026, 3, 2)) for r in records]


def test_a_classifier_per_thread_judges_as_one_thread(shared: Path) -> None:
    """What the poll jobs do: each builds its own classifier, then judges its notices."""
    records, profile = dev_records(shared), load_example_profile()
    expected = verdicts(Classifier(profile), records)
    for _ in range(3):
        forget_stems()
        results = together(lambda _: verdicts(Classifier(profile), records))
        assert all(got == expected for got in results)


def test_one_classifier_shared_by_threads_judges_as_one_thread(shared: Path) -> None:
    records = dev_records(shared)
    classifier = Classifier(load_example_profile())
    expected = verdicts(classifier, records)
    for _ in range(3):
        forget_stems()
        assert all(got == expected for got in together(lambda _: verdicts(classifier, records)))


# -------------------------------------------------------------------------------- calendar


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path / "data")


def followed_store(tmp_path: Path, config: NotifySettings) -> Store:
    store = Store.open(tmp_path / "db.sqlite")
    calls = [
        notice(f"C{i}", f"Formation management {i}", deadline=T0 + timedelta(days=10 + i))
        for i in range(5)
    ]
    poll(store, calls, config)
    return store


def test_the_calendar_file_written_by_many_threads_is_always_whole(
    tmp_path: Path, config: NotifySettings
) -> None:
    with followed_store(tmp_path, config) as store:
        expected = calendar_ics(store, config, T0)
        target = tmp_path / "shared.ics"

        def write_often(_: int) -> bytes:
            seen = set()
            for _ in range(25):
                write_calendar(store, config, T0, target)
                seen.add(target.read_bytes())
            return b"".join(sorted(seen))

        results = together(write_often, threads=6)
    assert all(result == expected for result in results)  # never a mix, never a short file
    assert len(Calendar.from_ical(target.read_bytes()).walk("VEVENT")) == 5
    names = sorted(p.name for p in tmp_path.iterdir() if p.name != "db.sqlite.checked")
    assert names == [
        "db.sqlite",
        "shared.ics",
    ]  # no temporary file left (the store's sidecar aside)


# ------------------------------------------------------------------------- admin and outbox


def test_admin_alert_checked_by_many_jobs_is_queued_once(
    tmp_path: Path, config: NotifySettings
) -> None:
    database = tmp_path / "db.sqlite"
    with Store.open(database) as store:
        for attempt in range(config.mail.admin_after_failures):
            at = T0 + timedelta(minutes=attempt)
            store.record_failure("akto", at=at, error_kind="fetch", error="HTTP 503")

    def check(_: int) -> int:
        with Store.open(database) as own:  # each job opens its own store
            return check_sources(own, config, datetime.now(T0.tzinfo))

    assert sum(together(check, threads=6)) == 1
    with Store.open(database) as store:
        assert [m.kind for m in queue.messages(store)] == ["admin"]


# ---------------------------------------------------------------------------------- learner


def test_jobs_started_together_judge_with_every_judgement_learnt(tmp_path: Path) -> None:
    """The learner is the process's, shared by the poll jobs: ``run`` teaches it before the
    first job, so that no job starting beside another judges with a half-taught learner."""
    config = load_config(write_config(tmp_path))
    judged = [notice(f"J{i}", f"Formation management numéro {i}") for i in range(300)]
    with Store.open(config.database) as store:
        store.upsert(judged, seen_at=T0)
        for i, item in enumerate(judged):
            store.add_feedback(item.key, i % 3 != 0, at=T0)
    forget_learners()
    scheduler._prepare_store(config)  # what start() does before the jobs

    def taught(_: int) -> int:
        with Store.open(config.database) as own:
            model = Judge.from_config(config, own).classifier.model
        return len(model) if model is not None else 0

    try:
        assert together(taught, threads=6) == [300] * 6
    finally:
        forget_learners()
