"""The pipeline against a real HTTP server on loopback and a real SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PAGE_DAY, Database, write_config
from watcher.config import Config, load_config
from watcher.devserver import DevServer, Fault
from watcher.pipeline import poll
from watcher.store import Store

AKTO_LIST = "/www.akto.fr/appels-d-offres/"
BOAMP_API = "/boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records"


@pytest.fixture
def config(tmp_path: Path, database: Database) -> Config:
    return load_config(write_config(tmp_path))


#: the sources these tests count on; the others have tests of their own
FOUNDATION = ("boamp", "akto")


def run(config: Config, server: DevServer, *names: str) -> dict[str, object]:
    reports = poll(config, names=names or FOUNDATION, mirror=server.base_url, today=PAGE_DAY)
    return {r.source: r for r in reports}


def stored(config: Config) -> int:
    with Store.open(config.database) as store:
        return store.count_notices()


def paths(server: DevServer) -> list[str]:
    return [r.path.split("?")[0] for r in server.requests if not r.path.endswith("robots.txt")]


def test_first_poll_stores_every_notice(config: Config, demo_server: DevServer) -> None:
    reports = run(config, demo_server)
    assert all(r.ok for r in reports.values())  # type: ignore[attr-defined]
    assert reports["boamp"].new == 6 and reports["akto"].new == 4  # type: ignore[attr-defined]
    assert stored(config) == 10
    assert paths(demo_server).count(AKTO_LIST) == 1
    assert len([p for p in paths(demo_server) if p.startswith(AKTO_LIST) and p != AKTO_LIST]) == 4


def test_second_poll_is_conditional_and_stores_nothing(
    config: Config, demo_server: DevServer
) -> None:
    run(config, demo_server)
    demo_server.clear_log()
    reports = run(config, demo_server)
    assert sum(r.new + r.changed for r in reports.values()) == 0  # type: ignore[attr-defined]
    listing = [r for r in demo_server.requests if r.path.split("?")[0] in (AKTO_LIST, BOAMP_API)]
    assert listing and all("if-none-match" in r.headers for r in listing)
    assert paths(demo_server) == [p for p in paths(demo_server) if p in (AKTO_LIST, BOAMP_API)], (
        "an unchanged listing fetches no detail page"
    )
    assert stored(config) == 10


def test_failing_source_is_retried_then_recorded_while_others_complete(
    config: Config, demo_server: DevServer
) -> None:
    demo_server.script(AKTO_LIST, [Fault.status(500)] * 3)
    reports = run(config, demo_server)
    assert reports["boamp"].ok and reports["boamp"].new == 6  # type: ignore[attr-defined]
    akto = reports["akto"]
    assert not akto.ok and akto.error.startswith("HTTP 500")  # type: ignore[attr-defined]
    assert paths(demo_server).count(AKTO_LIST) == 3  # 1 + retries (2 in the test config)
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and state.consecutive_failures == 1
    assert state.last_error.startswith("HTTP 500")


def test_recovery_resets_the_failure_count(config: Config, demo_server: DevServer) -> None:
    demo_server.script(AKTO_LIST, [Fault.status(500)] * 3)
    run(config, demo_server, "akto")
    assert run(config, demo_server, "akto")["akto"].ok  # type: ignore[attr-defined]
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and state.consecutive_failures == 0 and state.items_seen_last == 4


def test_unreachable_site_is_reported_in_words(config: Config, demo_server: DevServer) -> None:
    demo_server.script(AKTO_LIST, [Fault.reset()] * 3)
    report = run(config, demo_server, "akto")["akto"]
    assert report.error.startswith("site unreachable")  # type: ignore[attr-defined]


def test_layout_change_is_recorded_not_taken_for_nothing_new(
    config: Config, demo_server: DevServer
) -> None:
    demo_server.add(AKTO_LIST, "<html><body><main>Nouveau site</main></body></html>")
    report = run(config, demo_server, "akto")["akto"]
    assert not report.ok  # type: ignore[attr-defined]
    assert report.error_kind == "layout"  # type: ignore[attr-defined]
    assert "selector div.posts-card found 0" in report.error  # type: ignore[attr-defined]


def test_failed_detail_page_keeps_the_notice_and_is_retried(
    config: Config, demo_server: DevServer
) -> None:
    detail = AKTO_LIST + "parcours-clea-hauts-de-france/"
    demo_server.script(detail, [Fault.status(404)])
    assert run(config, demo_server, "akto")["akto"].new == 4  # type: ignore[attr-defined]
    with Store.open(config.database) as store:
        clea = store.find_notice("parcours-clea-hauts-de-france/")
    assert clea is not None and clea.notice.body == ""
    demo_server.clear_log()
    report = run(config, demo_server, "akto")["akto"]
    assert detail in paths(demo_server), "the detail page is tried again"
    assert report.changed == 1 and report.not_modified == 0  # type: ignore[attr-defined]
    demo_server.clear_log()
    assert run(config, demo_server, "akto")["akto"].not_modified == 1  # type: ignore[attr-defined]


def test_a_crash_before_storing_loses_nothing(
    config: Config, demo_server: DevServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Store, "upsert", crash)
    report = run(config, demo_server, "akto")["akto"]
    assert not report.ok and report.error_kind == "bug"  # type: ignore[attr-defined]
    monkeypatch.undo()
    demo_server.clear_log()
    report = run(config, demo_server, "akto")["akto"]
    assert report.new == 4 and report.not_modified == 0, "validators were not saved by the crash"  # type: ignore[attr-defined]


def test_disabled_source_is_not_polled(tmp_path: Path, demo_server: DevServer) -> None:
    config = load_config(write_config(tmp_path, "[sources.akto]\nenabled = false\n"))
    polled = poll(config, mirror=demo_server.base_url, today=PAGE_DAY)
    assert "akto" not in {r.source for r in polled} and "boamp" in {r.source for r in polled}


def test_redesigned_site_runs_on_the_fallback(config: Config, demo_server: DevServer) -> None:
    import httpx

    listing = httpx.get(demo_server.base_url + AKTO_LIST).text
    demo_server.add(AKTO_LIST, listing.replace('class="posts-card"', 'class="teaser"'))
    report = run(config, demo_server, "akto")["akto"]
    assert not report.ok and report.error_kind == "layout"  # type: ignore[attr-defined]
    assert "candidate(s) kept by the fallback extractor" in report.error  # type: ignore[attr-defined]
    with Store.open(config.database) as store:
        state = store.source_state("akto")
        kept = store.list_notices(source="akto")
    assert state is not None and state.on_fallback and state.consecutive_failures == 1
    assert kept and all(row.notice.via_fallback and row.notice.buyer == "AKTO" for row in kept)


def test_a_listing_that_goes_empty_is_logged_not_failed(
    config: Config, demo_server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The API says 0 results (or an HTML page shows its frame without a call): no call is
    open, which is normal; the drop from 6 is a warning in the log, not a failure."""
    assert run(config, demo_server, "boamp")["boamp"].items == 6  # type: ignore[attr-defined]
    demo_server.add(BOAMP_API, '{"total_count": 0, "results": []}', content_type="application/json")
    report = run(config, demo_server, "boamp")["boamp"]
    assert report.ok and report.items == 0  # type: ignore[attr-defined]
    assert "listing now empty (6 items last time)" in caplog.text
