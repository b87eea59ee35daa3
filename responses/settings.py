"""The ``[documents]`` (evidence vault) and ``[responses]`` (drafts) sections of the config.

Every field has a help text (shown by ``opco-watch init`` and in the README) and a default, so
an absent section validates. Paths are stored as written; ``Vault.load`` resolves the documents
folder against the config file's folder and ``ResponsesConfig.output_dir`` the drafts folder
against the data folder.

Dates: ``expires`` is the **last day of validity** (inclusive), as printed on the documents
("valable jusqu'au"). When it is left out, the law's term is used: an attestation de vigilance
URSSAF is valid 6 months and a Qualiopi certificate 3 years from ``issued``, so the last day is
``issued + 6 months - 1 day`` and ``issued + 3 years - 1 day`` (issued 7 Oct 2021 -> valid
until 6 Oct 2024, as on the certificates).

This module must not import ``watcher.config`` (which imports it).
"""

from __future__ import annotations

import calendar
import tomllib
from datetime import date, timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from watcher.classify.profile import QualiopiCategory
from watcher.config_types import ConfigPath, empty_list


class DocumentKind(StrEnum):
    QUALIOPI = "qualiopi"
    NDA = "nda"
    KBIS = "kbis"
    URSSAF = "urssaf"
    FISCALE = "fiscale"
    RC_PRO = "rc_pro"
    BPF = "bpf"
    CV = "cv"
    REFERENCE = "reference"
    CATALOGUE = "catalogue"
    OTHER = "other"


#: Terms fixed by law, in months: the computed default of ``expires``.
LEGAL_TERM_MONTHS: dict[DocumentKind, int] = {DocumentKind.URSSAF: 6, DocumentKind.QUALIOPI: 36}

DEFAULT_REQUIRED = [
    DocumentKind.QUALIOPI,
    DocumentKind.NDA,
    DocumentKind.KBIS,
    DocumentKind.URSSAF,
    DocumentKind.FISCALE,
]


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def legal_expiry(kind: DocumentKind, issued: date | None) -> date | None:
    """Last day of validity fixed by law for ``kind`` issued on ``issued``, if any."""
    months = LEGAL_TERM_MONTHS.get(kind)
    if months is None or issued is None:
        return None
    return add_months(issued, months) - timedelta(days=1)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class DocumentItem(Section):
    """One document of the vault: ``[[documents.items]]``."""

    kind: DocumentKind = Field(
        description="What it is: qualiopi, nda, kbis, urssaf, fiscale, rc_pro, bpf, cv, "
        "reference, catalogue or other."
    )
    file: ConfigPath = Field(description="The file, relative to the documents folder.")
    title: str = Field("", description="A title shown in lists (default: the kind's name).")
    issued: date | None = Field(None, description="Date of issue, e.g. 2026-01-15.")
    expires: date | None = Field(
        None,
        description="Last day of validity; left out: issued + 6 months - 1 day for urssaf, "
        "issued + 3 years - 1 day for qualiopi, no expiry for the others.",
    )
    number: str = Field("", description="Qualiopi only: the certificate number.")
    certifier: str = Field("", description="Qualiopi only: the certification body.")
    categories: list[QualiopiCategory] = Field(
        default_factory=empty_list,
        description="Qualiopi only: certified categories (actions de formation, bilans de "
        "compétences, VAE, apprentissage).",
    )
    person: str = Field("", description="CV only: the trainer's name.")

    @field_validator("file")
    @classmethod
    def _file(cls, value: Path) -> Path:
        if not str(value).strip() or str(value) == ".":
            raise ValueError("a document needs a file name")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DocumentItem:
        certificate = self.number or self.certifier or self.categories
        if certificate and self.kind != DocumentKind.QUALIOPI:
            raise ValueError("number, certifier and categories are for kind = qualiopi only")
        if self.person and self.kind != DocumentKind.CV:
            raise ValueError("person is for kind = cv only")
        if self.issued and self.expires and self.expires < self.issued:
            raise ValueError(f"expires ({self.expires}) is before issued ({self.issued})")
        return self

    @property
    def valid_until(self) -> date | None:
        """``expires`` if given, else the legal term from ``issued``, else None (no expiry)."""
        return self.expires or legal_expiry(self.kind, self.issued)


class DocumentsConfig(Section):
    """The evidence vault: ``[documents]``."""

    folder: ConfigPath = Field(
        Path("documents"), description="Folder of the documents (relative to this file)."
    )
    required: list[DocumentKind] = Field(
        default_factory=lambda: list(DEFAULT_REQUIRED),
        description="Kinds whose absence or expiry blocks a call (once items are declared).",
    )
    items: list[DocumentItem] = Field(
        default_factory=empty_list, description="The documents: kind, file, dates."
    )


class Trainer(Section):
    """A trainer who can be named in the team section of a mémoire."""

    name: str = Field(min_length=1, description="Full name of the trainer.")
    role: str = Field("", description="Role in the team, e.g. Formatrice référente.")
    skills: list[str] = Field(
        default_factory=empty_list,
        description="Domains (as named in [profile]) or skills, e.g. Management, SST.",
    )
    cv: ConfigPath | None = Field(None, description="CV file, relative to the documents folder.")


class DisabilityReferent(Section):
    name: str = Field("", description="Name of the disability referent (référent handicap).")
    contact: str = Field("", description="Their e-mail or phone.")


class Turnover(Section):
    year: int = Field(ge=1990, le=2100, description="Fiscal year, e.g. 2025.")
    amount: float = Field(ge=0, description="Turnover excluding VAT, in euros.")


class ResponsesConfig(Section):
    """What response drafts need beyond ``[organisation]``: ``[responses]``."""

    templates_folder: ConfigPath | None = Field(
        None,
        description="Folder of your own templates, overriding the shipped ones by file name "
        "(relative to this file).",
    )
    output_folder: ConfigPath = Field(
        Path("drafts"),
        description="Where drafts are written (relative to the data folder): one folder "
        "per call (appel-N- and its title) for `draft N`, the demo and the console alike.",
    )
    legal_form: str = Field("", description="Legal form, e.g. SAS, SARL, association loi 1901.")
    address: str = Field("", description="Postal address of the head office.")
    representative_name: str = Field("", description="Person who signs the forms.")
    representative_title: str = Field("", description="Their title, e.g. Président.")
    phone: str = Field("", description="Phone number for the buyer.")
    website: str = Field("", description="Website address.")
    key_figures: list[str] = Field(
        default_factory=empty_list,
        description='Short facts for the presentation, e.g. "1 200 stagiaires formés en 2025".',
    )
    turnover: list[Turnover] = Field(
        default_factory=empty_list, description="Turnover of the last fiscal years, for the DC2."
    )
    sites: list[str] = Field(
        default_factory=empty_list,
        description='Training sites, e.g. "Rennes (35) — 12 rue de Brest".',
    )
    disability_referent: DisabilityReferent = Field(
        default_factory=DisabilityReferent, description="The disability referent."
    )
    environment: str = Field(
        "", description="Environmental commitments, a few paragraphs (blank line between)."
    )
    trainers: list[Trainer] = Field(default_factory=empty_list, description="The trainers.")

    def templates_dir(self, base_dir: Path) -> Path | None:
        folder = self.templates_folder
        return None if folder is None else (base_dir / folder).expanduser().resolve()

    def output_dir(self, data_dir: Path) -> Path:
        return (data_dir / self.output_folder).expanduser().resolve()


def example_toml(*, commented: bool = False) -> str:
    """The shipped example (``responses/example.toml``); ``commented`` comments out every
    setting so that a starter file shows it without declaring documents that do not exist."""
    text = resources.files("responses").joinpath("example.toml").read_text("utf-8")
    if not commented:
        return text
    return "".join(_comment(line) for line in text.splitlines(keepends=True))


def _comment(line: str) -> str:
    return line if not line.strip() or line.lstrip().startswith("#") else "# " + line


def load_example() -> tuple[DocumentsConfig, ResponsesConfig]:
    raw: dict[str, Any] = tomllib.loads(example_toml())
    return DocumentsConfig.model_validate(raw["documents"]), ResponsesConfig.model_validate(
        raw["responses"]
    )
