"""Links from the emails to the console: the call's page, and signed one-click actions.

An action link carries (recipient, call number, action), signed with the console's secret
(itsdangerous, HMAC-SHA1 over the payload and a timestamp): it cannot be altered to name
another call or another person, and it expires after ``web.link_days``. The secret is
``$OPCO_WATCH_WEB_SECRET`` when set, else one generated once and kept in the database, so
every process sharing the store (poller, sender, console) signs and checks alike.

The console's address is ``web.public_url`` when set. Otherwise it is where ``opco-watch serve``
last listened, as it recorded in the store (``served_links``): an email queued by another
process (the poller) after ``serve --port 8765`` leads to that console, not to the configured
port. A queued email keeps the links it was queued with.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the settings import this module: the store loads only where links are made
    from sqlalchemy.engine import Connection

SECRET_ENV = "OPCO_WATCH_WEB_SECRET"
SIGNING_KEY = "signing-key"
#: the ``jobs_state`` row where ``opco-watch serve`` records the address it listens on
SERVED_URL = "web.served_url"
ACTION_SALT = "opco-watch.email-action"
#: action -> label of the button in the email
ACTIONS = {
    "pertinent": "Pertinent",
    "pas-pertinent": "Pas pertinent",
    "je-prends": "Je prends",
    "no-go": "No-go",
}


class LinkError(Exception):
    """A one-click link that is not ours, was altered, or expired (``expired`` says which)."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """What the emails need from ``[web]``: the console's address and the links' lifetime."""

    base_url: str = "http://127.0.0.1:8000"
    link_days: int = 14
    #: ``base_url`` is ``web.public_url``: the address served last does not replace it
    public: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    recipient: str
    tender_id: int
    action: str


def link_settings(config: Any) -> LinkSettings:
    web = getattr(config, "web", None)
    if web is None:
        return LinkSettings()
    return LinkSettings(web.base_url, web.link_days, public=bool(web.public_url))


def record_served(conn: Connection, url: str, at: datetime) -> None:
    """Remember where the console listens, for the links other processes make."""
    from watcher.notify import jobs

    jobs.put(conn, SERVED_URL, url, at)


def served_links(conn: Connection, links: LinkSettings) -> LinkSettings:
    """``links`` leading to the console as last served, unless ``web.public_url`` is set."""
    from watcher.notify import jobs

    if links.public:
        return links
    found = jobs.get(conn, SERVED_URL)
    return replace(links, base_url=found) if found else links


def page_url(links: LinkSettings | None, tender_id: int) -> str:
    return f"{(links or LinkSettings()).base_url}/appels/{tender_id}"


# ------------------------------------------------------------------------------- the secret


def secret_key(conn: Connection) -> str:
    """The signing secret (environment first, else the database's, created on first use)."""
    from_env = os.environ.get(SECRET_ENV, "")
    if from_env:
        return from_env
    return stored_secret(conn, SIGNING_KEY)


def stored_secret(conn: Connection, name: str) -> str:
    """A random secret kept in ``app_secrets``; two processes creating it keep the same one."""
    import sqlalchemy as sa

    from watcher.store.schema import app_secrets
    from watcher.store.upserts import insert_all_ignoring  # the dialect's own, loaded alone

    query = sa.select(app_secrets.c.value).where(app_secrets.c.name == name)
    found = conn.execute(query).scalar()
    if found:
        return str(found)
    row = {"name": name, "value": secrets.token_urlsafe(32), "created_at": datetime.now(UTC)}
    insert_all_ignoring(conn, app_secrets, [row], ["name"])
    return str(conn.execute(query).scalar())


# ------------------------------------------------------------------------- action links


class ActionSigner:
    """Signs and checks one-click action tokens with one secret."""

    def __init__(self, secret: str, links: LinkSettings | None = None) -> None:
        from itsdangerous import URLSafeTimedSerializer  # only where links are signed or read

        self.links = links or LinkSettings()
        self._serializer = URLSafeTimedSerializer(secret, salt=ACTION_SALT)

    @classmethod
    def of(cls, conn: Connection, links: LinkSettings | None = None) -> ActionSigner:
        return cls(secret_key(conn), links)

    def token(self, recipient: str, tender_id: int, action: str) -> str:
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        return str(self._serializer.dumps({"r": recipient.lower(), "t": tender_id, "a": action}))

    def url(self, recipient: str, tender_id: int, action: str) -> str:
        return f"{self.links.base_url}/e/{self.token(recipient, tender_id, action)}"

    def read(self, token: str, *, now: datetime | None = None) -> Action:
        """The action a token stands for; LinkError when altered, foreign or expired."""
        from itsdangerous import BadSignature, SignatureExpired

        max_age = self.links.link_days * 86400
        try:
            data = self._serializer.loads(token, max_age=max_age, return_timestamp=False)
        except SignatureExpired:
            raise LinkError("ce lien a expiré", expired=True) from None
        except BadSignature:
            raise LinkError("ce lien n'est pas valide (modifié ou incomplet)") from None
        try:
            action = Action(str(data["r"]), int(data["t"]), str(data["a"]))
        except (KeyError, TypeError, ValueError):
            raise LinkError("ce lien n'est pas valide") from None
        if action.action not in ACTIONS:
            raise LinkError("ce lien n'est pas valide")
        return action

    def actions(self, recipient: str, tender_id: int) -> list[dict[str, str]]:
        """The four one-click links of a call in an alert, for the templates."""
        return [
            {"action": name, "label": label, "url": self.url(recipient, tender_id, name)}
            for name, label in ACTIONS.items()
        ]


def add_links(
    calls: list[dict[str, Any]], recipient: str | None, signer: ActionSigner | None
) -> None:
    """Give each call of an email context its page URL and, for an alert (``signer``), its
    one-click actions bound to ``recipient``."""
    for call in calls:
        call["page_url"] = page_url(signer.links if signer else None, int(call["id"]))
        if signer is not None and recipient:
            call["actions"] = signer.actions(recipient, int(call["id"]))
