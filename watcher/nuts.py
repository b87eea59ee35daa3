"""NUTS codes of France (TED's place of performance) and the regions they name.

A small core module, so that what only words a place (``watcher.notify.context``) need not
import the classifier; ``watcher.classify.geo`` reads places with it too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NATIONAL = "France entière"

#: NUTS 2021 regions of France (TED's place-of-performance); the overseas regions are FRY1–FRY5.
NUTS_REGIONS: dict[str, str] = {
    "FR1": "Île-de-France",
    "FRB": "Centre-Val de Loire",
    "FRC": "Bourgogne-Franche-Comté",
    "FRD": "Normandie",
    "FRE": "Hauts-de-France",
    "FRF": "Grand Est",
    "FRG": "Pays de la Loire",
    "FRH": "Bretagne",
    "FRI": "Nouvelle-Aquitaine",
    "FRJ": "Occitanie",
    "FRK": "Auvergne-Rhône-Alpes",
    "FRL": "Provence-Alpes-Côte d'Azur",
    "FRM": "Corse",
    "FRY1": "Guadeloupe",
    "FRY2": "Martinique",
    "FRY3": "Guyane",
    "FRY4": "La Réunion",
    "FRY5": "Mayotte",
}
_NUTS = re.compile(r"FR(?:Y[1-5]|[1B-M])?[0-9]{0,2}")


def nuts_region(code: str) -> str | None:
    """``"FRH"``, ``"FRH03"`` -> ``"Bretagne"``; ``"FR"`` -> the whole country; else None."""
    code = code.strip()
    if not _NUTS.fullmatch(code):
        return None
    if code == "FR":
        return NATIONAL
    return NUTS_REGIONS.get(code[:4]) or NUTS_REGIONS.get(code[:3])


def places_named(places: Iterable[str]) -> list[str]:
    """The places as users read them (``place_name``), each once whatever its case or
    spacing, first seen first: an email, the console, ``show`` and a draft say the same."""
    found: dict[str, str] = {}
    for place in places:
        text = place_name(" ".join(place.split()))
        if text:
            found.setdefault(text.casefold(), text)
    return list(found.values())


def place_name(place: str) -> str:
    """A place as users read it: a NUTS code (TED's) is said as its region only, users do
    not know the codes (``"FRH03"`` -> ``"Bretagne"``); any other place is left as it is."""
    return nuts_region(place) or place
