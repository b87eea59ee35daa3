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
#: the blockers of an award or cancellation notice (the draft check words them from the call)
CLOSED_KIND_BLOCKERS = frozenset(_CLOSED_KINDS.values())
DEADLINE_PASSED = "date limite dépassée"


def deadline_date(deadline: datetime) -> date:
    return deadline.astimezone(PARIS).date()


def deadline_blockers(doc: Document, profile: Profile, today: date) -> list[str]:
    if doc.deadline is None:
        return []
    return Checks(profile).deadline_blockers(deadline_date(doc.deadline), today)


def kind_blockers(doc: Document) -> list[str]:
    message = _CLOSED_KINDS.get(doc.kind)
    return [message] if message else []


def place_check(doc: Document, profile: Profile) -> tuple[list[str], list[str]]:
    """(reasons, blockers) about the places of the notice."""
    return Checks(profile).place_check(doc)


def qualiopi_blockers(
    categories: set[str], doc: Document, profile: Profile, today: date
) -> list[str]:
    """Missing categories (for a training call) and an expired or expiring certificate."""
    day = deadline_date(doc.deadline) if doc.deadline is not None else None
    return Checks(profile).qualiopi_blockers(categories, day, today)


def _place_name(region: str | None, dept: str | None) -> str:
    return f"{region} ({dept})" if dept else str(region)


class Checks:
    """The blockers of one profile, with what they compare against read once (the verdict of
    every notice asks)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._places = bool(profile.regions or profile.departments)
        self._national = geo.NATIONAL in profile.regions
        self._regions = frozenset(profile.regions)
        self._departments = frozenset(profile.departments)
        certificate = profile.qualiopi
        self._qualiopi = certificate.configured
        self._certified = frozenset(certificate.categories)
        self._expires = certificate.expires_on

    def check(
        self, doc: Document, categories: set[str] | None, today: date
    ) -> tuple[list[str], list[str]]:
        """(reasons about places, blockers): kind, deadline, places, and for a training call
        (``categories`` it needs, else None) the Qualiopi certificate."""
        place_reasons, place_blockers = self.place_check(doc)
        message = _CLOSED_KINDS.get(doc.kind)
        blockers = [message] if message else []
        day = deadline_date(doc.deadline) if doc.deadline is not None else None
        if day is not None:
            blockers += self.deadline_blockers(day, today)
        blockers += place_blockers
        if categories is not None:
            blockers += self.qualiopi_blockers(categories, day, today)
        return place_reasons, blockers

    def deadline_blockers(self, day: date, today: date) -> list[str]:
        if day < today:
            return [f"{DEADLINE_PASSED} ({long_date(day)})"]
        left = (day - today).days
        lead = self.profile.min_lead_days
        if left < lead:
            unit = "jour" if left <= 1 else "jours"
            return [f"délai trop court : {left} {unit} (minimum {lead})"]
        return []

    def place_check(self, doc: Document) -> tuple[list[str], list[str]]:
        """(reasons, blockers) about the places of the notice: unknown places never block."""
        if not self._places or not doc.places:
            return [], []
        read = [geo.read_place(place) for place in doc.places]
        known = [(region, dept) for region, dept in read if region is not None]
        if not known:
            return [], []
        if self._national:
            return ["toute la France est desservie"], []
        for region, dept in known:
            if region == geo.NATIONAL:
                return ["appel national (France entière)"], []
            if dept is not None and dept in self._departments:
                return [f"département {dept} desservi"], []
            if region in self._regions:
                return [f"région {region} desservie"], []
        names = ", ".join(dict.fromkeys(_place_name(r, d) for r, d in known))
        return [], [f"région non desservie : {names}"]

    def qualiopi_blockers(self, categories: set[str], day: date | None, today: date) -> list[str]:
        """Missing categories and an expired certificate (``day``: the deadline's date)."""
        if not self._qualiopi:
            return []
        certified = self._certified
        blockers = [
            f"catégorie Qualiopi requise absente : {c}"
            for c in QUALIOPI_CATEGORIES
            if c in categories and c not in certified
        ]
        expires = self._expires
        if expires is not None and expires < today:
            blockers.append(f"certificat Qualiopi expiré ({long_date(expires)})")
        elif expires is not None and day is not None and expires < day:
            on = long_date(expires)
            blockers.append(f"certificat Qualiopi expiré avant la date limite (il expire le {on})")
        return blockers
