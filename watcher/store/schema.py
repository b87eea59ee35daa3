"""The head schema, as SQLAlchemy Core tables for queries.

The DDL lives in ``migrations.py`` only (each migration is frozen in time); these tables
describe the result of all migrations, and a test checks that both agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


class UTCDateTime(sa.TypeDecorator[datetime]):
    """An aware datetime, stored in UTC, read back aware (UTC).

    PostgreSQL gets a real ``timestamptz``. SQLite has no timezone type (SQLAlchemy's
    ``DateTime`` would drop the offset), so values are written as naive UTC text in the
    format SQLAlchemy uses for SQLite DATETIME ("2026-03-01 11:00:00.000000"): fixed width,
    so text order is time order. Formatting it here also skips SQLAlchemy's slower
    per-value processing, which matters for bulk upserts.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"the store only takes timezone-aware datetimes, got {value!r}")
        utc = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return utc.replace(tzinfo=None).isoformat(" ", "microseconds")
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(stamp, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

tenders = sa.Table(
    "tenders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("buyer", sa.Text, nullable=False),
    sa.Column("deadline", UTCDateTime),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False),
    sa.Column("winner", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    # migration 3
    sa.Column("buyer_norm", sa.Text, nullable=False),
    sa.Column("title_norm", sa.Text, nullable=False),
    # migration 5
    sa.Column("owner", sa.Text, nullable=False),
    # migration 11: the span of the call's and its lots' deadlines (``watcher.deadlines``)
    sa.Column("first_deadline", UTCDateTime),
    sa.Column("last_deadline", UTCDateTime),
)

notices = sa.Table(
    "notices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String, nullable=False, unique=True),
    sa.Column("source", sa.String(64), nullable=False),
    sa.Column("ref", sa.String, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("buyer", sa.Text, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("published", sa.Date),
    sa.Column("deadline", UTCDateTime),
    sa.Column("folder_id", sa.String, nullable=False),
    sa.Column("fingerprint", sa.String(32), nullable=False),
    sa.Column("listing_hash", sa.String),
    sa.Column("search_text", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False),
    sa.Column("last_seen", UTCDateTime, nullable=False),
    sa.Column("last_changed", UTCDateTime, nullable=False),
    sa.Column("tender_id", sa.Integer, sa.ForeignKey("tenders.id", ondelete="SET NULL")),
)

notice_changes = sa.Table(
    "notice_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "notice_id", sa.Integer, sa.ForeignKey("notices.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("changed_at", UTCDateTime, nullable=False),
    sa.Column("fields", sa.JSON, nullable=False),
)

source_state = sa.Table(
    "source_state",
    metadata,
    sa.Column("source", sa.String(64), primary_key=True),
    sa.Column("last_run", UTCDateTime),
    sa.Column("last_success", UTCDateTime),
    sa.Column("consecutive_failures", sa.Integer, nullable=False),
    sa.Column("last_error_kind", sa.String(32)),
    sa.Column("last_error", sa.Text),
    sa.Column("items_seen_last", sa.Integer, nullable=False),
    sa.Column("new_last", sa.Integer, nullable=False),
    sa.Column("changed_last", sa.Integer, nullable=False),
    sa.Column("on_fallback", sa.Boolean, nullable=False),
    # migration 6
    sa.Column("deferred_until", UTCDateTime),
    sa.Column("detail_failures", sa.Integer, nullable=False),
    sa.Column("detail_failure_polls", sa.Integer, nullable=False),
    sa.Column("last_detail_error", sa.Text),
    # migration 7: records of the last poll left out as unreadable (ParseResult.skipped)
    sa.Column("skipped_last", sa.Integer, nullable=False, server_default=sa.text("0")),
)

http_cache = sa.Table(
    "http_cache",
    metadata,
    sa.Column("url", sa.String, primary_key=True),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("saved_at", UTCDateTime, nullable=False),
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column(
        "tender_id", sa.Integer, sa.ForeignKey("tenders.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("relevant", sa.Boolean, nullable=False),
    sa.Column("score", sa.Integer, nullable=False),
    sa.Column("domains", sa.JSON, nullable=False),
    sa.Column("reasons", sa.JSON, nullable=False),
    sa.Column("blockers", sa.JSON, nullable=False),
    sa.Column("computed_at", UTCDateTime, nullable=False),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("message_id", sa.String, nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("recipient", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", UTCDateTime),
    # migration 4
    sa.Column("claimed_at", UTCDateTime),
    sa.Column("failed_at", UTCDateTime),
    # migration 6: attempts that reached DATA without a known outcome; "host pid" of a claim
    sa.Column("doubtful_sends", sa.Integer, nullable=False),
    sa.Column("claimed_by", sa.Text),
)

# migration 2
feedback = sa.Table(
    "feedback",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "notice_id", sa.Integer, sa.ForeignKey("notices.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("relevant", sa.Boolean, nullable=False),
    sa.Column("note", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    # migration 5
    sa.Column("author", sa.Text, nullable=False),
)

# migration 3
tender_keys = sa.Table(
    "tender_keys",
    metadata,
    sa.Column("key", sa.String, primary_key=True),
    sa.Column(
        "tender_id", sa.Integer, sa.ForeignKey("tenders.id", ondelete="CASCADE"), nullable=False
    ),
)

# migration 4
alert_log = sa.Table(
    "alert_log",
    metadata,
    sa.Column(
        "tender_id",
        sa.Integer,
        sa.ForeignKey("tenders.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("recipient", sa.String, primary_key=True),
    sa.Column("message_id", sa.String, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

jobs_state = sa.Table(
    "jobs_state",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

# migration 5: the staff console
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String, nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.Text),
    sa.Column("session_version", sa.Integer, nullable=False),
    sa.Column("calendar_token", sa.String, unique=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

activity = sa.Table(
    "activity",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("tender_id", sa.Integer, sa.ForeignKey("tenders.id", ondelete="CASCADE")),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
)

drafts = sa.Table(
    "drafts",
    metadata,
    sa.Column(
        "tender_id",
        sa.Integer,
        sa.ForeignKey("tenders.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("folder", sa.Text, nullable=False),
    sa.Column("files", sa.JSON, nullable=False),
    sa.Column("checklist", sa.JSON, nullable=False),
    sa.Column("warnings", sa.JSON, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

checklist_ticks = sa.Table(
    "checklist_ticks",
    metadata,
    sa.Column(
        "tender_id",
        sa.Integer,
        sa.ForeignKey("tenders.id", ondelete="CASCADE"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("item", sa.String, primary_key=True),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
)

app_secrets = sa.Table(
    "app_secrets",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# migration 8: robots.txt copies (RFC 9309 caching)
robots_txt = sa.Table(
    "robots_txt",
    metadata,
    sa.Column("origin", sa.String, primary_key=True),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("fetched_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
)
