"""One source's trouble is that source's: deadlines, a site's Retry-After, failing detail
pages, and a store that refuses one source's writes — against the demo's snapshots served on
loopback, a real SQLite file, and real ``opco-watch`` processes where a limit of the
operating system is the fault (a file size limit: the disk is full)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import PAGE_DAY, ROOT, write_config
from watcher.cli import main
from watcher.config import Config, load_config
from watcher.devserver import DevServer, Fault
from watcher.errors import StoreError
from watcher.fetch import Fetcher
from watcher.pipeline import RunContext, SourceReport, build_sources, poll, run_once
from watcher.scheduler import Service
from watcher.store import Store

AKTO_LIST = "/www.akto.fr/appels-d-offres/"
CLEA = AKTO_LIST + "parcours-clea-hauts-de-france/"


def make_config(folder: Path, fetch: str = "") -> Config:
    return load_config(write_config(folder, fetch))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return make_config(tmp_path)


def run(config: Config, server: DevServer, *names: str) -> dict[str, SourceReport]:
    reports = poll(config, names=names or ("boamp", "akto"), mirror=server.base_url, today=PAGE_DAY)
    return {r.source: r for r in reports}


def asked(server: DevServer, path: str) -> int:
    return sum(1 for r in server.requests if r.path.split("?")[0] == path)


def cli(config: Config, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(config.base_dir / "opco-watch.toml"), *args])
    return result.exit_code, result.output


# ----------------------------------------------------------------------------- time limits


def test_a_source_past_its_deadline_is_recorded_failed_the_others_complete(
    tmp_path: Path, demo_server: DevServer
) -> None:
    # long enough for BOAMP's poll on a loaded machine (1 s was not), far short of AKTO's:
    # 64 bytes every 50 ms, every read is on time, the whole page would take a minute
    config = make_config(tmp_path, "source_deadline_seconds = 8\n")
    demo_server.add(AKTO_LIST, "<html>" + "x" * 80_000, slow_body=0.05, chunk=64)
    started = time.monotonic()
    reports = run(config, demo_server)
    assert time.monotonic() - started < 30
    assert reports["boamp"].ok and reports["boamp"].new == 6
    akto = reports["akto"]
    assert not akto.ok and akto.error_kind == "timeout"
    assert akto.error == "poll not finished within 8 s (fetch.source_deadline_seconds)"
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and state.consecutive_failures == 1
    assert state.last_error == akto.error


def test_a_trickled_detail_page_is_cut_by_the_request_deadline(
    tmp_path: Path, demo_server: DevServer
) -> None:
    config = make_config(tmp_path, "request_deadline_seconds = 0.5\n")
    demo_server.add(CLEA, "<html>" + "x" * 80_000, slow_body=0.05, chunk=64)
    report = run(config, demo_server, "akto")["akto"]
    assert report.ok and report.new == 4 and report.detail_failures == 1
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and state.detail_failures == 1
    assert state.last_detail_error == (
        "no complete answer within 0.5 s (fetch.request_deadline_seconds): "
        "https://www.akto.fr/appels-d-offres/parcours-clea-hauts-de-france/"
    )


# ----------------------------------------------------------------------------- Retry-After


@pytest.mark.parametrize("retry_after", ["86400", "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_a_long_retry_after_pauses_the_source_until_then(
    config: Config, demo_server: DevServer, retry_after: str
) -> None:
    demo_server.script(AKTO_LIST, [Fault.status(429, retry_after=retry_after)])
    before = datetime.now(UTC)
    started = time.monotonic()
    reports = run(config, demo_server)
    assert time.monotonic() - started < 20  # not three waits of 30 s
    akto = reports["akto"]
    assert not akto.ok and akto.error_kind == "rate-limited" and reports["boamp"].ok
    assert akto.deferred_until is not None
    assert timedelta(hours=23.9) < akto.deferred_until - before < timedelta(hours=24.1)
    assert asked(demo_server, AKTO_LIST) == 1

    demo_server.clear_log()
    again = run(config, demo_server)
    assert asked(demo_server, AKTO_LIST) == 0 and not again["akto"].ok
    assert again["akto"].error_kind == "deferred"
    assert again["akto"].error.startswith("not polled: the site asked (Retry-After) to wait until")
    assert again["boamp"].ok

    code, shown = cli(config, "sources")
    assert code == 0 and "en pause jusqu'au" in shown and "à la demande du site" in shown, shown
    assert "(Retry-After)" in shown  # the cell may wrap before it
    code, data = cli(config, "sources", "--json")
    akto_row = next(row for row in json.loads(data) if row["source"] == "akto")
    assert akto_row["deferred_until"] == akto.deferred_until.isoformat()
    code, printed = cli(config, "poll", "--source", "akto", "--mirror", demo_server.base_url)
    assert code == 1 and "not polled: the site asked" in printed


def test_the_pause_ends_when_the_site_said(config: Config, demo_server: DevServer) -> None:
    demo_server.script(AKTO_LIST, [Fault.status(429, retry_after=3600)])
    assert run(config, demo_server, "akto")["akto"].error_kind == "rate-limited"

    async def poll_at(moment: datetime) -> SourceReport:
        with Store.open(config.database) as store:
            async with Fetcher(config.fetch_settings(mirror=demo_server.base_url)) as fetcher:
                ctx = RunContext(store=store, fetcher=fetcher, today=PAGE_DAY, now=lambda: moment)
                (report,) = await run_once(build_sources(config, ["akto"]), ctx)
                return report

    soon = datetime.now(UTC) + timedelta(minutes=59)
    assert asyncio.run(poll_at(soon)).error_kind == "deferred"
    later = datetime.now(UTC) + timedelta(minutes=61)
    report = asyncio.run(poll_at(later))
    assert report.ok and report.new == 4
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and state.deferred_until is None and state.consecutive_failures == 0


def test_a_short_retry_after_is_waited_once_within_the_poll(
    config: Config, demo_server: DevServer
) -> None:
    demo_server.script(AKTO_LIST, [Fault.status(429, retry_after=0)])
    report = run(config, demo_server, "akto")["akto"]
    assert report.ok and report.new == 4 and asked(demo_server, AKTO_LIST) == 2


def test_a_rate_limited_detail_page_stops_the_source(
    config: Config, demo_server: DevServer
) -> None:
    demo_server.script(CLEA, [Fault.status(429, retry_after=7200)])
    report = run(config, demo_server, "akto")["akto"]
    assert report.error_kind == "rate-limited" and report.deferred_until is not None
    assert asked(demo_server, CLEA) == 1


# ------------------------------------------------------------------- detail pages in health


def test_detail_pages_that_keep_failing_show_in_sources(
    config: Config, demo_server: DevServer
) -> None:
    demo_server.script(CLEA, [Fault.status(500)] * 6)  # 3 attempts per poll, two polls
    first = run(config, demo_server, "akto")["akto"]
    assert first.ok and first.detail_failures == 1
    code, shown = cli(config, "sources")
    assert "detail page" not in shown  # once is nothing: retried at the next poll
    second = run(config, demo_server, "akto")["akto"]
    assert second.detail_failures == 1
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and state.details_failing and state.detail_failure_polls == 2
    code, shown = cli(config, "sources")
    assert (
        code == 0
        and "1\u00a0page de détail en échec, 2\u00a0interrogations de suite\u00a0: HTTP 500"
        in shown
    )
    third = run(config, demo_server, "akto")["akto"]
    assert third.ok and third.detail_failures == 0
    with Store.open(config.database) as store:
        state = store.source_state("akto")
    assert state is not None and not state.details_failing and state.detail_failure_polls == 0


# -------------------------------------------------------------------- store failures


def refuse_writes_of(database: str, source: str) -> None:
    """Make the database refuse every write of one source, as a full disk would (SQLite
    triggers raising the error; the engine, its transactions and its errors are real)."""
    with sqlite3.connect(database) as conn:
        for table, event in (
            ("notices", "INSERT"),
            ("source_state", "INSERT"),
            ("source_state", "UPDATE"),
        ):
            conn.execute(
                f"CREATE TRIGGER refuse_{table}_{event} BEFORE {event} ON {table} "
                f"WHEN NEW.source = '{source}' "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )


def test_a_store_failure_in_one_source_leaves_the_others_complete(
    config: Config, demo_server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    Store.open(config.database).close()
    refuse_writes_of(config.database, "akto")
    with pytest.raises(StoreError) as caught:
        run(config, demo_server)
    assert str(caught.value).startswith(
        "1\u00a0source n'a pas pu être enregistrée (AKTO)\u00a0: database at "
    )
    assert "database or disk is full" in str(caught.value)
    assert str(caught.value).endswith("\u00a0; 1\u00a0autre source a été interrogée")
    with Store.open(config.database) as store:
        assert store.count_notices("boamp") == 6 and store.count_notices("akto") == 0
        boamp = store.source_state("boamp")
    assert boamp is not None and boamp.last_success is not None
    assert asked(demo_server, CLEA) == 1  # akto's own poll went to the end too
    assert "client has been closed" not in caplog.text

    code, output = cli(
        config, "poll", "--mirror", demo_server.base_url, "-s", "akto", "-s", "boamp"
    )
    assert code == 3 and "erreur\u00a0: 1\u00a0source n'a pas pu être enregistrée (AKTO)" in output
    assert "Traceback" not in output


#: runs ``opco-watch`` with a limit on the size of any file it writes, as a full disk would
#: (SIGXFSZ ignored: a write past the limit fails with EFBIG instead of killing the process)
LIMITED = textwrap.dedent(
    """
    import os, resource, signal, sys
    limit = int(sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    os.execv(sys.executable, [sys.executable, "-m", "watcher", *sys.argv[2:]])
    """
)


def opco_watch(config: Config, *args: str, file_limit: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            LIMITED,
            str(file_limit),
            "--config",
            str(config.base_dir / "opco-watch.toml"),
            *args,
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def big_listing(cards: int, words: int) -> str:
    card = (
        '<div class="posts-card"><div class="posts-card__content"><h3 class="h3">{title}</h3>'
        '<p class="metas">Publié le 02/03/2026</p><p>{text}</p></div>'
        '<a class="btn bg-primary" href="/appels-d-offres/ao-{n}/">Consulter</a></div>'
    )
    text = " ".join(f"mot{i}" for i in range(words))
    body = "".join(card.format(title=f"Formation {n}", text=text, n=n) for n in range(cards))
    return f'<html><body><main><section class="posts-list">{body}</section></main></body></html>'


def test_a_full_disk_fails_the_source_that_needs_room_and_the_command_says_so(
    config: Config, demo_server: DevServer
) -> None:
    polled = ("poll", "--mirror", demo_server.base_url, "-s", "boamp", "-s", "akto")
    first = opco_watch(config, *polled, file_limit=2**40)
    assert first.returncode == 0, first.stderr
    # akto now lists 60 calls of 20 kB each; boamp is unchanged (a few small writes)
    demo_server.add(AKTO_LIST, big_listing(60, 2500))
    second = opco_watch(config, *polled, file_limit=512 * 1024)
    assert second.returncode == 3, second.stdout + second.stderr
    assert (
        "erreur\u00a0: 1\u00a0source n'a pas pu être enregistrée (AKTO)\u00a0: database at"
        in second.stderr
    )
    assert "1\u00a0autre source a été interrogée" in second.stderr
    assert "Traceback" not in second.stderr and "client has been closed" not in second.stderr
    with Store.open(config.database) as store:
        assert store.count_notices("akto") == 4 and store.count_notices("boamp") == 6
        boamp = store.source_state("boamp")
    assert boamp is not None and boamp.consecutive_failures == 0


def test_the_scheduler_skips_a_paused_source_with_a_clear_line(
    config: Config, demo_server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    demo_server.script(AKTO_LIST, [Fault.status(429, retry_after=86400)])
    service = Service(config, mirror=demo_server.base_url)
    service.poll("akto")
    demo_server.clear_log()
    caplog.clear()
    with caplog.at_level(logging.INFO):
        service.poll("akto")
    assert asked(demo_server, AKTO_LIST) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "watcher.scheduler"]
    assert any(
        line.startswith("job poll akto: not polled: the site asked (Retry-After) to wait until")
        for line in lines
    ), lines
