"""The small state of scheduled jobs (``jobs_state``): the last digest week queued, the
sources reported down. Functions of a connection, so a state change commits with the
messages it stands for."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.store import upserts
from watcher.store.schema import jobs_state


def get(conn: Connection, name: str) -> str | None:
    query = sa.select(jobs_state.c.value).where(jobs_state.c.name == name)
    value = conn.execute(query).scalar()
    return None if value is None else str(value)


def put(conn: Connection, name: str, value: str, at: datetime) -> None:
    upserts.upsert(conn, jobs_state, {"name": name}, {"value": value, "updated_at": at})


def delete(conn: Connection, name: str) -> None:
    conn.execute(sa.delete(jobs_state).where(jobs_state.c.name == name))


def names(conn: Connection, prefix: str) -> dict[str, str]:
    """name -> value of every state whose name starts with ``prefix``."""
    query = sa.select(jobs_state.c.name, jobs_state.c.value).where(
        jobs_state.c.name.startswith(prefix, autoescape=True)
    )
    return {row.name: row.value for row in conn.execute(query)}
