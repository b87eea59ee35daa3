"""The verdict on a call for the organisation: the classifier's (moved by the users' judgements
once they have taught something), plus the blockers of the evidence vault — a required document
missing or expired makes a call a no-go whatever its score.

Learning from judgements, for whoever records them:

- ``Judge.learn(notice, relevant)`` teaches this process's learner one new judgement at once
  (a few microseconds of indexing under a lock; call it right after ``Store.add_feedback``, e.g.
  from the web console or a one-click email link). Verdicts given afterwards use it.
- Judgements written by another process (``opco-watch feedback``, a console in another
  process) are picked up by the next ``Judge.from_config``: it compares the feedback table with
  what the learner holds and, when they differ, brings the learner up to date in a background
  thread. A poll never waits for it; only the very first judge of a process reads the
  judgements before judging (5,000 judgements take well under two seconds).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from responses.settings import DocumentKind
from responses.vault import Vault, required_document_blockers
from watcher import deadlines
from watcher.classify import Classifier, Learner, from_notice
from watcher.classify.profile import Profile
from watcher.config import Config
from watcher.models import Match, Notice
from watcher.store import Store
from watcher.store.schema import feedback

log = logging.getLogger(__name__)


class Judge:
    def __init__(
        self,
        classifier: Classifier,
        vault: Vault | None = None,
        *,
        skip: tuple[DocumentKind, ...] = (),
    ) -> None:
        self.classifier = classifier
        self.vault = vault
        self.skip: tuple[DocumentKind, ...] = tuple(skip)

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None) -> Judge:
        """The organisation's judge; with a store, its feedback teaches the learner."""
        vault = Vault.load(config.documents, config.base_dir)
        # [profile.qualiopi] is already checked by the classifier: not twice
        skip = (DocumentKind.QUALIOPI,) if config.profile.qualiopi.configured else ()
        return cls(classifier_for(config, store), vault, skip=skip)

    def judge(self, notice: Notice, *, today: date) -> Match:
        match = self.classifier.classify(notice, today=today)
        if self.vault is None:
            return match
        deadline = deadlines.of_notice(notice).answered_by_day(today)  # a lot's, maybe
        extra = required_document_blockers(self.vault, today, deadline, skip=self.skip)
        return replace(match, blockers=(*match.blockers, *extra)) if extra else match

    def learn(self, notice: Notice, relevant: bool) -> None:
        """Learn one new judgement now (thread-safe; never waits for a poll, nor a poll for it)."""
        if self.classifier.model is None:
            self.classifier.model = Learner()
        self.classifier.teach(self.classifier.model, notice.key, from_notice(notice), relevant)


def classifier_for(config: Config, store: Store | None = None) -> Classifier:
    """The profile's classifier, with the learner of the store's judgements when there is one."""
    if store is None:
        return Classifier(config.profile)
    return Classifier(config.profile, model=learner_for(config, store))


# ------------------------------------------------------------------------ the process's learners


@dataclass
class _Memory:
    """A learner and the state of the feedback table it reflects."""

    learner: Learner
    marker: tuple[int, int]
    refreshing: threading.Thread | None = None


_MEMORIES: dict[tuple[str, str], _Memory] = {}
_LOCK = threading.Lock()


def learner_for(config: Config, store: Store, *, wait: bool = False) -> Learner:
    """This process's learner for the store and profile, kept up to date with the feedback
    table (in the background unless ``wait``, or on first use)."""
    key = (config.database, config.profile.model_dump_json())
    marker = feedback_marker(store)
    with _LOCK:
        memory = _MEMORIES.get(key)
        if memory is None:
            memory = _MEMORIES[key] = _Memory(Learner(), (-1, -1))
            first = True
        else:
            first = False
    if first or wait:
        _sync(memory, config.profile, store, marker)
    elif memory.marker != marker:
        _refresh_in_background(memory, config)
    return memory.learner


def wait_for_learning(config: Config, timeout: float = 30.0) -> bool:
    """Wait for a background refresh of this config's learner; False if it is still running."""
    with _LOCK:
        memories = [m for (db, _p), m in _MEMORIES.items() if db == config.database]
    for memory in memories:
        thread = memory.refreshing
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                return False
    return True


def forget_learners() -> None:
    """Drop every learner of this process (tests; a changed profile makes a new one anyway)."""
    with _LOCK:
        _MEMORIES.clear()


def feedback_marker(store: Store) -> tuple[int, int]:
    """(rows, last id) of the feedback table: any new judgement changes it."""
    with store.transaction() as conn:
        row = conn.execute(sa.select(sa.func.count(), sa.func.max(feedback.c.id))).one()
    return int(row[0]), int(row[1] or 0)


def _refresh_in_background(memory: _Memory, config: Config) -> None:
    with _LOCK:
        if memory.refreshing is not None and memory.refreshing.is_alive():
            return
        thread = threading.Thread(
            target=_refresh, args=(memory, config), name="learner-refresh", daemon=True
        )
        memory.refreshing = thread
    thread.start()


def _refresh(memory: _Memory, config: Config) -> None:
    try:
        with Store.open(config.database) as store:
            _sync(memory, config.profile, store, feedback_marker(store))
    except Exception:  # a refresh that fails leaves the learner as it was, and is retried
        log.exception("learner refresh failed; verdicts keep the judgements learnt so far")


def _sync(memory: _Memory, profile: Profile, store: Store, marker: tuple[int, int]) -> None:
    """Teach the learner the judgements it lacks (new, or changed since), in store order."""
    judgements = store.feedback()
    rules = Classifier(profile)
    learner = memory.learner
    keys = set()
    taught = 0
    for notice, relevant in judgements:
        keys.add(notice.key)
        if learner.relevant_of(notice.key) != relevant:
            rules.teach(learner, notice.key, from_notice(notice), relevant)
            taught += 1
    for gone in learner.keys() - keys:
        learner.remove(gone)
    memory.marker = marker
    log.info("learner: %d judgements, %d new (trusted: %s)", len(learner), taught, learner.trusted)
