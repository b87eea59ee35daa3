"""Notices: the batched upsert and the queries. Functions of an open connection.

The upsert reads its input in chunks: one ``IN`` query per chunk finds the stored
fingerprints, then one executemany per kind of write. No per-row SELECT, and a generator
of notices is never materialised (only the new and changed ones are kept, for the result).

A notice of the generic fallback extractor (``via_fallback``) never replaces what a source's
own parser stored: it merges into it, stored non-empty fields winning (``watcher.merging``),
and the row's listing hash is that of the fallback's listing (or none), never the old one, so
that once the source's scraper reads the page again the call's detail page is read in full.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from itertools import islice
from typing import Any, NamedTuple, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from watcher.merging import fill_empty
from watcher.models import Notice
from watcher.store import search_index
from watcher.store.engine import executemany
from watcher.store.records import (
    NoticeChange,
    Prepared,
    StoredNotice,
    UpsertResult,
    changed_fields,
    like_escape,
    notice_from_data,
)
from watcher.store.schema import notice_changes, notices
from watcher.store.upserts import insert_new

T = TypeVar("T")

#: notices per chunk: bounds memory and the size of the IN lists
CHUNK = 500
#: key -> listing hash to store; None forgets the stored one
_Hashes = Mapping[str, str | None]


class _Existing(NamedTuple):
    id: int
    fingerprint: str
    listing_hash: str | None


class _Batch:
    """The outcome of upserting several chunks, gathered into one result."""

    def __init__(self) -> None:
        self.new: list[Notice] = []
        self.changed: list[tuple[Notice, tuple[str, ...]]] = []
        self.same = 0

    def result(self) -> UpsertResult:
        return UpsertResult(self.new, self.changed, self.same)


def upsert(
    conn: Connection,
    items: Iterable[Notice],
    seen_at: datetime,
    hashes: Mapping[str, str],
) -> UpsertResult:
    batch = _Batch()
    for chunk in _chunks(items, CHUNK):
        _upsert_chunk(conn, chunk, seen_at, hashes, batch)
    return batch.result()


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _upsert_chunk(
    conn: Connection,
    chunk: list[Notice],
    seen_at: datetime,
    hashes: Mapping[str, str],
    batch: _Batch,
) -> None:
    # a key given twice in one chunk: the last one wins (results keep the input's order)
    prepared = {p.notice.key: p for p in map(Prepared.of, chunk)}
    existing = _lookup(conn, list(prepared))
    fallback = {key for key, p in prepared.items() if p.notice.via_fallback}
    prepared.update(_merged_fallback(conn, prepared, existing, fallback))
    # a call the fallback read keeps no stored listing hash: its own, or none
    own: dict[str, str | None] = dict.fromkeys(fallback)
    chunk_hashes = own | {key: hashes[key] for key in prepared if key in hashes}
    fresh = [p for key, p in prepared.items() if key not in existing]
    inserted = _insert(conn, fresh, seen_at, chunk_hashes)
    raced = [p.notice.key for p in fresh if p.notice.key not in inserted]
    if raced:  # inserted by another transaction since the lookup: known now
        existing.update(_lookup(conn, raced))
    known = [(p, existing[key]) for key, p in prepared.items() if key in existing]
    same = [(p, old) for p, old in known if p.fingerprint == old.fingerprint]
    moved = [(p, old) for p, old in known if p.fingerprint != old.fingerprint]
    _touch_same(conn, same, seen_at, chunk_hashes)
    batch.changed += _apply_changes(conn, moved, seen_at, chunk_hashes)
    batch.new += [p.notice for p in fresh if p.notice.key in inserted]
    batch.same += len(same)


def _merged_fallback(
    conn: Connection,
    prepared: dict[str, Prepared],
    existing: dict[str, _Existing],
    fallback: set[str],
) -> dict[str, Prepared]:
    """The fallback's notices of calls a source's parser stored, merged into what is stored."""
    known = [key for key in fallback if key in existing]
    if not known:
        return {}
    stored = _stored_data(conn, [existing[key].id for key in known])
    merged = {}
    for key in known:
        before = Notice.from_json(stored[existing[key].id])
        if not before.via_fallback:
            merged[key] = Prepared.of(fill_empty(before, prepared[key].notice))
    return merged


def _lookup(conn: Connection, keys: list[str]) -> dict[str, _Existing]:
    """The stored rows of ``keys``, locked until the transaction ends (PostgreSQL: FOR UPDATE,
    in key order; SQLite: the write transaction already excludes other writers). A second
    upsert of the same notices waits here, then sees the first one's result: a change is
    written to the history once."""
    query = (
        sa.select(notices.c.key, notices.c.id, notices.c.fingerprint, notices.c.listing_hash)
        .where(notices.c.key.in_(keys))
        .order_by(notices.c.key)
        .with_for_update()
    )
    return {
        row.key: _Existing(row.id, row.fingerprint, row.listing_hash) for row in conn.execute(query)
    }


def _insert(
    conn: Connection, fresh: list[Prepared], seen_at: datetime, hashes: _Hashes
) -> set[str]:
    """Insert the notices not found, skipping keys another transaction inserted meanwhile
    (``ON CONFLICT DO NOTHING``); returns the keys this transaction inserted."""
    if not fresh:
        return set()
    stamps = {"first_seen": seen_at, "last_seen": seen_at, "last_changed": seen_at}
    rows = [
        {"key": p.notice.key, **p.columns(), **stamps, "listing_hash": hashes.get(p.notice.key)}
        for p in fresh
    ]
    return insert_new(conn, notices, rows, "key")


def _touch_same(
    conn: Connection,
    same: list[tuple[Prepared, _Existing]],
    seen_at: datetime,
    hashes: _Hashes,
) -> None:
    if not same:
        return
    rows = [
        {
            "b_id": old.id,
            "last_seen": seen_at,
            "listing_hash": hashes.get(p.notice.key, old.listing_hash),
        }
        for p, old in same
    ]
    executemany(conn, _BY_ID, rows)


_BY_ID = sa.update(notices).where(notices.c.id == sa.bindparam("b_id"))


def _apply_changes(
    conn: Connection,
    moved: list[tuple[Prepared, _Existing]],
    seen_at: datetime,
    hashes: _Hashes,
) -> list[tuple[Notice, tuple[str, ...]]]:
    if not moved:
        return []
    old_data = _stored_data(conn, [old.id for _, old in moved])
    diffs = [changed_fields(old_data[old.id], p.data()) for p, old in moved]
    executemany(conn, _BY_ID, [_changed_row(p, old, seen_at, hashes) for p, old in moved])
    history = [
        {"notice_id": old.id, "changed_at": seen_at, "fields": diff}
        for (_, old), diff in zip(moved, diffs, strict=True)
    ]
    conn.execute(sa.insert(notice_changes), history)
    return [(p.notice, tuple(diff)) for (p, _), diff in zip(moved, diffs, strict=True)]


def _changed_row(p: Prepared, old: _Existing, seen_at: datetime, hashes: _Hashes) -> dict[str, Any]:
    return {
        "b_id": old.id,
        **p.columns(),
        "last_seen": seen_at,
        "last_changed": seen_at,
        "listing_hash": hashes.get(p.notice.key, old.listing_hash),
    }


def _stored_data(conn: Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    query = sa.select(notices.c.id, notices.c.data).where(notices.c.id.in_(ids))
    return {row.id: json.loads(row.data) for row in conn.execute(query)}


def touch(conn: Connection, keys: Iterable[str], seen_at: datetime) -> None:
    for chunk in _chunks(keys, CHUNK):
        conn.execute(sa.update(notices).where(notices.c.key.in_(chunk)).values(last_seen=seen_at))


def listing_hashes(conn: Connection, keys: Iterable[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in _chunks(keys, CHUNK):
        query = sa.select(notices.c.key, notices.c.listing_hash).where(
            notices.c.key.in_(chunk), notices.c.listing_hash.is_not(None)
        )
        found.update({row.key: row.listing_hash for row in conn.execute(query)})
    return found


# ------------------------------------------------------------------------------ queries

STORED = sa.select(
    notices.c.id,
    notices.c.data,
    notices.c.first_seen,
    notices.c.last_seen,
    notices.c.last_changed,
    notices.c.tender_id,
)


def stored(row: Row[*tuple[Any, ...]]) -> StoredNotice:
    return StoredNotice(
        id=row.id,
        notice=notice_from_data(row.data),
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        last_changed=row.last_changed,
        tender_id=row.tender_id,
    )


def get(conn: Connection, key: str) -> StoredNotice | None:
    row = conn.execute(STORED.where(notices.c.key == key)).first()
    return stored(row) if row else None


def get_by_id(conn: Connection, notice_id: int) -> StoredNotice | None:
    row = conn.execute(STORED.where(notices.c.id == notice_id)).first()
    return stored(row) if row else None


def candidates(conn: Connection, ident: str, limit: int = 10) -> list[StoredNotice]:
    """Notices ``ident`` may designate: its key, else the notices whose reference it is,
    else (for a text that is not a bare number) the keys ending with it. Several when
    ambiguous. Never the row id: notices have no public number (calls do, ``watcher.calls``)."""
    ident = ident.strip()
    if not ident:
        return []
    exact = get(conn, ident)
    if exact:
        return [exact]
    queries = [STORED.where(notices.c.ref == ident)]
    if not ident.isdigit():  # "2" must not find every reference ending with a 2
        queries.append(STORED.where(notices.c.key.like(f"%{like_escape(ident)}", escape="\\")))
    for query in queries:
        rows = conn.execute(query.order_by(notices.c.id).limit(limit)).all()
        if rows:
            return [stored(row) for row in rows]
    return []


def search(
    conn: Connection,
    *,
    source: str | None,
    since: datetime | None,
    text: str | None,
    limit: int | None,
) -> list[StoredNotice]:
    ids = sa.select(notices.c.id)
    if source is not None:
        ids = ids.where(notices.c.source == source)
    if since is not None:
        ids = ids.where(notices.c.first_seen >= since)
    if text:
        ids = search_index.matching(conn, ids, text)
    order = (
        notices.c.first_seen.desc(),
        notices.c.deadline.asc().nulls_last(),
        notices.c.id.desc(),
    )
    # the page's ids first (sorted through the indexes, without the notices' data), then
    # the rows of the page only
    page = ids.order_by(*order).limit(limit).scalar_subquery() if limit is not None else ids
    query = STORED.where(notices.c.id.in_(page)).order_by(*order)
    return [stored(row) for row in conn.execute(query)]


def history(conn: Connection, key: str) -> list[NoticeChange]:
    query = (
        sa.select(notice_changes.c.changed_at, notice_changes.c.fields)
        .join(notices, notices.c.id == notice_changes.c.notice_id)
        .where(notices.c.key == key)
        .order_by(notice_changes.c.changed_at, notice_changes.c.id)
    )
    return [
        NoticeChange(
            key, row.changed_at, {name: (old, new) for name, (old, new) in row.fields.items()}
        )
        for row in conn.execute(query)
    ]


def count(conn: Connection, source: str | None) -> int:
    query = sa.select(sa.func.count()).select_from(notices)
    if source is not None:
        query = query.where(notices.c.source == source)
    return int(conn.execute(query).scalar_one())


def id_of(conn: Connection, key: str) -> int | None:
    found = conn.execute(sa.select(notices.c.id).where(notices.c.key == key)).scalar()
    return int(found) if found is not None else None
