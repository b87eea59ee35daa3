"""``make_draft``: the folder, its .docx re-opened and read, the zip, hostile and missing input."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
from lxml import etree

from responses.demo import write_demo_files
from responses.draft import DraftResult, draft_folder_name, make_draft
from responses.sample import SAMPLE_DAY, SAMPLE_NOW, SampleOrganisation, sample_notice
from responses.settings import DocumentsConfig, ResponsesConfig, load_example
from responses.vault import Vault
from watcher.classify.profile import Profile, load_example_profile
from watcher.errors import DraftError
from watcher.models import PARIS, Lot, Match, Notice

HOSTILE = 'Formation <b>Managers</b> & "SST" {{ 7*7 }} {% if true %}x{% endif %} l\'équipe'
SAFE_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?$"


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    """The shipped example documents, every file present, read as of SAMPLE_DAY."""
    documents, _ = load_example()
    write_demo_files(documents, tmp_path / "config" / documents.folder)
    return Vault.load(documents, tmp_path / "config")


def draft(tmp_path: Path, notice: Notice, vault: Vault, **options: Any) -> DraftResult:
    settings = options.pop("settings", load_example()[1])
    return make_draft(
        notice,
        organisation=options.pop("organisation", SampleOrganisation()),
        profile=options.pop("profile", load_example_profile()),
        responses_settings=settings,
        vault=vault,
        out_dir=options.pop("out_dir", tmp_path / "out"),
        now=options.pop("now", SAMPLE_NOW),
        **options,
    )


def docx_text(path: Path) -> str:
    """Every paragraph of the body, tables, headers and footers."""
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.footer.paragraphs + section.header.paragraphs]
    return "\n".join(parts)


def files(result: DraftResult) -> dict[str, Path]:
    return {path.name: path for path in result.files}


# ------------------------------------------------------------------------------ a full draft


def test_a_typical_call_gives_every_file(tmp_path: Path, vault: Vault) -> None:
    result = draft(tmp_path, sample_notice(), vault)
    assert sorted(files(result)) == sorted(
        [
            "memoire-technique.docx",
            "memoire-technique.md",
            "DC1.docx",
            "DC2-lot-1.docx",
            "DC2-lot-2.docx",
            "checklist.md",
            "checklist.html",
            "dossier.zip",
        ]
    )
    assert all(path.parent == (tmp_path / "out").resolve() for path in result.files)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(files(result))


def test_memoire_docx_is_prefilled_with_identity_and_qualiopi(tmp_path: Path, vault: Vault) -> None:
    text = docx_text(files(draft(tmp_path, sample_notice(), vault))["memoire-technique.docx"])
    for expected in (
        "Exemple Formation & Conseil",
        "123 456 789 00012",  # SIRET, grouped
        "53 35 09123 35",  # NDA
        "FR-2024-QUA-01234",
        "Bureau Certif Ouest",
        "actions de formation, bilans de compétences",
        "mercredi 31 mars 2027",  # issued 2024-04-01 + 3 years - 1 day
        "Sauveteur secouriste du travail (SST)",  # a catalogue course that fits
        "14 h (2 jours)",
        "Claire Martin",  # a trainer whose skills fit
        "Référent handicap\u00a0: Sofia Garcia",
        "lundi 23 mars 2026 à 12h00",  # the deadline
        "À COMPLÉTER — Reformulation du besoin",
        "12. Planning et prix",
        "Indicateurs Qualiopi\u00a0: 4 (Analyse du besoin); 24",
    ):
        assert expected in text, expected
    assert "Julien Lefebvre" not in text  # bureautique trainer: no fit with this call
    assert "{{" not in text and "{%" not in text


def test_todo_blocks_are_shaded_and_bordered_paragraphs(tmp_path: Path, vault: Vault) -> None:
    path = files(draft(tmp_path, sample_notice(), vault))["memoire-technique.docx"]
    document = docx.Document(str(path))
    todos = [p for p in document.paragraphs if p.text.startswith("À COMPLÉTER")]
    assert len(todos) >= 10
    assert all(p.style is not None and p.style.name == "À compléter" for p in todos)
    assert all(run.bold for p in todos for run in p.runs)
    style_xml = etree.tostring(document.styles["À compléter"].element).decode()
    assert "w:pBdr" in style_xml and 'w:fill="FFF2CC"' in style_xml


def test_dc_forms_carry_the_candidate_identity_per_lot(tmp_path: Path, vault: Vault) -> None:
    found = files(draft(tmp_path, sample_notice(), vault))
    dc1 = docx_text(found["DC1.docx"])
    assert "123 456 789 00012" in dc1 and "Claire Martin" in dc1 and "Présidente" in dc1
    assert "tous les lots (2)" in dc1 and "(un par lot)" in dc1
    for key, region in (("1", "Bretagne"), ("2", "Pays de la Loire")):
        dc2 = docx_text(found[f"DC2-lot-{key}.docx"])
        assert f"Lot {key}\u00a0: Sessions en {region}" in dc2
        assert "480 000 € HT" in dc2.replace("\u202f", " ")  # turnover 2025
        assert "FR-2024-QUA-01234" in dc2 and "contact@exemple-formation.fr" in dc2


def test_markdown_and_checklists(tmp_path: Path, vault: Vault) -> None:
    found = files(draft(tmp_path, sample_notice(), vault, match=Match(True, 87, ("Management",))))
    memoire = found["memoire-technique.md"].read_text("utf-8")
    assert "## 1. Présentation de l'organisme" in memoire
    assert "> **À COMPLÉTER — Reformulation du besoin**" in memoire
    assert "| SIRET | 123 456 789 00012 |" in memoire
    checklist = found["checklist.md"].read_text("utf-8")
    deadline = "**Date limite de remise des offres\u00a0: lundi 23 mars 2026 à 12h00"
    deadline += " (dans 21 jours)**"
    assert deadline in checklist
    qualiopi = "| ✓ | Certificat Qualiopi (actions de formation) | joint au dossier | pieces/"
    assert qualiopi + "certificat-qualiopi.pdf" in checklist
    assert "Pertinence (opco-watch)\u00a0: 87/100 — Management" in checklist
    html = found["checklist.html"].read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "lundi 23 mars 2026 à 12h00" in html
    etree.fromstring(html.split("\n", 1)[1].encode(), etree.HTMLParser())


def test_zip_holds_the_drafts_and_copies_of_valid_documents(tmp_path: Path, vault: Vault) -> None:
    result = draft(tmp_path, sample_notice(), vault)
    with zipfile.ZipFile(files(result)["dossier.zip"]) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        pdf = archive.read("pieces/certificat-qualiopi.pdf")
    drafted = {p.name for p in result.files if p.name != "dossier.zip"}
    assert drafted <= set(names)
    pieces = sorted(n for n in names if n.startswith("pieces/"))
    assert pieces == [
        "pieces/attestation-d-assurance-responsabilite-civile-professionnelle-2026.pdf",
        "pieces/attestation-fiscale.pdf",
        "pieces/attestation-urssaf.pdf",
        "pieces/bilan-pedagogique-et-financier-2025.pdf",
        "pieces/certificat-qualiopi.pdf",
        "pieces/cv-claire-martin.pdf",
        "pieces/cv-marc-dubois.pdf",
        "pieces/extrait-kbis.pdf",
        "pieces/recepisse-de-declaration-d-activite-nda.pdf",
        "pieces/region-bretagne-parcours-managers-de-proximite-2025.pdf",
    ]
    assert all(re.match(SAFE_NAME, n) for n in names)
    assert pdf.startswith(b"%PDF-1.4")


def test_only_valid_documents_are_copied(tmp_path: Path) -> None:
    section = DocumentsConfig.model_validate(
        {
            "items": [
                {"kind": "qualiopi", "file": "q.pdf", "issued": "2024-04-01", "number": "FR-1"},
                {"kind": "urssaf", "file": "u-old.pdf", "issued": "2025-06-01"},  # expired
                {
                    "kind": "kbis",
                    "file": "kbis.pdf",
                    "issued": "2026-01-01",
                    "expires": "2026-03-10",
                },
                {"kind": "nda", "file": "absent.pdf"},  # missing
                {
                    "kind": "cv",
                    "file": "cv/nobody.pdf",
                    "person": "Personne Inconnue",
                },  # not proposed
            ]
        }
    )
    folder = tmp_path / "config" / "documents"
    for item in section.items:
        if item.file.name != "absent.pdf":
            (folder / item.file).parent.mkdir(parents=True, exist_ok=True)
            (folder / item.file).write_bytes(b"%PDF-1.4 test")
    result = draft(tmp_path, sample_notice(), Vault.load(section, tmp_path / "config"))
    with zipfile.ZipFile(files(result)["dossier.zip"]) as archive:
        pieces = [n for n in archive.namelist() if n.startswith("pieces/")]
    assert pieces == ["pieces/certificat-qualiopi.pdf"]
    warnings = result.warnings
    assert (
        "pièce bloquante\u00a0: attestation URSSAF expirée le dimanche 30 novembre 2025" in warnings
    )
    assert "pièce bloquante\u00a0: récépissé de déclaration d'activité (NDA) manquant" in warnings
    checklist = files(result)["checklist.md"].read_text("utf-8")
    kbis = "| ⚠ | Extrait Kbis (souvent de moins de 3 mois) | expire avant la date limite |"
    assert kbis in checklist
    assert "| ✗ | Attestation de vigilance URSSAF (moins de 6 mois) | expiré |" in checklist


def test_the_zip_never_copies_a_file_from_outside_the_documents_folder(tmp_path: Path) -> None:
    folder = tmp_path / "config" / "documents"
    folder.mkdir(parents=True)
    (folder / "q.pdf").write_bytes(b"%PDF-1.4 q")
    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4 secret")
    (folder / "lien.pdf").symlink_to(tmp_path / "secret.pdf")
    items = [
        {"kind": "qualiopi", "file": "q.pdf", "issued": "2024-04-01", "number": "FR-1"},
        {"kind": "kbis", "file": "../../secret.pdf"},
        {"kind": "urssaf", "file": str(tmp_path / "secret.pdf")},
        {"kind": "fiscale", "file": "lien.pdf"},
        {"kind": "nda", "file": "../" * 16 + "etc/hostname"},
    ]
    vault = Vault.load(DocumentsConfig.model_validate({"items": items}), tmp_path / "config")
    result = draft(tmp_path, sample_notice(), vault)
    with zipfile.ZipFile(files(result)["dossier.zip"]) as archive:
        pieces = [n for n in archive.namelist() if n.startswith("pieces/")]
        copied = b"".join(archive.read(n) for n in pieces)
    assert pieces == ["pieces/certificat-qualiopi.pdf"] and b"secret" not in copied
    checklist = files(result)["checklist.md"].read_text("utf-8")
    assert "en dehors du dossier des documents" in checklist


# ---------------------------------------------------------------------------- hostile input


def hostile_notice() -> Notice:
    base = sample_notice()
    lots = (
        Lot(
            "Lot <A> & B {{ lot }}",
            "1",
            description="Ligne 1\nLigne 2 \x07 bell \x0c ff",
            places=("Rennes (35)",),
        ),
        replace(base.lots[1], title="Nantes & co </w:t></w:r>"),
    )
    return replace(
        base,
        title=HOSTILE,
        buyer="<script>alert('x')</script> & Co",
        summary="Résumé avec {{ config }} et <w:p> et \x00 nul\ttab",
        lots=lots,
        platform_url="javascript:alert(1)",
    )


def test_hostile_text_appears_literally_in_every_docx(tmp_path: Path, vault: Vault) -> None:
    result = draft(tmp_path, hostile_notice(), vault)
    for name, path in files(result).items():
        if not name.endswith(".docx"):
            continue
        text = docx_text(path)
        assert HOSTILE in text, name
        assert "49" not in text.replace("2049", "")  # {{ 7*7 }} never evaluated
        assert "<script>alert('x')</script> & Co" in text, name
    memoire = docx_text(files(result)["memoire-technique.docx"])
    assert "Lot <A> & B {{ lot }}" in memoire and "Nantes & co </w:t></w:r>" in memoire
    assert "Résumé avec {{ config }} et <w:p> et nul tab" in memoire
    with zipfile.ZipFile(files(result)["memoire-technique.docx"]) as archive:
        xml = archive.read("word/document.xml").decode()
    assert "&lt;b&gt;Managers&lt;/b&gt; &amp;" in xml


def test_hostile_text_is_escaped_in_markdown_and_html(tmp_path: Path, vault: Vault) -> None:
    found = files(draft(tmp_path, hostile_notice(), vault))
    memoire = found["memoire-technique.md"].read_text("utf-8")
    assert "\\<script\\>alert('x')\\</script\\> & Co" in memoire
    assert "<script>" not in memoire and "<b>" not in memoire
    assert "{{ 7\\*7 }}" in memoire and "49" not in memoire
    assert "Nantes & co \\</w:t\\>\\</w:r\\>" in memoire
    html = found["checklist.html"].read_text("utf-8")
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in html
    assert "<script>" not in html and "javascript:" not in html
    assert "{{ 7*7 }}" in html


def test_a_very_long_title(tmp_path: Path, vault: Vault) -> None:
    title = "Formation au management de proximité " * 150  # ~5,500 characters
    notice = replace(sample_notice(), title=title)
    result = draft(tmp_path, notice, vault)
    text = docx_text(files(result)["memoire-technique.docx"])
    assert title.strip() in text
    footer = docx.Document(str(files(result)["DC1.docx"])).sections[0].footer.paragraphs[0].text
    assert len(footer) < 200 and footer.count("…") == 1
    assert len(draft_folder_name(replace(notice, ref="https://x.fr/a"), SAMPLE_DAY)) < 90


def test_a_call_with_twelve_lots(tmp_path: Path, vault: Vault) -> None:
    result = draft(tmp_path, sample_notice(lots=12), vault)
    dc2 = sorted(n for n in files(result) if n.startswith("DC2"))
    assert dc2 == sorted(f"DC2-lot-{n}.docx" for n in range(1, 13))
    assert "Lot 12\u00a0: Sessions en Île-de-France" in docx_text(files(result)["DC2-lot-12.docx"])
    memoire = docx_text(files(result)["memoire-technique.docx"])
    assert all(f"Lot {n} — Sessions en" in memoire for n in range(1, 13))
    assert "tous les lots (12)" in memoire
    with zipfile.ZipFile(files(result)["dossier.zip"]) as archive:
        assert set(dc2) <= set(archive.namelist())
    checklist = files(result)["checklist.md"].read_text("utf-8")
    assert "DC2-lot-1.docx, DC2-lot-2.docx" in checklist and "DC2-lot-12.docx |" in checklist


def test_missing_optional_data(tmp_path: Path) -> None:
    notice = Notice("akto", "https://www.akto.fr/ao/1", "Formation SST", "https://www.akto.fr/ao/1")
    empty_vault = Vault.load(DocumentsConfig(), tmp_path)
    result = draft(
        tmp_path,
        notice,
        empty_vault,
        settings=ResponsesConfig(),
        profile=Profile(),
        organisation=replace(SampleOrganisation(), siret="", nda=""),
    )
    found = files(result)
    assert "DC2.docx" in found and not any(n.startswith("DC2-lot") for n in found)
    memoire = docx_text(found["memoire-technique.docx"])
    assert "[À COMPLÉTER]" in memoire  # SIRET, NDA, certificate, address...
    assert "À COMPLÉTER — Identité incomplète" in memoire
    assert "À COMPLÉTER — Programme à rédiger" in memoire
    assert "À COMPLÉTER — Formateurs mobilisés" in memoire
    assert "À COMPLÉTER — Référent handicap" in memoire
    assert "le marché dans son ensemble" in memoire and "non communiquée" in memoire
    assert result.warnings == [
        "aucun document déclaré ([[documents.items]])\u00a0: rien n'est joint, voir checklist.md",
        "date limite inconnue\u00a0: vérifiez-la dans le règlement de consultation",
    ]
    with zipfile.ZipFile(found["dossier.zip"]) as archive:
        assert not any(n.startswith("pieces/") for n in archive.namelist())
    assert "DC2" in docx_text(found["DC2.docx"])


def test_an_unreadable_deadline_keeps_its_text(tmp_path: Path, vault: Vault) -> None:
    notice = replace(sample_notice(), deadline=None, deadline_text="avant la fin du mois")
    checklist = files(draft(tmp_path, notice, vault))["checklist.md"].read_text("utf-8")
    assert "non communiquée (texte publié\u00a0: «\u00a0avant la fin du mois\u00a0»)" in checklist


# ----------------------------------------------------------------------------------- options


@pytest.mark.parametrize("wanted", ["2", "Lot 2", "lot 02"])
def test_lot_option_drafts_one_lot(tmp_path: Path, vault: Vault, wanted: str) -> None:
    result = draft(tmp_path, sample_notice(), vault, lot=wanted)
    found = files(result)
    assert "DC2.docx" in found and "DC2-lot-1.docx" not in found
    dc2 = docx_text(found["DC2.docx"])
    assert "Lot 2\u00a0: Sessions en Pays de la Loire" in dc2
    memoire = docx_text(found["memoire-technique.docx"])
    assert "le lot 2\u00a0: Sessions en Pays de la Loire" in memoire and "Lot 1 —" not in memoire


def test_unknown_lot_and_lot_of_a_call_without_lots(tmp_path: Path, vault: Vault) -> None:
    with pytest.raises(DraftError, match=r"no such lot .* \(lots: 1, 2\)"):
        draft(tmp_path, sample_notice(), vault, lot="7")
    with pytest.raises(DraftError, match="has no lots"):
        draft(tmp_path, sample_notice(lots=0), vault, lot="1")
    assert not (tmp_path / "out").exists()  # nothing written before the inputs are checked


def test_a_non_empty_folder_is_refused_unless_overwrite(tmp_path: Path, vault: Vault) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(DraftError, match="is not empty"):
        draft(tmp_path, sample_notice(), vault)
    draft(tmp_path, sample_notice(lots=3), vault, overwrite=True)
    result = draft(tmp_path, sample_notice(), vault, overwrite=True, lot="1")
    assert sorted(p.name for p in out.glob("DC2*")) == ["DC2.docx"]  # stale per-lot forms gone
    assert (out / "notes.txt").read_text() == "mine"
    assert result.folder == out.resolve()


def test_a_file_in_place_of_the_folder_is_refused(tmp_path: Path, vault: Vault) -> None:
    (tmp_path / "out").write_text("x")
    with pytest.raises(DraftError, match="is not a folder"):
        draft(tmp_path, sample_notice(), vault)


def test_qualiopi_numbers_that_disagree_are_reported(tmp_path: Path, vault: Vault) -> None:
    profile = load_example_profile()
    profile = profile.model_copy(
        update={"qualiopi": profile.qualiopi.model_copy(update={"certificate_number": "OLD-1"})}
    )
    result = draft(tmp_path, sample_notice(), vault, profile=profile)
    assert any("numéro Qualiopi différent" in w and "OLD-1" in w for w in result.warnings)


def test_a_past_deadline_is_a_warning(tmp_path: Path, vault: Vault) -> None:
    notice = replace(sample_notice(), deadline=datetime(2026, 2, 20, 12, tzinfo=PARIS))
    result = draft(tmp_path, notice, vault)
    assert "la date limite est dépassée (vendredi 20 février 2026 à 12h00)" in result.warnings


def test_a_closed_lot_is_a_warning_while_another_is_open(tmp_path: Path, vault: Vault) -> None:
    """At 14h00, lot 1 (the call's deadline) closed at 12h00 and lot 2 closes in three days:
    not « dépassée » for the call, a warning naming lot 1; at 11h00, no warning."""
    call = datetime(2026, 3, 2, 12, tzinfo=PARIS)
    lots = (
        Lot("Management", "1", deadline=call),
        Lot("Bureautique", "2", deadline=call + timedelta(days=3)),
    )
    notice = replace(sample_notice(), deadline=call, lots=lots)
    after = draft(tmp_path / "a", notice, vault, now=call + timedelta(hours=2))
    assert [w for w in after.warnings if "date limite" in w] == [
        "date limite dépassée pour le lot 1 (lundi 2 mars 2026 à 12h00)\u00a0: "
        "seuls les lots encore ouverts comptent"
    ]
    before = draft(tmp_path / "b", notice, vault, now=call - timedelta(hours=1))
    assert not [w for w in before.warnings if "date limite" in w]
    # every lot closes after the call's own deadline: that one is the call's
    later = (replace(lots[0], deadline=call + timedelta(days=1)), lots[1])
    past = draft(tmp_path / "c", replace(notice, lots=later), vault, now=call + timedelta(hours=2))
    assert [w for w in past.warnings if "date limite" in w] == [
        "date limite dépassée pour l'appel (lundi 2 mars 2026 à 12h00)\u00a0: "
        "seuls les lots encore ouverts comptent"
    ]


def test_estimated_values_are_french_amounts(tmp_path: Path, vault: Vault) -> None:
    notice = replace(sample_notice(), estimated_value=Decimal("1234.5"))
    memoire = files(draft(tmp_path, notice, vault))["memoire-technique.md"].read_text("utf-8")
    assert "montant estimé 1\u202f234,50 € HT" in memoire
    assert date(2026, 3, 2) == SAMPLE_DAY


def test_documents_are_judged_against_the_deadline_the_draft_answers(
    tmp_path: Path, vault: Vault
) -> None:
    """The example Qualiopi certificate is valid until Wednesday 31 March 2027. Lot 1 (the
    call's deadline) closed on 15 March, lot 2 closes on 15 April: on 20 March the draft
    answers lot 2, on which the certificate will have expired. Before, documents were judged
    against the call's own (passed) deadline: no blocker, the certificate attached."""
    call = datetime(2027, 3, 15, 12, tzinfo=PARIS)
    lots = (
        Lot("Management", "1", deadline=call),
        Lot("Bureautique", "2", deadline=call.replace(month=4)),
    )
    notice = replace(sample_notice(), deadline=call, lots=lots)
    expiring = (
        "pièce bloquante\u00a0: certificat Qualiopi expiré à la date limite "
        "(valable jusqu'au mercredi 31 mars 2027)"
    )
    late = draft(tmp_path / "late", notice, vault, now=datetime(2027, 3, 20, 9, tzinfo=PARIS))
    assert expiring in late.warnings
    with zipfile.ZipFile(files(late)["dossier.zip"]) as archive:
        assert not [n for n in archive.namelist() if "qualiopi" in n]
    early = draft(tmp_path / "early", notice, vault, now=datetime(2027, 3, 10, 9, tzinfo=PARIS))
    assert expiring not in early.warnings  # lot 1 is answered first: valid on its day
    with zipfile.ZipFile(files(early)["dossier.zip"]) as archive:
        assert [n for n in archive.namelist() if "qualiopi" in n]
    asked = draft(
        tmp_path / "lot2", notice, vault, now=datetime(2027, 3, 10, 9, tzinfo=PARIS), lot="2"
    )
    assert expiring in asked.warnings  # --lot 2: its own deadline, even before lot 1 closes
