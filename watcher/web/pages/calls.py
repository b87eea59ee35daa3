"""Appels: the pipeline, the home page. Open calls by deadline, filters kept in the URL,
and what is hidden and why (closed or awarded, deadline passed, region not served)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from watcher.classify.geo import REGIONS
from watcher.fr import NBSP
from watcher.notify.context import STATUS_LABELS
from watcher.notify.opco import canonical_opco, opco_names
from watcher.web.console import console_of, handler, redirect
from watcher.web.index import CallRow
from watcher.web.render import environment, page
from watcher.web.security import url_number

PAGE_SIZE = 50
DEADLINES = {"7": 7, "14": 14, "30": 30, "60": 60}
#: why a call is hidden -> (one, several)
HIDDEN_LABELS = {
    "closed": ("attribué ou annulé", "attribués ou annulés"),
    "passed": ("date limite passée", "date limite passée"),
    "not_served": ("hors de vos régions", "hors de vos régions"),
}


@dataclass(frozen=True)
class Filters:
    pertinent: bool = False
    mine: bool = False
    opco: str = ""
    domain: str = ""
    region: str = ""
    deadline: str = ""
    status: str = ""
    hidden: bool = False
    page: int = 1

    @classmethod
    def of(cls, request: Request) -> Filters:
        q = request.query_params
        number = q.get("page", "1")
        return cls(
            pertinent=q.get("pertinents") == "1",
            mine=q.get("miens") == "1",
            opco=_opco(q.get("opco", "")),
            domain=q.get("domaine", ""),
            region=q.get("region", ""),
            deadline=q.get("echeance", "") if q.get("echeance", "") in DEADLINES else "",
            status=q.get("statut", "") if q.get("statut", "") in STATUS_LABELS else "",
            hidden=q.get("masques") == "1",
            page=max(1, url_number(number) or 1),
        )

    @property
    def active(self) -> int:
        """How many filters are in force (the page number is not one)."""
        return sum(bool(v) for v in (*self._chosen(), self.hidden))

    def _chosen(self) -> tuple[object, ...]:
        return (
            self.pertinent,
            self.mine,
            self.opco,
            self.domain,
            self.region,
            self.deadline,
            self.status,
        )

    def query(self, **changes: Any) -> str:
        values = {
            "pertinents": "1" if self.pertinent else "",
            "miens": "1" if self.mine else "",
            "opco": self.opco,
            "domaine": self.domain,
            "region": self.region,
            "echeance": self.deadline,
            "statut": self.status,
            "masques": "1" if self.hidden else "",
            "page": str(self.page) if self.page > 1 else "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v})

    def keeps(self, row: CallRow, me: str, now: datetime) -> bool:
        deadline_limit = now + timedelta(days=DEADLINES[self.deadline]) if self.deadline else None
        return (
            (not self.pertinent or row.pertinent)
            and (not self.mine or me in row.owners)
            and (not self.opco or row.opco == self.opco)
            and (not self.domain or self.domain in row.domains)
            and (not self.region or self.region in row.regions)
            and (not self.status or row.status == self.status)
            and (deadline_limit is None or _closes_by(row, now, deadline_limit))
        )


def _closes_by(row: CallRow, now: datetime, limit: datetime) -> bool:
    """The call's next deadline not passed (lot 2's, once lot 1 has closed) is by ``limit``."""
    soonest = row.ahead(now)
    return soonest is not None and soonest <= limit


def select(rows: list[CallRow], filters: Filters, me: str, now: datetime) -> dict[str, Any]:
    """The rows shown and the counts of those hidden, by reason."""
    shown, hidden = [], dict.fromkeys(HIDDEN_LABELS, 0)
    keeps, show_hidden = filters.keeps, filters.hidden
    plain = filters == Filters(hidden=filters.hidden, page=filters.page)
    for row in rows:
        if not plain and not keeps(row, me, now):
            continue
        reason = row.hidden_reason(now)
        if reason is not None and not show_hidden:
            hidden[reason] += 1
        else:
            shown.append(row)
    if any(len(row.moments) > 1 for row in shown):  # lots closing apart: by the next one
        shown.sort(key=lambda row: _order_at(row, now))
    return {"shown": shown, "hidden": hidden}


def _order_at(row: CallRow, now: datetime) -> tuple[bool, float, int]:
    at = row.sort_at(now)
    return (at is None, at.timestamp() if at else 0.0, row.id)


@handler()
async def pipeline(request: Request) -> Response:
    console = console_of(request)
    filters = Filters.of(request)
    return await run_in_threadpool(_pipeline, request, console, filters)


def _pipeline(request: Request, console: Any, filters: Filters) -> Response:
    me = request.state.user.email
    now = datetime.now(UTC).replace(second=0, microsecond=0)  # one view per minute and filter
    key = (replace(filters, page=1), me if filters.mine else "", now)
    picked = console.index.memo(key, lambda rows: select(rows, filters, me, now))
    shown = picked["shown"]
    pages = max(1, -(-len(shown) // PAGE_SIZE))
    number = min(filters.page, pages)
    visible = shown[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    hidden = [
        {"label": HIDDEN_LABELS[k][n > 1], "count": n} for k, n in picked["hidden"].items() if n
    ]
    listing = {
        "root": request.scope.get("root_path", ""),
        "calls": [_row(r, now) for r in visible],
        "filters": filters,
        "page_number": number,
        "pages": pages,
    }
    table = console.index.memo(
        ("table", key, number, listing["root"]),
        lambda _rows: Markup(environment().get_template("_calls_table.html").render(listing)),
    )
    return page(
        request,
        "calls.html",
        {
            "title": "Appels",
            "calls": bool(visible),
            "table": table,
            "total": len(shown),
            "hidden": hidden,
            "hidden_total": sum(picked["hidden"].values()),
            "filters": filters,
            "page_number": number,
            "pages": pages,
            "opcos": opco_names(),
            "domains": [d.name for d in console.config.profile.domains],
            "regions": REGIONS,
            "statuses": STATUS_LABELS,
            "deadlines": DEADLINES,
        },
    )


def _row(row: CallRow, now: datetime) -> dict[str, Any]:
    countdown = row.countdown(now)  # to the deadline the row sorts by: lot 2's once lot 1 closed
    soonest = countdown.moment if countdown else None
    split = len(row.moments) > 1
    return {
        "id": row.id,
        "title": row.title,
        "who": row.opco or row.buyer or "acheteur non précisé",
        "buyer": row.buyer,
        "deadline": soonest.at if soonest else None,  # the date the countdown counts to
        "deadline_lots": f"{soonest.named}{NBSP}:" if split and soonest and soonest.named else "",
        "deadline_text": row.deadline_text,
        "countdown": countdown.words if countdown else "",
        "soon": countdown is not None and countdown.days <= 7,
        "score": row.score,
        "pertinent": row.pertinent,
        "judged": row.judged,
        "domains": row.domains,
        "owner": ", ".join(row.owners),
        "status": row.status,
        "status_label": STATUS_LABELS.get(row.status, row.status),
        "blockers": row.blockers,
        "closed": row.closed,
        "kind": row.kind,
    }


@handler()
async def home(request: Request) -> Response:
    return redirect(request, "/appels")


ROUTES = [
    Route("/", home),
    Route("/appels", pipeline),
]


def _opco(value: str) -> str:
    """The OPCO filter under its one name: a link saved with an older spelling
    (« OPCO ATLAS ») still filters on Atlas."""
    return canonical_opco(value) or value if value else ""
