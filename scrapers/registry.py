"""The explicit list of sources: one line per source. Order is the display order.

``SOURCES`` are the built-in sources, by name. ``PLATFORMS`` are the platform kinds a user can
instantiate from the config without code (``[sources.my-feed] kind = "rss"`` plus the kind's
own settings); such a class takes its hosts and URLs from its options.
"""

from __future__ import annotations

from scrapers.afdas import Afdas
from scrapers.akto import Akto
from scrapers.atlas import Atlas
from scrapers.base import Source
from scrapers.boamp import Boamp
from scrapers.constructys import Constructys
from scrapers.marches_publics_info import MarchesPublicsInfo
from scrapers.ocapiat import Ocapiat
from scrapers.opco2i import Opco2i
from scrapers.opco_ep import OpcoEp
from scrapers.opco_mobilites import OpcoMobilites
from scrapers.opco_sante import OpcoSante
from scrapers.opcommerce import Opcommerce
from scrapers.rss import Rss
from scrapers.ted import Ted
from scrapers.uniformation import Uniformation
from scrapers.wordpress import WordPress

SOURCES: dict[str, type[Source]] = {
    cls.name: cls
    for cls in (
        Boamp,
        Afdas,
        OpcoEp,
        Akto,
        Atlas,
        Constructys,
        Opco2i,
        Ocapiat,
        OpcoMobilites,
        OpcoSante,
        Uniformation,
        Opcommerce,
        Ted,
    )
}

PLATFORMS: dict[str, type[Source]] = {
    cls.platform: cls
    for cls in (
        MarchesPublicsInfo,
        WordPress,
        Rss,
    )
}


def source_label(name: str) -> str:
    """The name users know a source by ("BOAMP", "L'Opcommerce"); a user-added source's own."""
    cls = SOURCES.get(name)
    return cls.description().split(" — ")[0] if cls else name


def source_class(name: str) -> type[Source]:
    """The class of a source by name; KeyError names the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
