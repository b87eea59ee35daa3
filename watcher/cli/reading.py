"""CLI commands that read the calls: ``list`` and ``show``. A call is named by its number
(``watcher/calls.py``), the « n° 40 » of every email, digest and calendar entry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from watcher.calls import CallFilter, call_view, iter_calls, verdict_now
from watcher.cli import call_views
from watcher.cli.common import check_source_names, friendly, load, out, the_call
from watcher.cli.safe import dumps, dumps_array
from watcher.errors import ConfigError
from watcher.fr import NBSP
from watcher.models import PARIS
from watcher.notify.routing import Router
from watcher.notify.settings import settings_of
from watcher.store import Store


@click.command("list")
@click.option("--relevant", is_flag=True, help="Only calls judged relevant.")
@click.option(
    "--open",
    "open_only",
    is_flag=True,
    help="Only calls one can still answer: not awarded nor cancelled, deadline not passed.",
)
@click.option("--owner", help="Only the calls of this owner (a part of the address: claire).")
@click.option("--source", "-s", help="Only calls with a notice from this source.")
@click.option("--since", help="Only calls first seen since: 2026-03-01, or 7d / 24h.")
@click.option(
    "--text",
    "-t",
    callback=lambda _ctx, _param, value: searched_text(value),
    help="Only calls whose title, buyer or summary contain this (a word at least).",
)
@click.option("--limit", "-n", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for scripts.")
@click.pass_context
@friendly
def list_command(
    ctx: click.Context,
    relevant: bool,
    open_only: bool,
    owner: str | None,
    source: str | None,
    since: str | None,
    text: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the calls by deadline, the next one first (then those without a deadline, then
    the closed ones): number, deadline, OPCO, title, score, status, owner."""
    cfg = load(ctx)
    if source is not None:
        check_source_names(cfg, (source,))
    chosen = CallFilter(relevant, open_only, owner, source, parse_since(since), text)
    now, router = datetime.now(UTC), Router(settings_of(cfg))
    with Store.open(cfg.database) as store, store.transaction() as conn:
        rows = iter_calls(conn, chosen, now=now, router=router, limit=limit)
        if as_json:
            write_json(call_views.row_json(row) for row in rows)
            return
        found = list(rows)
    if found:
        call_views.print_calls(out, found, now)
    else:
        out.print(
            f"Aucun appel ne correspond{NBSP}: lancez d'abord `opco-watch poll`, ou élargissez "
            "les filtres."
        )


def write_json(items: Iterator[dict[str, Any]]) -> None:
    """One JSON array on stdout, each item written as it comes (``list`` streams)."""
    for piece in dumps_array(items):
        click.echo(piece, nl=False)
    click.echo()


@click.command("show")
@click.argument("ident")
@click.option("--json", "as_json", is_flag=True, help="The call as JSON, for scripts.")
@click.pass_context
@friendly
def show_command(ctx: click.Context, ident: str, as_json: bool) -> None:
    """Show one call in full: verdict, reasons, blockers, status, owner, and each of its
    notices (initial, corrigenda, award) with its changes.

    IDENT is the call's number (as in the emails), or one of its notices: key
    (boamp:26-91551) or reference (26-91551)."""
    cfg = load(ctx)
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    with Store.open(cfg.database) as store:
        tender = the_call(store, ident)
        from watcher.judging import Judge  # the classifier: once the call is found

        verdict = verdict_now(Judge.from_config(cfg, store), tender, today)
        view = call_view(store, tender, verdict, Router(settings_of(cfg)))
    if as_json:
        click.echo(dumps(call_views.call_json(view)))
    else:
        out.print(call_views.call_panel(view, now))


def searched_text(value: str | None) -> str | None:
    """``--text`` as given, refused when it holds no letter nor digit (``""``, spaces,
    punctuation): it would match every call, which nobody asking for a text means."""
    if value is not None and not any(ch.isalnum() for ch in value):
        raise click.BadParameter(
            f"«{NBSP}{value}{NBSP}» ne contient ni lettre ni chiffre{NBSP}: donnez un mot à "
            "chercher, par exemple --text anglais"
        )
    return value


def parse_since(value: str | None) -> datetime | None:
    if not value:
        return None
    units = {"d": "days", "h": "hours", "w": "weeks"}
    try:
        if value[-1:] in units and value[:-1].isdigit():
            return datetime.now(UTC) - timedelta(**{units[value[-1]]: int(value[:-1])})
        day = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise ConfigError(
            f"--since{NBSP}: «{NBSP}{value}{NBSP}» n'est ni une date (2026-03-01) ni une "
            "durée (7d, 24h)"
        ) from None
    return day if day.tzinfo else day.replace(tzinfo=UTC)
