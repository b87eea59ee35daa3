"""The explicit list of sources: one line per source. Order is the display order.

``SOURCES`` are the built-in sources, by name. ``PLATFORMS`` are the platform kinds a user can
instantiate from the config without code (``[sources.my-feed] kind = "rss"`` plus the kind's
own settings); such a class takes its hosts and URLs from its options.

Both are lazy (issue 12): each line names the class as ``"module:Class"`` with what the
configuration and the listings need to know of it (its platform kind, its one-line
description, its ``Options`` in ``scrapers.options``), so reading the configuration or listing
the sources imports no scraper (bs4, lxml, httpx); a class is imported when it is first looked
up (``SOURCES[name]``), that is when a source is built or polled. A test checks each line
against its class. A class may also be added at run time (``SOURCES[name] = cls``).
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

    from scrapers.base import Source


@dataclass(frozen=True, slots=True)
class Entry:
    """What is known of a source without importing it."""

    target: str  # "module:Class"
    platform: str  # the class's ``platform``
    description: str  # the first paragraph of the class docstring (``Source.description()``)
    options: str = "NoOptions"  # the class's ``Options``, a model of ``scrapers.options``


class Registry(MutableMapping[str, "type[Source]"]):
    """name -> source class, each class imported when first looked up."""

    def __init__(self, entries: dict[str, Entry]) -> None:
        self.lines = dict(entries)  # as written here, whatever is imported or added later
        self._entries: dict[str, Entry | type[Source]] = dict(entries)

    def __getitem__(self, name: str) -> type[Source]:
        found = self._entries[name]
        if isinstance(found, Entry):
            module, _, attribute = found.target.partition(":")
            found = getattr(import_module(module), attribute)
            assert isinstance(found, type)
            self._entries[name] = found
        return found

    def __setitem__(self, name: str, cls: type[Source]) -> None:
        self._entries[name] = cls

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __repr__(self) -> str:
        return f"Registry({list(self._entries)})"

    def entry(self, name: str) -> Entry | None:
        """The line of a source not imported yet, None once it is (or for an added class)."""
        found = self._entries[name]
        return found if isinstance(found, Entry) else None

    def options(self, name: str) -> type[BaseModel]:
        """The model of the source's own settings, without importing the source."""
        entry = self.entry(name)
        if entry is None:
            return self[name].Options
        model = getattr(import_module("scrapers.options"), entry.options)
        assert isinstance(model, type)
        return model

    def description(self, name: str) -> str:
        entry = self.entry(name)
        return entry.description if entry is not None else self[name].description()

    def platform(self, name: str) -> str:
        entry = self.entry(name)
        return entry.platform if entry is not None else self[name].platform


def _html(target: str, description: str) -> Entry:
    return Entry(target, "html", description)


MPI = "marches-publics.info"

SOURCES = Registry(
    {
        "boamp": Entry(
            "scrapers.boamp:Boamp",
            "api",
            "BOAMP — annonces de marchés publics (API open data de la DILA).",
            "BoampOptions",
        ),
        "afdas": _html(
            "scrapers.afdas:Afdas",
            "AFDAS — appels d'offres et appels à projets publiés sur afdas.com.",
        ),
        "opco-ep": Entry(
            "scrapers.opco_ep:OpcoEp",
            MPI,
            "OPCO EP — consultations publiées sur marches-publics.info (acheteur 6499).",
        ),
        "akto": _html("scrapers.akto:Akto", "AKTO — appels d'offres publiés sur akto.fr."),
        "atlas": _html(
            "scrapers.atlas:Atlas",
            "Atlas — appels d'offres et appels à projets publiés sur opco-atlas.fr.",
        ),
        "constructys": Entry(
            "scrapers.constructys:Constructys",
            MPI,
            "Constructys — consultations publiées sur marches-publics.info (acheteur 5173).",
        ),
        "opco2i": _html(
            "scrapers.opco2i:Opco2i",
            "OPCO 2i — appels d'offres et appels à projets publiés sur opco2i.fr.",
        ),
        "ocapiat": _html(
            "scrapers.ocapiat:Ocapiat",
            "OCAPIAT — procédures de marchés publics et AMI publiés sur ocapiat.fr.",
        ),
        "opco-mobilites": _html(
            "scrapers.opco_mobilites:OpcoMobilites",
            "OPCO Mobilités — appels d'offres publiés sur opcomobilites.fr (page « À propos »).",
        ),
        "opco-sante": _html(
            "scrapers.opco_sante:OpcoSante",
            "OPCO Santé — appels d'offres et AMI publiés sur opco-sante.fr "
            "(démarche d'habilitation).",
        ),
        "uniformation": _html(
            "scrapers.uniformation:Uniformation",
            "Uniformation — appels d'offres et appels à projets publiés sur uniformation.fr.",
        ),
        "opcommerce": _html(
            "scrapers.opcommerce:Opcommerce",
            "L'Opcommerce — appels à propositions des délégations régionales (PDF), "
            "lopcommerce.com.",
        ),
        "ted": Entry(
            "scrapers.ted:Ted",
            "api",
            "TED — avis de marchés européens de formation "
            "(API Search v3 de l'Office des publications).",
            "TedOptions",
        ),
    }
)

PLATFORMS = Registry(
    {
        MPI: Entry(
            "scrapers.marches_publics_info:MarchesPublicsInfo",
            MPI,
            "marches-publics.info (AWS-Achat) — consultations d'un acheteur (réglage ids).",
            "MarchesPublicsInfoOptions",
        ),
        "wordpress": Entry(
            "scrapers.wordpress:WordPress",
            "wordpress",
            "WordPress (API REST) — publications d'un site (réglage endpoint).",
            "WordPressOptions",
        ),
        "rss": Entry(
            "scrapers.rss:Rss",
            "rss",
            "Flux RSS ou Atom — les annonces d'un flux (réglage url).",
            "RssOptions",
        ),
    }
)


def source_label(name: str) -> str:
    """The name users know a source by ("BOAMP", "L'Opcommerce"); a user-added source's own."""
    return SOURCES.description(name).split(" — ")[0] if name in SOURCES else name


def source_order(name: str) -> tuple[int, str]:
    """Sorts sources in the registry's display order, the ones a user added after, by name."""
    order = list(SOURCES.lines)
    return (order.index(name), "") if name in order else (len(order), source_label(name))


def source_class(name: str) -> type[Source]:
    """The class of a source by name; KeyError names the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise KeyError(f"unknown source {name!r}; known: {', '.join(SOURCES)}") from None
