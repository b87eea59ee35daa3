"""The settings of each source under ``[sources.NAME]`` (its ``Options``), apart from the
scrapers: the configuration validates them without importing a parser (bs4, lxml, httpx), so
every command starts quickly (issue 12). Each scraper module imports its own from here.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from watcher.config_types import empty_list


def absolute_http_url(value: str) -> str:
    """A config value that must be a full http(s) address."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be a full http(s) address, like https://www.example.fr/…")
    return value.strip()


#: a full http(s) address, checked as the configuration is read
AbsoluteHttpUrl = Annotated[str, AfterValidator(absolute_http_url)]


class NoOptions(BaseModel):
    """A source without settings of its own."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------ boamp

OPCO_BUYERS = (
    "AKTO",
    "Afdas",
    "OPCO ATLAS",
    "CONSTRUCTYS",
    "OPCO 2i",
    "UNIFORMATION",
    "OPCO Mobilités",
    "OPCO Santé",
    "Opcommerce",
    "OCAPIAT",
    "OPCO EP",
)
TRAINING_WORDS = ("formation", "bilan de compétences", "VAE", "compétences")


class BoampOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyers: list[str] = Field(
        default=list(OPCO_BUYERS),
        description="Buyer names (nomacheteur) searched on BOAMP: the OPCOs by default.",
    )
    keywords: list[str] = Field(
        default=list(TRAINING_WORDS),
        description="Words searched in the object of every notice nationwide ([] to disable).",
    )
    lookback_days: int = Field(
        default=30, ge=1, le=365, description="How many days of publications each poll asks for."
    )


# -------------------------------------------------------------------------------------- ted

TRAINING_CPV = (
    "80500000",  # services de formation
    "80510000",  # formation spécialisée
    "80511000",  # formation du personnel
    "80530000",  # formation professionnelle
    "80531200",
    "80532000",  # formation en gestion
    "80533000",  # formation informatique
    "80533100",
    "80533200",
    "80550000",  # formation à la sécurité
    "80570000",  # développement personnel
    "80600000",
    "79632000",  # formation du personnel (services aux entreprises)
    "80420000",  # e-learning
)


class TedOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cpv: list[str] = Field(
        default=list(TRAINING_CPV),
        description="CPV codes searched, 8 digits; trailing zeros widen the code (80500000 "
        "finds every 805xxxxx).",
    )
    countries: list[str] = Field(
        default=["FRA"], description="Countries of the buyers, ISO 3166 alpha-3 (FRA, BEL…)."
    )
    lookback_days: int = Field(
        default=30, ge=1, le=365, description="How many days of publications each poll asks for."
    )

    @field_validator("cpv")
    @classmethod
    def _cpv(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not (len(c) == 8 and c.isdigit())]
        if bad or not codes:
            raise ValueError(f"CPV codes have 8 digits (got {bad or 'none'})")
        return codes

    @field_validator("countries")
    @classmethod
    def _countries(cls, codes: list[str]) -> list[str]:
        bad = [c for c in codes if not (len(c) == 3 and c.isalpha())]
        if bad or not codes:
            raise ValueError(f"countries are 3-letter codes like FRA (got {bad or 'none'})")
        return [c.upper() for c in codes]


# -------------------------------------------------------------------------------- platforms


class RssOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: AbsoluteHttpUrl = Field(description="Address of the RSS or Atom feed.")
    buyer: str = Field("", description="Buyer name given to the feed's notices.")
    keywords: list[str] = Field(
        default_factory=empty_list,
        description="Keep only items whose title or text holds one of these ([] keeps all).",
    )


class WordPressOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: AbsoluteHttpUrl = Field(
        description="Address of the REST endpoint, like https://site/wp-json/wp/v2/posts."
    )
    buyer: str = Field("", description="Buyer name given to the site's notices.")


class MarchesPublicsInfoOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: int = Field(
        ge=1,
        description="The buyer's number on marches-publics.info: IDS=… in its page address.",
    )
    buyer: str = Field(
        "", description="Buyer name given to its notices (default: the name shown on each row)."
    )
