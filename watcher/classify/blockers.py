"""Blockers: facts that make a call a no-go whatever its score, and region reasons.

- "date limite dépassée": the deadline (its Paris date) is before today;
- "délai trop court": fewer than ``min_lead_days`` days from today to the deadline (exactly
  ``min_lead_days`` is fine; a deadline today leaves 0 days);
- "région non desservie": the notice names places and none is served; unknown places never
  block, a national call ("France entière") is served;
- "catégorie Qualiopi requise absente": a Qualiopi section is configured and lacks a category
  the training call needs (from its terms: bilan de compétences, VAE, apprentis...);
- "certificat Qualiopi expiré": the certificate has expired, or expires before the deadline
  (valid on the deadline day is fine);
- "avis d'attribution" / "avis d'annulation": nothing left to answer.
"""

from __future__ import annotations

from datetime import date, datetime

from watcher.classify import geo
from watcher.classify.document import Document
from watcher.classify.profile import QUALIOPI_CATEGORIES, Profile
from watcher.fr import long_date
from watcher.models import PARIS

_CLOSED_KINDS = {
    "award": "avis d'attribution : consultation close",
    "cancellation": "avis d'annulation",
}


def deadline_date(deadline: datetime) -> date:
    return deadline.astimezone(PARIS).date()


def deadline_blockers(doc: Document, profile: Profile, today: date) -> list[str]:
    if doc.deadline is None:
        return []
    day = deadline_date(doc.deadline)
    if day < today:
        return [f"date limite dépassée ({long_date(day)})"]
    left = (day - today).days
    if left < profile.min_lead_days:
        unit = "jour" if left <= 1 else "jours"
        return [f"délai trop court : {left} {unit} (minimum {profile.min_lead_days})"]
    return []


def kind_blockers(doc: Document) -> list[str]:
    message = _CLOSED_KINDS.get(doc.kind)
    return [message] if message else []


def place_check(doc: Document, profile: Profile) -> tuple[list[str], list[str]]:
    """(reasons, blockers) about the places of the notice."""
    if not profile.regions and not profile.departments:
        return [], []
    read = [geo.read_place(place) for place in doc.places]
    known = [(region, dept) for region, dept in read if region is not None]
    if not known:
        return [], []
    if geo.NATIONAL in profile.regions:
        return ["toute la France est desservie"], []
    served = [_served(region, dept, profile) for region, dept in known]
    hits = [text for text in served if text]
    if hits:
        return hits[:1], []
    names = ", ".join(dict.fromkeys(_place_name(r, d) for r, d in known))
    return [], [f"région non desservie : {names}"]


def _served(region: str | None, dept: str | None, profile: Profile) -> str | None:
    if region == geo.NATIONAL:
        return "appel national (France entière)"
    if dept is not None and dept in profile.departments:
        return f"département {dept} desservi"
    if region in profile.regions:
        return f"région {region} desservie"
    return None


def _place_name(region: str | None, dept: str | None) -> str:
    return f"{region} ({dept})" if dept else str(region)


def qualiopi_blockers(
    categories: set[str], doc: Document, profile: Profile, today: date
) -> list[str]:
    """Missing categories (for a training call) and an expired or expiring certificate."""
    certificate = profile.qualiopi
    if not certificate.configured:
        return []
    needed = [c for c in profile_order(categories) if c not in certificate.categories]
    blockers = [f"catégorie Qualiopi requise absente : {c}" for c in needed]
    expires = certificate.expires_on
    if expires is not None and expires < today:
        blockers.append(f"certificat Qualiopi expiré ({long_date(expires)})")
    elif expires is not None and doc.deadline is not None and expires < deadline_date(doc.deadline):
        blockers.append(
            f"certificat Qualiopi expiré avant la date limite (il expire le {long_date(expires)})"
        )
    return blockers


def profile_order(categories: set[str]) -> list[str]:
    return [c for c in QUALIOPI_CATEGORIES if c in categories]
