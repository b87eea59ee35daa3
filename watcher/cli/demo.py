"""``opco-watch demo``: the whole product, offline, on bundled snapshots of the sources
(served by ``watcher.demo.snapshot_server``), into a fresh data directory."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from rich.console import Console

from watcher.cli import views
from watcher.config import Config, load_config
from watcher.demo import snapshot_server
from watcher.devserver import DevServer
from watcher.judging import Judge
from watcher.models import PARIS
from watcher.pipeline import SourceReport, poll
from watcher.starter import write_starter
from watcher.store import Store


def run_demo(console: Console, directory: Path | None = None, *, today: date | None = None) -> int:
    """Run the demo; returns the exit code (0 when both polls went as expected)."""
    from responses.demo import declare_demo_vault

    day = today or datetime.now(PARIS).date()
    with _workdir(directory) as workdir, snapshot_server(day) as server:
        config_file = workdir / "opco-watch.toml"
        write_starter(config_file, force=True)
        declare_demo_vault(config_file, day)  # the console sees the draft step's documents
        config = load_config(config_file)
        console.rule("opco-watch — offline demo")
        console.print(f"Snapshots served on {server.base_url}; data in {config.data_dir}\n")
        first = _poll_step(console, "1. First poll: everything is new", config, server)
        second = _poll_step(console, "2. Second poll: nothing changed", config, server)
        _show_notices(console, config.database)
        _explain_second_poll(console, second)
        _show_verdicts(console, config, day)
        _draft_step(console, config, day)
        _show_mail(console, config)
        _next_steps(console, config_file)
        return 0 if _went_as_expected(first, second) else 1


def _poll_step(
    console: Console, title: str, config: Config, server: DevServer
) -> list[SourceReport]:
    console.rule(title, align="left")
    with views.PollProgress(console) as progress:
        reports = poll(config, mirror=server.base_url, progress=progress.update)
    console.print(views.reports_table(reports))
    return reports


def _show_notices(console: Console, database: str) -> None:
    console.rule("3. What was stored (`opco-watch list`)", align="left")
    with Store.open(database) as store:
        console.print(views.notices_table(store.list_notices(limit=20)))


def _show_verdicts(console: Console, config: Config, day: date) -> None:
    """What the classifier makes of each stored call, for the example profile of init."""
    console.rule("4. Which calls fit the organisation (`opco-watch classify`)", align="left")
    with Store.open(config.database) as store:
        notices = [row.notice for row in store.list_notices()]
        judge = Judge.from_config(config, store)
    verdicts = sorted(
        ((judge.judge(n, today=day), n) for n in notices), key=lambda pair: -pair[0].score
    )
    console.print(views.verdicts_table(verdicts))


def _draft_step(console: Console, config: Config, day: date) -> None:
    """Drafts the answer to the best call, with a vault of labelled demonstration documents."""
    from responses.demo import run_demo_draft

    console.rule("5. A response draft for the best call (`opco-watch draft`)", align="left")
    with Store.open(config.database) as store:
        notices = [row.notice for row in store.list_notices()]
    demo = run_demo_draft(
        notices,
        organisation=config.organisation,
        profile=config.profile,
        workdir=config.base_dir,
        today=day,
    )
    if demo is None:
        console.print("No call to draft.")
        return
    console.print(f"Best call: {demo.notice.title} (score {demo.match.score})", highlight=False)
    console.print(f"Draft folder: {demo.result.folder}")
    for path in demo.result.files:
        console.print(f"  {path.name}", highlight=False)
    for warning in demo.result.warnings:
        console.print(f"  ! {warning}", highlight=False)


def _show_mail(console: Console, config: Config) -> None:
    """The alert emails (.eml files) and the weekly digest (HTML) of the demo."""
    from watcher.notify.demo import demo_mail_step

    console.rule("6. Alert emails and the weekly digest", align="left")
    with Store.open(config.database) as store:
        demo_mail_step(console, config, store, now=datetime.now(PARIS))


def _explain_second_poll(console: Console, second: list[SourceReport]) -> None:
    pages = sum(r.pages for r in second)
    unchanged = sum(r.not_modified for r in second)
    console.print(
        f"Second poll: {pages} listing request(s), {unchanged} answered 304 Not Modified, "
        f"{sum(r.details for r in second)} detail page(s) fetched, "
        f"{sum(r.new for r in second)} new."
    )


def _next_steps(console: Console, config_file: Path) -> None:
    console.print(
        "\nTry next:\n"
        f"  opco-watch --config {config_file} serve      # the console, in a browser\n"
        f"  opco-watch --config {config_file} list --json\n"
        f"  opco-watch --config {config_file} show 1\n"
        f"  opco-watch --config {config_file} sources\n"
        f"  opco-watch --config {config_file} status 1 go\n"
        f"  opco-watch --config {config_file} digest --html digest.html\n"
        f"  opco-watch --config {config_file} calendar\n"
    )


def _went_as_expected(first: list[SourceReport], second: list[SourceReport]) -> bool:
    return (
        all(r.ok for r in first + second)
        and sum(r.new for r in first) > 0
        and sum(r.new + r.changed for r in second) == 0
    )


@contextmanager
def _workdir(directory: Path | None) -> Iterator[Path]:
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
        yield directory
        return
    # the demo's data must outlive the command so the user can explore it
    yield Path(tempfile.mkdtemp(prefix="opco-watch-demo-"))
