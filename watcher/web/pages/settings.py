"""Réglages: the profile, the routing and the sources as configured, read-only, with what
`opco-watch config check` finds."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from scrapers.registry import source_label
from watcher import accounts
from watcher.check_words import Finding, finding
from watcher.config import config_path
from watcher.config_check import check_config
from watcher.notify.settings import settings_of
from watcher.web.console import Console, console_of, handler
from watcher.web.render import page


def findings(console: Console) -> list[Finding]:
    """What `config check` reports on the file the console was started with (errors, then
    warnings), in French where the wording is known."""
    file = console.config_file
    if file is None or not file.exists():
        return []
    report = check_config(file)
    errors = [finding(p) for p in report.errors]
    return errors + [finding(w, warning=True) for w in report.warnings]


def overview(console: Console) -> dict[str, Any]:
    config = console.config
    notify = settings_of(config)
    profile = config.profile
    return {
        "file": str(console.config_file or config_path()),
        "findings": findings(console),
        "organisation": config.organisation,
        "domains": [
            {"name": d.name, "phrases": d.phrases, "cpv": d.cpv, "owner": d.owner or ""}
            for d in profile.domains
        ],
        "regions": profile.regions or ["toutes"],
        "departments": profile.departments,
        "min_score": profile.min_score,
        "min_lead_days": profile.min_lead_days,
        "default_recipient": notify.default_recipient,
        "admin_recipient": notify.admin_recipient,
        "routes": [
            {
                "recipient": r.recipient,
                "opcos": r.opcos,
                "buyers": r.buyers,
                "regions": r.regions,
                "domains": r.domains,
            }
            for r in config.mail.routes
        ],
        "smtp": config.mail.smtp_host or "aucun (fichiers .eml dans la boîte d'envoi)",
        "sources": [
            {
                "name": source_label(name),
                "enabled": name in config.enabled_sources(),
                "interval": config.sources[name].interval_minutes if name in config.sources else 60,
                "description": config.source_class(name).description(),
            }
            for name in config.source_names()
        ],
        "web": config.web,
        "users": accounts.list_users(console.store),
    }


@handler(admin=True)
async def settings_page(request: Request) -> Response:
    console = console_of(request)
    context = await run_in_threadpool(overview, console)
    return page(request, "settings.html", {"title": "Réglages", **context})


ROUTES = [Route("/reglages", settings_page)]
