"""OPCO EP — the OPCO of local businesses (entreprises de proximité). opcoep.fr has no list of
calls (a crawler found its "marchés publics" page empty); the calls are published on
marches-publics.info, buyer IDS 6499 (shared/sources.md §3), and OPCO EP is absent from BOAMP
per one watcher. Calls for CQP training by branch require the branch's habilitation.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from scrapers.base import NoOptions
from scrapers.marches_publics_info import MarchesPublicsInfo


class OpcoEp(MarchesPublicsInfo):
    """OPCO EP — consultations publiées sur marches-publics.info (acheteur 6499)."""

    name = "opco-ep"
    Options: ClassVar[type[BaseModel]] = NoOptions
    buyer_ids = 6499
    buyer_name = "OPCO EP"


__all__ = ["OpcoEp"]
