"""Pièces: the evidence vault, each document's status against the upcoming deadlines, and
the upload of a new version (size and type limits, the declared name, the old one kept)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watcher import activity
from watcher.models import PARIS
from watcher.pertinence import documents_deadline
from watcher.vault_versions import (
    UploadError,
    check_sent_type,
    check_upload,
    history,
    save_version,
)
from watcher.web.console import Console, actor, console_of, form_text, handler, not_found, redirect
from watcher.web.render import page
from watcher.web.security import url_number


def _vault(console: Console) -> Any:
    from responses.vault import Vault

    return Vault.load(console.config.documents, console.config.base_dir)


def listing(console: Console) -> dict[str, Any]:
    from responses.vault import STATUS_LABELS

    vault = _vault(console)
    now = datetime.now(UTC)
    with console.store.transaction() as conn:
        against = documents_deadline(conn, now)  # the same call as `opco-watch documents`
    today = now.astimezone(PARIS).date()
    deadline = against.deadline if against else None
    documents = []
    for index, document in enumerate(vault.documents):
        state = vault.state(document, today, deadline)
        file = str(document.item.file)
        documents.append(
            {
                "index": index,
                "title": document.title,
                "kind": document.kind.value,
                "file": file,
                "status": state.status.value,
                "status_label": STATUS_LABELS[state.status],
                "detail": state.detail,
                "required": document.kind in vault.required,
                "history": _versions(history(vault.folder, file)),
            }
        )
    declared = {d.kind for d in vault.documents}
    missing = [k.value for k in vault.required if k not in declared]
    return {
        "documents": documents,
        "missing": missing,
        "deadline": deadline,
        "against": against,
        "configured": vault.configured,
    }


def _versions(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The manifest's uploads, their moment read back (« 2 décembre 2026 » on the page)."""
    versions = []
    for entry in found:
        try:
            at: datetime | None = datetime.fromisoformat(str(entry.get("at", "")))
        except ValueError:
            at = None
        versions.append({**entry, "at": at})
    return versions


@handler()
async def documents_page(request: Request) -> Response:
    console = console_of(request)
    context = await run_in_threadpool(listing, console)
    web = console.config.web
    return page(
        request,
        "documents.html",
        {
            "title": "Pièces",
            **context,
            "types": ", ".join(web.upload_types),
            "max_mb": web.upload_max_mb,
            "today": datetime.now(PARIS).date().isoformat(),
            "error": "",
        },
    )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise UploadError(f"«\u00a0{text}\u00a0» n'est pas une date (AAAA-MM-JJ)") from None


@handler()
async def upload(request: Request) -> Response:
    console = console_of(request)
    vault = await run_in_threadpool(_vault, console)
    number = url_number(str(request.path_params["index"]))
    if number is None or number >= len(vault.documents):
        return not_found(request, "Ce document n'est pas déclaré dans la configuration.")
    document = vault.documents[number]
    sent = request.state.form.get("fichier")
    web = console.config.web
    try:
        if not isinstance(sent, UploadFile):
            raise UploadError("aucun fichier choisi")
        check_sent_type(sent.filename, web.upload_types)
        data = await sent.read(int(web.upload_max_mb * 1_000_000) + 1)
        issued, expires = _day(form_text(request, "delivre")), _day(form_text(request, "expire"))
        if issued and expires and expires < issued:
            raise UploadError("la fin de validité précède la date de délivrance")
        check_upload(
            document.item.file,
            data,
            max_bytes=int(web.upload_max_mb * 1_000_000),
            types=web.upload_types,
        )
        await run_in_threadpool(
            lambda: save_version(
                vault.folder,
                document.item.file,
                data,
                issued=issued,
                expires=expires,
                by=actor(request),
            )
        )
    except UploadError as error:
        context = await run_in_threadpool(listing, console)
        return page(
            request,
            "documents.html",
            {
                "title": "Pièces",
                **context,
                "types": ", ".join(web.upload_types),
                "max_mb": web.upload_max_mb,
                "today": datetime.now(PARIS).date().isoformat(),
                "error": f"{document.title}\u00a0: {error}",
            },
            status_code=400,
        )
    await run_in_threadpool(
        _log_upload, console, actor(request), f"{document.title} ({document.item.file})"
    )
    return redirect(
        request, "/pieces", f"Nouvelle version de «\u00a0{document.title}\u00a0» enregistrée."
    )


def _log_upload(console: Console, who: str, what: str) -> None:
    with console.store.transaction(write=True) as conn:
        activity.record(conn, None, who, "upload", what, datetime.now(UTC))


ROUTES = [
    Route("/pieces", documents_page),
    Route("/pieces/{index}/version", upload, methods=["POST"]),
]
