"""The explicit list of sources: one line per source. Order is the display order.

``SOURCES`` are the built-in sources, by name. ``PLATFORMS`` are the platform kinds a user can
instantiate from the config without code (``[sources.my-feed] kind = "rss"`` plus the kind's
own settings); such a class takes its hosts and URLs from its options.
"""

from __future__ import annotations

from scrapers.akto import Akto
from scrapers.base import Source
from scrapers.boamp import Boamp

SOURCES: dict[str, type[Source]] = {
    cls.name: cls
    for cls in (
        Boamp,
        Akto,
    )
}

PLATFORMS: dict[str, type[Source]] = {}


def source_class(name: str) -> type[Source]:
    """The class of a source by name; KeyError names the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
