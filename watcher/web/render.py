"""The console's Jinja environment: autoescaped HTML, strict about undefined names, French
filters. Text from the web only ever enters as context values (escaped), never as a template."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from watcher import fr
from watcher.models import PARIS

#: who the open mode records as the actor (watcher.web.console re-exports it)
LOCAL_ACTOR = "poste local"


def _long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    return fr.long_date(value)


def _long_datetime(value: datetime | None) -> str:
    return fr.long_datetime(value) if value is not None else ""


def _person(value: str) -> str:
    """A person as the pages name them: the open mode's "poste local" written as the header
    writes it ("Poste local"), addresses as they are."""
    return value[:1].upper() + value[1:] if value == LOCAL_ACTOR else value


def _short_date(value: datetime | None) -> str:
    """'06/03/2026 12h00' for tables."""
    if value is None:
        return ""
    local = value.astimezone(PARIS)
    return f"{local:%d/%m/%Y} {local.hour}h{local.minute:02d}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("watcher.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["long_date"] = _long_date
    env.filters["long_datetime"] = _long_datetime
    env.filters["short_date"] = _short_date
    env.filters["amount"] = fr.amount
    env.filters["person"] = _person
    env.filters["of_name"] = fr.of_name  # {{ name|of_name }}: "d'akto", "de constructys"
    env.filters["noun"] = fr.noun  # {{ n|noun("appel", "appels") }}: the word agreed with n
    env.filters["plural"] = fr.plural  # {{ n|plural("appel") }}: "0 appel", "2 appels"
    return env


def _flash(request: Request) -> str:
    """The message the redirect to this page signed (``?ok=``); anything else shows nothing."""
    token = request.query_params.get("ok", "")
    console = getattr(request.app.state, "console", None)
    return console.read_flash(token) if token and console is not None else ""


def page(
    request: Request, template: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """Render ``template`` with the request's common context (user, CSRF token, root path)."""
    state = request.state
    common = {
        "root": request.scope.get("root_path", ""),
        "user": getattr(state, "user", None),
        "csrf": getattr(state, "csrf", ""),
        "open_mode": getattr(state, "open_mode", False),
        "path": request.url.path,
        "flash": _flash(request),
    }
    html = environment().get_template(template).render({**common, **context})
    return HTMLResponse(html, status_code=status_code)
