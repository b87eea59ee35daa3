"""Un appel: everything about one call, and what a person does with it — judge it (feeds
the learner), change its status, assign an owner, add a note, prepare the response."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from watcher import accounts, activity, fr, tenders
from watcher.config_types import email_address
from watcher.errors import OpcoWatchError
from watcher.notify.context import STATUS_LABELS
from watcher.notify.routing import call_owners, domain_owners
from watcher.web import drafting
from watcher.web.calls_view import call_context, load_call
from watcher.web.console import actor, console_of, form_text, handler, not_found, redirect
from watcher.web.render import page
from watcher.web.security import url_number

MEDIA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".zip": "application/zip",
}


def _id(request: Request) -> int | None:
    return url_number(str(request.path_params.get("id", "")))


def _no_call(tender_id: int | None) -> str:
    """What a 404 says: the number asked for, or that the address names no call."""
    if tender_id is None:
        return "Cette adresse ne désigne aucun appel\u00a0: voyez la liste des appels."
    return f"Aucun appel n°\u00a0{tender_id}\u00a0: voyez la liste des appels."


@handler()
async def call_page(request: Request) -> Response:
    return await render_call(request)


async def render_call(
    request: Request, extra: dict[str, Any] | None = None, *, status_code: int = 200
) -> Response:
    """The call's page (one trip to the thread pool: reads and rendering)."""
    return await run_in_threadpool(_call_page, request, extra or {}, status_code)


def _call_page(request: Request, extra: dict[str, Any], status_code: int) -> Response:
    console = console_of(request)
    tender_id = extra["tender_id"] if "tender_id" in extra else _id(request)
    call = load_call(console.store, tender_id) if tender_id else None
    if call is None:
        return not_found(request, _no_call(tender_id))
    context = call_context(call, datetime.now(UTC))
    domains = call.match.domains if call.match is not None else ()
    context["owners"] = call_owners(call.owner, domains, domain_owners(console.config.profile))
    context["judged"] = _judged(call)
    draft = call.draft
    checklist = []
    if draft:
        checklist = [
            {**item, "ticked_by": call.ticks.get(item["key"], "")} for item in draft["checklist"]
        ]
    return page(
        request,
        "call.html",
        {
            "title": f"Appel n°\u00a0{call.tender.id}",
            "call": context,
            "statuses": STATUS_LABELS,
            "people": _people(accounts.list_users(console.store), call.owner, console),
            "draft": draft,
            "checklist": checklist,
            "refusal": drafting.refusal(call.tender, call.match, datetime.now(UTC)),
            **extra,
        },
        status_code=status_code,
    )


def _judged(call: Any) -> dict[str, Any] | None:
    for entry in call.history:
        if entry.action == "judgement":
            return {"pertinent": entry.detail == "pertinent", "by": entry.actor, "at": entry.at}
    return None


def _people(users: list[accounts.User], owner: str, console: Any) -> list[str]:
    known = [u.email for u in users]
    known += [str(d.owner) for d in console.config.profile.domains if d.owner]
    if owner:
        known.append(owner)
    return sorted(dict.fromkeys(known))


@handler()
async def judge(request: Request) -> Response:
    console = console_of(request)
    tender_id = _id(request)
    verdict = form_text(request, "avis")
    tender = await run_in_threadpool(tenders.get_tender, console.store, tender_id or 0)
    if tender is None or verdict not in ("pertinent", "pas-pertinent"):
        return not_found(request, "Appel ou avis inconnu.")
    now = datetime.now(UTC)
    await run_in_threadpool(
        activity.judge, console.store, tender, verdict == "pertinent", actor=actor(request), at=now
    )
    await run_in_threadpool(console.learning.learned, tender, verdict == "pertinent")
    word = "pertinent" if verdict == "pertinent" else "pas pertinent"
    return redirect(request, f"/appels/{tender.id}", f"Avis enregistré\u00a0: {word}.")


@handler()
async def set_status(request: Request) -> Response:
    console = console_of(request)
    tender_id, status = _id(request) or 0, form_text(request, "statut")
    if status not in STATUS_LABELS:
        return not_found(request, "Statut inconnu.")
    try:
        await run_in_threadpool(
            lambda: tenders.set_status(
                console.store, tender_id, status, at=datetime.now(UTC), actor=actor(request)
            )
        )
    except OpcoWatchError:
        return not_found(request, _no_call(tender_id))
    return redirect(request, f"/appels/{tender_id}", f"Statut\u00a0: {STATUS_LABELS[status]}.")


@handler()
async def set_owner(request: Request) -> Response:
    console = console_of(request)
    tender_id, typed = _id(request) or 0, form_text(request, "responsable")
    owner = email_address(typed) if typed else ""
    if owner is None:
        error = f"«{fr.NBSP}{typed}{fr.NBSP}» n'est pas une adresse e-mail."
        return await render_call(request, {"error": error}, status_code=400)
    try:
        await run_in_threadpool(
            lambda: activity.set_owner(
                console.store, tender_id, owner, actor=actor(request), at=datetime.now(UTC)
            )
        )
    except OpcoWatchError:
        return not_found(request, _no_call(tender_id))
    return redirect(request, f"/appels/{tender_id}", f"Responsable\u00a0: {owner or 'personne'}.")


@handler()
async def add_note(request: Request) -> Response:
    console = console_of(request)
    tender_id, text = _id(request) or 0, form_text(request, "note")
    if not text:
        return await render_call(request, {"error": "La note est vide."}, status_code=400)
    exists = await run_in_threadpool(tenders.get_tender, console.store, tender_id)
    if exists is None:
        return not_found(request, _no_call(tender_id))
    await run_in_threadpool(
        lambda: activity.add_note(
            console.store, tender_id, text, actor=actor(request), at=datetime.now(UTC)
        )
    )
    return redirect(request, f"/appels/{tender_id}", "Note ajoutée.")


@handler()
async def prepare(request: Request) -> Response:
    """« Préparer la réponse »: says first what stands against it; writes on confirmation."""
    console = console_of(request)
    tender_id = _id(request) or 0
    tender = await run_in_threadpool(tenders.get_tender, console.store, tender_id)
    if tender is None:
        return not_found(request, _no_call(tender_id))
    match = await run_in_threadpool(tenders.latest_match, console.store, tender_id)
    reasons = drafting.refusal(tender, match, datetime.now(UTC))
    if reasons and form_text(request, "confirmer") != "1":
        # the form's action ends with #reponse: the browser shows this warning, not the top
        return await render_call(request, {"confirm_draft": reasons}, status_code=409)
    try:
        written = await run_in_threadpool(
            drafting.write_draft, console.config, console.store, tender_id, actor(request)
        )
    except OpcoWatchError as error:
        return await render_call(
            request, {"draft_error": f"Brouillon impossible\u00a0: {error}"}, status_code=422
        )
    return redirect(
        request,
        f"/appels/{tender_id}#reponse",
        f"Brouillon prêt\u00a0: {len(written.files)} fichiers.",
    )


@handler()
async def download(request: Request) -> Response:
    console = console_of(request)
    tender_id, name = _id(request) or 0, str(request.path_params.get("name", ""))
    path = await run_in_threadpool(drafting.served_file, console.store, tender_id, name)
    if path is None:
        return not_found(request, "Ce fichier n'existe pas pour cet appel.")
    media = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    disposition = "inline" if path.suffix.lower() == ".html" else "attachment"
    response = FileResponse(
        path, media_type=media, filename=path.name, content_disposition_type=disposition
    )
    if disposition == "inline":  # a generated page is shown, never allowed to run anything
        response.headers["content-security-policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'"
        )
    return response


@handler()
async def save_checklist(request: Request) -> Response:
    console = console_of(request)
    tender_id = _id(request) or 0
    ticked = {str(v) for v in request.state.form.getlist("fait")}
    changed = await run_in_threadpool(
        drafting.save_ticks, console.store, tender_id, ticked, actor(request)
    )
    return redirect(
        request,
        f"/appels/{tender_id}#liste",
        f"Liste de contrôle enregistrée ({fr.plural(changed, 'changement')}).",
    )


ROUTES = [
    Route("/appels/{id}", call_page),
    Route("/appels/{id}/avis", judge, methods=["POST"]),
    Route("/appels/{id}/statut", set_status, methods=["POST"]),
    Route("/appels/{id}/responsable", set_owner, methods=["POST"]),
    Route("/appels/{id}/note", add_note, methods=["POST"]),
    Route("/appels/{id}/reponse", prepare, methods=["POST"]),
    Route("/appels/{id}/reponse/{name}", download),
    Route("/appels/{id}/liste", save_checklist, methods=["POST"]),
]
