"""Who did what on a call: the activity log, and the actions on a call that write to it.

Every change a person makes to a call — status, owner, a note, a judgement, a draft, a
checklist tick — is one ``activity`` row written in the same transaction as the change, from
the console or the CLI alike. Judgements go through the store's feedback (the classifier's
learner reads it), with the author.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from watcher.errors import OpcoWatchError
from watcher.models import Tender
from watcher.store import Store
from watcher.store.schema import activity, tenders
from watcher.store.store import add_feedback

NOTE_MAX = 4000
#: action -> how the history shows it, in French
ACTION_LABELS = {
    "status": "statut",
    "owner": "responsable",
    "note": "note",
    "judgement": "avis",
    "draft": "brouillon",
    "checklist": "liste de contrôle",
    "upload": "pièce déposée",
}


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    tender_id: int | None
    at: datetime
    actor: str
    action: str
    detail: str

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


def cli_actor() -> str:
    """Who acts from a terminal: the system user."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):
        name = "?"
    return f"{name} (ligne de commande)"


def record(
    conn: Connection, tender_id: int | None, actor: str, action: str, detail: str, at: datetime
) -> None:
    values = {"tender_id": tender_id, "actor": actor, "action": action, "detail": detail}
    conn.execute(sa.insert(activity).values(at=at, **values))


def history(store: Store, tender_id: int) -> list[Entry]:
    """The call's activity, newest first."""
    query = sa.select(activity).where(activity.c.tender_id == tender_id)
    with store.transaction() as conn:
        rows = conn.execute(query.order_by(activity.c.id.desc())).all()
    return [Entry(r.id, r.tender_id, r.at, r.actor, r.action, r.detail) for r in rows]


def recent(store: Store, limit: int = 50) -> list[Entry]:
    query = sa.select(activity).order_by(activity.c.id.desc()).limit(limit)
    with store.transaction() as conn:
        rows = conn.execute(query).all()
    return [Entry(r.id, r.tender_id, r.at, r.actor, r.action, r.detail) for r in rows]


# ------------------------------------------------------------------------ actions on a call


def set_owner(store: Store, tender_id: int, owner: str, *, actor: str, at: datetime) -> None:
    """Assign the call to ``owner`` (an email), or to nobody with ``""``."""
    owner = owner.strip().lower()
    with store.transaction(write=True) as conn:
        query = sa.update(tenders).where(tenders.c.id == tender_id)
        if conn.execute(query.values(owner=owner, updated_at=at)).rowcount == 0:
            raise OpcoWatchError(f"no tender #{tender_id}")
        record(conn, tender_id, actor, "owner", owner or "personne", at)


def add_note(store: Store, tender_id: int, text: str, *, actor: str, at: datetime) -> None:
    text = text.strip()
    if not text:
        raise OpcoWatchError("une note vide n'est pas enregistrée")
    with store.transaction(write=True) as conn:
        record(conn, tender_id, actor, "note", text[:NOTE_MAX], at)


def judge(store: Store, tender: Tender, relevant: bool, *, actor: str, at: datetime) -> None:
    """A person's judgement on the call: feedback for the learner (on its main notice, with
    the author) and a line in the history, together."""
    with store.transaction(write=True) as conn:
        add_feedback(conn, tender.main.key, relevant, at=at, author=actor)
        record(
            conn, tender.id, actor, "judgement", "pertinent" if relevant else "pas pertinent", at
        )


def judgements(store: Store, tender_ids: list[int]) -> dict[int, tuple[bool, str]]:
    """tender id -> (relevant, who) of the latest judgement recorded in the console or CLI."""
    found: dict[int, tuple[bool, str]] = {}
    if not tender_ids:
        return found
    query = (
        sa.select(activity.c.tender_id, activity.c.detail, activity.c.actor)
        .where(activity.c.action == "judgement", activity.c.tender_id.in_(tender_ids))
        .order_by(activity.c.id)
    )
    with store.transaction() as conn:
        for row in conn.execute(query):
            found[row.tender_id] = (row.detail == "pertinent", row.actor)
    return found
