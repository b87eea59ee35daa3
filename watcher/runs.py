"""What a poll works with and what it tells: ``RunContext`` (the store, the fetcher, the
judge, the clock of one poll) and ``SourceReport`` (what one source's poll did)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from watcher.fetch import Fetcher
from watcher.judging import Judge
from watcher.models import Match
from watcher.notify.settings import NotifySettings
from watcher.store import Store
from watcher.tenders import HORIZON, TenderEvent

Progress = Callable[[str, str], None]


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What one source's poll did, for the CLI and the logs."""

    source: str
    ok: bool
    pages: int = 0
    not_modified: int = 0
    details: int = 0
    items: int = 0
    new: int = 0
    changed: int = 0
    same: int = 0
    error: str = ""
    error_kind: str = ""
    consecutive_failures: int = 0
    seconds: float = 0.0
    #: records left out as unreadable (wrong shape), the rest of their pages stored
    skipped: int = 0
    new_keys: tuple[str, ...] = ()
    events: tuple[TenderEvent, ...] = ()
    #: detail pages that could not be read (the notices keep what their listing said)
    detail_failures: int = 0
    #: the site asked (Retry-After) not to be polled before this moment
    deferred_until: datetime | None = None


@dataclass
class RunContext:
    store: Store
    fetcher: Fetcher
    today: date
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    progress: Progress | None = None
    #: judges new and changed tenders; None leaves them unjudged
    judge: Judge | None = None
    #: where alerts go; None queues none
    notify: NotifySettings | None = None
    #: the verdicts of this run, by tender id
    verdicts: dict[int, Match] = field(default_factory=dict)
    #: the longest one source's poll may take (seconds)
    source_deadline: float = 900.0
    #: how long after its deadline a call stays a candidate for grouping by title
    grouping_horizon: timedelta = HORIZON

    def say(self, source: str, event: str) -> None:
        if self.progress:
            self.progress(source, event)
