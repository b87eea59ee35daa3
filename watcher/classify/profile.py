"""The organisation's profile: the ``[profile]`` section of the configuration file.

Every model forbids unknown keys and every field carries the help text shown by
``opco-watch init`` and in the README settings table. An empty profile is valid: it matches
any training call, serves every region and checks no Qualiopi certificate.
"""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from watcher.classify import cpv as cpv_codes
from watcher.classify import geo
from watcher.classify.text import stems
from watcher.config_types import EmailStr, empty_list

QUALIOPI_CATEGORIES: tuple[str, ...] = (
    "actions de formation",
    "bilans de compétences",
    "VAE",
    "apprentissage",
)
QualiopiCategory = Literal["actions de formation", "bilans de compétences", "VAE", "apprentissage"]
Modality = Literal["présentiel", "distanciel", "mixte", "afest"]

_CERTIFICATION = re.compile(r"^(RNCP|RS)\s*(\d{1,6})$", re.IGNORECASE)
Phrase = Annotated[str, Field(min_length=1)]


def _check_phrases(values: list[str]) -> list[str]:
    cleaned = [value.strip() for value in values]
    for value in cleaned:
        if not stems(value):
            raise ValueError(f"phrase {value!r} has no content word (only stop words or symbols)")
    return cleaned


class Domain(BaseModel):
    """One area of expertise of the organisation, owned by a business developer."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, description="Name of the domain, shown in alerts (e.g. Langues)."
    )
    phrases: list[Phrase] = Field(
        default_factory=empty_list,
        description="Words or phrases that signal the domain in a notice; case, accents, "
        'plurals and elisions do not matter (e.g. "bilan de compétences").',
    )
    excluded_phrases: list[Phrase] = Field(
        default_factory=empty_list,
        description='Phrases that rule the domain out for a notice (e.g. "langue des signes").',
    )
    cpv: list[str] = Field(
        default_factory=empty_list,
        description="CPV codes of the domain, 8 digits; trailing zeros widen the code "
        "(80580000 covers every 8058xxxx).",
    )
    owner: EmailStr | None = Field(
        default=None, description="E-mail of the business developer who owns the domain."
    )

    @field_validator("phrases", "excluded_phrases")
    @classmethod
    def _check_phrases(cls, values: list[str]) -> list[str]:
        return _check_phrases(values)

    @field_validator("cpv")
    @classmethod
    def _check_cpv(cls, values: list[str]) -> list[str]:
        codes = []
        for value in values:
            code = cpv_codes.clean_code(value)
            if code is None:
                raise ValueError(f"CPV code {value!r} is not 8 digits (e.g. 80530000)")
            codes.append(code)
        return codes

    @model_validator(mode="after")
    def _needs_evidence(self) -> Domain:
        if not self.phrases and not self.cpv:
            raise ValueError(f"domain {self.name!r} needs at least one phrase or CPV code")
        return self


class Course(BaseModel):
    """One course of the organisation's catalogue."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, description="Title of the course (e.g. Manager une équipe).")
    description: str = Field(default="", description="A few sentences on the course content.")
    duration_hours: float | None = Field(
        default=None, gt=0, description="Duration in hours (e.g. 14 for two days)."
    )
    modality: Modality = Field(
        default="présentiel",
        description="How it is delivered: présentiel, distanciel, mixte or afest.",
    )
    certification: str | None = Field(
        default=None,
        description="RNCP or RS code of the certification it leads to, if any (e.g. RNCP35635).",
    )

    @field_validator("certification")
    @classmethod
    def _check_certification(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        found = _CERTIFICATION.match(value.strip())
        if found is None:
            raise ValueError(f"certification {value!r} must look like RNCP12345 or RS1234")
        return f"{found.group(1).upper()}{found.group(2)}"


class Qualiopi(BaseModel):
    """The organisation's Qualiopi certificate."""

    model_config = ConfigDict(extra="forbid")

    certificate_number: str = Field(default="", description="Number of the Qualiopi certificate.")
    certifier: str = Field(default="", description="Certification body that issued it.")
    categories: list[QualiopiCategory] = Field(
        default_factory=empty_list,
        description="Certified categories: actions de formation, bilans de compétences, VAE, "
        "apprentissage.",
    )
    expires_on: date | None = Field(default=None, description="Expiry date of the certificate.")

    @field_validator("categories")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        return list(dict.fromkeys(values))

    @property
    def configured(self) -> bool:
        """False for an empty section: then no Qualiopi blocker is raised."""
        return bool(self.certificate_number or self.categories or self.expires_on)


class Profile(BaseModel):
    """What the organisation does, where, and under which certificate."""

    model_config = ConfigDict(extra="forbid")

    domains: list[Domain] = Field(
        default_factory=empty_list,
        description="Areas of expertise; empty = any training call fits.",
    )
    catalogue: list[Course] = Field(
        default_factory=empty_list,
        description="Courses of the catalogue, used to find similar calls.",
    )
    regions: list[str] = Field(
        default_factory=empty_list,
        description='Regions served (official names, or "France entière"); with departments '
        "empty as well, every place is served.",
    )
    departments: list[str] = Field(
        default_factory=empty_list, description='Department codes served, e.g. "35", "2A", "974".'
    )
    qualiopi: Qualiopi = Field(
        default_factory=Qualiopi, description="The Qualiopi certificate (categories, expiry)."
    )
    min_lead_days: int = Field(
        default=10,
        ge=0,
        le=365,
        description="Minimum number of days between today and the deadline to answer a call.",
    )
    min_score: int = Field(
        default=50,
        ge=0,
        le=100,
        description="Score (0-100) from which a training call is relevant to the organisation.",
    )

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, values: list[str]) -> list[str]:
        return [checked_region(value) for value in values]

    @field_validator("departments")
    @classmethod
    def _check_departments(cls, values: list[str]) -> list[str]:
        return [_department(value) for value in values]

    @model_validator(mode="after")
    def _unique_domains(self) -> Profile:
        names = [domain.name.casefold() for domain in self.domains]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"domain names must be unique, repeated: {', '.join(duplicates)}")
        return self


def checked_region(value: str) -> str:
    """A region name as the profile and the mail routes accept it, or a clear ValueError."""
    region = geo.canonical_region(value)
    if region is None:
        valid = ", ".join((*geo.REGIONS, geo.NATIONAL))
        raise ValueError(f"unknown region {value!r}; valid regions: {valid}")
    return region


def _department(value: str) -> str:
    code = geo.canonical_department(value)
    if code is None:
        raise ValueError(
            f"unknown department code {value!r}; valid codes: {geo.describe_departments()}"
        )
    return code


def example_profile_toml() -> str:
    """The shipped example, a ``[profile]`` section with comments (for ``opco-watch init``)."""
    return resources.files("watcher.classify").joinpath("example_profile.toml").read_text("utf-8")


def load_example_profile() -> Profile:
    import tomllib

    return Profile.model_validate(tomllib.loads(example_profile_toml())["profile"])
