"""TED Search API v3: the real recorded answer (shared/fixtures/real), the demo reconstruction
(golden), the request body, iteration tokens, timed-out batches and loud failures."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scrapers.registry import SOURCES
from scrapers.ted import FIELDS, Ted, cpv_patterns, notice_from_ted, read_title
from tests.conftest import PAGE_DAY, write_config
from tests.test_sources_platforms import Page, check_golden, check_invariants
from watcher.config import load_config, validate_file
from watcher.devserver import DevServer
from watcher.errors import ParseError
from watcher.fetch import Fetcher, FetchSettings
from watcher.models import PARIS, NoticeKind
from watcher.pipeline import RunContext, run_once
from watcher.store import Store

SEARCH = "https://api.ted.europa.eu/v3/notices/search"
REAL = "fixtures/real/ted-v3-search_sweden-cities_2026-10-08_first3.json"
#: the demo page of the ``ted`` source (for tests/test_parsers.py too)
PAGES_BUILT_IN = [Page("ted", "ted/search.json", SEARCH)]


@pytest.fixture(scope="module")
def real(shared: Path) -> dict[str, Any]:
    """The recorded answer, in TED's own envelope (the saved file wraps it in the saving
    script's ``generated_at``/``query``/``count``)."""
    file = shared / REAL
    if not file.exists():
        pytest.skip(f"real TED fixture not found at {file}")
    data = json.loads(file.read_text("utf-8"))
    return {"notices": data["notices"], "totalNoticeCount": data["count"], "timedOut": False}


def parse(answer: dict[str, Any]) -> Any:
    return Ted().parse(json.dumps(answer), SEARCH)


# ------------------------------------------------------------------------------- real answer


def test_real_answer_gives_three_notices(real: dict[str, Any]) -> None:
    result = parse(real)
    assert [n.ref for n in result.notices] == ["475939-2026", "476004-2026", "476409-2026"]
    assert result.next_requests == [] and result.skipped == []
    check_invariants(result.notices)


def test_real_training_tender(real: dict[str, Any]) -> None:
    notice = parse(real).notices[2]
    assert (
        notice.title
        == "Arbetsmarknadsutbildning skärande bearbetning på kriminalvårdsanstalt Västervik"
    )
    assert notice.buyer == "Arbetsförmedlingen" and notice.published == date(2026, 7, 10)
    assert notice.cpv == ("80530000",) and notice.kind == NoticeKind.CALL
    assert notice.url == "https://ted.europa.eu/fr/notice/-/detail/476409-2026"
    assert notice.estimated_value is None, "10,000,000 SEK is not read as euros"


def test_real_lot_level_deadline(real: dict[str, Any]) -> None:
    notice = parse(real).notices[1]
    assert notice.deadline == datetime(2026, 8, 25, 23, 59, tzinfo=PARIS)
    assert notice.deadline_text == "2026-08-25+02:00 23:59:00+02:00"
    assert notice.platform_url.startswith("https://www.kommersannons.se/malmo/")
    assert notice.documents == (notice.platform_url,)
    assert notice.cpv == ("79100000", "79111000", "79720000")
    assert parse(real).notices[0].deadline is None


# --------------------------------------------------------------------------------- demo page


def test_demo_answer_matches_golden() -> None:
    (page,) = PAGES_BUILT_IN
    check_golden(page.id, page.notices())
    check_invariants(page.notices())


def test_demo_notices_kinds_lots_and_keys() -> None:
    notices = {n.ref: n for n in PAGES_BUILT_IN[0].notices()}
    call = notices["162418-2026"]
    # "Lot 1 – Auvergne-Rhône-Alpes", identifier LOT-0001: the number a person reads
    assert [(lot.number, lot.title) for lot in call.lots] == [
        ("1", "Auvergne-Rhône-Alpes"),
        ("2", "Bretagne"),
    ]
    assert call.deadline == min(lot.deadline for lot in call.lots if lot.deadline)
    assert call.lots[1].estimated_value == Decimal(220000)
    assert call.estimated_value == Decimal(480000) and call.folder_id.count("-") == 4
    assert call.platform_url.startswith("https://www.marches-publics.info/")
    assert notices["158907-2026"].deadline is None and notices["158907-2026"].deadline_text == ""
    assert "services sociaux" in notices["158907-2026"].procedure
    assert notices["155320-2026"].kind == NoticeKind.CORRIGENDUM
    award = notices["149876-2026"]
    assert award.kind == NoticeKind.AWARD and award.winner == "Institut Prévention Santé Travail"


# ------------------------------------------------------------------------------ request body


def test_search_request_body() -> None:
    (request,) = Ted().start_requests(PAGE_DAY)
    assert (request.method, request.url) == ("POST", SEARCH)
    body = request.json
    assert body["query"] == (
        "classification-cpv IN (79632* 8042* 805* 806*) AND buyer-country IN (FRA)"
        " AND PD>=today(-30) SORT BY publication-number DESC"
    )
    assert body["limit"] <= 250 and body["paginationMode"] == "ITERATION"
    assert "procedure-identifier" in body["fields"] and "iterationNextToken" not in body
    assert body["fields"] == list(FIELDS)


def test_cpv_patterns_widen_on_trailing_zeros() -> None:
    assert cpv_patterns(["80500000", "80530000", "79632000"]) == ["79632*", "805*"]
    assert cpv_patterns(["80000000"]) == ["80*"]


def test_options_from_the_config(tmp_path: Path) -> None:
    extra = '[sources.ted]\ncpv = ["80580000"]\ncountries = ["fra", "bel"]\nlookback_days = 7\n'
    source = load_config(write_config(tmp_path, extra)).build_source("ted")
    query = source.start_requests(PAGE_DAY)[0].json["query"]
    assert query.startswith("classification-cpv IN (8058*) AND buyer-country IN (FRA BEL)")
    assert "PD>=today(-7)" in query


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('cpv = ["8050"]', "sources.ted.cpv: CPV codes have 8 digits"),
        ('countries = ["FR"]', "sources.ted.countries: countries are 3-letter codes"),
        ("lookback_days = 0", "sources.ted.lookback_days: must be at least 1"),
    ],
)
def test_bad_options_are_explained(tmp_path: Path, setting: str, expected: str) -> None:
    found = [str(p) for p in validate_file(write_config(tmp_path, f"[sources.ted]\n{setting}\n"))]
    assert any(p.startswith(expected) for p in found), found


# ------------------------------------------------------------------- iteration and timeouts


def answer(*numbers: str, token: str | None = None, timed_out: bool = False) -> dict[str, Any]:
    notices = [
        {"publication-number": n, "notice-title": {"fra": f"Formation {n}"}} for n in numbers
    ]
    return {
        "notices": notices,
        "totalNoticeCount": 9,
        "iterationNextToken": token,
        "timedOut": timed_out,
    }


def test_iteration_token_is_sent_back_with_the_same_body() -> None:
    (first,) = Ted().start_requests(PAGE_DAY)
    (after,) = parse(answer("1-2026", token="tok-2")).next_requests
    assert after.method == "POST" and after.url == SEARCH
    assert after.json == {**first.json, "iterationNextToken": "tok-2"}


def test_iteration_stops_without_token_or_without_notices() -> None:
    assert parse(answer("1-2026")).next_requests == []
    assert parse(answer(token="tok-3")).next_requests == []


def test_timed_out_batch_is_kept_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scrapers.ted"):
        result = parse(answer("1-2026", "2-2026", token="tok", timed_out=True))
    assert [n.ref for n in result.notices] == ["1-2026", "2-2026"]
    assert "timedOut: TED returned an incomplete batch" in [s.reason for s in result.skipped]
    assert len(result.next_requests) == 1
    assert any("[ted] TED timed out" in r.getMessage() for r in caplog.records)


def test_iteration_is_bounded_through_the_pipeline(tmp_path: Path) -> None:
    """A TED that always says "more" is followed max_pages times, each request a POST
    carrying the previous token."""

    class ShortTed(Ted):
        max_pages = 3

    endless = json.dumps(answer("1-2026", token="again"))
    with DevServer() as server, Store.open(str(tmp_path / "db.sqlite")) as store:
        server.add("/api.ted.europa.eu/v3/notices/search", endless, content_type="application/json")
        reports = _run(ShortTed(), server, store)
    posts = [r for r in server.requests if r.method == "POST"]
    assert reports[0].ok and reports[0].pages == 3 and len(posts) == 3
    assert [json.loads(r.body).get("iterationNextToken") for r in posts] == [None, "again", "again"]


def _run(source: Ted, server: DevServer, store: Store) -> list[Any]:
    async def go() -> list[Any]:
        async with Fetcher(FetchSettings(retries=0, mirror=server.base_url)) as fetcher:
            return await run_once([source], RunContext(store, fetcher, PAGE_DAY))

    return asyncio.run(go())


# ------------------------------------------------------------------------ failures and edges


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"error": "QUERY_SYNTAX_ERROR", "message": "bad"}', "no 'notices' list"),
        ("[]", "no 'notices' list"),
        ("<html>503</html>", "did not return JSON"),
    ],
)
def test_bad_answers_raise_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        SOURCES["ted"]().parse(text, SEARCH)


def test_unreadable_notice_is_skipped_not_fatal() -> None:
    result = parse(
        {"notices": [{"notice-title": {"fra": "x"}}, "junk", *answer("5-2026")["notices"]]}
    )
    assert [n.ref for n in result.notices] == ["5-2026"] and len(result.skipped) == 2


@pytest.mark.parametrize(
    ("titles", "expected"),
    [
        (
            {
                "fra": "France – Formation – Titre – lot 2",
                "eng": "France – Training – Titre – lot 2",
            },
            "Titre – lot 2",
        ),
        (
            {"fra": "France – Formation – Titre", "eng": "France – Training – Other"},
            "France – Formation – Titre",
        ),
        ({"fra": "France – Formation – Titre"}, "France – Formation – Titre"),
        ({"deu": "Frankreich – Schulung – Titel", "eng": "France – Training – Titel"}, "Titel"),
    ],
)
def test_title_prefix_is_cut_only_when_every_language_agrees(
    titles: dict[str, str], expected: str
) -> None:
    assert read_title({"notice-title": titles}) == expected


def test_deadlines_before_publication_or_on_awards_are_not_deadlines() -> None:
    raw = {
        "publication-number": "7-2026",
        "publication-date": "2026-03-02+01:00",
        "title-lot": {"fra": ["Lot A", "Lot B"]},
        "deadline-receipt-tender-date-lot": ["2025-03-10+01:00", "2026-03-20+01:00"],
        "deadline-receipt-tender-time-lot": ["12:00:00+01:00"],
    }
    notice = notice_from_ted(raw)
    assert notice.deadline == datetime(2026, 3, 20, 12, 0, tzinfo=PARIS)
    assert [lot.deadline.day for lot in notice.lots if lot.deadline] == [10, 20]
    award = notice_from_ted({**raw, "notice-type": "can-standard"})
    assert award.kind == NoticeKind.AWARD and award.deadline is None
