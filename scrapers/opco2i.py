"""OPCO 2i — the OPCO of industry. Its calls are the ``appel_a_projects`` post type of its
WordPress site, read through the REST API (shared/sources.md §3): titles, full text and links to
the DCE PDFs, no deadline field (read from the wording of the text, see ``scrapers.wordpress``).

OPCO 2i also buys outside training (communication, IT): the classifier sorts them out. Its RSS
feed (``/feed/``) carries the same posts with less text, so the REST API is the one watched.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel

from scrapers.base import NoOptions
from scrapers.wordpress import WordPress


class Opco2i(WordPress):
    """OPCO 2i — appels d'offres et appels à projets publiés sur opco2i.fr."""

    name = "opco2i"
    hosts = ("www.opco2i.fr",)
    Options: ClassVar[type[BaseModel]] = NoOptions
    site_endpoint = "https://www.opco2i.fr/wp-json/wp/v2/appel_a_projects"
    site_buyer = "OPCO 2i"


__all__ = ["Opco2i"]
