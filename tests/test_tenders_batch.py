"""Grouping a source's batch with statements per batch, not per notice (issue 12), in a real
store of each dialect: the statements counted at the engine, and the notices of one call that
arrive in one batch still end in one tender, as they did when each notice was looked up alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tests.notify_data import profile, settings
from tests.test_tenders import AT, DEADLINE, notice, store_and_group
from watcher import pipeline, tenders
from watcher.classify import Classifier
from watcher.fetch import Fetcher, FetchSettings
from watcher.judging import Judge
from watcher.models import PARIS, Notice, NoticeKind
from watcher.runs import RunContext
from watcher.store import Store
from watcher.store.schema import alert_log, notices, tender_keys
from watcher.store.schema import tenders as tenders_table

#: the statements a batch may add over another four times smaller: none (the IN lists are cut
#: every 500 values and SQLAlchemy's multi-row INSERTs every 1,000 rows, far above these sizes)
GROWTH = 0


@contextmanager
def counted(store: Store) -> Iterator[list[str]]:
    """The SQL statements sent through the store's engine meanwhile; an executemany is one."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])  # conn, cursor, statement, parameters, context, executemany

    sa.event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", count)


def new_calls(first: int, count: int) -> list[Notice]:
    """Calls of one buyer, each its own consultation: half of them for the profile's
    "management" domain (alerted), deadlines over several days, some with a buyer reference,
    some with an eForms folder."""
    made = []
    for number in range(first, first + count):
        subject = "management des équipes" if number % 2 else "soudure à l'arc"
        extra: dict[str, Any] = {"deadline": DEADLINE + timedelta(days=number % 7)}
        if number % 3 == 0:
            extra["folder_id"] = f"folder-{number}"
        ref = f" [réf. {40000 + number}]" if number % 4 == 0 else ""
        made.append(notice("akto", f"c{number}", f"Formation {subject} n° {number}{ref}", **extra))
    return made


def store_batch(store: Store, ctx: RunContext, batch: list[Notice]) -> int:
    """Statements of the pipeline's store step for one source's batch: store, group, judge
    and queue the alerts, in one transaction (``pipeline._store``)."""
    with counted(store) as seen:
        result, events = pipeline._store(batch, {}, AT, ctx)
    assert len(result.new) == len(batch) and [e.kind for e in events] == ["new"] * len(batch)
    return len(seen)


def test_a_batch_of_new_calls_costs_the_same_statements_whatever_its_size(
    store: Store, tmp_path: Path
) -> None:
    config = settings(tmp_path)
    ctx = RunContext(
        store=store,
        fetcher=Fetcher(FetchSettings()),  # not used: the notices are already read
        today=AT.date(),
        judge=Judge(Classifier(profile())),
        notify=config,
    )
    small, large = 10, 40
    few = store_batch(store, ctx, new_calls(0, small))
    many = store_batch(store, ctx, new_calls(small, large))
    assert many - few <= GROWTH, (few, many)
    assert few <= 25, few  # a handful per batch (was about 8 per notice)
    with store.transaction() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(tenders_table)).scalar() == 50
        linked = sa.select(sa.func.count()).where(notices.c.tender_id.is_not(None))
        assert conn.execute(linked).scalar() == 50
        alerted = sa.select(sa.func.count(sa.distinct(alert_log.c.tender_id)))
        assert conn.execute(alerted).scalar() == 25  # the "management" calls


def test_each_new_call_gets_its_own_tender_with_its_keys(store: Store) -> None:
    batch = new_calls(0, 12)
    events = store_and_group(store, *batch)
    assert len({e.tender_id for e in events}) == 12
    with store.transaction() as conn:
        for event in events:
            tender = tenders.load_tender(conn, event.tender_id)
            assert tender is not None and tuple(n.key for n in tender.notices) == (
                event.notice_key,
            )
        keys = dict(conn.execute(sa.select(tender_keys.c.key, tender_keys.c.tender_id)).all())
    by_notice = {e.notice_key: e.tender_id for e in events}
    assert keys["folder:folder-3"] == by_notice["akto:c3"]
    assert keys["buyref:akto:40008"] == by_notice["akto:c8"]
    assert keys["notice:akto:c5"] == by_notice["akto:c5"]


def test_one_call_twice_in_a_batch_by_its_reference_is_one_tender(store: Store) -> None:
    on_platform = notice(
        "opco-ep", "p1", "[réf. 48213] Formations CQP assistant dentaire", buyer="OPCO EP"
    )
    on_site = notice("opcoep-site", "x", "CQP assistant(e) dentaire — réf. 48213", buyer="OPCO EP")
    first, second = store_and_group(store, on_platform, on_site)
    assert (first.kind, second.kind) == ("new", "merged")
    assert first.tender_id == second.tender_id
    tender = tenders.get_tender(store, first.tender_id)
    assert tender is not None and tender.notices == (on_platform, on_site)


def test_one_call_twice_in_a_batch_by_buyer_title_and_day_is_one_tender(store: Store) -> None:
    title = "Formation « Manager une équipe de proximité » — Île-de-France"
    akto = notice("akto", "manager", title)
    later_that_day = notice(
        "boamp", "26-9", f"Avis de marché : {title}", deadline=DEADLINE + timedelta(hours=3)
    )
    other_day = notice("boamp", "26-10", title, deadline=DEADLINE + timedelta(days=1))
    first, second, third = store_and_group(store, akto, later_that_day, other_day)
    assert (first.kind, second.kind, third.kind) == ("new", "updated", "new")
    assert second.changes == ("date limite repoussée au vendredi 20 mars 2026 à 15h00",)
    assert first.tender_id == second.tender_id != third.tender_id


def test_a_corrigendum_in_the_batch_of_its_call_updates_it(store: Store) -> None:
    """The call (first, whatever the listing order) creates the tender; the corrigendum,
    which quotes its name, joins it and moves its deadline."""
    call = notice(
        "afdas",
        "securite",
        "Accord-cadre « Sécurité sur les tournages » : formations SST",
        buyer="Afdas",
    )
    later = datetime(2026, 3, 27, 10, tzinfo=PARIS)
    corrigendum = notice(
        "afdas",
        "rectificatif",
        "Avis rectificatif — Accord-cadre « Sécurité sur les tournages » : report de la date",
        buyer="Afdas",
        kind=NoticeKind.CORRIGENDUM,
        deadline=later,
    )
    created, update = store_and_group(store, corrigendum, call)
    assert (created.kind, created.notice_key) == ("new", call.key)
    assert (update.kind, update.tender_id) == ("updated", created.tender_id)
    assert update.changes == ("date limite repoussée au vendredi 27 mars 2026 à 10h00",)
    tender = tenders.get_tender(store, created.tender_id)
    assert tender is not None and tender.deadline == later


def test_a_call_closed_earlier_in_the_batch_is_no_candidate_after(store: Store) -> None:
    """The award closes the call's tender; the cancellation after it in the same batch finds
    no open tender of that title, so it stands alone (as when they came one by one)."""
    call = notice("boamp", "26-1", "Rénovation énergétique BTP", buyer="CONSTRUCTYS")
    award = notice(
        "boamp",
        "26-2",
        "Rénovation énergétique BTP",
        buyer="CONSTRUCTYS",
        kind=NoticeKind.AWARD,
        winner="Bâti Formation Conseil",
        deadline=None,
    )
    cancelled = notice(
        "boamp",
        "26-3",
        "Rénovation énergétique BTP",
        buyer="CONSTRUCTYS",
        kind=NoticeKind.CANCELLATION,
        deadline=None,
    )
    created, closed, alone = store_and_group(store, cancelled, award, call)
    assert closed.kind == "closed" and closed.tender_id == created.tender_id
    assert alone.kind == "closed" and alone.tender_id != created.tender_id
    assert alone.changes == ("consultation annulée",)


def test_the_smallest_key_naming_a_tender_wins(store: Store) -> None:
    """A notice whose keys name two tenders joins the one of its smallest key
    ("buyref:…" < "folder:…"), batch after batch."""
    by_folder = notice("boamp", "26-1", "Formation cariste", folder_id="F-1")
    by_reference = notice("akto", "r", "Habilitations électriques [réf. 77001]")
    a, b = store_and_group(store, by_folder, by_reference)
    both = notice("ted", "9", "Formation cariste [réf. 77001]", folder_id="F-1")
    (joined,) = store_and_group(store, both)
    assert a.tender_id != b.tender_id and joined.tender_id == b.tender_id


def test_load_tenders_reads_each_tender_as_load_tender(store: Store) -> None:
    events = store_and_group(store, *new_calls(0, 5))
    ids = [e.tender_id for e in events]
    with store.transaction() as conn:
        one_by_one = {i: tenders.load_tender(conn, i) for i in reversed(ids)}
        with counted(store) as seen:
            loaded = tenders.load_tenders(conn, [*reversed(ids), 999_999, ids[0]])
    assert loaded == one_by_one and list(loaded) == list(reversed(ids))
    assert len(seen) == 2


def test_load_tenders_of_no_id_reads_nothing(store: Store) -> None:
    with store.transaction() as conn, counted(store) as seen:
        assert tenders.load_tenders(conn, []) == {}
    assert seen == []


def test_a_notice_published_long_after_a_call_joins_the_new_one(store: Store) -> None:
    """The horizon holds for a batch: an award published more than a year after an old call's
    deadline is not attached to it by title, but to the call of that title the same batch
    created."""
    old_deadline = datetime(2024, 1, 10, 12, tzinfo=UTC)
    (old,) = store_and_group(
        store, notice("akto", "old", "Formation soudure TIG", deadline=old_deadline)
    )
    award = notice(
        "akto",
        "award",
        "Formation soudure TIG",
        kind=NoticeKind.AWARD,
        deadline=None,
        published=(old_deadline + timedelta(days=400)).date(),
    )
    call_again = notice("akto", "again", "Formation soudure TIG")
    new, closed = store_and_group(store, award, call_again)
    assert (new.kind, closed.kind) == ("new", "closed")
    assert closed.tender_id == new.tender_id != old.tender_id


def test_an_undated_tender_is_a_candidate_for_a_dated_call_of_its_title(store: Store) -> None:
    """A call stored without a deadline, then in one batch: a call of another day and the
    same call with its deadline; the dated one joins the undated tender (the same-day
    window reads that day's tenders and the undated ones)."""
    (undated,) = store_and_group(
        store, notice("akto", "u", "Formation cariste CACES R489", deadline=None)
    )
    elsewhere = notice("akto", "e", "Formation soudure TIG", deadline=DEADLINE)
    dated = notice("boamp", "26-4", "Formation cariste CACES R489", deadline=DEADLINE)
    other, joined = store_and_group(store, elsewhere, dated)
    assert other.kind == "new" and joined.tender_id == undated.tender_id


def test_create_each_makes_one_tender_per_notice(store: Store) -> None:
    """What bench/pollwork.py seeds its history with: no grouping, the keys stored."""
    twins = [notice("akto", "a", "Formation cariste"), notice("akto", "b", "Formation cariste")]
    made: list[tenders.TenderEvent] = []

    def create(conn: Any, result: Any) -> None:
        made.extend(tenders.create_each(conn, result.new, at=AT))

    store.upsert(twins, seen_at=AT, in_transaction=create)
    assert [e.kind for e in made] == ["new", "new"] and made[0].tender_id != made[1].tender_id
    with store.transaction() as conn:
        keys = dict(conn.execute(sa.select(tender_keys.c.key, tender_keys.c.tender_id)).all())
    assert keys == {"notice:akto:a": made[0].tender_id, "notice:akto:b": made[1].tender_id}
