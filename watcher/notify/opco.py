"""The eleven OPCOs under one name each, for routing, subjects, the digest, emails, the
console and drafts.

A buyer's name is read with the grouping's normaliser ("Constructys Siège", "CONSTRUCTYS",
"OPCO ATLAS" -> the key of Constructys, of Atlas); any other buyer is one of the "Autres
acheteurs". The name shown is the OPCO's source name (``scrapers.registry.source_label``:
« AFDAS », « Atlas », as the project's domain reference names them), so a digest never
names one OPCO two ways: its sources' health and its calls read the same.
"""

from __future__ import annotations

import re
from functools import lru_cache

from scrapers.dates import fold
from scrapers.registry import source_label
from watcher.grouping import normalise_buyer

OTHER_BUYERS = "Autres acheteurs"
#: the grouping's canonical key -> the OPCO's own source (its name is the one users read)
SOURCE_OF = {
    "akto": "akto",
    "afdas": "afdas",
    "atlas": "atlas",
    "constructys": "constructys",
    "opco ep": "opco-ep",
    "opco 2i": "opco2i",
    "ocapiat": "ocapiat",
    "opco mobilites": "opco-mobilites",
    "opco sante": "opco-sante",
    "uniformation": "uniformation",
    "opcommerce": "opcommerce",
}
#: the grouping's canonical key -> the name shown to users
DISPLAY = {key: source_label(source) for key, source in SOURCE_OF.items()}
#: words that do not tell two spellings of an OPCO's name apart ("OPCO ATLAS", "Atlas")
_SPELLING_WORDS = frozenset({"opco", "l"})


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


def buyer_detail(buyer: str) -> str:
    """The buyer as published when it says more than its OPCO's name ("Constructys Siège"),
    "" when it only spells that name otherwise ("OPCO ATLAS", "Afdas") or names no OPCO."""
    opco = canonical_opco(buyer)
    if opco is None or _words(buyer) == _words(opco):
        return ""
    return buyer.strip()


def buyer_shown(buyer: str) -> str:
    """A buyer under the one name users know: its OPCO's when the published name only spells
    it ("OPCO ATLAS" -> "Atlas"), else the published name ("Constructys Siège", a Région)."""
    opco = canonical_opco(buyer)
    return opco if opco is not None and not buyer_detail(buyer) else buyer.strip()


def _words(name: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", fold(name))) - _SPELLING_WORDS
