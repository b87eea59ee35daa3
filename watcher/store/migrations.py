"""Schema migrations: an ordered list of steps, applied in one transaction on open.

Step N brings the schema from version N-1 to N and is never edited once released: a
schema change is a new step at the end. The ``schema_version`` table has one row per
applied step. DDL goes through alembic's ``Operations`` so it is portable (SQLite and
PostgreSQL); no alembic env.py or ini file is involved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.errors import StoreError
from watcher.store import head, search_index
from watcher.store.schema import UTCDateTime, schema_version

if TYPE_CHECKING:  # alembic (and mako) cost a second to import: only when migrating
    from alembic.operations import Operations

logger = logging.getLogger(__name__)

Migration = Callable[["Operations"], None]


def _stamp(name: str, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _v1_initial(op: Operations) -> None:
    """Notices and their history, tenders and matches, source health, HTTP cache, outbox."""
    _v1_tenders(op)
    _v1_notices(op)
    _v1_health(op)
    _v1_outbox(op)


def _v1_tenders(op: Operations) -> None:
    op.create_table(
        "tenders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("buyer", sa.Text, nullable=False, server_default=""),
        _stamp("deadline", nullable=True),
        sa.Column("status", sa.String(32), nullable=False, server_default="new"),
        sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("winner", sa.Text, nullable=False, server_default=""),
        _stamp("created_at"),
        _stamp("updated_at"),
    )
    op.create_index("ix_tenders_deadline", "tenders", ["deadline"])
    op.create_index("ix_tenders_status", "tenders", ["status"])
    op.create_table(
        "matches",
        sa.Column("tender_id", sa.Integer, primary_key=True),
        sa.Column("relevant", sa.Boolean, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("domains", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("blockers", sa.JSON, nullable=False),
        _stamp("computed_at"),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name="fk_matches_tender", ondelete="CASCADE"
        ),
    )


def _v1_notices(op: Operations) -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("ref", sa.String, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("buyer", sa.Text, nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("published", sa.Date),
        _stamp("deadline", nullable=True),
        sa.Column("folder_id", sa.String, nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("listing_hash", sa.String),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        _stamp("first_seen"),
        _stamp("last_seen"),
        _stamp("last_changed"),
        sa.Column("tender_id", sa.Integer),
        sa.UniqueConstraint("key", name="uq_notices_key"),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name="fk_notices_tender", ondelete="SET NULL"
        ),
    )
    for column in ("source", "deadline", "first_seen", "folder_id", "tender_id"):
        op.create_index(f"ix_notices_{column}", "notices", [column])
    op.create_table(
        "notice_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notice_id", sa.Integer, nullable=False),
        _stamp("changed_at"),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name="fk_notice_changes_notice", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_notice_changes_notice", "notice_changes", ["notice_id", "changed_at"])


def _v1_health(op: Operations) -> None:
    op.create_table(
        "source_state",
        sa.Column("source", sa.String(64), primary_key=True),
        _stamp("last_run", nullable=True),
        _stamp("last_success", nullable=True),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error_kind", sa.String(32)),
        sa.Column("last_error", sa.Text),
        sa.Column("items_seen_last", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("new_last", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("changed_last", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("on_fallback", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "http_cache",
        sa.Column("url", sa.String, primary_key=True),
        sa.Column("etag", sa.Text),
        sa.Column("last_modified", sa.Text),
        _stamp("saved_at"),
    )


def _v1_outbox(op: Operations) -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("message_id", sa.String, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        _stamp("created_at"),
        _stamp("sent_at", nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("last_error", sa.Text),
        _stamp("next_attempt_at", nullable=True),
        sa.UniqueConstraint("message_id", name="uq_outbox_message_id"),
    )
    # the sender drains unsent messages whose next attempt is due
    op.create_index("ix_outbox_pending", "outbox", ["sent_at", "next_attempt_at"])


def _v2_feedback(op: Operations) -> None:
    """Relevance judgements by users (the latest per notice wins), to tune the classifier."""
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notice_id", sa.Integer, nullable=False),
        sa.Column("relevant", sa.Boolean, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        _stamp("at"),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name="fk_feedback_notice", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_feedback_notice", "feedback", ["notice_id", "at"])


def _v3_tender_keys(op: Operations) -> None:
    """Grouping notices into tenders: the exact keys of each tender (eForms folder id, buyer
    reference, notice keys), and normalised buyer/title for the fuzzy match."""
    op.create_table(
        "tender_keys",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column(
            "tender_id", sa.Integer, sa.ForeignKey("tenders.id", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_index("ix_tender_keys_tender", "tender_keys", ["tender_id"])
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("buyer_norm", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("title_norm", sa.Text, nullable=False, server_default=""))
    op.create_index("ix_tenders_buyer_norm", "tenders", ["buyer_norm"])


def _v4_notify(op: Operations) -> None:
    """Alerts: the outbox's claim and failure marks, who was alerted of which tender, and the
    small state of scheduled jobs (last digest week, sources reported down)."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(_stamp("claimed_at", nullable=True))
        batch.add_column(_stamp("failed_at", nullable=True))
    op.create_table(
        "alert_log",
        sa.Column("tender_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("recipient", sa.String, primary_key=True),
        sa.Column("message_id", sa.String, nullable=False),
        _stamp("created_at"),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name="fk_alert_log_tender", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "jobs_state",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _stamp("updated_at"),
    )


def _v5_console(op: Operations) -> None:
    """The staff console: accounts, who did what on each call (activity), the call's owner,
    who judged (feedback author), drafts written, checklist ticks, the app's secrets; and the
    indexes the console's incremental reads need (what changed since a moment)."""
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("email", sa.String, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.Text),
        sa.Column("session_version", sa.Integer, nullable=False, server_default=sa.text("1")),
        sa.Column("calendar_token", sa.String),
        _stamp("created_at"),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.UniqueConstraint("calendar_token", name="uq_users_calendar_token"),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tender_id", sa.Integer),
        _stamp("at"),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name="fk_activity_tender", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_activity_tender", "activity", ["tender_id", "id"])
    op.create_table(
        "drafts",
        sa.Column("tender_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("files", sa.JSON, nullable=False),
        sa.Column("checklist", sa.JSON, nullable=False),
        sa.Column("warnings", sa.JSON, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        _stamp("at"),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name="fk_drafts_tender", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "checklist_ticks",
        sa.Column("tender_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("item", sa.String, primary_key=True),
        sa.Column("actor", sa.Text, nullable=False),
        _stamp("at"),
        sa.ForeignKeyConstraint(
            ["tender_id"], ["tenders.id"], name="fk_checklist_ticks_tender", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        _stamp("created_at"),
    )
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(sa.Column("owner", sa.Text, nullable=False, server_default=""))
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("author", sa.Text, nullable=False, server_default=""))
    op.create_index("ix_tenders_updated_at", "tenders", ["updated_at"])
    op.create_index("ix_matches_computed_at", "matches", ["computed_at"])


def _v6_reliability(op: Operations) -> None:
    """Reliability: a source's Retry-After pause and failed detail pages; sends in doubt.

    Source health gets ``deferred_until`` (a site's Retry-After: skip until) and the detail
    pages that failed; the outbox counts the sends that reached DATA without a known outcome
    (``doubtful_sends``) and says which process holds a claim (``claimed_by``)."""
    zero = sa.text("0")
    with op.batch_alter_table("source_state") as batch:
        batch.add_column(_stamp("deferred_until", nullable=True))
        batch.add_column(
            sa.Column("detail_failures", sa.Integer, nullable=False, server_default=zero)
        )
        batch.add_column(
            sa.Column("detail_failure_polls", sa.Integer, nullable=False, server_default=zero)
        )
        batch.add_column(sa.Column("last_detail_error", sa.Text))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column("doubtful_sends", sa.Integer, nullable=False, server_default=zero)
        )
        batch.add_column(sa.Column("claimed_by", sa.Text))


def _v7_skipped_records(op: Operations) -> None:
    """Source health: the records of the last poll that could not be read (wrong shape)."""
    with op.batch_alter_table("source_state") as batch:
        batch.add_column(
            sa.Column("skipped_last", sa.Integer, nullable=False, server_default=sa.text("0"))
        )


def _v8_lookups(op: Operations) -> None:
    """Indexed lookups: open calls by buyer and deadline (grouping), notices by source and
    first seen, tenders by creation, and a full-text index of the notices' search text
    (SQLite: FTS5 trigram table kept by triggers; PostgreSQL: pg_trgm GIN index); robots.txt
    copies kept between runs."""
    op.create_table(
        "robots_txt",
        sa.Column("origin", sa.String, primary_key=True),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        _stamp("fetched_at"),
        _stamp("expires_at"),
    )
    op.create_index(
        "ix_tenders_candidates", "tenders", ["buyer_norm", "closed", "deadline", "updated_at"]
    )
    op.drop_index("ix_tenders_buyer_norm", "tenders")  # a prefix of the new one
    op.create_index("ix_tenders_created_at", "tenders", ["created_at"])
    op.create_index("ix_notices_source_first_seen", "notices", ["source", "first_seen", "deadline"])
    search_index.create(op)


def _v9_search_forms(op: Operations) -> None:
    """Search by singular forms: each notice's search text gains its words' singular forms,
    so that ``list --text formations`` finds « formation » and « sociaux » « social »."""
    search_index.add_forms(op)


def _v10_gender_forms(op: Operations) -> None:
    """Search by masculine forms too: each notice's search text gets its words' singular
    masculine forms, so that ``list --text sociale`` finds « social » and « collectif »
    « collectives »."""
    search_index.add_forms(op)


def _v11_lot_deadlines(op: Operations) -> None:
    """Lots closing on other days than their call: each tender's first and last deadline,
    lots included (``watcher.deadlines``), so that the reminders and the calendar find a lot
    still open after its call's own deadline has passed."""
    with op.batch_alter_table("tenders") as batch:
        batch.add_column(_stamp("first_deadline", nullable=True))
        batch.add_column(_stamp("last_deadline", nullable=True))
    op.create_index("ix_tenders_last_deadline", "tenders", ["last_deadline"])
    op.execute("UPDATE tenders SET first_deadline = deadline, last_deadline = deadline")
    if not op.get_context().as_sql:  # the lots' deadlines are read from the stored notices
        _backfill_lot_deadlines(op.get_bind())


def _backfill_lot_deadlines(conn: Connection) -> None:
    """The tenders with a lot carrying its own deadline get their span from their notices."""
    from watcher import deadlines
    from watcher.models import Tender
    from watcher.store.records import notice_from_data

    rows = conn.execute(
        sa.text(
            "SELECT t.id, n.data FROM tenders t JOIN notices n ON n.tender_id = t.id "
            "WHERE t.id IN (SELECT tender_id FROM notices WHERE data LIKE '%\"lots\":[{%') "
            "ORDER BY t.id, n.id"
        )
    )
    members: dict[int, list[Any]] = {}
    for tender_id, data in rows:
        members.setdefault(tender_id, []).append(notice_from_data(data))
    update = sa.text(
        "UPDATE tenders SET first_deadline = :first, last_deadline = :last WHERE id = :id"
    ).bindparams(sa.bindparam("first", type_=UTCDateTime), sa.bindparam("last", type_=UTCDateTime))
    for tender_id, notices in members.items():
        told = deadlines.of(Tender(tender_id, tuple(notices)))
        conn.execute(update, {"id": tender_id, "first": told.first, "last": told.last})


MIGRATIONS: tuple[Migration, ...] = (
    _v1_initial,
    _v2_feedback,
    _v3_tender_keys,
    _v4_notify,
    _v5_console,
    _v6_reliability,
    _v7_skipped_records,
    _v8_lookups,
    _v9_search_forms,
    _v10_gender_forms,
    _v11_lot_deadlines,
)
HEAD = len(MIGRATIONS)


def describe_step(step: int) -> str:
    """The first line of migration ``step``'s docstring: what it brings."""
    doc = MIGRATIONS[step - 1].__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else f"step {step}"


def current_version(conn: Connection) -> int:
    """The schema version of the database (0 when it has never been migrated)."""
    if not sa.inspect(conn).has_table(schema_version.name):
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)


def migrate(conn: Connection, target: int | None = None, *, replay: bool = False) -> int:
    """Apply the missing steps up to ``target`` (default: head); return the version reached.

    Run it inside a transaction: a step that fails leaves the database as it was. A new,
    empty SQLite database is built at head at once (``watcher.store.head``) unless ``replay``.
    """
    target = HEAD if target is None else target
    if not 0 <= target <= HEAD:
        raise ValueError(f"schema version {target} is outside 0..{HEAD}")
    version = current_version(conn)
    if version > HEAD:
        raise StoreError(
            f"the database has schema version {version}, newer than this opco-watch knows "
            f"({HEAD}); upgrade opco-watch, or point it at another data directory"
        )
    if version >= target:
        return version
    if version == 0 and target == HEAD and not replay and head.applies(conn, HEAD):
        head.create(conn, HEAD)
        return HEAD
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    ops = Operations(MigrationContext.configure(conn))
    if target > version and not sa.inspect(conn).has_table(schema_version.name):
        _create_version_table(ops)
    for step in range(version + 1, target + 1):
        _apply(conn, ops, step)
    return max(version, target)


def _create_version_table(ops: Operations) -> None:
    ops.create_table(
        schema_version.name,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        _stamp("applied_at"),
    )


def _apply(conn: Connection, ops: Operations, step: int) -> None:
    logger.info("migrating the database to schema version %d", step)
    MIGRATIONS[step - 1](ops)
    conn.execute(sa.insert(schema_version).values(version=step, applied_at=datetime.now(UTC)))
