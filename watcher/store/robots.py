"""robots.txt copies kept between runs (RFC 9309 §2.4: a crawler may cache robots.txt, and
should not use a copy for more than 24 hours unless the file has become unreachable)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.store import upserts
from watcher.store.schema import robots_txt

#: the longest robots.txt kept (RFC 9309 §2.5: parse at least the first 500 KiB)
MAX_CHARS = 512 * 1024


@dataclass(frozen=True, slots=True)
class RobotsCopy:
    """What ``origin``/robots.txt answered: ``status`` (2xx with ``body``, or 4xx: no rules)."""

    status: int
    body: str
    fetched_at: datetime
    expires_at: datetime

    def fresh(self, now: datetime) -> bool:
        return self.fetched_at <= now < self.expires_at


def get(conn: Connection, origin: str) -> RobotsCopy | None:
    row = conn.execute(sa.select(robots_txt).where(robots_txt.c.origin == origin)).first()
    if row is None:
        return None
    return RobotsCopy(row.status, row.body, row.fetched_at, row.expires_at)


def save(conn: Connection, origin: str, copy: RobotsCopy) -> None:
    values = {
        "status": copy.status,
        "body": copy.body[:MAX_CHARS],
        "fetched_at": copy.fetched_at,
        "expires_at": copy.expires_at,
    }
    upserts.upsert(conn, robots_txt, {"origin": origin}, values)
