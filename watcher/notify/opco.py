"""The eleven OPCOs under one spelling each, for routing, subjects and the digest's counts.

A buyer's name is read with the grouping's normaliser ("Constructys Siège", "CONSTRUCTYS" ->
Constructys); any other buyer is one of the "Autres acheteurs".
"""

from __future__ import annotations

from functools import lru_cache

from watcher.grouping import normalise_buyer

OTHER_BUYERS = "Autres acheteurs"
#: the grouping's canonical key -> the name shown to users
DISPLAY = {
    "akto": "AKTO",
    "afdas": "Afdas",
    "atlas": "OPCO ATLAS",
    "constructys": "Constructys",
    "opco ep": "OPCO EP",
    "opco 2i": "OPCO 2i",
    "ocapiat": "OCAPIAT",
    "opco mobilites": "OPCO Mobilités",
    "opco sante": "OPCO Santé",
    "uniformation": "Uniformation",
    "opcommerce": "L'Opcommerce",
}


def opco_names() -> tuple[str, ...]:
    return tuple(DISPLAY.values())


@lru_cache(maxsize=8192)
def canonical_opco(buyer: str) -> str | None:
    """The OPCO a buyer's name designates ("CONSTRUCTYS" -> "Constructys"), else None."""
    if buyer.strip() in DISPLAY.values():
        return buyer.strip()
    return DISPLAY.get(normalise_buyer(buyer))


def opco_label(buyer: str) -> str:
    """The OPCO's name, else "Autres acheteurs" (for counts per OPCO)."""
    return canonical_opco(buyer) or OTHER_BUYERS
