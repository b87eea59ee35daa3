"""Who hears of a call: the owners of the profile's domains it matches, and the recipients of
the ``[[mail.routes]]`` that select it; nobody claims it -> the default recipient.

Who *owns* a call (``call_owners``: the digest, ``list``/``show`` and the console say the
same) is another question: the person assigned to it, else its domains' owners."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from watcher.classify import geo
from watcher.classify.profile import Profile
from watcher.classify.text import fold
from watcher.models import Match, Tender
from watcher.notify.settings import NotifySettings, Route


class Router:
    """Built once per settings; ``recipients`` is then a pure function of a tender and match."""

    def __init__(self, settings: NotifySettings) -> None:
        self.default = settings.default_recipient
        self.owners = domain_owners(settings.profile)
        self.routes = settings.mail.routes

    def owners_of(self, tender: Tender, match: Match | None) -> tuple[str, ...]:
        """Who owns the call (see ``call_owners``)."""
        return call_owners(tender.owner, match.domains if match is not None else (), self.owners)

    def recipients(self, tender: Tender, match: Match) -> tuple[str, ...]:
        """The addresses a relevant call goes to, in a stable order (never empty)."""
        found = [self.owners[d.casefold()] for d in match.domains if d.casefold() in self.owners]
        found += [str(r.recipient) for r in self.routes if selects(r, tender, match)]
        return tuple(dict.fromkeys(found)) or (self.default,)

    def everyone(self) -> tuple[str, ...]:
        """Every address a call can be routed to."""
        routed = [*self.owners.values(), *(str(r.recipient) for r in self.routes)]
        return tuple(dict.fromkeys([*routed, self.default]))


def domain_owners(profile: Profile) -> dict[str, str]:
    """casefolded domain name -> its owner (``[[profile.domains]] owner``)."""
    return {d.name.casefold(): str(d.owner) for d in profile.domains if d.owner}


def call_owners(
    assigned: str, domains: Iterable[str], owners: Mapping[str, str]
) -> tuple[str, ...]:
    """Who owns a call: the person assigned to it (``tenders.owner``, set in the console)
    wins; else the owners of the profile domains its verdict matches; else nobody.
    ``[[mail.routes]]`` recipients hear of a call, they do not own it."""
    if assigned.strip():
        return (assigned.strip(),)
    found = (owners.get(domain.casefold()) for domain in domains)
    return tuple(dict.fromkeys(owner for owner in found if owner))


def selects(route: Route, tender: Tender, match: Match) -> bool:
    """A route selects a call when each of its non-empty criteria holds."""
    from watcher.notify.opco import canonical_opco  # the OPCOs' names: for a route naming some

    if route.opcos and canonical_opco(tender.buyer) not in route.opcos:
        return False
    if route.buyers and not any(fold(b) in fold(tender.buyer) for b in route.buyers):
        return False
    if route.regions and not set(route.regions) & regions_of(tender):
        return False
    wanted = {d.casefold() for d in route.domains}
    return not wanted or bool(wanted & {d.casefold() for d in match.domains})


def regions_of(tender: Tender) -> set[str]:
    """The regions a tender's places (and its lots' places) name; a national call is in all."""
    places = [
        p for n in tender.notices for p in (*n.places, *(p for lot in n.lots for p in lot.places))
    ]
    regions = {geo.read_place(place)[0] for place in places}
    if geo.NATIONAL in regions:
        return set(geo.REGIONS) | {geo.NATIONAL}
    return {r for r in regions if r is not None}
