"""Source health, HTTP validators and feedback: small tables, functions of a connection."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from watcher.models import Notice
from watcher.store import upserts
from watcher.store.records import SourceState, notice_from_data
from watcher.store.schema import feedback, http_cache, notices, source_state

#: longest error text kept in source_state (tracebacks are logged, not stored)
ERROR_TEXT_MAX = 2000


def _merge(conn: Connection, table: sa.Table, key: dict[str, Any], values: dict[str, Any]) -> None:
    """Insert the row with ``key``, or update it: one ``INSERT … ON CONFLICT`` statement, so
    two processes writing the same new row never collide (see ``upserts``)."""
    upserts.upsert(conn, table, key, values)


def record_success(
    conn: Connection, source: str, values: dict[str, Any], details: tuple[int, str] | None = None
) -> None:
    """A poll that worked; ``details``: (detail pages that failed, the first error)."""
    values = {**values, "consecutive_failures": 0, "deferred_until": None}
    fresh, update = _details(details)
    upserts.upsert(
        conn, source_state, {"source": source}, {**values, **fresh}, on_update={**values, **update}
    )


def record_failure(
    conn: Connection,
    source: str,
    at: datetime,
    error_kind: str,
    error: str,
    on_fallback: bool,
    *,
    deferred_until: datetime | None = None,
    details: tuple[int, str] | None = None,
) -> int:
    """Count one more consecutive failure, atomically (two processes failing at once count
    two); returns the count, this failure included."""
    values = {
        "last_run": at,
        "last_error_kind": error_kind,
        "last_error": _text(error),
        "on_fallback": on_fallback,
        "deferred_until": deferred_until,
    }
    failures = source_state.c.consecutive_failures
    fresh, update = _details(details)
    return int(
        upserts.upsert(
            conn,
            source_state,
            {"source": source},
            {**values, **fresh, "consecutive_failures": 1},
            on_update={**values, **update, "consecutive_failures": failures + 1},
            returning=failures,
        )
    )


def _details(details: tuple[int, str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The detail-page columns of a poll, for a new row and for an update (counted in the
    statement, like the failures); none when the poll did not get as far as detail pages."""
    if details is None:
        return {}, {}
    failed, error = details
    if not failed:
        cleared = {"detail_failures": 0, "detail_failure_polls": 0}
        return cleared, cleared
    values = {"detail_failures": failed, "last_detail_error": _text(error)}
    polls = source_state.c.detail_failure_polls + 1
    return {**values, "detail_failure_polls": 1}, {**values, "detail_failure_polls": polls}


def _text(error: str) -> str:
    """An error as stored: web text in it cleaned of control codes, its length bounded."""
    from watcher.sanitise import clean_block  # for a failure only: not at each store open

    return clean_block(error)[:ERROR_TEXT_MAX]


def _total() -> sa.ScalarSelect[int]:
    """The notices stored for the state row's source, counted through the source index: a
    poll reads one source's state, and counting every source's notices for it (a GROUP BY
    over the whole table) would make each poll cost more as the history grows."""
    count = sa.select(sa.func.count()).where(notices.c.source == source_state.c.source)
    return count.correlate(source_state).scalar_subquery()


def states_query(source: str | None = None) -> sa.Select[Any]:
    query = sa.select(source_state, _total().label("total_items")).order_by(source_state.c.source)
    if source is not None:
        query = query.where(source_state.c.source == source)
    return query


def source_states(conn: Connection, source: str | None = None) -> list[SourceState]:
    return [_state(row) for row in conn.execute(states_query(source))]


def _state(row: Row[Any]) -> SourceState:
    return SourceState(
        source=row.source,
        last_run=row.last_run,
        last_success=row.last_success,
        consecutive_failures=row.consecutive_failures,
        last_error_kind=row.last_error_kind,
        last_error=row.last_error,
        items_seen_last=row.items_seen_last,
        new_last=row.new_last,
        changed_last=row.changed_last,
        total_items=int(row.total_items),
        on_fallback=bool(row.on_fallback),
        deferred_until=row.deferred_until,
        detail_failures=row.detail_failures,
        detail_failure_polls=row.detail_failure_polls,
        last_detail_error=row.last_detail_error,
        skipped_last=int(row.skipped_last or 0),
    )


def validators(conn: Connection, url: str) -> tuple[str | None, str | None]:
    query = sa.select(http_cache.c.etag, http_cache.c.last_modified).where(http_cache.c.url == url)
    row = conn.execute(query).first()
    return (row.etag, row.last_modified) if row else (None, None)


def save_validators(
    conn: Connection, url: str, etag: str | None, last_modified: str | None
) -> None:
    if etag is None and last_modified is None:
        conn.execute(sa.delete(http_cache).where(http_cache.c.url == url))
        return
    values = {"etag": etag, "last_modified": last_modified, "saved_at": datetime.now(UTC)}
    _merge(conn, http_cache, {"url": url}, values)


def add_feedback(
    conn: Connection, notice_id: int, relevant: bool, at: datetime, note: str, author: str = ""
) -> None:
    values = {"notice_id": notice_id, "relevant": relevant, "at": at, "note": note}
    values["author"] = author
    conn.execute(sa.insert(feedback).values(**values))


def latest_feedback(conn: Connection) -> list[tuple[Notice, bool]]:
    """The latest judgement per notice (by time, then by insertion), oldest notice first."""
    rank = sa.func.row_number().over(
        partition_by=feedback.c.notice_id, order_by=(feedback.c.at.desc(), feedback.c.id.desc())
    )
    ranked = sa.select(feedback.c.notice_id, feedback.c.relevant, rank.label("rank")).subquery()
    query = (
        sa.select(notices.c.data, ranked.c.relevant)
        .join(ranked, ranked.c.notice_id == notices.c.id)
        .where(ranked.c.rank == 1)
        .order_by(notices.c.id)
    )
    return [(notice_from_data(row.data), bool(row.relevant)) for row in conn.execute(query)]
