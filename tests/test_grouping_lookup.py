"""Grouping looks candidates up by buyer and date, so its cost does not grow with history, and
a call long past its deadline is no longer a candidate for a new notice of the same title."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from watcher import grouping, tenders
from watcher.models import PARIS, Notice, NoticeKind
from watcher.store import Store
from watcher.tenders import TenderEvent

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
TITLE = "Formation « Manager une équipe de proximité » — Île-de-France"


def notice(ref: str, **extra: object) -> Notice:
    values: dict[str, object] = {"buyer": "AKTO", "published": date(2026, 3, 1)}
    values.update(extra)
    title = str(values.pop("title", TITLE))
    return Notice("akto", ref, title, f"https://akto.example.org/{ref}", **values)  # type: ignore[arg-type]


def group(store: Store, *batch: Notice, at: datetime = AT, **options: object) -> list[TenderEvent]:
    events: list[TenderEvent] = []

    def assign(conn: object, result: object) -> None:
        stored = [*result.new, *(n for n, _ in result.changed)]  # type: ignore[attr-defined]
        events.extend(tenders.assign(conn, stored, at=at, **options))  # type: ignore[arg-type]

    store.upsert(batch, seen_at=at, in_transaction=assign)
    return events


def test_a_call_whose_deadline_passed_long_ago_is_not_merged_with_a_new_one(store: Store) -> None:
    """OPCOs publish the same call again year after year: merging this year's (deadline not
    known yet) into the one closed two years ago would hide it, and its alert."""
    old = notice(
        "2024", published=date(2024, 2, 1), deadline=datetime(2024, 3, 1, 12, tzinfo=PARIS)
    )
    (first,) = group(store, old, at=datetime(2024, 2, 2, tzinfo=UTC))
    (again,) = group(store, notice("2026", deadline=None))
    assert again.kind == "new" and again.tender_id != first.tender_id


def test_a_call_within_the_horizon_still_merges(store: Store) -> None:
    recent = notice("jan", deadline=datetime(2026, 1, 15, 12, tzinfo=PARIS))
    (first,) = group(store, recent)
    (copy,) = group(store, notice("copy", deadline=None))
    assert (copy.kind, copy.tender_id) == ("merged", first.tender_id)


def test_the_horizon_is_a_setting(store: Store) -> None:
    old = notice(
        "2024", published=date(2024, 2, 1), deadline=datetime(2024, 3, 1, 12, tzinfo=PARIS)
    )
    (first,) = group(store, old)
    (again,) = group(store, notice("2026", deadline=None), horizon=timedelta(days=3 * 365))
    assert (again.kind, again.tender_id) == ("merged", first.tender_id)


def test_exact_references_link_notices_whatever_their_age(store: Store) -> None:
    old = notice("26-1", published=date(2024, 2, 1), deadline=datetime(2024, 3, 1, tzinfo=PARIS))
    (first,) = group(store, old)
    award = notice(
        "26-9", title=f"{TITLE} — attribution", kind=NoticeKind.AWARD, related_refs=("26-1",)
    )
    (closed,) = group(store, award)
    assert (closed.kind, closed.tender_id) == ("closed", first.tender_id)


def test_an_undated_call_stays_a_candidate_until_the_horizon_after_its_last_update(
    store: Store,
) -> None:
    (first,) = group(store, notice("a", deadline=None), at=datetime(2024, 1, 5, tzinfo=UTC))
    june = datetime(2024, 6, 2, tzinfo=UTC)
    (later,) = group(store, notice("b", deadline=None, published=date(2024, 6, 1)), at=june)
    assert (later.kind, later.tender_id) == ("merged", first.tender_id)
    (long_after,) = group(store, notice("c", deadline=None, published=date(2026, 3, 1)))
    assert long_after.kind == "new"


def test_same_day_deadlines_merge_across_the_utc_midnight_as_before(store: Store) -> None:
    """compatible_deadlines compares the stored (UTC) deadline's date with the new notice's
    date: the indexed window must give the same verdicts on both sides of midnight."""
    late = datetime(2026, 3, 20, 23, 30, tzinfo=PARIS)  # 22:30 UTC, same date
    (first,) = group(store, notice("late", deadline=late))
    (same,) = group(store, notice("late-copy", deadline=late))
    assert (same.kind, same.tender_id) == ("merged", first.tender_id)
    early = datetime(2026, 4, 10, 0, 30, tzinfo=PARIS)  # 22:30 UTC the day before
    (second,) = group(store, notice("early", deadline=early))
    (other,) = group(store, notice("early-copy", deadline=early))
    assert grouping.compatible_deadlines(
        early.astimezone(UTC), early, NoticeKind.CALL
    ) is False and (other.kind, second.kind) == ("new", "new")


def test_grouping_compares_no_title_of_calls_on_other_dates(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """400 open calls of the buyer on other dates (up to three years old): a new call with
    its own deadline compares its title with none of them."""
    start = datetime(2023, 3, 1, 12, tzinfo=PARIS)
    history = [
        notice(f"h{n}", title=f"Parcours {n} métiers", deadline=start + timedelta(days=n * 3))
        for n in range(400)
    ]
    assert len(group(store, *history, at=datetime(2023, 2, 1, tzinfo=UTC))) == 400
    compared: list[tuple[str, str]] = []
    real = grouping.similar_titles

    def counting(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(grouping, "similar_titles", counting)
    fresh = notice("new", deadline=datetime(2026, 5, 7, 12, tzinfo=PARIS))
    (event,) = group(store, fresh)
    assert event.kind == "new" and compared == []
    (copy,) = group(store, notice("copy", deadline=fresh.deadline))
    assert copy.tender_id == event.tender_id and len(compared) == 1
