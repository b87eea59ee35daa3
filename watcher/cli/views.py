"""How the CLI shows things: rich tables for people, plain dicts for ``--json``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from watcher import fr
from watcher.config import Config
from watcher.models import PARIS, Match, Notice
from watcher.pipeline import SourceReport
from watcher.store import NoticeChange, SourceState, StoredNotice


class PollProgress:
    """A live line per source while a poll runs (on stderr, so --json stays clean)."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
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
            self.tasks[source] = self.progress.add_task(source, total=None)
        self.progress.update(self.tasks[source], description=f"{source}: {event}")


def reports_table(reports: list[SourceReport]) -> Table:
    table = Table(title="Poll", title_justify="left")
    for column in ("source", "result", "pages", "304", "items", "new", "changed", "time"):
        table.add_column(column, justify="right" if column not in ("source", "result") else "left")
    for r in reports:
        result = Text("ok", style="green") if r.ok else Text(r.error, style="red")
        table.add_row(
            r.source,
            result,
            str(r.pages),
            str(r.not_modified),
            str(r.items),
            str(r.new),
            str(r.changed),
            f"{r.seconds:.1f} s",
        )
    return table


def report_json(report: SourceReport) -> dict[str, Any]:
    data = asdict(report)
    data["new_keys"] = list(report.new_keys)
    data["deferred_until"] = _iso(report.deferred_until)
    return data


def notices_table(rows: list[StoredNotice]) -> Table:
    table = Table(show_lines=False)
    for column in ("#", "source", "seen", "deadline", "buyer"):
        table.add_column(column, no_wrap=True, max_width=18 if column == "buyer" else None)
    table.add_column("title", overflow="fold", ratio=1)
    for row in rows:
        n = row.notice
        deadline = deadline_words(n.deadline, n.deadline_text)
        seen = row.first_seen.astimezone(PARIS).strftime("%d/%m")
        table.add_row(str(row.id), n.source, seen, deadline, n.buyer, n.title[:140])
    return table


def notice_panel(row: StoredNotice, history: list[NoticeChange]) -> Panel:
    n = row.notice
    lines = [
        ("Référence", n.ref),
        ("Source", n.source),
        ("Acheteur", n.buyer),
        ("Type", fr.kind_label(n.kind)),
        ("Publié le", fr.long_date(n.published) if n.published else "—"),
        ("Date limite", fr.long_datetime(n.deadline) if n.deadline else n.deadline_text or "—"),
        ("Procédure", n.procedure),
        ("CPV", ", ".join(n.cpv)),
        ("Lieux", ", ".join(n.places)),
        ("Valeur estimée", fr.estimate(n.estimated_value, n.estimated_value_max)),
        ("Lien", n.url),
        ("Plateforme", n.platform_url),
        ("Titulaire", n.winner),
    ]
    grid = Table.grid(padding=(0, 2))
    for label, value in lines:
        if value:
            grid.add_row(Text(label, style="bold"), Text(value))
    parts: list[Any] = [grid]
    parts += [Text(f"Lot {lot.number}: {lot.title}") for lot in n.lots]
    if n.summary:
        parts.append(Text("\n" + n.summary))
    parts += [Text(f"Document: {doc}") for doc in n.documents[:10]]
    parts += [
        Text(f"Modifié le {short_datetime(c.changed_at)}: {', '.join(c.fields)}", style="yellow")
        for c in history
    ]
    return Panel(Group(*parts), title=f"#{row.id} {n.title[:90]}", title_align="left")


def verdicts_table(verdicts: list[tuple[Match, Notice]]) -> Table:
    table = Table(show_lines=True)
    for column in ("score", "verdict", "call", "why", "blockers"):
        table.add_column(
            column, overflow="fold", ratio=None if column in ("score", "verdict") else 1
        )
    for match, notice in verdicts:
        verdict = (
            Text("go", "green")
            if match.go
            else Text("relevant", "yellow")
            if match.relevant
            else Text("no", "dim")
        )
        call = f"{notice.buyer} — {notice.title[:90]}"
        table.add_row(
            str(match.score), verdict, call, "\n".join(match.reasons[:4]), "\n".join(match.blockers)
        )
    return table


def stored_json(row: StoredNotice, history: list[NoticeChange] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": row.id, "key": row.notice.key, **row.notice.to_json()}
    data |= {"first_seen": row.first_seen.isoformat(), "last_seen": row.last_seen.isoformat()}
    if history is not None:
        data["history"] = [
            {"changed_at": c.changed_at.isoformat(), "fields": sorted(c.fields)} for c in history
        ]
    return data


def source_rows(config: Config, states: dict[str, SourceState]) -> list[dict[str, Any]]:
    rows = []
    for name in config.source_names():
        cls, state = config.source_class(name), states.get(name)
        rows.append(
            {
                "source": name,
                "description": cls.description(),
                "platform": cls.platform,
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
    table = Table(title="Sources", title_justify="left")
    for column in ("source", "enabled", "last success", "items", "failures", "fallback"):
        table.add_column(column)
    table.add_column("last error", overflow="fold", ratio=1)
    for r in rows:
        success = r["last_success"]
        table.add_row(
            r["source"],
            "yes" if r["enabled"] else "no",
            short_datetime(datetime.fromisoformat(success)) if success else "never",
            str(r["items_last"]),
            _failures(r["consecutive_failures"]),
            Text("on fallback", "yellow") if r["on_fallback"] else "",
            Text("\n".join(_health_notes(r))),  # web text: never markup
        )
    return table


def _health_notes(row: dict[str, Any]) -> list[str]:
    """The last error, a Retry-After pause, detail pages that keep failing, records skipped."""
    notes = [row["last_error"]] if row["last_error"] else []
    if row["skipped_last"]:  # each with its reason in the log
        notes.append(f"{row['skipped_last']} record(s) skipped as unreadable in the last poll")
    until = row["deferred_until"]
    if until and datetime.fromisoformat(until) > datetime.now(UTC):
        when = short_datetime(datetime.fromisoformat(until))
        notes.append(f"paused until {when}: the site asked (Retry-After)")
    if row["last_detail_error"]:
        count, polls = row["detail_failures"], row["detail_failure_polls"]
        notes.append(
            f"{count} detail page(s) failing, {polls} polls in a row: {row['last_detail_error']}"
        )
    return notes


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _failures(count: int) -> Text:
    return Text(str(count), style="red" if count else "green")


def short_datetime(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def deadline_words(deadline: datetime | None, raw: str = "") -> str:
    if deadline is None:
        return f"? ({raw[:30]})" if raw else "—"
    return deadline.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
