"""The evidence vault: settings, legal terms, statuses at their boundaries, blockers, listings."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from responses.settings import (
    DocumentItem,
    DocumentKind,
    DocumentsConfig,
    ResponsesConfig,
    add_months,
    example_toml,
    legal_expiry,
    load_example,
)
from responses.vault import (
    DocumentStatus,
    Vault,
    document_reminders,
    documents_table,
    required_document_blockers,
)
from watcher.models import PARIS

TODAY = date(2026, 3, 2)


def vault_of(tmp_path: Path, *items: dict[str, object], required: list[str] | None = None) -> Vault:
    """A vault whose declared files all exist, except those named 'absent*'."""
    folder = tmp_path / "documents"
    folder.mkdir(exist_ok=True)
    extra = {"required": required} if required is not None else {}
    section = DocumentsConfig.model_validate({"items": list(items), **extra})
    for item in section.items:
        if not item.file.name.startswith("absent"):
            (folder / item.file).parent.mkdir(parents=True, exist_ok=True)
            (folder / item.file).write_bytes(b"%PDF-1.4")
    return Vault.load(section, tmp_path)


# ------------------------------------------------------------------------------- settings


def test_absent_sections_validate_with_defaults() -> None:
    documents, responses = DocumentsConfig(), ResponsesConfig()
    assert documents.folder == Path("documents") and documents.items == []
    assert DocumentKind.URSSAF in documents.required
    assert responses.output_folder == Path("drafts") and responses.templates_folder is None


def test_every_field_has_a_help_text() -> None:
    from pydantic import BaseModel

    from responses import settings

    models: list[type[BaseModel]] = [settings.DocumentItem, settings.DocumentsConfig]
    models += [settings.ResponsesConfig, settings.Trainer, settings.DisabilityReferent]
    models += [settings.Turnover]
    for model in models:
        for name, field in model.model_fields.items():
            assert field.description, f"{model.__name__}.{name} has no description"


def test_shipped_example_validates_and_its_commented_form_is_inert() -> None:
    documents, responses = load_example()
    assert {i.kind for i in documents.items} >= {DocumentKind.QUALIOPI, DocumentKind.URSSAF}
    assert responses.trainers and responses.disability_referent.name
    assert tomllib.loads(example_toml(commented=True)) == {}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"kind": "kbis", "file": "k.pdf", "number": "X1"}, "qualiopi only"),
        ({"kind": "urssaf", "file": "u.pdf", "person": "A"}, "cv only"),
        (
            {"kind": "urssaf", "file": "u.pdf", "issued": "2026-03-02", "expires": "2026-01-01"},
            "before issued",
        ),
        ({"kind": "passport", "file": "p.pdf"}, "kind"),
        ({"kind": "nda", "file": ""}, "file name"),
        ({"kind": "nda", "file": "n.pdf", "colour": "red"}, "Extra inputs"),
    ],
)
def test_bad_items_are_refused(item: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        DocumentItem.model_validate(item)


# ------------------------------------------------------------------------------ legal terms


def test_add_months_clamps_to_the_end_of_shorter_months() -> None:
    assert add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 36) == date(2027, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_legal_expiry_is_the_last_day_of_the_term() -> None:
    assert legal_expiry(DocumentKind.URSSAF, date(2026, 1, 15)) == date(2026, 7, 14)
    assert legal_expiry(DocumentKind.QUALIOPI, date(2021, 10, 7)) == date(2024, 10, 6)
    assert legal_expiry(DocumentKind.KBIS, date(2026, 1, 15)) is None
    assert legal_expiry(DocumentKind.URSSAF, None) is None


def test_an_explicit_expiry_wins_over_the_legal_term() -> None:
    item = DocumentItem(
        kind=DocumentKind.URSSAF,
        file=Path("u.pdf"),
        issued=date(2026, 1, 15),
        expires=date(2026, 5, 1),
    )
    assert item.valid_until == date(2026, 5, 1)


# --------------------------------------------------------------------------------- statuses


def urssaf_status(tmp_path: Path, today: date, deadline: date | None = None) -> DocumentStatus:
    vault = vault_of(tmp_path, {"kind": "urssaf", "file": "u.pdf", "issued": "2026-01-15"})
    return vault.documents[0].status(today, deadline)


def test_urssaf_is_valid_until_the_day_before_issued_plus_six_months(tmp_path: Path) -> None:
    assert urssaf_status(tmp_path, date(2026, 7, 14)) == DocumentStatus.VALID
    assert urssaf_status(tmp_path, date(2026, 7, 15)) == DocumentStatus.EXPIRED


def test_qualiopi_expires_at_three_years(tmp_path: Path) -> None:
    vault = vault_of(tmp_path, {"kind": "qualiopi", "file": "q.pdf", "issued": "2023-03-02"})
    document = vault.documents[0]
    assert document.valid_until == date(2026, 3, 1)
    assert document.status(date(2026, 3, 1)) == DocumentStatus.VALID
    assert document.status(date(2026, 3, 2)) == DocumentStatus.EXPIRED


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        (date(2026, 7, 14), DocumentStatus.VALID),  # still valid on the deadline day
        (date(2026, 7, 15), DocumentStatus.EXPIRING),
        (datetime(2026, 7, 15, 0, 30, tzinfo=PARIS), DocumentStatus.EXPIRING),
        (datetime(2026, 7, 14, 23, 30, tzinfo=PARIS), DocumentStatus.VALID),
        (None, DocumentStatus.VALID),
    ],
)
def test_expiring_is_relative_to_the_deadline_day_in_paris(
    tmp_path: Path, deadline: date | None, expected: DocumentStatus
) -> None:
    assert urssaf_status(tmp_path, date(2026, 6, 1), deadline) == expected


def test_deadline_given_in_utc_is_read_in_paris_time(tmp_path: Path) -> None:
    from datetime import UTC

    late_evening = datetime(2026, 7, 14, 22, 30, tzinfo=UTC)  # 00:30 on the 15th in Paris
    assert urssaf_status(tmp_path, date(2026, 6, 1), late_evening) == DocumentStatus.EXPIRING


def test_expired_wins_over_expiring_and_missing_wins_over_all(tmp_path: Path) -> None:
    vault = vault_of(
        tmp_path,
        {"kind": "urssaf", "file": "u.pdf", "issued": "2025-01-15"},
        {"kind": "kbis", "file": "absent-kbis.pdf", "issued": "2026-03-01"},
    )
    urssaf, kbis = vault.documents
    assert urssaf.status(TODAY, date(2026, 4, 1)) == DocumentStatus.EXPIRED
    assert kbis.status(TODAY) == DocumentStatus.MISSING


def test_a_document_without_expiry_stays_valid(tmp_path: Path) -> None:
    vault = vault_of(tmp_path, {"kind": "nda", "file": "n.pdf", "issued": "2010-01-01"})
    assert vault.documents[0].status(TODAY, date(2040, 1, 1)) == DocumentStatus.VALID


def test_missing_file_is_a_status_not_an_exception(tmp_path: Path) -> None:
    section = DocumentsConfig.model_validate({"items": [{"kind": "nda", "file": "nope.pdf"}]})
    vault = Vault.load(section, tmp_path)
    (state,) = [s for s in vault.statuses(TODAY) if s.kind == DocumentKind.NDA]
    assert state.status == DocumentStatus.MISSING
    assert "fichier introuvable" in state.detail and "nope.pdf" in state.detail


def test_best_document_of_a_kind_prefers_the_valid_one(tmp_path: Path) -> None:
    vault = vault_of(
        tmp_path,
        {"kind": "urssaf", "file": "old.pdf", "issued": "2025-01-10"},
        {"kind": "urssaf", "file": "new.pdf", "issued": "2026-02-10"},
    )
    best = vault.best(DocumentKind.URSSAF, TODAY)
    assert best.status == DocumentStatus.VALID and best.document is not None
    assert best.document.path.name == "new.pdf"


def test_relative_folder_is_resolved_against_the_config_folder(tmp_path: Path) -> None:
    vault = vault_of(tmp_path, {"kind": "nda", "file": "sub/n.pdf"})
    assert vault.folder == (tmp_path / "documents").resolve()
    assert vault.documents[0].exists


# ---------------------------------------------------------------------------------- blockers


def test_blockers_name_missing_and_expired_required_documents(tmp_path: Path) -> None:
    vault = vault_of(
        tmp_path,
        {"kind": "urssaf", "file": "u.pdf", "issued": "2025-09-02"},  # valid until 1 Mar 2026
        {"kind": "nda", "file": "n.pdf"},
        {"kind": "kbis", "file": "k.pdf"},
        {"kind": "fiscale", "file": "f.pdf"},
    )
    assert required_document_blockers(vault, TODAY) == [
        "certificat Qualiopi manquant",
        "attestation URSSAF expirée le dimanche 1er mars 2026",
    ]


def test_an_expiring_qualiopi_blocks_an_expiring_urssaf_does_not(tmp_path: Path) -> None:
    vault = vault_of(
        tmp_path,
        {"kind": "qualiopi", "file": "q.pdf", "issued": "2023-03-20"},  # until 19 Mar 2026
        {"kind": "urssaf", "file": "u.pdf", "issued": "2025-09-15"},  # until 14 Mar 2026
        required=["qualiopi", "urssaf"],
    )
    blockers = required_document_blockers(vault, TODAY, date(2026, 3, 25))
    assert blockers == [
        "certificat Qualiopi expiré à la date limite (valable jusqu'au jeudi 19 mars 2026)"
    ]
    assert (
        required_document_blockers(vault, TODAY, date(2026, 3, 25), skip=[DocumentKind.QUALIOPI])
        == []
    )


def test_an_unconfigured_vault_raises_no_blocker_and_no_reminder(tmp_path: Path) -> None:
    vault = Vault.load(DocumentsConfig(), tmp_path)
    assert not vault.configured
    assert required_document_blockers(vault, TODAY) == []
    assert document_reminders(vault, TODAY) == []


def test_reminders_cover_missing_documents_and_renewals_due(tmp_path: Path) -> None:
    vault = vault_of(
        tmp_path,
        {"kind": "urssaf", "file": "u.pdf", "issued": "2025-09-20"},  # until 19 Mar 2026
        {"kind": "fiscale", "file": "f.pdf", "issued": "2026-01-01", "expires": "2026-12-31"},
        required=["urssaf", "kbis"],
    )
    reminders = document_reminders(vault, TODAY, within_days=30)
    assert reminders == [
        "extrait Kbis manquant\u00a0: à fournir",
        "Attestation URSSAF\u00a0: à renouveler, valable jusqu'au jeudi 19 mars 2026 (17 jours)",
    ]


# --------------------------------------------------------------------------------- listings


def test_documents_table_rows(tmp_path: Path) -> None:
    vault = vault_of(
        tmp_path,
        {"kind": "qualiopi", "file": "q.pdf", "issued": "2025-01-10", "number": "FR-1"},
        {"kind": "cv", "file": "cv/a.pdf", "person": "Anne Martin"},
        {"kind": "kbis", "file": "k.pdf", "issued": "2025-10-01"},
        required=["qualiopi", "urssaf"],
    )
    rows = documents_table(vault, TODAY, deadline=date(2026, 4, 1))
    assert [r["kind"] for r in rows] == ["qualiopi", "cv", "kbis", "urssaf"]
    qualiopi, cv, kbis, urssaf = rows
    assert qualiopi["valid_until"] == "2028-01-09" and qualiopi["status"] == "valid"
    assert "audit de surveillance à passer entre le" in qualiopi["detail"]
    assert qualiopi["required"] == "yes" and cv["required"] == ""
    assert cv["title"] == "CV — Anne Martin" and cv["file"] == "cv/a.pdf"
    assert "plus de 3 mois" in kbis["detail"]
    assert urssaf == {**urssaf, "status": "missing", "status_label": "manquant", "file": ""}


# ---------------------------------------------------- documents stay inside the documents folder

#: climbs to the root from any temporary folder
ESCAPE = "../" * 16 + "etc/hostname"


def test_a_document_outside_the_folder_is_refused_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (tmp_path / "secret.pdf").write_bytes(b"%PDF secret")
    (folder / "lien.pdf").symlink_to(tmp_path / "secret.pdf")
    section = DocumentsConfig.model_validate(
        {
            "items": [
                {"kind": "urssaf", "file": ESCAPE},
                {"kind": "kbis", "file": str(tmp_path / "secret.pdf")},
                {"kind": "fiscale", "file": "lien.pdf"},
            ]
        }
    )
    vault = Vault.load(section, tmp_path)
    assert [(d.outside, d.exists) for d in vault.documents] == [(True, False)] * 3
    states = vault.statuses(TODAY)
    assert {s.status for s in states[:3]} == {DocumentStatus.MISSING}
    assert states[2].detail == "refusé\u00a0: lien.pdf est en dehors du dossier des documents"


def test_the_zip_never_holds_a_file_from_outside_the_folder(tmp_path: Path) -> None:
    from responses.bundle import plan_attachments
    from responses.settings import Trainer

    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "kbis.pdf").write_bytes(b"%PDF kbis")
    (tmp_path / "cv-dehors.pdf").write_bytes(b"%PDF cv")
    (folder / "cv-lien.pdf").symlink_to(tmp_path / "cv-dehors.pdf")
    section = DocumentsConfig.model_validate(
        {"items": [{"kind": "kbis", "file": "kbis.pdf"}, {"kind": "urssaf", "file": ESCAPE}]}
    )
    vault = Vault.load(section, tmp_path)
    trainers = [
        Trainer(name="Dehors", cv=Path("../cv-dehors.pdf")),
        Trainer(name="Lien", cv=Path("cv-lien.pdf")),
    ]
    attachments = plan_attachments(vault, trainers, TODAY, None)
    assert [a.source for a in attachments] == [(folder / "kbis.pdf").resolve()]
