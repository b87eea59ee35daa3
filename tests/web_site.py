"""A small organisation's data for the console's tests: a config, calls of every kind in a
real SQLite store (grouped, judged, alerted as the pipeline does), accounts, and a client."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import write_config
from tests.notify_data import HOSTILE, Collect, poll
from watcher import accounts
from watcher.config import Config, load_config
from watcher.models import PARIS, Lot, Match, Notice, NoticeKind, Tender
from watcher.notify.digest import enqueue_digest
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.store import Store
from watcher.web import create_app
from watcher.web.app import server_of

NOW = datetime.now(UTC)
CLAIRE, SOFIA, VEILLE = "claire@of.fr", "sofia@of.fr", "veille@of.fr"
ADMIN, MEMBER = "admin@of.fr", "bid@of.fr"
PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"

CONFIG = f"""
[profile]
regions = ["Bretagne", "Île-de-France"]
min_score = 50
[[profile.domains]]
name = "Management"
phrases = ["management"]
owner = "{CLAIRE}"
[[profile.domains]]
name = "Langues"
phrases = ["anglais"]
owner = "{SOFIA}"

[mail]
default_recipient = "{VEILLE}"

[documents]
folder = "documents"
required = ["urssaf"]
[[documents.items]]
kind = "urssaf"
file = "urssaf.pdf"
issued = 2024-01-10
[[documents.items]]
kind = "kbis"
file = "kbis.pdf"
issued = {(NOW - timedelta(days=20)).date().isoformat()}
"""


def _day(days: int, hour: int = 12) -> datetime:
    moment = (NOW + timedelta(days=days)).astimezone(PARIS)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def _notice(ref: str, title: str, **fields: Any) -> Notice:
    values: dict[str, Any] = {
        "url": f"https://www.akto.fr/ao/{ref}",
        "buyer": "AKTO",
        "deadline": _day(20),
        "places": ("Bretagne",),
        "published": (NOW - timedelta(days=2)).date(),
        **fields,
    }
    return Notice("akto", ref, title, **values)


def calls() -> list[Notice]:
    """The organisation's calls: open relevant ones, a corrigendum, an award, a passed
    deadline, a region not served, an irrelevant one, and a hostile title."""
    return [
        _notice(
            "mgt-1",
            "Formation management des équipes",
            lots=(Lot("Rennes", "2"), Lot("Brest", "5")),
            estimated_value=Decimal(1),
            estimated_value_max=Decimal(75000),
            platform_url="https://www.marches-publics.info/dce/mgt-1",
            documents=("https://www.akto.fr/ao/mgt-1/reglement.pdf",),
        ),
        _notice(
            "mgt-1-rect",
            "Rectificatif — Formation management des équipes",
            kind=NoticeKind.CORRIGENDUM,
            related_refs=("mgt-1",),
            deadline=_day(27),
        ),
        _notice(
            "ang-1",
            "Formation anglais professionnel",
            buyer="OPCO ATLAS",
            url="https://www.opco-atlas.fr/ao/ang-1",
            deadline=_day(9),
            places=("Île-de-France",),
        ),
        _notice(
            "att-1",
            "Attribution — formation management de proximité",
            kind=NoticeKind.AWARD,
            winner="Formacoop",
            deadline=None,
        ),
        _notice("old-1", "Formation management commercial", deadline=_day(-3)),
        _notice(
            "occ-1", "Formation management en Occitanie", buyer="Constructys", places=("Occitanie",)
        ),
        _notice(
            "bur-1", "Fournitures de bureau hors sujet", buyer="Uniformation", deadline=_day(40)
        ),
        _notice("xss-1", f"Formation management {HOSTILE}", deadline=_day(30)),
    ]


def verdict(tender: Tender) -> Match:
    title = tender.title.lower()
    places = {p for n in tender.notices for p in n.places}
    blockers = ("région non desservie : Occitanie",) if "Occitanie" in places else ()
    domains = tuple(
        n for k, n in (("management", "Management"), ("anglais", "Langues")) if k in title
    )
    relevant = bool(domains) and "hors sujet" not in title
    reasons = tuple(f"« {d.lower()} » dans le titre" for d in domains)
    return Match(relevant, 80 if relevant else 12, domains, reasons, blockers)


@dataclass
class Site:
    folder: Path
    config_file: Path
    config: Config
    #: the app of the last ``client()``
    app: Any = None

    def store(self) -> Store:
        return Store.open(self.config.database)

    def ids(self) -> dict[str, int]:
        """notice ref -> the call's number."""
        with self.store() as store:
            return {row.notice.ref: row.tender_id or 0 for row in store.list_notices()}

    @contextmanager
    def client(self, mirror: str | None = None, **overrides: Any) -> Iterator[httpx.Client]:
        """A client of the console served by uvicorn on loopback (``overrides``: [web])."""
        with serve(self.with_web(**overrides), self.config_file, mirror=mirror) as (base, app):
            self.app = app
            with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
                yield client

    def with_web(self, **overrides: Any) -> Config:
        if not overrides:
            return self.config
        web = self.config.web.model_validate({**self.config.web.model_dump(), **overrides})
        return self.config.model_copy(update={"web": web})


@contextmanager
def serve(
    config: Config, config_file: Path | None = None, **app_options: Any
) -> Iterator[tuple[str, Any]]:
    """The console on a free loopback port, in a thread; yields its base URL and the app."""
    port = free_port()
    config = config.model_copy(update={"web": config.web.model_copy(update={"port": port})})
    app = create_app(config, config_file=config_file, warm=False, **app_options)
    server = server_of(app, config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_started(server, thread)
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _wait_started(server: Any, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console did not start")
        time.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build_site(folder: Path, extra: str = "") -> Site:
    file = write_config(folder, CONFIG + extra)
    (folder / "documents").mkdir()
    (folder / "documents" / "urssaf.pdf").write_bytes(PDF)
    (folder / "documents" / "kbis.pdf").write_bytes(PDF)
    config = load_config(file)
    with Store.open(config.database) as store:
        poll(store, calls(), settings_of(config), at=NOW - timedelta(hours=1), verdict=verdict)
    return Site(folder, file, config)


def add_account(site: Site, email: str, role: str, password: str = PASSWORD) -> accounts.User:
    with site.store() as store:
        user = accounts.add_user(store, email, role)
        accounts.set_password(store, user.id, password)
        found = accounts.get_user(store, user.id)
    assert found is not None
    return found


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def login(client: httpx.Client, email: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/connexion").text)
    answer = client.post("/connexion", data={"csrf": token, "email": email, "password": password})
    assert answer.status_code == 303, answer.text


def post(client: httpx.Client, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """POST a form of the page at ``path``'s origin with the session's CSRF token."""
    page = client.get(kwargs.pop("page", "/synthese"))
    return client.post(path, data={"csrf": csrf_of(page.text), **(data or {})}, **kwargs)


def mail_the_week(site: Site, store: Store) -> tuple[Week, list[EmailMessage]]:
    """This week's digest (to veille@of.fr) and the alerts queued, sent: the week and the
    messages."""
    settings = settings_of(site.config)
    week = Week.of(NOW.astimezone(PARIS).date())
    collect = Collect()
    enqueue_digest(store, settings, week, NOW, to="veille@of.fr")
    drain(store, settings, transport=collect)
    return week, collect.sent
