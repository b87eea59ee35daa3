"""The console's judgements reach the learner at once, and the verdicts move on the page.

Each judgement is stored as feedback (``activity.judge``) and taught to this process's
learner right away (``Judge.learn``, as ``watcher/judging.py`` asks of whoever records
judgements); other processes pick it up from the feedback table at their next judge. Then the
calls still open are judged again in a background thread, and the verdicts that changed are
saved: the pipeline shows what the learner now thinks without waiting for those calls to
change on their source. One re-judging runs at a time; a judgement made meanwhile starts
another when it ends.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from watcher import tenders
from watcher.config import Config
from watcher.judging import Judge
from watcher.models import PARIS, Match, Tender, tender_notice
from watcher.notify import queries
from watcher.store import Store, spans
from watcher.store.schema import tenders as tenders_table

log = logging.getLogger(__name__)


class Learning:
    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self._judge: Judge | None = None
        self._lock = threading.Lock()
        self._again = False
        self._running: threading.Thread | None = None
        #: set each time a re-judging ends (tests, the benchmark of learning)
        self.idle = threading.Event()
        self.idle.set()

    def judge(self) -> Judge:
        with self._lock:
            if self._judge is None:
                self._judge = Judge.from_config(self.config, self.store)
            return self._judge

    def learned(self, tender: Tender, relevant: bool) -> None:
        """A judgement was just stored for ``tender``: teach it, then re-judge the open calls."""
        self.judge().learn(tender.main, relevant)
        with self._lock:
            if self._running is not None and self._running.is_alive():
                self._again = True
                return
            self.idle.clear()
            self._running = threading.Thread(target=self._loop, name="console-rejudge", daemon=True)
            self._running.start()

    def _loop(self) -> None:
        try:
            while True:
                rejudge_open(self.store, self.judge())
                with self._lock:
                    if not self._again:
                        self._running = None
                        break
                    self._again = False
        except Exception:  # the verdicts stay as they were; the next judgement tries again
            log.exception("console: re-judging the open calls failed")
        finally:
            self.idle.set()


def rejudge_open(store: Store, judge: Judge) -> int:
    """Judge again every call not closed whose last deadline is ahead (a lot's closing after
    the call's included) or unknown; save the
    verdicts that changed. Returns how many changed."""
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    query = sa.select(tenders_table.c.id).where(
        tenders_table.c.closed.is_(False), spans.open_at(now, undated=True)
    )
    with store.transaction() as conn:
        ids = list(conn.execute(query).scalars())
        judged = queries.load(conn, ids)
    changed = [
        (item.tender.id, verdict)
        for item in judged
        if _differs(item.match, verdict := judge.judge(tender_notice(item.tender), today=today))
    ]
    if changed:
        with store.transaction(write=True) as conn:
            for tender_id, verdict in changed:
                tenders.save_match(conn, tender_id, verdict, at=now)
    log.info("console: %d open call(s) judged again, %d verdict(s) changed", len(ids), len(changed))
    return len(changed)


def _differs(before: Match | None, after: Match) -> bool:
    return before is None or (before.score, before.relevant, before.reasons) != (
        after.score,
        after.relevant,
        after.reasons,
    )
