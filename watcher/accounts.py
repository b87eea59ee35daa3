"""Accounts of the staff console: users (admin or member), passwords hashed with argon2id,
one-time links to set a password, and each user's private calendar address.

A password link is signed with the console's secret and bound to the user and to the
password hash it replaces: once used (or once the password changed) it no longer works.
Setting a password bumps ``session_version``, which logs out the user's other sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.engine import Connection, Row

from watcher.errors import OpcoWatchError
from watcher.links import secret_key
from watcher.store import Store
from watcher.store.schema import users

ROLES = ("admin", "member")
PASSWORD_MIN = 10
PASSWORD_LINK_DAYS = 3
_HASHER = PasswordHasher()
_PASSWORD_SALT = "opco-watch.set-password"


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified when the email is unknown: a wrong email costs as much as a wrong password."""
    return _HASHER.hash(secrets.token_urlsafe(16))


class AccountError(OpcoWatchError):
    """A user error about an account (exists, unknown, weak password, bad link)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    role: str
    has_password: bool
    session_version: int
    #: which account this is beyond its id: SQLite gives a removed account's id to the next
    #: one, and a link or session of the removed account must not open the new one
    stamp: str = ""

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def user_of(row: Row[object]) -> User:
    r = row._mapping
    stamp = account_stamp(r["id"], r["email"], r["created_at"])
    return User(
        r["id"], r["email"], r["role"], bool(r["password_hash"]), r["session_version"], stamp
    )


def account_stamp(user_id: int, email: str, created_at: datetime) -> str:
    """A digest of what no later account shares with this one (id, address, creation)."""
    text = f"{user_id}|{email}|{created_at.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or " " in email:
        raise AccountError(f"«\u00a0{email}\u00a0» n'est pas une adresse e-mail")
    return email


def add_user(store: Store, email: str, role: str) -> User:
    if role not in ROLES:
        raise AccountError(f"rôle inconnu «\u00a0{role}\u00a0»\u00a0: admin ou member")
    email = normalise_email(email)
    with store.transaction(write=True) as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.email == email)).first():
            raise AccountError(f"un compte existe déjà pour {email}")
        values = {"email": email, "role": role, "session_version": 1}
        conn.execute(sa.insert(users).values(created_at=datetime.now(UTC), **values))
        return _by_email(conn, email)


def _by_email(conn: Connection, email: str) -> User:
    row = conn.execute(sa.select(users).where(users.c.email == email)).first()
    if row is None:
        raise AccountError(f"aucun compte pour {email}")
    return user_of(row)


def get_user(store: Store, user_id: int) -> User | None:
    with store.transaction() as conn:
        row = conn.execute(sa.select(users).where(users.c.id == user_id)).first()
    return user_of(row) if row else None


def find_user(store: Store, email: str) -> User | None:
    with store.transaction() as conn:
        row = conn.execute(sa.select(users).where(users.c.email == email.strip().lower())).first()
    return user_of(row) if row else None


def list_users(store: Store) -> list[User]:
    with store.transaction() as conn:
        return [user_of(r) for r in conn.execute(sa.select(users).order_by(users.c.email))]


def remove_user(store: Store, email: str) -> None:
    with store.transaction(write=True) as conn:
        done = conn.execute(sa.delete(users).where(users.c.email == normalise_email(email)))
    if done.rowcount == 0:
        raise AccountError(f"aucun compte pour {email}")


def count_users(store: Store, role: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(users)
    if role is not None:
        query = query.where(users.c.role == role)
    with store.transaction() as conn:
        return int(conn.execute(query).scalar() or 0)


# -------------------------------------------------------------------------------- passwords


def check_strength(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"le mot de passe doit compter au moins {PASSWORD_MIN} caractères")


def set_password(store: Store, user_id: int, password: str) -> None:
    check_strength(password)
    with store.transaction(write=True) as conn:
        query = sa.update(users).where(users.c.id == user_id)
        values = {"password_hash": _HASHER.hash(password)}
        conn.execute(query.values(session_version=users.c.session_version + 1, **values))


def authenticate(store: Store, email: str, password: str) -> User | None:
    """The user whose email and password these are, or None (same cost either way)."""
    with store.transaction() as conn:
        query = sa.select(users).where(users.c.email == email.strip().lower())
        row = conn.execute(query).first()
    stored = row._mapping["password_hash"] if row else None
    try:
        _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    return user_of(row) if row is not None and stored else None


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _password_serializer(conn: Connection) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(conn), salt=_PASSWORD_SALT)


def password_token(store: Store, email: str) -> str:
    """A one-time token to set the password of ``email`` (valid PASSWORD_LINK_DAYS days)."""
    with store.transaction(write=True) as conn:
        user = _by_email(conn, normalise_email(email))
        current = conn.execute(sa.select(users.c.password_hash).where(users.c.id == user.id))
        payload = {"u": user.id, "a": user.stamp, "f": _fingerprint(current.scalar())}
        return str(_password_serializer(conn).dumps(payload))


def read_password_token(store: Store, token: str) -> User:
    """The user a password token is for; AccountError if altered, expired or already used."""
    with store.transaction(write=True) as conn:
        try:
            data = _password_serializer(conn).loads(token, max_age=PASSWORD_LINK_DAYS * 86400)
        except SignatureExpired:
            raise AccountError("ce lien a expiré\u00a0: demandez-en un nouveau") from None
        except BadSignature:
            raise AccountError("ce lien n'est pas valide") from None
        row = conn.execute(sa.select(users).where(users.c.id == data.get("u"))).first()
    if row is None or user_of(row).stamp != data.get("a"):
        raise AccountError("ce lien n'est pas valide")
    if _fingerprint(row._mapping["password_hash"]) != data.get("f"):
        raise AccountError("ce lien a déjà servi\u00a0: demandez-en un nouveau")
    return user_of(row)


# ------------------------------------------------------------------------------- calendar


def calendar_token(store: Store, user_id: int) -> str:
    """The user's private calendar token, created on first use."""
    with store.transaction(write=True) as conn:
        query = sa.select(users.c.calendar_token).where(users.c.id == user_id)
        token = conn.execute(query).scalar()
        if token:
            return str(token)
    return reset_calendar_token(store, user_id)


def reset_calendar_token(store: Store, user_id: int) -> str:
    """A new calendar address; the old one stops working."""
    token = secrets.token_urlsafe(24)
    with store.transaction(write=True) as conn:
        query = sa.update(users).where(users.c.id == user_id)
        conn.execute(query.values(calendar_token=token))
    return token


def user_by_calendar_token(store: Store, token: str) -> User | None:
    if not token:
        return None
    with store.transaction() as conn:
        row = conn.execute(sa.select(users).where(users.c.calendar_token == token)).first()
    return user_of(row) if row else None
