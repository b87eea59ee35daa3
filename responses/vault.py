"""The evidence vault: the organisation's documents, their files and their status.

Status of a document, as of ``today`` and relative to a call's ``deadline`` (its Paris date):

- missing: its file is not on disk (or a required kind has no document at all);
- expired: its last day of validity is before ``today``;
- expiring: valid today but not on the deadline day (last day of validity < deadline day);
- valid: otherwise (a document without expiry stays valid).

A required kind is judged by its best document (valid > expiring > expired > missing), so an
old attestation next to a new one does not count against the organisation. An unconfigured
vault (no document declared) raises no blocker and no reminder.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from responses.settings import DocumentItem, DocumentKind, DocumentsConfig, add_months
from watcher.fr import long_date
from watcher.models import PARIS
from watcher.vault_versions import uploaded_dates

log = logging.getLogger(__name__)

#: kind -> (short name, feminine), for phrases like "attestation URSSAF expirée le ..."
KIND_NAMES: dict[DocumentKind, tuple[str, bool]] = {
    DocumentKind.QUALIOPI: ("certificat Qualiopi", False),
    DocumentKind.NDA: ("récépissé de déclaration d'activité (NDA)", False),
    DocumentKind.KBIS: ("extrait Kbis", False),
    DocumentKind.URSSAF: ("attestation URSSAF", True),
    DocumentKind.FISCALE: ("attestation fiscale", True),
    DocumentKind.RC_PRO: ("attestation d'assurance RC professionnelle", True),
    DocumentKind.BPF: ("bilan pédagogique et financier (BPF)", False),
    DocumentKind.CV: ("CV", False),
    DocumentKind.REFERENCE: ("référence client", True),
    DocumentKind.CATALOGUE: ("fiche catalogue", True),
    DocumentKind.OTHER: ("document", False),
}
SURVEILLANCE_MONTHS = (14, 22)
KBIS_FRESH_MONTHS = 3


class DocumentStatus(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"


STATUS_LABELS = {
    DocumentStatus.VALID: "valide",
    DocumentStatus.EXPIRING: "expire avant la date limite",
    DocumentStatus.EXPIRED: "expiré",
    DocumentStatus.MISSING: "manquant",
}
_RANK = {s: i for i, s in enumerate(STATUS_LABELS)}


def kind_name(kind: DocumentKind) -> str:
    return KIND_NAMES[kind][0]


def capital(text: str) -> str:
    """First letter upper case, the rest kept: "certificat Qualiopi" -> "Certificat Qualiopi"."""
    return text[:1].upper() + text[1:]


def agreed(kind: DocumentKind, word: str) -> str:
    """``"manquant"`` -> ``"manquante"`` for a feminine kind."""
    return word + "e" if KIND_NAMES[kind][1] else word


def deadline_day(deadline: date | datetime | None) -> date | None:
    if isinstance(deadline, datetime):
        return deadline.astimezone(PARIS).date()
    return deadline


@dataclass(frozen=True, slots=True)
class VaultDocument:
    """A declared document, its resolved path, and whether the file is there. A file that
    resolves outside the documents folder (``..``, an absolute name, a symbolic link pointing
    elsewhere) is ``outside``: never read, never copied, reported as missing."""

    item: DocumentItem
    path: Path
    exists: bool
    outside: bool = False

    @property
    def kind(self) -> DocumentKind:
        return self.item.kind

    @property
    def title(self) -> str:
        person = f" — {self.item.person}" if self.item.person else ""
        return self.item.title or capital(kind_name(self.kind)) + person

    @property
    def valid_until(self) -> date | None:
        return self.item.valid_until

    def status(self, today: date, deadline: date | datetime | None = None) -> DocumentStatus:
        if not self.exists:
            return DocumentStatus.MISSING
        until, day = self.valid_until, deadline_day(deadline)
        if until is not None and until < today:
            return DocumentStatus.EXPIRED
        if until is not None and day is not None and until < day:
            return DocumentStatus.EXPIRING
        return DocumentStatus.VALID


@dataclass(frozen=True, slots=True)
class DocumentState:
    """The status of one document, or of a required kind without any document."""

    kind: DocumentKind
    document: VaultDocument | None
    status: DocumentStatus
    detail: str

    @property
    def title(self) -> str:
        return self.document.title if self.document else capital(kind_name(self.kind))


@dataclass(frozen=True, slots=True)
class Vault:
    folder: Path
    documents: tuple[VaultDocument, ...]
    required: tuple[DocumentKind, ...]

    @classmethod
    def load(cls, section: DocumentsConfig, base_dir: Path) -> Vault:
        """Resolve the folder against ``base_dir``; a missing file is a status, not an error."""
        folder = resolved(base_dir / section.folder)
        documents = tuple(_document(folder, item) for item in section.items)
        missing = [d.path.name for d in documents if not d.exists]
        if missing:
            log.info("vault %s: %d file(s) not found: %s", folder, len(missing), missing)
        return cls(folder, documents, tuple(dict.fromkeys(section.required)))

    @property
    def configured(self) -> bool:
        return bool(self.documents)

    def of_kind(self, kind: DocumentKind) -> list[VaultDocument]:
        return [d for d in self.documents if d.kind == kind]

    def find_file(self, file: Path) -> VaultDocument | None:
        """The declared document whose file is ``file`` (relative to the folder), if any."""
        target = resolved(self.folder / file)
        return next((d for d in self.documents if d.path == target), None)

    def state(
        self, document: VaultDocument, today: date, deadline: date | datetime | None = None
    ) -> DocumentState:
        status = document.status(today, deadline)
        return DocumentState(document.kind, document, status, _detail(document, status, today))

    def statuses(self, today: date, deadline: date | datetime | None = None) -> list[DocumentState]:
        """Every declared document, then one "missing" row per required kind left undeclared."""
        states = [self.state(d, today, deadline) for d in self.documents]
        declared = {d.kind for d in self.documents}
        absent = [k for k in self.required if k not in declared]
        return states + [_undeclared(kind) for kind in absent]

    def best(
        self, kind: DocumentKind, today: date, deadline: date | datetime | None = None
    ) -> DocumentState:
        """The most usable document of ``kind`` (latest validity first among equals)."""
        states = [self.state(d, today, deadline) for d in self.of_kind(kind)]
        if not states:
            return _undeclared(kind)
        return min(states, key=lambda s: (_RANK[s.status], -_ordinal(s)))


def _document(folder: Path, item: DocumentItem) -> VaultDocument:
    uploaded = uploaded_dates(folder, str(item.file))  # a version uploaded in the console
    if uploaded is not None:
        item = item.model_copy(update={"issued": uploaded[0], "expires": uploaded[1]})
    path = resolved(folder / item.file)
    if not inside(folder, path):
        log.warning("vault %s: %s is outside the folder, refused", folder, item.file)
        return VaultDocument(item, path, False, outside=True)
    return VaultDocument(item, path, is_file(path))


def resolved(path: Path) -> Path:
    """The absolute path with every link followed (the file that would really be read)."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError):  # a loop of links, a name too long: no usable file
        return path.absolute()


def inside(folder: Path, path: Path) -> bool:
    """True when ``path`` (resolved) lies in ``folder`` (resolved): the vault's only files."""
    return path != folder and path.is_relative_to(folder)


def is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _ordinal(state: DocumentState) -> int:
    until = state.document.valid_until if state.document else None
    return until.toordinal() if until else date.max.toordinal()


def _undeclared(kind: DocumentKind) -> DocumentState:
    return DocumentState(kind, None, DocumentStatus.MISSING, "aucun document déclaré")


def _detail(document: VaultDocument, status: DocumentStatus, today: date) -> str:
    until = document.valid_until
    if status == DocumentStatus.MISSING and document.outside:
        return f"refusé\u00a0: {document.item.file} est en dehors du dossier des documents"
    if status == DocumentStatus.MISSING:
        return f"fichier introuvable\u00a0: {document.path}"
    if status == DocumentStatus.EXPIRED and until is not None:
        return f"{agreed(document.kind, 'expiré')} le {long_date(until)}"
    notes = [f"valable jusqu'au {long_date(until)}"] if until else []
    return "\u00a0; ".join(notes + _notes(document, today))


def _notes(document: VaultDocument, today: date) -> list[str]:
    issued = document.item.issued
    if issued is None:
        return []
    if document.kind == DocumentKind.QUALIOPI:
        start, end = (add_months(issued, m) for m in SURVEILLANCE_MONTHS)
        window = f"entre le {long_date(start)} et le {long_date(end)}"
        return [f"audit de surveillance à passer {window}"] if end >= today else []
    if document.kind == DocumentKind.KBIS and add_months(issued, KBIS_FRESH_MONTHS) < today:
        return ["plus de 3 mois\u00a0: les acheteurs en demandent souvent un récent"]
    return []


# ------------------------------------------------------------------------ blockers, reminders


def required_document_blockers(
    vault: Vault,
    today: date,
    deadline: date | datetime | None = None,
    *,
    skip: Iterable[DocumentKind] = (),
) -> list[str]:
    """French blockers for missing or expired required documents, and a Qualiopi certificate
    that expires before the deadline (it cannot be renewed at short notice). ``skip`` leaves
    out kinds another check already covers (e.g. qualiopi when ``[profile.qualiopi]`` is set).
    """
    if not vault.configured:
        return []
    skipped = set(skip)
    blockers = []
    for kind in (k for k in vault.required if k not in skipped):
        state = vault.best(kind, today, deadline)
        text = _blocker(state)
        if text:
            blockers.append(text)
    return blockers


def _blocker(state: DocumentState) -> str | None:
    name, kind = kind_name(state.kind), state.kind
    until = state.document.valid_until if state.document else None
    if state.status == DocumentStatus.MISSING:
        return f"{name} {agreed(kind, 'manquant')}"
    if state.status == DocumentStatus.EXPIRED and until is not None:
        return f"{name} {agreed(kind, 'expiré')} le {long_date(until)}"
    if state.status == DocumentStatus.EXPIRING and kind == DocumentKind.QUALIOPI and until:
        day = long_date(until)
        return f"{name} {agreed(kind, 'expiré')} à la date limite (valable jusqu'au {day})"
    return None


def document_reminders(
    vault: Vault, today: date, *, within_days: int = 30, deadline: date | datetime | None = None
) -> list[str]:
    """French reminders for the digest: required documents missing or expired, and any
    document whose validity ends within ``within_days`` days (or before ``deadline``)."""
    if not vault.configured:
        return []
    horizon = today + timedelta(days=within_days)
    day = deadline_day(deadline)
    if day is not None:
        horizon = max(horizon, day)
    reminders = [
        f"{text}\u00a0: à fournir" for text in required_document_blockers(vault, today, None)
    ]
    for document in vault.documents:
        until = document.valid_until
        if document.exists and until is not None and today <= until < horizon:
            left = (until - today).days
            days = f"{left} jour{'s' if left > 1 else ''}"
            reminders.append(
                f"{document.title}\u00a0: à renouveler, "
                f"valable jusqu'au {long_date(until)} ({days})"
            )
    return reminders


# --------------------------------------------------------------------------------- listings

#: (key, header) of the rows of ``documents_table``
DOCUMENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kind", "type"),
    ("title", "document"),
    ("file", "fichier"),
    ("issued", "délivré le"),
    ("valid_until", "valable jusqu'au"),
    ("status", "statut"),
    ("detail", "remarque"),
)


def documents_table(
    vault: Vault, today: date, deadline: date | datetime | None = None
) -> list[dict[str, str]]:
    """Plain rows for ``opco-watch documents`` (dates ISO, ``status`` machine-readable,
    ``status_label`` in French); required kinds never declared come last as "missing"."""
    return [_row(vault, state) for state in vault.statuses(today, deadline)]


def _row(vault: Vault, state: DocumentState) -> dict[str, str]:
    document = state.document
    item = document.item if document else None
    until = document.valid_until if document else None
    return {
        "kind": state.kind.value,
        "title": state.title,
        "file": _relative(vault.folder, document.path) if document else "",
        "issued": item.issued.isoformat() if item and item.issued else "",
        "valid_until": until.isoformat() if until else "",
        "status": state.status.value,
        "status_label": STATUS_LABELS[state.status],
        "detail": state.detail,
        "required": "yes" if state.kind in vault.required else "",
    }


def _relative(folder: Path, path: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return str(path)
