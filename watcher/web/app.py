"""The console's ASGI application: routes, static files, security middleware, lifespan.

Starlette rather than FastAPI: the console renders HTML pages and reads forms; it needs no
OpenAPI schema, request models or dependency injection, and Starlette imports in a fraction
of the time (FastAPI is Starlette plus those). Pages run their database and rendering work
in Starlette's thread pool, so the event loop keeps serving while a draft is written.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from watcher.config import Config
from watcher.store import Store
from watcher.web.console import Console
from watcher.web.pages import (
    account,
    auth,
    call,
    calls,
    digest,
    documents,
    email_links,
    settings,
    sources,
)
from watcher.web.render import page
from watcher.web.security import HEADERS, BodyLimit, SecurityHeaders

log = logging.getLogger(__name__)

#: forms are small; an upload may be as large as web.upload_max_mb (plus the form around it)
FORM_MARGIN = 256 * 1024


def create_app(
    config: Config,
    *,
    store: Store | None = None,
    config_file: Path | None = None,
    mirror: str | None = None,
    warm: bool = True,
) -> Starlette:
    """The console for ``config`` (its store opened here unless given; closed at shutdown)."""
    owned = store is None
    opened = store or Store.open(config.database)
    console = Console.open(config, opened, config_file=config_file, mirror=mirror)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if warm:  # the pipeline's first read of every call, off the first request's path
            threading.Thread(target=_warm, args=(console,), daemon=True).start()
        yield
        if owned:
            opened.close()

    routes = [
        *calls.ROUTES,
        *call.ROUTES,
        *email_links.ROUTES,
        *auth.ROUTES,
        *account.ROUTES,
        *sources.ROUTES,
        *documents.ROUTES,
        *digest.ROUTES,
        *settings.ROUTES,
        Mount("/static", app=StaticFiles(packages=[("watcher.web", "static")]), name="static"),
        Route("/favicon.ico", _favicon),
    ]
    limit = int(config.web.upload_max_mb * 1_000_000) + FORM_MARGIN
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(BodyLimit, limit=limit, max_mb=config.web.upload_max_mb),
    ]
    if config.web.trusted_proxies:
        hosts = config.web.trusted_proxies
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trusted_hosts=hosts))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={404: _not_found, 405: _not_allowed, 500: _error},
    )
    app.state.console = console
    return app


class ConsoleServer(uvicorn.Server):
    """uvicorn's server, saying where it listens once it does (``on_started``)."""

    on_started: Callable[[], None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_started is not None:
            self.on_started()


def server_of(app: Starlette, config: Config, *, port: int | None = None) -> ConsoleServer:
    """The uvicorn server of the console: [web] bind and root path; forwarded headers are
    left to the app (``web.trusted_proxies``), never uvicorn's own default of 127.0.0.1."""
    web = config.web
    return ConsoleServer(
        uvicorn.Config(
            app,
            host=web.host,
            port=web.port if port is None else port,
            root_path=web.root_path,
            proxy_headers=False,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
    )


def _warm(console: Console) -> None:
    try:
        console.index.rows()
    except Exception:  # a failing warm-up is only a slower first page
        log.exception("console: could not read the pipeline at start-up")


FAVICON = resources.files("watcher.web") / "static" / "favicon.ico"


async def _favicon(_request: Request) -> Response:
    """The icon browsers ask for at /favicon.ico, from the package (cached for a day)."""
    headers = {"cache-control": "public, max-age=86400"}
    return Response(FAVICON.read_bytes(), media_type="image/x-icon", headers=headers)


def _prepare(request: Request) -> None:
    for name, value in (("user", None), ("csrf", ""), ("open_mode", False)):
        if not hasattr(request.state, name):
            setattr(request.state, name, value)


async def _not_found(request: Request, _exc: Exception) -> Response:
    _prepare(request)
    context = {"title": "Page introuvable", "message": "Cette adresse ne mène à rien."}
    return page(request, "error.html", context, status_code=404)


async def _not_allowed(request: Request, _exc: Exception) -> Response:
    _prepare(request)
    context = {"title": "Action impossible", "message": "Cette adresse ne s'emploie pas ainsi."}
    return page(request, "error.html", context, status_code=405)


async def _error(request: Request, exc: Exception) -> Response:
    log.error("console: %s %s failed", request.method, request.url.path, exc_info=exc)
    _prepare(request)
    context = {
        "title": "Erreur",
        "message": "Une erreur interne est survenue ; elle est consignée dans le journal.",
    }
    response = page(request, "error.html", context, status_code=500)
    for name, value in HEADERS:  # this page is sent from outside the middleware
        response.headers[name.decode()] = value.decode()
    return response
