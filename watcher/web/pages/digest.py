"""Synthèse: the weekly digest in the browser, any past week; and each user's calendar
address (unguessable, revocable) that Outlook or Google Calendar subscribe to."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from watcher import accounts
from watcher.errors import ConfigError
from watcher.links import stored_secret
from watcher.models import PARIS
from watcher.notify.calendar import calendar_ics
from watcher.notify.digest import default_week, gather, view
from watcher.notify.render import render
from watcher.notify.settings import settings_of
from watcher.notify.subjects import digest_subject
from watcher.notify.week import Week
from watcher.store.schema import app_secrets
from watcher.web.console import LOCAL_USER, Console, console_of, handler, redirect
from watcher.web.render import page

LOCAL_CALENDAR = "calendar-local"
WEEKS_BACK = 12


def _week(request: Request, default: Week) -> tuple[Week, str]:
    """The week asked for (else ``default``: the week of the latest digest, at least the
    last full week, see ``default_week``), and what to tell the user when the address named
    no usable week."""
    this_week = Week.of(datetime.now(PARIS).date())
    last = this_week.shifted(-1)
    text = request.query_params.get("semaine", "").strip()
    if not text:
        return default, ""
    try:
        chosen = Week.parse(text)
    except ConfigError:
        shown = text if len(text) <= 40 else text[:39] + "…"
        return last, (
            f"«\u00a0{shown}\u00a0» n'est pas une semaine (écrivez-la comme "
            f"{this_week.label})\u00a0: voici la dernière semaine complète."
        )
    if chosen > this_week:
        return this_week, "Cette semaine n'a pas encore commencé\u00a0: voici la semaine en cours."
    return chosen, ""


def _current_week_note(console: Console, shown: Week) -> dict[str, Any] | None:
    """When the last full week (shown by default) saw no call, what the current one has so
    far: the page stays on the week the email reports on, and says where the news are."""
    this_week = Week.of(datetime.now(PARIS).date())
    current = digest_view(console, this_week)
    count = sum(o["calls"] for o in current["per_opco"])
    if shown == this_week or not count:
        return None
    return {"label": this_week.label, "count": count}


async def _asked_week(request: Request) -> tuple[Week, str]:
    console = console_of(request)
    default = await run_in_threadpool(default_week, console.store, datetime.now(UTC))
    return _week(request, default)


def digest_view(console: Console, week: Week) -> dict[str, Any]:
    settings = settings_of(console.config)
    data = gather(console.store, settings, week, datetime.now(UTC))
    return view(data, settings, None)


def calendar_token(console: Console, user: accounts.User) -> str:
    if user is LOCAL_USER:
        with console.store.transaction(write=True) as conn:
            return stored_secret(conn, LOCAL_CALENDAR)
    return accounts.calendar_token(console.store, user.id)


def reset_token(console: Console, user: accounts.User) -> None:
    if user is LOCAL_USER:
        with console.store.transaction(write=True) as conn:
            conn.execute(sa.delete(app_secrets).where(app_secrets.c.name == LOCAL_CALENDAR))
            stored_secret(conn, LOCAL_CALENDAR)
        return
    accounts.reset_calendar_token(console.store, user.id)


@handler()
async def digest_page(request: Request) -> Response:
    console = console_of(request)
    week, problem = await _asked_week(request)
    context = await run_in_threadpool(digest_view, console, week)
    note = None
    if not context["per_opco"] and "semaine" not in request.query_params:
        note = await run_in_threadpool(_current_week_note, console, week)
    token = await run_in_threadpool(calendar_token, console, request.state.user)
    base = console.config.web.base_url
    this_week = Week.of(datetime.now(PARIS).date())
    weeks = [this_week.shifted(-k) for k in range(0, WEEKS_BACK + 1)]
    return page(
        request,
        "digest.html",
        {
            "title": "Synthèse",
            "digest": context,
            "week": week,
            "weeks": [{"label": w.label, "words": w.words} for w in weeks],
            "previous": week.shifted(-1).label,
            "next": week.shifted(1).label if week < this_week else "",
            "calendar_url": f"{base}/calendrier/{token}.ics",
            "problem": problem,
            "current": note,
        },
        status_code=400 if problem.startswith("«") else 200,
    )


@handler()
async def digest_email(request: Request) -> Response:
    """The digest exactly as the email shows it (its own inline styles, still no script)."""
    console = console_of(request)
    week, _problem = await _asked_week(request)
    context = await run_in_threadpool(digest_view, console, week)
    settings = settings_of(console.config)
    subject = digest_subject(f"semaine {week.number}", len(context["calls"]))
    html = render(
        "digest/digest.html.j2",
        {**context, "standalone": True, "subject": subject},
        settings.templates_dir,
    )
    response = HTMLResponse(html)
    response.headers["content-security-policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
    )
    return response


@handler()
async def new_calendar(request: Request) -> Response:
    console = console_of(request)
    await run_in_threadpool(reset_token, console, request.state.user)
    return redirect(
        request, "/synthese", "Nouvelle adresse de calendrier\u00a0: l'ancienne ne fonctionne plus."
    )


async def calendar_feed(request: Request) -> Response:
    """The .ics feed of a calendar token: no login (calendar apps cannot log in)."""
    console = console_of(request)
    token = str(request.path_params["token"])
    allowed = await run_in_threadpool(_known_token, console, token)
    if not allowed:
        return Response(
            "Calendrier inconnu ou révoqué.",
            status_code=404,
            media_type="text/plain; charset=utf-8",
        )
    body = await run_in_threadpool(
        calendar_ics, console.store, settings_of(console.config), datetime.now(UTC)
    )
    return Response(body, media_type="text/calendar; charset=utf-8")


def _known_token(console: Console, token: str) -> bool:
    if accounts.user_by_calendar_token(console.store, token) is not None:
        return True
    if not console.open_mode():
        return False
    with console.store.transaction() as conn:
        query = sa.select(app_secrets.c.value).where(app_secrets.c.name == LOCAL_CALENDAR)
        local = conn.execute(query).scalar()
    return bool(local) and secrets.compare_digest(str(local), token)


ROUTES = [
    Route("/synthese", digest_page),
    Route("/synthese/courriel", digest_email),
    Route("/synthese/calendrier", new_calendar, methods=["POST"]),
    Route("/calendrier/{token}.ics", calendar_feed),
]
