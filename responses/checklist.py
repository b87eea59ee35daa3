"""The compliance checklist: every piece the consultation asks for, with its status.

The pieces are those of a French public tender (domain.md §2.5): the candidature (DC1, DC2,
certificates, references, CVs), the offer (mémoire, the buyer's forms) and what the winner must
supply (URSSAF, fiscal attestation, Kbis). Pieces that only some calls ask for (DUME, DC4, BPF,
the buyer's response frame) are listed when the call's text mentions them. Documents take their
status from the vault, as of the draft day and relative to the call's deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from responses.settings import DocumentKind, Trainer
from responses.vault import DocumentStatus, Vault
from watcher.classify.text import PhraseIndex, stems
from watcher.fr import long_date


class ItemStatus(StrEnum):
    ATTACHED = "attached"
    DRAFTED = "drafted"
    TODO = "todo"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    MISSING = "missing"


#: status -> (symbol, French label)
STATUS_TEXT = {
    ItemStatus.ATTACHED: ("✓", "joint au dossier"),
    ItemStatus.DRAFTED: ("✎", "brouillon généré, à relire"),
    ItemStatus.TODO: ("☐", "à préparer"),
    ItemStatus.EXPIRING: ("⚠", "expire avant la date limite"),
    ItemStatus.EXPIRED: ("✗", "expiré"),
    ItemStatus.MISSING: ("✗", "manquant"),
}
FROM_VAULT = {
    DocumentStatus.VALID: ItemStatus.ATTACHED,
    DocumentStatus.EXPIRING: ItemStatus.EXPIRING,
    DocumentStatus.EXPIRED: ItemStatus.EXPIRED,
    DocumentStatus.MISSING: ItemStatus.MISSING,
}
STAGES = {
    "candidature": "Candidature",
    "offre": "Offre",
    "attributaire": "Pièces de l'attributaire (à fournir si le marché vous est attribué)",
}
BUYER_FORM = "formulaire de l'acheteur, dans le DCE\u00a0: à compléter et signer"


@dataclass(frozen=True, slots=True)
class Piece:
    key: str
    label: str
    stage: str
    kind: DocumentKind | None = None
    #: listed only when the call's text mentions one of these phrases
    when: tuple[str, ...] = ()
    note: str = ""


PIECES: tuple[Piece, ...] = (
    Piece("dc1", "DC1 — lettre de candidature", "candidature"),
    Piece("dc2", "DC2 — déclaration du candidat", "candidature"),
    Piece(
        "dume",
        "DUME — document unique de marché européen",
        "candidature",
        when=("DUME", "document unique de marché européen"),
        note="peut remplacer DC1 et DC2\u00a0: à remplir sur le profil d'acheteur",
    ),
    Piece(
        "dc4",
        "DC4 — déclaration de sous-traitance",
        "candidature",
        when=("DC4", "sous-traitance", "sous-traitant"),
        note="seulement si vous sous-traitez une partie de la prestation",
    ),
    Piece(
        "qualiopi",
        "Certificat Qualiopi (actions de formation)",
        "candidature",
        DocumentKind.QUALIOPI,
    ),
    Piece("nda", "Récépissé de déclaration d'activité (NDA)", "candidature", DocumentKind.NDA),
    Piece(
        "rc_pro",
        "Attestation d'assurance responsabilité civile professionnelle",
        "candidature",
        DocumentKind.RC_PRO,
    ),
    Piece(
        "bpf",
        "Dernier bilan pédagogique et financier (BPF)",
        "candidature",
        DocumentKind.BPF,
        when=("BPF", "bilan pédagogique et financier"),
    ),
    Piece(
        "references",
        "Références de prestations similaires (3 dernières années)",
        "candidature",
        DocumentKind.REFERENCE,
    ),
    Piece("cv", "CV des formateurs mobilisés", "candidature"),
    Piece("turnover", "Chiffre d'affaires des 3 derniers exercices", "candidature"),
    Piece("memoire", "Mémoire technique", "offre"),
    Piece(
        "frame",
        "Cadre de réponse de l'acheteur",
        "offre",
        when=("cadre de réponse", "cadre de mémoire", "trame de réponse"),
        note="reportez-y le contenu du mémoire technique",
    ),
    Piece("ae", "Acte d'engagement (AE / ATTRI1)", "offre", note=BUYER_FORM),
    Piece("prices", "Bordereau de prix (BPU, DPGF ou DQE)", "offre", note=BUYER_FORM),
    Piece(
        "urssaf",
        "Attestation de vigilance URSSAF (moins de 6 mois)",
        "attributaire",
        DocumentKind.URSSAF,
    ),
    Piece("fiscale", "Attestation de régularité fiscale", "attributaire", DocumentKind.FISCALE),
    Piece("kbis", "Extrait Kbis (souvent de moins de 3 mois)", "attributaire", DocumentKind.KBIS),
)


@dataclass(frozen=True, slots=True)
class ChecklistInputs:
    text: str
    vault: Vault
    today: date
    deadline: datetime | None
    trainers: list[Trainer]
    turnover_years: list[int]
    #: piece key -> file names produced by the draft (dc1, dc2, memoire)
    drafted: dict[str, list[str]]
    #: absolute path of a vault file -> its name in dossier.zip
    attached: dict[str, str]


@lru_cache(maxsize=1)
def _mentions_index() -> PhraseIndex[str]:
    index: PhraseIndex[str] = PhraseIndex()
    index.add_all((phrase, piece.key) for piece in PIECES for phrase in piece.when)
    return index


def mentioned(text: str) -> set[str]:
    """Keys of the optional pieces the text mentions."""
    return {hit.payload for hit in _mentions_index().find(stems(text))}


def build_checklist(inputs: ChecklistInputs) -> list[dict[str, str]]:
    """One row per piece: key, source ("vault" for documents), label, stage, status, symbol,
    status_label, detail."""
    asked = mentioned(inputs.text)
    pieces = [p for p in PIECES if not p.when or p.key in asked]
    return [_item(piece, *_status(piece, inputs)) for piece in pieces]


def _item(piece: Piece, status: ItemStatus, detail: str) -> dict[str, str]:
    symbol, label = STATUS_TEXT[status]
    vault = piece.kind is not None or piece.key == "cv"
    return {
        "key": piece.key,
        "source": "vault" if vault else "",
        "label": piece.label,
        "stage": piece.stage,
        "status": status.value,
        "symbol": symbol,
        "status_label": label,
        "detail": detail,
    }


def _status(piece: Piece, inputs: ChecklistInputs) -> tuple[ItemStatus, str]:
    if piece.key in inputs.drafted:
        return ItemStatus.DRAFTED, ", ".join(inputs.drafted[piece.key])
    if piece.key == "cv":
        return _cvs(inputs)
    if piece.key == "turnover":
        return _turnover(inputs.turnover_years)
    if piece.kind == DocumentKind.REFERENCE:
        return _references(inputs)
    if piece.kind is not None:
        return _document(piece.kind, inputs)
    return ItemStatus.TODO, piece.note


def _document(kind: DocumentKind, inputs: ChecklistInputs) -> tuple[ItemStatus, str]:
    state = inputs.vault.best(kind, inputs.today, inputs.deadline)
    status = FROM_VAULT[state.status]
    if status == ItemStatus.ATTACHED and state.document is not None:
        name = inputs.attached.get(str(state.document.path), "")
        return status, "\u00a0; ".join(filter(None, [name, state.detail]))
    return status, state.detail


def _references(inputs: ChecklistInputs) -> tuple[ItemStatus, str]:
    found = [
        d
        for d in inputs.vault.of_kind(DocumentKind.REFERENCE)
        if d.status(inputs.today, inputs.deadline) == DocumentStatus.VALID
    ]
    if not found:
        return ItemStatus.MISSING, "aucune référence dans le coffre de documents"
    return (
        ItemStatus.ATTACHED,
        f"{len(found)} référence{'s' if len(found) > 1 else ''}\u00a0: "
        + ", ".join(d.title for d in found),
    )


def _cvs(inputs: ChecklistInputs) -> tuple[ItemStatus, str]:
    if not inputs.trainers:
        return ItemStatus.TODO, "choisissez les formateurs et joignez leurs CV"
    missing = [t.name for t in inputs.trainers if not _cv_attached(t, inputs)]
    if missing:
        return ItemStatus.MISSING, "CV manquant\u00a0: " + ", ".join(missing)
    return ItemStatus.ATTACHED, ", ".join(t.name for t in inputs.trainers)


def _cv_attached(trainer: Trainer, inputs: ChecklistInputs) -> bool:
    if trainer.cv is None:
        return False
    return str((inputs.vault.folder / trainer.cv).resolve()) in inputs.attached


def _turnover(years: list[int]) -> tuple[ItemStatus, str]:
    if not years:
        return ItemStatus.TODO, (
            "à reporter dans le DC2 (votre administrateur peut le renseigner dans les "
            "réglages, rubrique réponses)"
        )
    return ItemStatus.DRAFTED, f"prérempli dans le DC2 ({min(years)}–{max(years)})"


def checklist_context(items: list[dict[str, str]], deadline: str, today: date) -> dict[str, Any]:
    """The ``checklist`` entry of the template context; ``deadline`` as told, its countdown
    beside its date (``call.deadline_told``)."""
    stages = [
        {"title": title, "pieces": [i for i in items if i["stage"] == key]}
        for key, title in STAGES.items()
    ]
    counts = {s.value: sum(i["status"] == s.value for i in items) for s in ItemStatus}
    return {
        "stages": [s for s in stages if s["pieces"]],
        "pieces": items,
        "deadline": deadline,
        "counts": counts,
        "problems": counts["missing"] + counts["expired"] + counts["expiring"],
        "checked_on": long_date(today),
    }
