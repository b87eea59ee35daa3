"""Connexion, déconnexion, and the one-time link that sets a password."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watcher import accounts, fr
from watcher.accounts import AccountError
from watcher.web.console import (
    Session,
    console_of,
    form_text,
    handler,
    redirect,
    write_session,
)
from watcher.web.render import page


def _safe_next(target: str) -> str:
    """Only a path of this site (never //host or a full URL) may follow a login."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/appels"


@handler(login=False)
async def login_form(request: Request) -> Response:
    suite = _safe_next(request.query_params.get("suite", "/appels"))
    if request.state.user is not None:  # already logged in (or open mode): nothing to do here
        return redirect(request, suite)
    return page(request, "login.html", {"title": "Connexion", "suite": suite, "error": ""})


@handler(login=False)
async def login(request: Request) -> Response:
    console = console_of(request)
    email = form_text(request, "email").lower()
    password = form_text(request, "password")
    suite = _safe_next(form_text(request, "suite", "/appels"))
    client = request.client.host if request.client else "?"
    wait = console.limiter.wait(email, client)
    if wait:
        minutes = max(1, round(wait / 60))
        message = f"Trop de tentatives{fr.NBSP}: réessayez dans {fr.plural(minutes, 'minute')}."
        context = {"title": "Connexion", "suite": suite, "error": message}
        refused = page(request, "login.html", context, status_code=429)
        refused.headers["retry-after"] = str(wait)
        return refused
    user = await run_in_threadpool(accounts.authenticate, console.store, email, password)
    if user is None:
        console.limiter.failed(email, client)
        context = {
            "title": "Connexion",
            "suite": suite,
            "error": "Adresse ou mot de passe incorrect.",
        }
        return page(request, "login.html", context, status_code=401)
    console.limiter.succeeded(email)
    response = redirect(request, suite)
    # a new session (and CSRF token) at login: nothing from before the login carries over
    write_session(request, response, Session.of(user))
    return response


@handler(login=False)
async def logout(request: Request) -> Response:
    response = redirect(request, "/connexion")
    write_session(request, response, Session(0, 0, secrets.token_urlsafe(24)))
    return response


@handler(login=False)
async def password_form(request: Request) -> Response:
    console = console_of(request)
    token = str(request.path_params["token"])
    try:
        user = await run_in_threadpool(accounts.read_password_token, console.store, token)
    except AccountError as error:
        context = {"title": "Lien de mot de passe", "message": str(error)}
        return page(request, "error.html", context, status_code=400)
    context = {"title": "Choisir un mot de passe", "email": user.email, "token": token, "error": ""}
    return page(request, "password.html", context)


@handler(login=False)
async def password_set(request: Request) -> Response:
    console = console_of(request)
    token = str(request.path_params["token"])
    password, again = form_text(request, "password"), form_text(request, "again")
    try:
        user = await run_in_threadpool(accounts.read_password_token, console.store, token)
        if password != again:
            raise AccountError("les deux mots de passe diffèrent")
        await run_in_threadpool(accounts.set_password, console.store, user.id, password)
    except AccountError as error:
        context = {
            "title": "Choisir un mot de passe",
            "email": "",
            "token": token,
            "error": str(error),
        }
        return page(request, "password.html", context, status_code=400)
    return redirect(
        request,
        f"/connexion?suite={quote('/appels')}",
        "Mot de passe enregistré\u00a0: connectez-vous.",
    )


ROUTES = [
    Route("/connexion", login_form, methods=["GET"]),
    Route("/connexion", login, methods=["POST"]),
    Route("/deconnexion", logout, methods=["POST"]),
    Route("/mot-de-passe/{token}", password_form, methods=["GET"]),
    Route("/mot-de-passe/{token}", password_set, methods=["POST"]),
]
