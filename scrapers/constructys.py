"""Constructys — the OPCO of construction. Watched on marches-publics.info, buyer IDS 5173
(shared/sources.md §3), where it publishes its consultations.

Its own site is not watched: no listing of calls on constructys.fr is documented (one crawler
timed out on it), so there is no layout to read. Its larger calls (groupements de commandes
with OPCO 2i, one POEC notice per région, buyer "Constructys Siège") also reach BOAMP and TED,
which the ``boamp`` and ``ted`` sources watch.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from scrapers.base import NoOptions
from scrapers.marches_publics_info import MarchesPublicsInfo


class Constructys(MarchesPublicsInfo):
    """Constructys — consultations publiées sur marches-publics.info (acheteur 5173)."""

    name = "constructys"
    Options: ClassVar[type[BaseModel]] = NoOptions
    buyer_ids = 5173
    buyer_name = ""  # each row names the branch office ("Constructys Siège", a région…)


__all__ = ["Constructys"]
