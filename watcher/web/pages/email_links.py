"""The one-click actions of the alert emails: « pertinent », « pas pertinent », « je prends »,
« no-go ». The link opens the call's page with the action ready; one click on « Confirmer »
records it under the recipient's name, without a login.

Why a confirmation click: mail providers' link scanners open every link of a message; a GET
that recorded would let them judge every call four ways. The token in the link is the
proof (signed, bound to the recipient and the call, expiring); it is also the form's CSRF
token. Someone logged in as another person cannot use it.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watcher import activity, tenders
from watcher.links import ACTIONS, Action, LinkError
from watcher.models import Tender
from watcher.pertinence import latest_judgements
from watcher.store.schema import tenders as tenders_table
from watcher.web.console import Console, console_of, current_user, read_session
from watcher.web.pages.call import render_call
from watcher.web.render import page

DONE = {
    "pertinent": "Avis enregistré\u00a0: pertinent.",
    "pas-pertinent": "Avis enregistré\u00a0: pas pertinent.",
    "je-prends": "Vous êtes responsable de cet appel.",
    "no-go": "Statut\u00a0: no-go.",
}
#: a link opened again once its action is recorded: said, not recorded twice
ALREADY = {
    "pertinent": "Cet avis est déjà enregistré\u00a0: pertinent.",
    "pas-pertinent": "Cet avis est déjà enregistré\u00a0: pas pertinent.",
    "je-prends": "C'est déjà noté\u00a0: vous êtes responsable de cet appel.",
    "no-go": "C'est déjà noté\u00a0: l'appel est en no-go.",
}
#: one confirmation at a time in this process: a double click records one line, not two
_CONFIRMING = threading.Lock()


def already_done(console: Console, action: Action) -> bool:
    """Whether the call already is as the link would make it, by this recipient's doing
    (their judgement is the latest, they own it, it is no-go)."""
    with console.store.transaction() as conn:
        if action.action in ("pertinent", "pas-pertinent"):
            latest = latest_judgements(conn, [action.tender_id]).get(action.tender_id)
            return latest == (action.action == "pertinent", action.recipient)
        query = sa.select(tenders_table.c.owner, tenders_table.c.status)
        row = conn.execute(query.where(tenders_table.c.id == action.tender_id)).first()
    if row is None:
        return False
    if action.action == "je-prends":
        return (row.owner or "") == action.recipient.strip().lower()
    return bool(row.status == "no-go")


def _check(request: Request) -> Action | Response:
    console = console_of(request)
    token = str(request.path_params["token"])
    try:
        action = console.signer.read(token)
    except LinkError as error:
        message = f"{str(error).capitalize()}. Ouvrez l'appel depuis la console."
        status = 410 if error.expired else 403
        return page(
            request, "error.html", {"title": "Lien refusé", "message": message}, status_code=status
        )
    return action


async def _someone_else(request: Request, action: Action) -> Response | None:
    console = console_of(request)
    session = read_session(request)
    user = await run_in_threadpool(current_user, console, session)
    if user is not None and user.email != action.recipient:
        message = (
            f"Ce lien a été envoyé à {action.recipient}\u00a0; vous êtes connecté en tant que "
            f"{user.email}. Il n'est pas utilisable ici."
        )
        return page(
            request, "error.html", {"title": "Lien refusé", "message": message}, status_code=403
        )
    return None


def _prepare_state(request: Request) -> None:
    request.state.user = None
    request.state.csrf = ""
    request.state.open_mode = False


async def _verified(request: Request) -> Action | Response:
    """The link's action, or the page that refuses it (bad, expired, someone else's)."""
    _prepare_state(request)
    action = _check(request)
    if isinstance(action, Response):
        return action
    refused = await _someone_else(request, action)
    return action if refused is None else refused


async def show(request: Request) -> Response:
    action = await _verified(request)
    if isinstance(action, Response):
        return action
    done = await run_in_threadpool(already_done, console_of(request), action)
    pending = {
        "token": str(request.path_params["token"]),
        "label": ACTIONS[action.action],
        "recipient": action.recipient,
        "already": ALREADY[action.action] if done else "",
    }
    return await render_call(
        request, {"tender_id": action.tender_id, "pending": pending, "guest": True}
    )


async def confirm(request: Request) -> Response:
    action = await _verified(request)
    if isinstance(action, Response):
        return action
    console = console_of(request)
    tender = await run_in_threadpool(tenders.get_tender, console.store, action.tender_id)
    if tender is None:
        return page(
            request,
            "error.html",
            {"title": "Introuvable", "message": "Cet appel n'existe plus."},
            status_code=404,
        )
    applied = await run_in_threadpool(_apply_once, console, action, tender)
    console.index.stale()
    return page(
        request,
        "done.html",
        {
            "title": "C'est noté",
            "message": DONE[action.action] if applied else ALREADY[action.action],
            "tender_id": tender.id,
            "who": action.recipient,
        },
    )


def _apply_once(console: Console, action: Action, tender: Tender) -> bool:
    """Record the action unless it already is; True when it was recorded now."""
    with _CONFIRMING:
        if already_done(console, action):
            return False
        _apply(console, action, tender)
        return True


def _apply(console: Console, action: Action, tender: Tender) -> None:
    now, who = datetime.now(UTC), action.recipient
    if action.action in ("pertinent", "pas-pertinent"):
        relevant = action.action == "pertinent"
        activity.judge(console.store, tender, relevant, actor=who, at=now)
        console.learning.learned(tender, relevant)
    elif action.action == "je-prends":
        activity.set_owner(console.store, action.tender_id, who, actor=who, at=now)
    elif action.action == "no-go":
        tenders.set_status(console.store, action.tender_id, "no-go", at=now, actor=who)


ROUTES = [
    Route("/e/{token}", show, methods=["GET"]),
    Route("/e/{token}", confirm, methods=["POST"]),
]
