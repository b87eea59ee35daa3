"""robots.txt remembered between runs, as RFC 9309 §2.4 allows: a copy may be used for up to
24 hours (less if the answer's ``Cache-Control: max-age`` says so), and for longer only while
the file is unreachable (a 5xx answer, a network error). The fetcher asks a ``RobotsMemory``
(the store keeps the copies: ``watcher.store.robots``) before fetching a host's robots.txt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

#: RFC 9309 §2.4: "crawlers SHOULD NOT use the cached version for more than 24 hours"
LONGEST = timedelta(hours=24)
_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)
_NO_STORE = re.compile(r"(?:^|[,\s])(?:no-store|no-cache)(?:$|[,\s=])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class RobotsCopy:
    """What ``origin``/robots.txt answered: ``status`` (2xx with ``body``, or 4xx: no rules)."""

    status: int
    body: str
    fetched_at: datetime
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        return self.fetched_at <= now < self.expires_at


class RobotsMemory(Protocol):
    def recall(self, origin: str) -> RobotsCopy | None: ...

    def keep(self, origin: str, copy: RobotsCopy) -> None: ...


def lifetime(cache_control: str) -> timedelta:
    """How long an answer may be reused: 24 hours, or less as ``Cache-Control`` says."""
    if _NO_STORE.search(cache_control):
        return timedelta(0)
    found = _MAX_AGE.search(cache_control)
    return min(LONGEST, timedelta(seconds=int(found.group(1)))) if found else LONGEST
