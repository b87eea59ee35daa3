"""What every request of the console shares (``app.state.console``), and the ``handler``
decorator that gives each page its session, its user and its CSRF check.

Sessions are a signed cookie (itsdangerous, the console's secret): the user's id, the
user's ``session_version`` (a password change logs out every other session) and the CSRF
token of every form. HttpOnly, SameSite=Lax, Secure when the request came over HTTPS.
Open mode: bound to loopback, behind no proxy and with no account in the database, the
console serves one person without a login (the "poste local").
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from watcher import accounts
from watcher.accounts import User
from watcher.config import Config
from watcher.links import ActionSigner, link_settings, stored_secret
from watcher.store import Store
from watcher.store.schema import users
from watcher.web.index import PipelineIndex
from watcher.web.learning import Learning
from watcher.web.render import LOCAL_ACTOR, page
from watcher.web.security import LoginLimiter, same_token

log = logging.getLogger(__name__)

COOKIE = "opco_watch_session"
SESSION_SALT = "opco-watch.session"
#: the message a redirect passes to the next page is signed: a link cannot make the console
#: say what it never said (« Votre session a expiré, appelez le … »); it shows for 2 minutes
FLASH_SALT = "opco-watch.flash"
FLASH_SECONDS = 120
#: the local user of open mode: may do everything, is named "poste local" in the history
LOCAL_USER = User(0, LOCAL_ACTOR, "admin", False, 0)


@dataclass
class Console:
    config: Config
    store: Store
    secret: str
    signer: ActionSigner
    index: PipelineIndex
    #: the file the configuration was read from (for the Réglages page's check)
    config_file: Path | None = None
    #: fetch every source URL from this base URL (the offline demo, tests)
    mirror: str | None = None
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    #: background jobs of "interroger maintenant", by source name
    polls: dict[str, Any] = field(default_factory=dict)
    #: this process's learner of the judgements, and the re-judging it triggers
    learning: Learning = field(init=False)

    def __post_init__(self) -> None:
        self.learning = Learning(self.config, self.store)

    @classmethod
    def open(
        cls,
        config: Config,
        store: Store,
        *,
        config_file: Path | None = None,
        mirror: str | None = None,
    ) -> Console:
        with store.transaction(write=True) as conn:
            secret = stored_secret(conn, "session-key")
            signer = ActionSigner.of(conn, link_settings(config))
        index = PipelineIndex(store, config)
        return cls(config, store, secret, signer, index, config_file, mirror)

    @property
    def serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=SESSION_SALT)

    @property
    def flashes(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt=FLASH_SALT)

    def flash_token(self, message: str) -> str:
        return self.flashes.dumps(message)

    def read_flash(self, token: str) -> str:
        """The message ``token`` carries, or nothing if the console did not sign it lately."""
        try:
            message = self.flashes.loads(token, max_age=FLASH_SECONDS)
        except BadSignature:  # also an expired one
            return ""
        return message if isinstance(message, str) else ""

    @property
    def may_run_open(self) -> bool:
        """Loopback, no proxy: open mode applies while no account exists."""
        return self.config.web.loopback and not self.config.web.trusted_proxies

    def open_mode(self) -> bool:
        return self.may_run_open and accounts.count_users(self.store) == 0


@dataclass
class Session:
    user_id: int
    version: int
    csrf: str
    fresh: bool = False
    #: the account's stamp: a session outlives no removal of its account (see User.stamp)
    stamp: str = ""

    @classmethod
    def of(cls, user: User) -> Session:
        """A new session of ``user``, with a new CSRF token."""
        return cls(user.id, user.session_version, secrets.token_urlsafe(24), stamp=user.stamp)

    def payload(self) -> dict[str, Any]:
        return {"u": self.user_id, "v": self.version, "c": self.csrf, "a": self.stamp}

    def opens(self, user: User | None) -> bool:
        """Whether this session is still one of ``user``'s."""
        return user is not None and (user.session_version, user.stamp) == (
            self.version,
            self.stamp,
        )


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def read_session(request: Request) -> Session:
    console = console_of(request)
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            data = console.serializer.loads(raw, max_age=console.config.web.session_days * 86400)
            return Session(int(data["u"]), int(data["v"]), str(data["c"]), stamp=str(data["a"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            pass
    return Session(0, 0, secrets.token_urlsafe(24), fresh=True)


def write_session(request: Request, response: Response, session: Session) -> None:
    console = console_of(request)
    response.set_cookie(
        COOKIE,
        console.serializer.dumps(session.payload()),
        max_age=console.config.web.session_days * 86400,
        path=request.scope.get("root_path", "") or "/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def identify(console: Console, session: Session) -> tuple[bool, User | None]:
    """(open mode, the user of the session), in one transaction."""
    with console.store.transaction() as conn:
        if console.may_run_open and not conn.execute(sa.select(users.c.id).limit(1)).first():
            return True, LOCAL_USER
        if session.user_id == 0:
            return False, None
        row = conn.execute(sa.select(users).where(users.c.id == session.user_id)).first()
    user = accounts.user_of(row) if row is not None else None
    return False, user if session.opens(user) else None


def current_user(console: Console, session: Session) -> User | None:
    if session.user_id == 0:
        return None
    user = accounts.get_user(console.store, session.user_id)
    return user if session.opens(user) else None


Handler = Callable[[Request], Awaitable[Response]]


def handler(
    *, login: bool = True, admin: bool = False
) -> Callable[[Callable[..., Awaitable[Response]]], Handler]:
    """Wrap a page: session and user on ``request.state``, login and role checks, the CSRF
    check of every POST (403 without the session's token), the session cookie kept."""

    def wrap(func: Callable[..., Awaitable[Response]]) -> Handler:
        @wraps(func)
        async def endpoint(request: Request) -> Response:
            console = console_of(request)
            session = read_session(request)
            open_mode, user = await run_in_threadpool(identify, console, session)
            request.state.session, request.state.user = session, user
            request.state.csrf, request.state.open_mode = session.csrf, open_mode
            response = await _guarded(request, func, login=login, admin=admin)
            if session.fresh:
                write_session(request, response, session)
            return response

        return endpoint

    return wrap


async def _guarded(
    request: Request, func: Callable[..., Awaitable[Response]], *, login: bool, admin: bool
) -> Response:
    if request.method != "POST":
        return await _checked(request, func, login=login, admin=admin)
    form = await request.form()
    request.state.form = form
    try:
        if not same_token(request.state.csrf, _text(form, "csrf")):
            return forbidden(request, "Formulaire expiré ou incomplet\u00a0: rechargez la page.")
        return await _checked(request, func, login=login, admin=admin)
    finally:
        await form.close()  # uploaded files live in temporary files until then
        console_of(request).index.stale()  # a form may have changed a call: show it at once


async def _checked(
    request: Request, func: Callable[..., Awaitable[Response]], *, login: bool, admin: bool
) -> Response:
    user: User | None = request.state.user
    if login and user is None:
        root = request.scope.get("root_path", "")
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return RedirectResponse(f"{root}/connexion?suite={target}", status_code=303)
    if admin and (user is None or not user.admin):
        return forbidden(request, "Cette page est réservée aux administrateurs.")
    return await func(request)


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


def form_text(request: Request, name: str, default: str = "") -> str:
    form: FormData = request.state.form
    value = _text(form, name)
    return value.strip() if value is not None else default


def forbidden(request: Request, message: str) -> Response:
    return page(
        request, "error.html", {"title": "Accès refusé", "message": message}, status_code=403
    )


def not_found(request: Request, message: str) -> Response:
    return page(
        request, "error.html", {"title": "Introuvable", "message": message}, status_code=404
    )


def actor(request: Request) -> str:
    """The name the history keeps for whoever acts in this request."""
    user: User = request.state.user
    return user.email


def redirect(request: Request, path: str, ok: str = "") -> RedirectResponse:
    """303 to ``path`` under the root path; ``ok`` is the message the next page shows."""
    root = request.scope.get("root_path", "")
    path, _, fragment = path.partition("#")
    token = console_of(request).flash_token(ok) if ok else ""
    suffix = f"{'&' if '?' in path else '?'}ok={quote(token)}" if ok else ""
    anchor = f"#{fragment}" if fragment else ""
    return RedirectResponse(f"{root}{path}{suffix}{anchor}", status_code=303)
