"""The full-text index behind ``list --text``: a substring of the notices' folded search text,
or the singular forms of its words.

``search_text`` is title, buyer and summary, lower case without accents (``fold``), then the
singular form of each word (``search_forms``); a query is folded the same way and matches as
a substring, as ``LIKE '%…%'`` always did, or by its words' singular forms (« formations »
finds « formation »): ``matching``. The index only finds the candidate rows faster; the
``LIKE`` still decides, so results do not depend on it:

- SQLite: an FTS5 table with the trigram tokenizer (substrings of 3 characters or more),
  external content (the text stays in ``notices`` only), kept in step by triggers.
- PostgreSQL: a GIN index with ``pg_trgm``'s operator class, which ``LIKE '%…%'`` itself uses.

Queries shorter than 3 characters have no trigram: they scan, as before.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.store import search_forms
from watcher.store.records import fold, like_escape
from watcher.store.schema import notices

if TYPE_CHECKING:
    from alembic.operations import Operations

log = logging.getLogger(__name__)

TABLE = "notices_search"
#: the shortest query the trigram indexes can answer
MIN_CHARS = 3
#: from this many matching notices on, the scan in list order is faster than the index
DRIVE_LIMIT = 2_000

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "search_text, content='notices', content_rowid='id', tokenize='trigram')",
    f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
    f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON notices BEGIN"
    f" INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON notices BEGIN"
    f" INSERT INTO {TABLE}({TABLE}, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF search_text ON notices"
    " WHEN old.search_text IS NOT new.search_text BEGIN"
    f" INSERT INTO {TABLE}({TABLE}, rowid, search_text)"
    " VALUES ('delete', old.id, old.search_text);"
    f" INSERT INTO {TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
)

POSTGRESQL_INDEX = (
    "CREATE INDEX ix_notices_search_trgm ON notices USING gin (search_text gin_trgm_ops)"
)


def create(op: Operations) -> None:
    """Build the index for the migration's dialect (inside the migration's transaction)."""
    dialect = op.get_context().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_DDL:
            op.execute(statement)
    elif dialect == "postgresql":
        _create_trigram_index(op)


def _create_trigram_index(op: Operations) -> None:
    """pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may install it.
    Where it cannot be, searches stay correct, only unindexed: say so, do not fail."""
    statements = ("CREATE EXTENSION IF NOT EXISTS pg_trgm", POSTGRESQL_INDEX)
    if op.get_context().as_sql:  # rendering the DDL offline
        for statement in statements:
            op.execute(statement)
        return
    conn = op.get_bind()
    try:
        with conn.begin_nested():
            for statement in statements:
                conn.exec_driver_sql(statement)
    except sa.exc.DBAPIError as exc:
        log.warning("no trigram index for list --text (pg_trgm unavailable: %s)", exc.orig)


def matching(conn: Connection, query: sa.Select[Any], text: str) -> sa.Select[Any]:
    """``query`` (on ``notices``) restricted to the notices whose search text holds ``text``
    (case and accents aside) or its words' base forms, through the index (SQLite)."""
    folded = fold(text.strip()).replace(search_forms.SEPARATOR, "")
    column = notices.c.search_text
    condition: sa.ColumnElement[bool] = column.like(f"%{like_escape(folded)}%", escape="\\")
    phrases = [folded]
    forms = search_forms.query_forms(folded)
    if forms is not None:
        phrase, open_end = forms
        spaced = f" {phrase}" if open_end else f" {phrase} "
        pattern = f"%{like_escape(spaced)}%"
        condition = sa.or_(condition, column.like(pattern, escape="\\"))
        phrases.append(spaced)
    return narrow(conn, query.where(condition), phrases, notices.c.id)


def narrow(
    conn: Connection, query: sa.Select[Any], phrases: list[str], id_column: Any
) -> sa.Select[Any]:
    """``query`` restricted to the rows whose search text may contain one of ``phrases``
    (SQLite).

    Only for phrases found in fewer than ``DRIVE_LIMIT`` notices (a probe of the index, about
    a millisecond): those rows are read by id and sorted. A common text is left to the scan
    in list order, which stops as soon as it has its page (matches are dense)."""
    if conn.dialect.name != "sqlite" or min(map(len, phrases)) < MIN_CHARS:
        return query
    match = " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)
    probe = f"SELECT count(*) FROM (SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ? LIMIT ?)"
    found = conn.exec_driver_sql(probe, (match, DRIVE_LIMIT)).scalar_one()
    if found >= DRIVE_LIMIT:
        return query
    matching = sa.text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :phrase").bindparams(
        phrase=match
    )
    return query.where(id_column.in_(matching.columns(sa.column("rowid", sa.Integer))))


def add_forms(op: Operations) -> None:
    """Migration: every notice's search text gets its words' base forms as the rules of
    ``search_forms`` make them now (the triggers keep the SQLite index in step; PostgreSQL's
    index follows by itself)."""
    if op.get_context().as_sql:  # rendering the DDL offline: a data step has none
        return
    conn = op.get_bind()
    select = sa.text("SELECT id, search_text FROM notices WHERE id > :after ORDER BY id LIMIT 1000")
    update = sa.text("UPDATE notices SET search_text = :text WHERE id = :id")
    after = 0
    while rows := conn.execute(select, {"after": after}).all():
        changes = [{"id": row.id, "text": search_forms.recompute(row.search_text)} for row in rows]
        conn.execute(update, changes)
        after = rows[-1].id
