"""How the CLI shows things: rich tables for people, plain dicts for ``--json``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from watcher.cli.safe import clean, text
from watcher.config import Config
from watcher.fr import NBSP, noun, plural, poll_event
from watcher.models import PARIS, Match, Tender
from watcher.store import SourceState

if TYPE_CHECKING:  # the poller (httpx, bs4) and its progress line load only for a poll
    from rich.console import Console
    from rich.progress import TaskID
    from rich.table import Table
    from rich.text import Text

    from watcher.runs import SourceReport


class PollProgress:
    """A live line per source while a poll runs (on stderr, so --json stays clean)."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}", markup=False),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled or not console.is_terminal,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> PollProgress:
        self.progress.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.__exit__(kind, value, tb)

    def update(self, source: str, event: str) -> None:
        if source not in self.tasks:
            self.tasks[source] = self.progress.add_task(clean(source), total=None)
        words = f"{source}{NBSP}: {poll_event(event)}"
        self.progress.update(self.tasks[source], description=clean(words))


#: a poll's columns, French; the first two are words, the others figures
REPORT_COLUMNS = ("source", "résultat", "pages", "304", "avis", "nouveaux", "modifiés", "durée")


def reports_table(reports: list[SourceReport]) -> Table:
    from rich.table import Table  # rich and the errors' French words: for a table only
    from rich.text import Text

    from watcher.failure_words import in_french

    table = Table(title="Interrogation", title_justify="left")
    for column in REPORT_COLUMNS:
        table.add_column(column, justify="left" if column in REPORT_COLUMNS[:2] else "right")
    for r in reports:
        result = Text("OK", style="green") if r.ok else text(in_french(r.error), "red")
        table.add_row(
            text(r.source),
            result,
            str(r.pages),
            str(r.not_modified),
            str(r.items),
            str(r.new),
            str(r.changed),
            seconds(r.seconds),
        )
    return table


def report_json(report: SourceReport) -> dict[str, Any]:
    data = asdict(report)
    data["new_keys"] = list(report.new_keys)
    data["deferred_until"] = _iso(report.deferred_until)
    return data


def verdicts_table(verdicts: list[tuple[Match, Tender]]) -> Table:
    """The verdict on each call, with its number (the demo's step 4)."""
    from rich.table import Table
    from rich.text import Text

    from watcher.notify.opco import buyer_shown

    table = Table(show_lines=True)
    table.add_column("n°", justify="right", no_wrap=True)
    for column in ("score", "verdict", "appel", "pourquoi", "points bloquants"):
        table.add_column(
            column, overflow="fold", ratio=None if column in ("score", "verdict") else 1
        )
    for match, tender in verdicts:
        # the words of `list`: « go », « bloqué » (relevant, not go), « non »
        verdict = (
            Text("go", "green")
            if match.go
            else Text("bloqué", "yellow")
            if match.relevant
            else Text("non", "dim")
        )
        call = text(f"{buyer_shown(tender.buyer)} — {tender.title[:90]}")
        reasons, blockers = text("\n".join(match.reasons[:4])), text("\n".join(match.blockers))
        table.add_row(str(tender.id), str(match.score), verdict, call, reasons, blockers)
    return table


def source_rows(config: Config, states: dict[str, SourceState]) -> list[dict[str, Any]]:
    rows = []
    for name in config.source_names():
        state = states.get(name)
        rows.append(
            {
                "source": name,
                "description": config.source_description(name),
                "platform": config.source_platform(name),
                "enabled": name in config.enabled_sources(),
                "last_success": state.last_success.isoformat()
                if state and state.last_success
                else None,
                "items_last": state.items_seen_last if state else 0,
                "skipped_last": state.skipped_last if state else 0,
                "total_items": state.total_items if state else 0,
                "consecutive_failures": state.consecutive_failures if state else 0,
                "last_error": state.last_error if state and state.consecutive_failures else "",
                "on_fallback": bool(state and state.on_fallback),
                "deferred_until": _iso(state.deferred_until) if state else None,
                "detail_failures": state.detail_failures if state else 0,
                "detail_failure_polls": state.detail_failure_polls if state else 0,
                "last_detail_error": (state.last_detail_error or "")
                if state and state.details_failing
                else "",
            }
        )
    return rows


def sources_table(rows: list[dict[str, Any]]) -> Table:
    from rich.table import Table  # not for --json (issue 12)
    from rich.text import Text

    table = Table(title="Sources", title_justify="left")
    for column in ("source", "active", "dernier succès", "avis", "échecs", "secours"):
        table.add_column(column)
    table.add_column("dernière erreur", overflow="fold", ratio=1)
    for r in rows:
        success = r["last_success"]
        table.add_row(
            text(r["source"]),
            "oui" if r["enabled"] else "non",
            short_datetime(datetime.fromisoformat(success)) if success else "jamais",
            str(r["items_last"]),
            _failures(r["consecutive_failures"]),
            Text("extracteur de secours", "yellow") if r["on_fallback"] else "",
            text("\n".join(_health_notes(r))),  # web text: cleaned, never markup
        )
    return table


def _health_notes(row: dict[str, Any]) -> list[str]:
    from watcher.failure_words import in_french

    """The last error, a Retry-After pause, detail pages that keep failing, records skipped."""
    notes = [in_french(row["last_error"])] if row["last_error"] else []
    if row["skipped_last"]:  # each with its reason in the log
        skipped = plural(row["skipped_last"], "avis illisible", "avis illisibles")
        notes.append(f"{skipped} {noun(row['skipped_last'], 'ignoré')} à la dernière interrogation")
    until = row["deferred_until"]
    if until and datetime.fromisoformat(until) > datetime.now(UTC):
        when = short_datetime(datetime.fromisoformat(until))
        notes.append(f"en pause jusqu'au {when}{NBSP}: à la demande du site (Retry-After)")
    if row["last_detail_error"]:
        count, polls = row["detail_failures"], row["detail_failure_polls"]
        pages = plural(count, "page", "pages")
        notes.append(
            f"{pages} de détail en échec, {plural(polls, 'interrogation')} de suite{NBSP}: "
            f"{in_french(row['last_detail_error'])}"
        )
    return notes


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _failures(count: int) -> Text:
    from rich.text import Text

    return Text(str(count), style="red" if count else "green")


def seconds(value: float) -> str:
    """'1,3 s': a duration as French writes it (decimal comma)."""
    return f"{value:.1f}".replace(".", ",") + f"{NBSP}s"


def short_datetime(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
