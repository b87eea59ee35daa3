"""The staff console: a server-rendered web application in French (Starlette + Jinja2).

A room of its own above the core, like the CLI: it reads and writes through the core's
modules (store, tenders, activity, accounts, links, responses) and nothing in the core
imports it. ``create_app(config)`` builds the ASGI application; ``opco-watch serve`` runs it
on uvicorn.
"""

from watcher.web.app import create_app

__all__ = ["create_app"]
