"""The store, on real SQLite files under tmp_path and on a real PostgreSQL (the ``store`` and
``database`` fixtures of conftest run each test on both)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from tests.conftest import Database
from watcher.errors import StoreError
from watcher.models import PARIS, Lot, Notice, NoticeKind
from watcher.store import SCHEMA_HEAD, Store, UpsertResult, upserts
from watcher.store.engine import resolve_url
from watcher.store.migrations import MIGRATIONS, migrate
from watcher.store.records import canonical_json
from watcher.store.schema import metadata, outbox

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DEADLINE = datetime(2026, 4, 15, 12, 0, tzinfo=PARIS)


def notice(ref: str = "26-1234", source: str = "akto", **changes: object) -> Notice:
    base = Notice(
        source=source,
        ref=ref,
        title="Formation des salariés à la prévention des risques",
        url=f"https://www.{source}.fr/appels/{ref}",
        buyer="AKTO",
        published=date(2026, 3, 1),
        deadline=DEADLINE,
        summary="Accompagnement des entreprises de la branche.",
        lots=(Lot(title="Lot 1 Île-de-France", number="1", cpv=("80500000",)),),
        cpv=("80500000",),
    )
    return base.with_changes(**changes)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "opco-watch.db"


@contextmanager
def raw_engine(where: Path | str) -> Iterator[sa.Engine]:
    """A plain engine on the database, bypassing Store (to build or inspect a database)."""
    engine = sa.create_engine(resolve_url(where))
    try:
        yield engine
    finally:
        engine.dispose()


# ------------------------------------------------------------------ new / changed / same


def test_upsert_tells_new_then_same(store: Store) -> None:
    first = store.upsert([notice()], seen_at=T0)
    again = store.upsert([notice()], seen_at=T0 + timedelta(hours=1))
    assert first == UpsertResult(new=[notice()], changed=[], same=0)
    assert again == UpsertResult(new=[], changed=[], same=1)
    assert store.history(notice().key) == []


def test_moved_deadline_is_a_change_of_deadline_only(store: Store) -> None:
    store.upsert([notice()], seen_at=T0)
    moved = notice(deadline=DEADLINE + timedelta(days=7))
    result = store.upsert([moved], seen_at=T0 + timedelta(days=1))
    assert result.new == [] and result.same == 0
    assert result.changed == [(moved, ("deadline",))]


def test_added_lot_and_new_title_are_named(store: Store) -> None:
    store.upsert([notice()], seen_at=T0)
    lots = (*notice().lots, Lot(title="Lot 2 Occitanie", number="2"))
    result = store.upsert([notice(lots=lots, title="Nouveau titre")], seen_at=T0)
    assert result.changed[0][1] == ("title", "lots")


def test_a_change_writes_one_history_row_with_old_and_new_values(store: Store) -> None:
    store.upsert([notice()], seen_at=T0)
    later = T0 + timedelta(days=2)
    store.upsert([notice(deadline=DEADLINE + timedelta(days=7))], seen_at=later)
    store.upsert([notice(deadline=DEADLINE + timedelta(days=7))], seen_at=later)  # same
    (change,) = store.history(notice().key)
    assert change.key == notice().key
    assert change.changed_at == later
    assert change.fields == {"deadline": ("2026-04-15T12:00:00+02:00", "2026-04-22T12:00:00+02:00")}


def test_same_notice_moves_last_seen_only(store: Store) -> None:
    store.upsert([notice()], seen_at=T0)
    store.upsert([notice()], seen_at=T0 + timedelta(days=1))
    stored = store.get_notice(notice().key)
    assert stored is not None
    assert (stored.first_seen, stored.last_changed) == (T0, T0)
    assert stored.last_seen == T0 + timedelta(days=1)


def test_change_moves_last_changed(store: Store) -> None:
    store.upsert([notice()], seen_at=T0)
    store.upsert([notice(title="Autre titre")], seen_at=T0 + timedelta(days=3))
    stored = store.get_notice(notice().key)
    assert stored is not None and stored.notice.title == "Autre titre"
    assert stored.first_seen == T0
    assert stored.last_changed == stored.last_seen == T0 + timedelta(days=3)


def test_a_generator_longer_than_a_chunk_is_counted_right(store: Store) -> None:
    first = store.upsert((notice(f"26-{i}") for i in range(1_234)), seen_at=T0)
    updated = (
        notice(f"26-{i}", title="Changé") if i % 100 == 0 else notice(f"26-{i}")
        for i in range(1_234)
    )
    second = store.upsert(updated, seen_at=T0)
    assert (len(first.new), len(second.changed), second.same) == (1_234, 13, 1_221)
    assert store.count_notices() == 1_234


def test_a_key_twice_in_one_call_keeps_the_last(store: Store) -> None:
    result = store.upsert([notice(title="Premier"), notice(title="Second")], seen_at=T0)
    stored = store.get_notice(notice().key)
    assert len(result.new) == 1 and stored is not None
    assert stored.notice.title == "Second"


def test_naive_seen_at_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.upsert([notice()], seen_at=datetime(2026, 3, 2, 8, 0))


@pytest.mark.parametrize(
    "sample",
    [
        notice(),
        notice(lots=(), deadline=None, published=None, cpv=()),
        notice(
            kind=NoticeKind.CORRIGENDUM,
            estimated_value=Decimal("125000.50"),
            lots=(
                Lot("Lot A", "1", deadline=DEADLINE, estimated_value=Decimal("10"), places=("75",)),
            ),
            documents=("https://www.akto.fr/dce.pdf",),
            related_refs=("26-1000",),
            via_fallback=True,
            summary='Œuvre « spéciale » — 100 % "quotée"\n',
        ),
    ],
)
def test_canonical_json_and_fingerprint_match_the_model(store: Store, sample: Notice) -> None:
    assert json.loads(canonical_json(sample)) == sample.to_json()
    store.upsert([sample], seen_at=T0)
    with store.transaction() as conn:
        stored = conn.exec_driver_sql("SELECT fingerprint FROM notices").scalar_one()
    assert stored == sample.fingerprint()
    got = store.get_notice(sample.key)
    assert got is not None and got.notice == sample


# ---------------------------------------------------------------------- in_transaction


def _queue_alert(conn: Connection, result: UpsertResult) -> None:
    for item in result.new:
        conn.execute(
            sa.insert(outbox).values(
                message_id=f"alert:{item.key}",
                kind="alert",
                recipient="bd@example.org",
                subject=item.title,
                payload={"key": item.key},
                created_at=T0,
                attempts=0,
            )
        )


def test_in_transaction_writes_commit_with_the_notices(store: Store) -> None:
    store.upsert([notice()], seen_at=T0, in_transaction=_queue_alert)
    with store.transaction() as conn:
        assert conn.execute(sa.select(outbox.c.message_id)).scalars().all() == [
            "alert:akto:26-1234"
        ]


def test_in_transaction_raising_commits_nothing(store: Store) -> None:
    store.upsert([notice("26-1")], seen_at=T0, listing_hashes={"akto:26-1": "h1"})

    def crash(conn: Connection, result: UpsertResult) -> None:
        _queue_alert(conn, result)
        raise RuntimeError("crash after the writes")

    batch = [notice("26-1", title="Changé"), notice("26-2")]
    later = T0 + timedelta(days=1)
    with pytest.raises(RuntimeError, match="crash after"):
        store.upsert(batch, seen_at=later, listing_hashes={"akto:26-1": "h2"}, in_transaction=crash)
    kept = store.get_notice("akto:26-1")
    assert kept is not None and kept.notice == notice("26-1") and kept.last_seen == T0
    assert store.get_notice("akto:26-2") is None
    assert store.history("akto:26-1") == []
    assert store.listing_hashes(["akto:26-1"]) == {"akto:26-1": "h1"}
    with store.transaction() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() == 0


# ------------------------------------------------------------ listing hashes, touch


def test_listing_hashes_are_kept_until_replaced(store: Store) -> None:
    store.upsert([notice("26-1"), notice("26-2")], seen_at=T0, listing_hashes={"akto:26-1": "a"})
    store.upsert([notice("26-1")], seen_at=T0)  # no hash given: the stored one stays
    assert store.listing_hashes(["akto:26-1", "akto:26-2", "akto:nope"]) == {"akto:26-1": "a"}
    store.upsert([notice("26-1")], seen_at=T0, listing_hashes={"akto:26-1": "b"})
    assert store.listing_hashes(["akto:26-1"]) == {"akto:26-1": "b"}


def test_touch_moves_last_seen(store: Store) -> None:
    store.upsert([notice("26-1"), notice("26-2")], seen_at=T0)
    store.touch(["akto:26-1", "akto:unknown"], T0 + timedelta(hours=6))
    one, two = store.get_notice("akto:26-1"), store.get_notice("akto:26-2")
    assert one is not None and two is not None
    assert (one.last_seen, one.last_changed, two.last_seen) == (T0 + timedelta(hours=6), T0, T0)


# ------------------------------------------------------------------ persistence, dates


def test_data_survives_close_and_reopen(database: Database) -> None:
    with Store.open(database.url) as store:
        store.upsert([notice()], seen_at=T0)
        store.record_failure("akto", at=T0, error_kind="fetch", error="HTTP 503")
        store.save_validators("https://www.akto.fr/", '"abc"', None)
    with Store.open(database.url) as store:
        stored = store.get_notice(notice().key)
        assert stored is not None and stored.notice == notice()
        assert store.validators("https://www.akto.fr/") == ('"abc"', None)
        state = store.source_state("akto")
        assert state is not None and state.consecutive_failures == 1


def test_a_sqlite_url_is_used_as_given(tmp_path: Path) -> None:
    path = tmp_path / "new-dir" / "by-url.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.upsert([notice()], seen_at=T0)
    assert path.is_file()


def test_aware_datetimes_round_trip(store: Store) -> None:
    india = datetime(2026, 5, 1, 17, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    seen = datetime(2026, 3, 2, 9, 15, 30, 123456, tzinfo=PARIS)
    store.upsert([notice("26-1"), notice("26-2", deadline=india)], seen_at=seen)
    one, two = store.get_notice("akto:26-1"), store.get_notice("akto:26-2")
    assert one is not None and two is not None
    assert one.notice.deadline == DEADLINE and one.notice.deadline.utcoffset() == timedelta(hours=2)
    assert two.notice.deadline == india and two.notice.deadline.utcoffset() == india.utcoffset()
    assert one.first_seen == seen and one.first_seen.tzinfo is not None


def test_sqlite_runs_in_wal_with_foreign_keys(database: Database, store: Store) -> None:
    database.require("sqlite")
    with store.transaction() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000


def test_two_stores_on_one_database_both_write(database: Database) -> None:
    with Store.open(database.url) as one, Store.open(database.url) as two:
        one.upsert([notice("26-1")], seen_at=T0)
        two.upsert([notice("26-2")], seen_at=T0)
        assert one.count_notices() == two.count_notices() == 2


# -------------------------------------------------------------------------- migrations


def test_a_new_database_is_migrated_to_head(database: Database) -> None:
    with Store.open(database.url) as store:
        assert store.schema_version == SCHEMA_HEAD >= 3
    with raw_engine(database.url) as engine, engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT version FROM schema_version ORDER BY 1").scalars()
        assert list(versions) == list(range(1, SCHEMA_HEAD + 1))
        assert set(metadata.tables) <= set(sa.inspect(conn).get_table_names())


def test_an_empty_file_is_refused_unless_asked_to_initialise_it(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.touch()
    with pytest.raises(StoreError, match=r"is empty \(0 bytes\).*`opco-watch db init`"):
        Store.open(db_path)
    with Store.open(db_path, allow_empty=True) as store:  # what `opco-watch db init` does
        assert store.schema_version == SCHEMA_HEAD


def test_migrations_build_the_tables_the_queries_use(store: Store, database: Database) -> None:
    with raw_engine(database.url) as engine, engine.connect() as conn:
        inspector = sa.inspect(conn)
        for table in metadata.sorted_tables:
            reflected = {c["name"]: c["nullable"] for c in inspector.get_columns(table.name)}
            declared = {c.name: c.nullable for c in table.columns}
            assert reflected == declared, table.name


def test_migrations_render_portable_ddl_for_postgresql() -> None:
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name="postgresql", opts={"as_sql": True, "output_buffer": buffer}
    )
    for step in MIGRATIONS:
        step(Operations(context))
    ddl = buffer.getvalue()
    assert "CREATE TABLE notices" in ddl and "CREATE TABLE feedback" in ddl
    assert "first_seen TIMESTAMP WITH TIME ZONE NOT NULL" in ddl
    assert "closed BOOLEAN DEFAULT false NOT NULL" in ddl


def _v1_database(path: Path) -> None:
    """A database as opco-watch with schema version 1 left it, with data in it."""
    old = notice()
    with raw_engine(path) as engine, engine.begin() as conn:
        assert migrate(conn, target=1) == 1
        assert not sa.inspect(conn).has_table("feedback")  # migration 2 is a later step
        conn.execute(
            sa.text(
                "INSERT INTO notices (key, source, ref, title, buyer, url, kind, published,"
                " deadline, folder_id, fingerprint, listing_hash, search_text, data, first_seen,"
                " last_seen, last_changed) VALUES (:key, 'akto', '26-1234', :title, 'AKTO', :url,"
                " 'call', '2026-03-01', '2026-04-15 10:00:00.000000', '', :fp, 'h1',"
                " 'formation', :data, '2026-03-02 08:00:00.000000', '2026-03-02 08:00:00.000000',"
                " '2026-03-02 08:00:00.000000')"
            ),
            {
                "key": old.key,
                "title": old.title,
                "url": old.url,
                "fp": old.fingerprint(),
                "data": json.dumps(old.to_json(), sort_keys=True, ensure_ascii=False),
            },
        )
        conn.exec_driver_sql(
            "INSERT INTO source_state (source, last_run, consecutive_failures) "
            "VALUES ('akto', '2026-03-02 08:00:00.000000', 2)"
        )
        conn.exec_driver_sql(
            "INSERT INTO http_cache VALUES ('https://www.akto.fr/', 'W/\"1\"', NULL,"
            " '2026-03-02 08:00:00.000000')"
        )


def test_a_version_1_database_keeps_its_data_at_head(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    _v1_database(db_path)
    with Store.open(db_path) as store:
        assert store.schema_version == SCHEMA_HEAD
        stored = store.get_notice(notice().key)
        assert stored is not None and stored.notice == notice() and stored.first_seen == T0
        assert store.listing_hashes([notice().key]) == {notice().key: "h1"}
        assert store.validators("https://www.akto.fr/") == ('W/"1"', None)
        state = store.source_state("akto")
        assert state is not None and state.consecutive_failures == 2 and state.total_items == 1
        assert store.upsert([notice()], seen_at=T0).same == 1
        store.add_feedback(notice().key, True, at=T0)  # the table migration 2 adds
        assert store.feedback() == [(notice(), True)]


def test_a_database_newer_than_the_code_is_refused(database: Database) -> None:
    Store.open(database.url).close()
    with raw_engine(database.url) as engine, engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO schema_version VALUES (99, '2030-01-01 00:00:00+00')")
    with pytest.raises(StoreError, match=r"schema version 99, newer than this opco-watch"):
        Store.open(database.url)


# ------------------------------------------------------------------------- open errors


def test_a_directory_that_cannot_be_created_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(StoreError) as caught:
        Store.open(blocker / "sub" / "opco-watch.db")
    message = str(caught.value)
    assert message.startswith(f"cannot open database at {blocker / 'sub' / 'opco-watch.db'}: ")
    assert "check that the directory exists or can be created" in message


def test_a_directory_in_place_of_the_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open database at .*: it is a directory"):
        Store.open(tmp_path)


def test_a_corrupt_file_is_a_clear_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"\x00garbage, not SQLite\xff" * 512)
    with pytest.raises(StoreError) as caught:
        Store.open(db_path)
    message = str(caught.value)
    assert f"cannot open database at {db_path}: the file is not an SQLite database" in message
    assert "restore the database from a backup" in message


def test_a_bad_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match=r"cannot open database at nosuchdb://x: .*; check"):
        Store.open("nosuchdb://x")


# ------------------------------------------------------------------------ validators


def test_validators_round_trip(store: Store) -> None:
    url = "https://www.opco-ep.fr/appels-offres/"
    assert store.validators(url) == (None, None)
    store.save_validators(url, '"v1"', "Mon, 02 Mar 2026 08:00:00 GMT")
    assert store.validators(url) == ('"v1"', "Mon, 02 Mar 2026 08:00:00 GMT")
    store.save_validators(url, '"v2"', None)
    assert store.validators(url) == ('"v2"', None)
    store.save_validators(url, None, None)
    assert store.validators(url) == (None, None)


# ---------------------------------------------------------------------- source health


def test_failures_are_counted_and_a_success_resets_them(store: Store) -> None:
    counts = [
        store.record_failure("akto", at=T0 + timedelta(hours=h), error_kind="layout", error="x")
        for h in range(3)
    ]
    assert counts == [1, 2, 3]
    store.upsert([notice("26-1"), notice("26-2")], seen_at=T0)
    store.record_success(
        "akto", at=T0 + timedelta(hours=4), items=12, new=2, changed=1, on_fallback=True
    )
    state = store.source_state("akto")
    assert state is not None
    assert (state.consecutive_failures, state.last_success, state.last_run) == (
        0,
        T0 + timedelta(hours=4),
        T0 + timedelta(hours=4),
    )
    assert (state.items_seen_last, state.new_last, state.changed_last) == (12, 2, 1)
    assert (state.total_items, state.on_fallback, state.last_error_kind) == (2, True, "layout")
    assert store.record_failure("akto", at=T0, error_kind="fetch", error="HTTP 500") == 1


def test_source_states_lists_every_source(store: Store) -> None:
    store.record_success("opco-ep", at=T0, items=0, new=0, changed=0)
    store.record_failure("akto", at=T0, error_kind="fetch", error="timeout")
    assert [s.source for s in store.source_states()] == ["akto", "opco-ep"]
    assert store.source_state("atlas") is None


# --------------------------------------------------------------------------- queries


def test_find_notice_by_key_or_suffix(store: Store) -> None:
    store.upsert([notice("26-1234"), notice("AO-2026-77", source="boamp")], seen_at=T0)
    by_key = store.find_notice("boamp:AO-2026-77")
    assert by_key is not None
    assert store.find_notice(str(by_key.id)) is None  # a row id is no address (calls have numbers)
    by_suffix = store.find_notice("26-1234")
    assert by_suffix is not None and by_suffix.key == "akto:26-1234"
    partial = store.find_notice("2026-77")
    assert partial is not None and partial.key == "boamp:AO-2026-77"
    assert store.find_notice("nothing-like-this") is None


def test_an_ambiguous_suffix_finds_nothing_but_lists_candidates(store: Store) -> None:
    store.upsert([notice("26-1234"), notice("26-1234", source="atlas")], seen_at=T0)
    assert store.find_notice("26-1234") is None
    assert sorted(s.key for s in store.find_notices("26-1234")) == ["akto:26-1234", "atlas:26-1234"]


def test_list_notices_newest_first_then_deadline(store: Store) -> None:
    early, late = DEADLINE - timedelta(days=3), DEADLINE + timedelta(days=3)
    store.upsert([notice("old")], seen_at=T0)
    batch = [
        notice("late", deadline=late),
        notice("none", deadline=None),
        notice("early", deadline=early),
    ]
    store.upsert(batch, seen_at=T0 + timedelta(days=1))
    refs = [s.notice.ref for s in store.list_notices()]
    assert refs == ["early", "late", "none", "old"]
    assert [s.notice.ref for s in store.list_notices(limit=2)] == ["early", "late"]


def test_list_notices_filters_by_source_and_since(store: Store) -> None:
    store.upsert([notice("1"), notice("2", source="boamp")], seen_at=T0)
    store.upsert([notice("3")], seen_at=T0 + timedelta(days=2))
    assert {s.key for s in store.list_notices(source="akto")} == {"akto:1", "akto:3"}
    since = (T0 + timedelta(days=1)).astimezone(PARIS)
    assert [s.key for s in store.list_notices(since=since)] == ["akto:3"]
    assert store.count_notices("boamp") == 1 and store.count_notices() == 3


@pytest.mark.parametrize(
    ("query", "refs"),
    [
        ("PREVENTION", {"title"}),  # "prévention" in the title: case and accent blind
        ("opco ÉP", {"buyer"}),
        ("handicapés", {"summary"}),
        ("HANDICAPES", {"summary"}),
        ("apprentissage", set()),  # only in the body, which is not searched
        ("100%", {"percent"}),  # LIKE wildcards are literal
        ("1_0", set()),
    ],
)
def test_list_notices_text_search(store: Store, query: str, refs: set[str]) -> None:
    plain = {"title": "Achat de matériel", "summary": "", "buyer": "Ville"}
    store.upsert(
        [
            notice("title", **{**plain, "title": "Formation à la Prévention"}),
            notice("buyer", **{**plain, "buyer": "OPCO EP"}),
            notice("summary", **{**plain, "summary": "Publics HANDICAPÉS"}),
            notice("body", **plain, body="apprentissage"),
            notice("percent", **{**plain, "title": "Remise de 100% sur 10 ans"}),
        ],
        seen_at=T0,
    )
    assert {s.notice.ref for s in store.list_notices(text=query)} == refs


# -------------------------------------------------------------------------- feedback


def test_the_latest_feedback_wins(store: Store) -> None:
    store.upsert([notice("1"), notice("2")], seen_at=T0)
    store.add_feedback("akto:1", True, at=T0)
    store.add_feedback("akto:1", False, at=T0 + timedelta(days=1), note="hors périmètre")
    store.add_feedback("akto:1", True, at=T0 - timedelta(days=1))  # older, recorded late
    store.add_feedback("akto:2", True, at=T0)
    assert store.feedback() == [(notice("1"), False), (notice("2"), True)]


def test_feedback_on_an_unknown_notice_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no stored notice with key 'akto:nope'"):
        store.add_feedback("akto:nope", True, at=T0)


def test_a_source_state_counts_its_own_notices_through_an_index(
    store: Store, database: Database
) -> None:
    """A poll reads its source's state; counting the notices of every source for it made each
    poll slower as the history grew (issue 12): the count must search the source index."""
    store.upsert([notice("26-1"), notice("26-2"), notice("9", source="opco2i")], seen_at=T0)
    store.upsert([notice(str(n), source="archives") for n in range(5)], seen_at=T0)
    for source in ("akto", "opco2i", "boamp"):
        store.record_success(source, at=T0, items=1, new=0, changed=0)
    statements: list[tuple[str, object]] = []
    with _captured(store, statements, "FROM source_state"):
        states = store.source_states()
        akto = store.source_state("akto")
    assert [(s.source, s.total_items) for s in states] == [("akto", 2), ("boamp", 0), ("opco2i", 1)]
    assert akto is not None and akto.total_items == 2
    if database.dialect != "sqlite":
        return
    assert len(statements) == 2
    with store.transaction() as conn:
        for sql, params in statements:
            plan = " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert "SCAN notices" not in plan and "SEARCH notices USING COVERING INDEX" in plan


def test_the_deadlines_of_a_period_are_searched_through_an_index(
    store: Store, database: Database
) -> None:
    """Reminders and the calendar ask which open calls have a deadline in a period: a call's
    span of deadlines (lots included), else its own deadline (issue 12: no scan of every
    stored call)."""
    from watcher.notify.queries import open_deadlines_between
    from watcher.store.schema import tenders

    def day(n: int) -> datetime:
        return datetime(2026, 12, n, 12, tzinfo=UTC)

    rows = [  # (deadline, first_deadline, last_deadline, closed)
        (day(10), day(10), day(10), False),  # 1: in the period
        (day(2), day(2), day(12), False),  # 2: its lot 2 closes in the period
        (day(2), day(2), day(3), False),  # 3: over before it
        (day(25), day(25), day(25), False),  # 4: after it
        (day(11), None, None, False),  # 5: no span stored: its own deadline counts
        (day(11), day(11), day(11), True),  # 6: closed
        (None, None, None, False),  # 7: no deadline
    ]
    with store.transaction(write=True) as conn:
        for deadline, first, last, closed in rows:
            conn.execute(
                sa.insert(tenders).values(
                    title="Formation",
                    deadline=deadline,
                    first_deadline=first,
                    last_deadline=last,
                    closed=closed,
                    created_at=T0,
                    updated_at=T0,
                )
            )
    statements: list[tuple[str, object]] = []
    with _captured(store, statements, "FROM tenders"), store.transaction() as conn:
        found = open_deadlines_between(conn, day(5), day(20))
    assert found == [2, 1, 5]
    if database.dialect != "sqlite":
        return
    ((sql, params),) = statements
    with store.transaction() as conn:
        plan = " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "SCAN tenders" not in plan and "USING INDEX ix_tenders_last_deadline" in plan


@contextmanager
def _captured(store: Store, into: list[tuple[str, object]], reading: str) -> Iterator[None]:
    """The statements containing ``reading`` sent while the block runs, with parameters."""

    def capture(_c: object, _cur: object, statement: str, params: object, *_: object) -> None:
        if reading in statement:
            into.append((statement, params))

    with store.transaction() as conn:
        engine = conn.engine
    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)


# ------------------------------------------------------------------- INSERT … ON CONFLICT


def test_insert_ignoring_counts_the_rows_it_inserted_in_few_statements(store: Store) -> None:
    """Rows already there, a key given twice and more rows than one statement takes: the
    count is the rows that went in, each key once, the first row of a key kept; one
    statement per ``MAX_PARAMETERS`` values, whatever the number of rows."""
    table = sa.Table(
        "ignoring_probe",
        sa.MetaData(),
        sa.Column("k", sa.String, primary_key=True),
        sa.Column("v", sa.Integer, nullable=False),
    )
    statements: list[str] = []

    def count(conn: Connection, cursor: object, statement: str, *args: object) -> None:
        if statement.startswith("INSERT"):
            statements.append(statement)

    with store.transaction() as conn:
        table.create(conn)
        assert upserts.insert_ignoring(conn, table, [{"k": "a", "v": 1}], ["k"]) == 1
        rows = [{"k": f"r{i}", "v": i} for i in range(1000)] + [{"k": "a", "v": 2}]
        rows += [{"k": "r5", "v": -5}, {"k": "b", "v": 3}]
        sa.event.listen(conn, "before_cursor_execute", count)
        try:
            inserted = upserts.insert_ignoring(conn, table, rows, ["k"])
        finally:
            sa.event.remove(conn, "before_cursor_execute", count)
        stored = {row.k: row.v for row in conn.execute(sa.select(table.c.k, table.c.v))}
    assert inserted == 1001  # r0…r999 and b; "a" was there, "r5" given twice
    assert len(stored) == 1002 and stored["a"] == 1 and stored["r5"] == 5 and stored["b"] == 3
    per_statement = upserts.MAX_PARAMETERS // 2
    assert len(statements) == -(-len(rows) // per_statement) == 3
