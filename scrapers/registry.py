"""The explicit list of sources: one line per source. Order is the display order."""

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


def source_class(name: str) -> type[Source]:
    """The class of a source by name; KeyError names the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
