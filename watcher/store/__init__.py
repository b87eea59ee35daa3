"""The database: notices and their history, source health, HTTP validators, feedback;
tables for tenders, matches and the outbox. See ``Store``.

    store.py       Store, the public entry point
    records.py     the dataclasses it returns; Notice <-> row conversions
    notices.py     the batched upsert and the notice queries
    state.py       source health, HTTP validators, feedback
    upserts.py     INSERT … ON CONFLICT on SQLite and PostgreSQL; PostgreSQL bulk insert (COPY)
    locks.py       locks between processes: a transaction's section, a source's poll
    schema.py      the head schema as SQLAlchemy Core tables
    migrations.py  the ordered schema migrations (alembic Operations, no env.py)
    engine.py      engines, SQLite pragmas, transactions, error messages
    integrity.py   a SQLite file before use: absent (created), empty, foreign, damaged
    checked.py     the file's states known whole, shared by processes (check skipped)
"""

from watcher.store.migrations import HEAD as SCHEMA_HEAD
from watcher.store.records import NoticeChange, SourceState, StoredNotice, UpsertResult
from watcher.store.store import InTransaction, Store

__all__ = [
    "SCHEMA_HEAD",
    "InTransaction",
    "NoticeChange",
    "SourceState",
    "Store",
    "StoredNotice",
    "UpsertResult",
]
