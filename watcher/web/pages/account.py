"""Mon compte: change one's own password; for admins, the accounts of the console (add one,
a new one-time password link, remove one) — what ``opco-watch users`` does, from a browser."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watcher import accounts, fr
from watcher.accounts import AccountError, User
from watcher.web.console import (
    Console,
    Session,
    console_of,
    form_text,
    handler,
    not_found,
    redirect,
    write_session,
)
from watcher.web.render import page
from watcher.web.security import url_number

log = logging.getLogger(__name__)

ROLE_NAMES = {"admin": "administrateur", "member": "membre"}


def _accounts_of(console: Console, user: User) -> list[dict[str, object]]:
    if not user.admin:
        return []
    return [
        {
            "id": other.id,
            "email": other.email,
            "role": ROLE_NAMES.get(other.role, other.role),
            "password_set": other.has_password,
            "self": other.id == user.id,
        }
        for other in accounts.list_users(console.store)
    ]


async def _page(
    request: Request,
    *,
    error: str = "",
    link: tuple[str, str] | None = None,
    status: int = 200,
    removing: User | None = None,
) -> Response:
    """The account page; ``link`` = (email, one-time link) just made, shown once;
    ``removing``: the account whose removal is asked for, to confirm."""
    console, user = console_of(request), request.state.user
    listed = await run_in_threadpool(_accounts_of, console, user)
    context = {
        "title": "Mon compte",
        "role": ROLE_NAMES.get(user.role, user.role),
        "accounts": listed,
        "error": error,
        "link": link,
        "link_days": accounts.PASSWORD_LINK_DAYS,
        "password_min": accounts.PASSWORD_MIN,
        "removing": removing,
    }
    return page(request, "account.html", context, status_code=status)


@handler()
async def account_page(request: Request) -> Response:
    return await _page(request)


@handler()
async def change_password(request: Request) -> Response:
    console, user = console_of(request), request.state.user
    if request.state.open_mode:
        return await _page(request, error="Sans compte, ce poste n'a pas de mot de passe.")
    client = request.client.host if request.client else "?"
    wait = console.limiter.wait(user.email, client)
    if wait:
        minutes = fr.plural(max(1, round(wait / 60)), "minute")
        error = f"Trop de tentatives{fr.NBSP}: réessayez dans {minutes}."
        return await _page(request, error=error, status=429)
    current, new, again = (form_text(request, k) for k in ("current", "password", "again"))
    if await run_in_threadpool(accounts.authenticate, console.store, user.email, current) is None:
        console.limiter.failed(user.email, client)
        return await _page(request, error="Le mot de passe actuel est incorrect.", status=400)
    try:
        if new != again:
            raise AccountError("les deux mots de passe diffèrent")
        await run_in_threadpool(accounts.set_password, console.store, user.id, new)
    except AccountError as error:
        return await _page(request, error=f"{str(error)[:1].upper()}{str(error)[1:]}.", status=400)
    console.limiter.succeeded(user.email)
    log.info("user %s changed their password", user.email)
    # set_password ends every session of the account; this one carries on, with a new token
    changed = await run_in_threadpool(accounts.get_user, console.store, user.id)
    done = f"Mot de passe changé{fr.NBSP}: vos autres sessions sont fermées."
    response = redirect(request, "/compte", done)
    if changed is not None:
        write_session(request, response, Session.of(changed))
    return response


def _create(console: Console, email: str, role: str) -> tuple[str, str]:
    """(address, one-time link) of a new account; AccountError in French for the page."""
    try:
        address = accounts.normalise_email(email)
    except AccountError:
        raise AccountError(f"«\u00a0{email}\u00a0» n'est pas une adresse électronique.") from None
    if role not in ROLE_NAMES:
        raise AccountError(f"Choisissez un rôle{fr.NBSP}: administrateur ou membre.")
    if accounts.find_user(console.store, address) is not None:
        raise AccountError(f"Un compte existe déjà pour {address}.")
    accounts.add_user(console.store, address, role)
    return address, _password_link(console, address)


def _password_link(console: Console, email: str) -> str:
    token = accounts.password_token(console.store, email)
    return f"{console.config.web.base_url}/mot-de-passe/{token}"


@handler(admin=True)
async def add_account(request: Request) -> Response:
    console = console_of(request)
    email, role = form_text(request, "email"), form_text(request, "role", "member")
    try:
        link = await run_in_threadpool(_create, console, email, role)
    except AccountError as error:
        return await _page(request, error=str(error), status=400)
    log.info("account %s (%s) created by %s", link[0], role, request.state.user.email)
    if request.state.open_mode:
        return _first_account(request, link, role)
    return await _page(request, link=link)


def _first_account(request: Request, link: tuple[str, str], role: str) -> Response:
    """The page after the first account: open mode has ended with it, so the page no longer
    shows the local post's menu and account, only the link and the way to log in."""
    request.state.open_mode, request.state.user = False, None
    context = {
        "title": "Premier compte créé",
        "link": link,
        "role": ROLE_NAMES[role],
        "link_days": accounts.PASSWORD_LINK_DAYS,
    }
    return page(request, "first_account.html", context)


def _other(console: Console, request: Request) -> User | None:
    user_id = url_number(str(request.path_params["user_id"]))
    return None if user_id is None else accounts.get_user(console.store, user_id)


@handler(admin=True)
async def new_link(request: Request) -> Response:
    console = console_of(request)
    other = await run_in_threadpool(_other, console, request)
    if other is None:
        return not_found(request, "Ce compte n'existe pas (ou plus).")
    link = await run_in_threadpool(_password_link, console, other.email)
    return await _page(request, link=(other.email, link))


async def _removable(request: Request) -> User | Response:
    """The account an admin asks to remove, or the page saying why it cannot be."""
    other = await run_in_threadpool(_other, console_of(request), request)
    if other is None:
        return not_found(request, "Ce compte n'existe pas (ou plus).")
    if other.id == request.state.user.id:  # an admin is never left without the page
        error = "Vous ne pouvez pas supprimer votre propre compte."
        return await _page(request, error=error, status=400)
    return other


@handler(admin=True)
async def confirm_removal(request: Request) -> Response:
    """« Supprimer » asks first: the removal is a second, explicit POST (with its token)."""
    other = await _removable(request)
    if isinstance(other, Response):
        return other
    return await _page(request, removing=other)


@handler(admin=True)
async def remove_account(request: Request) -> Response:
    other = await _removable(request)
    if isinstance(other, Response):
        return other
    console, user = console_of(request), request.state.user
    await run_in_threadpool(accounts.remove_user, console.store, other.email)
    log.info("account %s removed by %s", other.email, user.email)
    return redirect(request, "/compte", f"Compte {other.email} supprimé.")


ROUTES = [
    Route("/compte", account_page, methods=["GET"]),
    Route("/compte/mot-de-passe", change_password, methods=["POST"]),
    Route("/compte/comptes", add_account, methods=["POST"]),
    Route("/compte/comptes/{user_id}/lien", new_link, methods=["POST"]),
    Route("/compte/comptes/{user_id}/supprimer", confirm_removal, methods=["GET"]),
    Route("/compte/comptes/{user_id}/supprimer", remove_account, methods=["POST"]),
]
