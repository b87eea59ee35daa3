"""robots.txt copies kept between runs (RFC 9309 §2.4: a crawler may cache robots.txt, and
should not use a copy for more than 24 hours unless the file has become unreachable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.robots_memory import RobotsCopy
from watcher.store import upserts
from watcher.store.schema import robots_txt

if TYPE_CHECKING:
    from watcher.store.store import Store

#: the longest robots.txt kept (RFC 9309 §2.5: parse at least the first 500 KiB)
MAX_CHARS = 512 * 1024


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


class StoreMemory:
    """The fetcher's ``RobotsMemory`` in a store (each call its own short transaction)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def recall(self, origin: str) -> RobotsCopy | None:
        return self._store.robots_copy(origin)

    def keep(self, origin: str, copy: RobotsCopy) -> None:
        self._store.save_robots(origin, copy)
