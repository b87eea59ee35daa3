"""Blockers: facts that make a call a no-go whatever its score, and region reasons.

- "date limite dépassée": the deadline (its Paris date) is before today;
- "délai trop court": fewer than ``min_lead_days`` days from today to the deadline (exactly
  ``min_lead_days`` is fine; a deadline today leaves 0 days);
- lots closing on other days (``Document.lot_deadlines``): the call is blocked by its
  deadlines only when every lot is, and then by its last deadline's finding (the most time
  any lot leaves); when some lots are and others are not, it is not blocked and each lot
  that is is told as a reason: « lot 1 : délai trop court : 3 jours (minimum 5) »;
- "région non desservie": the notice names places and none is served; unknown places never
  block, a national call ("France entière") is served;
- "catégorie Qualiopi requise absente": a Qualiopi section is configured and lacks a category
  the training call needs (from its terms: bilan de compétences, VAE, apprentis...);
- "certificat Qualiopi expiré": the certificate has expired, or expires before the deadline
  (valid on the deadline day is fine);
- "avis d'attribution" / "avis d'annulation": nothing left to answer.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import date, datetime
from typing import Any, TypeVar

from watcher.classify import geo
from watcher.classify.document import Document
from watcher.classify.profile import QUALIOPI_CATEGORIES, Profile
from watcher.fr import long_date
from watcher.models import PARIS

#: no finding on places (no place known, or no service area in the profile)
_NOTHING: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
_CLOSED_KINDS = {
    "award": "avis d'attribution\u00a0: consultation close",
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
    if doc.lot_deadlines:
        return list(Checks(profile).lots_findings(doc.lot_deadlines, today)[0])
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
    deadline = _answerable(doc.lot_deadlines, today) or doc.deadline
    day = deadline_date(deadline) if deadline is not None else None
    return Checks(profile).qualiopi_blockers(categories, day, today)


#: Findings kept per ``Checks`` (each dict), cleared when full.
_KEPT_MAX = 4096
K = TypeVar("K")
V = TypeVar("V")


def _kept(memo: dict[K, V], key: K, value: V) -> V:
    if len(memo) >= _KEPT_MAX:
        memo.clear()
    memo[key] = value
    return value


def _places_named(known: list[tuple[str, str | None]]) -> str:
    """Each region once, with its departments: « Provence-Alpes-Côte d'Azur (13, 83, 84),
    Corse »."""
    departments: dict[str, list[str]] = {}
    for region, dept in known:
        found = departments.setdefault(region, [])
        if dept and dept not in found:
            found.append(dept)
    return ", ".join(f"{r} ({', '.join(d)})" if d else r for r, d in departments.items())


def _answerable(lot_deadlines: tuple[tuple[str, datetime], ...], today: date) -> datetime | None:
    """The earliest of the lots' deadlines not passed on ``today`` (None: none is)."""
    return min((at for _, at in lot_deadlines if deadline_date(at) >= today), default=None)


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
        self._by_places: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self._dated: dict[Any, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def check(
        self, doc: Document, categories: Set[str] | None, today: date
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(reasons about places, blockers): kind, deadline, places, and for a training call
        (``categories`` it needs, else None) the Qualiopi certificate.

        The findings are kept per set of places and per (deadline, day, categories): they
        repeat across a feed (pure results in bounded dicts, cleared when full: threads may
        at worst compute one twice)."""
        place_reasons, place_blockers = self._places_of(doc) if self._places else _NOTHING
        # lots closing apart: the certificate must last until the first one still answerable
        # (lot 2's once lot 1 has passed); their deadline blockers are ``lots_findings``'
        deadline = _answerable(doc.lot_deadlines, today) or doc.deadline
        needs = None if categories is None or not self._qualiopi else frozenset(categories)
        if deadline is not None or needs is not None:
            key = (deadline, today, needs)
            dated = self._dated.get(key)
            if dated is None:
                dated = _kept(self._dated, key, self._dated_findings(deadline, today, needs))
            on_deadline, on_certificate = dated
        else:
            on_deadline = on_certificate = ()
        if doc.lot_deadlines:  # lots closing apart: the call's finding is not all of it
            on_deadline, on_lots = self.lots_findings(doc.lot_deadlines, today)
            place_reasons = (*place_reasons, *on_lots)
        message = _CLOSED_KINDS.get(doc.kind)
        blockers: tuple[str, ...] = (message,) if message else ()
        if on_deadline:
            blockers += on_deadline
        if place_blockers:
            blockers += place_blockers
        if on_certificate:
            blockers += on_certificate
        return place_reasons, blockers

    def _places_of(self, doc: Document) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The findings on the notice's places; with none known, on a region its title ends
        with (« … (Occitanie, Nouvelle-Aquitaine) », « … – Bretagne »), as a lot's would."""
        found = self._on(doc.places) if doc.places else _NOTHING
        if found == _NOTHING:
            region = geo.region_ending(doc.title)
            if region is not None:
                found = self._on((region,))
        return found

    def _on(self, places: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        found = self._by_places.get(places)
        if found is None:
            reasons, blockers = self._on_places(places)
            found = _kept(self._by_places, places, (tuple(reasons), tuple(blockers)))
        return found

    def _dated_findings(
        self, deadline: datetime | None, today: date, needs: frozenset[str] | None
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(deadline blockers, certificate blockers)."""
        day = deadline_date(deadline) if deadline is not None else None
        on_deadline = self.deadline_blockers(day, today) if day is not None else []
        on_certificate = self.qualiopi_blockers(set(needs), day, today) if needs is not None else []
        return tuple(on_deadline), tuple(on_certificate)

    def deadline_blockers(self, day: date, today: date) -> list[str]:
        if day < today:
            return [f"{DEADLINE_PASSED} ({long_date(day)})"]
        left = (day - today).days
        lead = self.profile.min_lead_days
        if left < lead:
            unit = "jour" if left <= 1 else "jours"
            return [f"délai trop court\u00a0: {left} {unit} (minimum {lead})"]
        return []

    def lots_findings(
        self, lot_deadlines: tuple[tuple[str, datetime], ...], today: date
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(blockers, reasons) of a call whose lots close on other days: blocked only when
        every lot is, by the last deadline's finding; else each lot blocked said as a reason,
        « lot 1 — délai trop court : 3 jours (minimum 5) » (a dash: the blocker has its colon)."""
        found = [
            (named or "autres lots", self.deadline_blockers(deadline_date(at), today))
            for named, at in sorted(lot_deadlines, key=lambda pair: pair[1])
        ]
        if all(blockers for _, blockers in found):
            return tuple(found[-1][1]), ()
        return (), tuple(f"{named} — {b}" for named, blockers in found for b in blockers)

    def place_check(self, doc: Document) -> tuple[list[str], list[str]]:
        """(reasons, blockers) about the places of the notice (or, with none known, its
        title's): unknown places never block."""
        if not self._places:
            return [], []
        reasons, blockers = self._places_of(doc)
        return list(reasons), list(blockers)

    def _on_places(self, places: tuple[str, ...]) -> tuple[list[str], list[str]]:
        if not places:
            return [], []
        read = [geo.read_place(place) for place in places]
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
        return [], [f"région non desservie\u00a0: {_places_named(known)}"]

    def qualiopi_blockers(self, categories: set[str], day: date | None, today: date) -> list[str]:
        """Missing categories and an expired certificate (``day``: the deadline's date)."""
        if not self._qualiopi:
            return []
        certified = self._certified
        blockers = [
            f"catégorie Qualiopi requise absente\u00a0: {c}"
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
