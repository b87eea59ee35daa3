"""Context assembly: course ranking, trainers, lots, coverage, Qualiopi indicators, wording,
and the demo's drafting step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from responses.context import build_context, select
from responses.demo import demo_documents, demo_pdf, write_demo_files
from responses.draft import make_draft
from responses.matching import (
    coverage,
    fitting_trainers,
    lot_key,
    rank_courses,
    says_only_where,
    select_lots,
)
from responses.sample import (
    SAMPLE_DAY,
    SAMPLE_NOW,
    SampleOrganisation,
    sample_inputs,
    sample_notice,
)
from responses.settings import Trainer, load_example
from responses.skeleton import INDICATORS, SECTIONS, applicable
from responses.vault import Vault
from responses.wording import block, duration, line, markdown_escape, safe_name, safe_suffix
from watcher.classify.profile import Course, Profile, load_example_profile
from watcher.errors import DraftError
from watcher.models import Lot

CATALOGUE = load_example_profile().catalogue


def titles(*texts: str) -> list[str]:
    return [r.course.title for r in rank_courses(CATALOGUE, *texts)]


# ---------------------------------------------------------------------------------- courses


def test_courses_are_found_by_title_part_acronym_or_certification_code() -> None:
    assert titles("Formation SST pour les agents") == ["Sauveteur secouriste du travail (SST)"]
    excel = "Excel perfectionnement : tableaux croisés dynamiques"
    assert titles("Perfectionnement Excel") == [excel]
    assert titles("Parcours certifiant RS 6201") == ["Anglais professionnel"]
    assert titles("Bilans de compétences pour salariés") == ["Bilan de compétences"]
    assert titles("Nettoyage des locaux et entretien des espaces verts") == []


def test_generic_words_alone_do_not_make_a_course_fit() -> None:
    assert titles("Formation professionnelle des agents, modules de perfectionnement") == []


def test_thematic_lots_get_their_own_courses_geographic_lots_the_calls() -> None:
    notice = replace(
        sample_notice(),
        title="Formations : manager une équipe de proximité ; SST",
        summary="",
        lots=(Lot("Sauveteurs secouristes du travail", "1"), Lot("Bretagne", "2")),
    )
    inputs = replace(sample_inputs(notice), lots=select_lots(notice, None))
    blocks = select(inputs).blocks
    assert [r.course.title for r in blocks[0][1]] == ["Sauveteur secouriste du travail (SST)"]
    assert {r.course.title for r in blocks[1][1]} == {
        "Sauveteur secouriste du travail (SST)",
        "Manager une équipe de proximité",
    }


def test_a_thematic_lot_the_catalogue_lacks_is_to_write_not_given_the_calls_courses() -> None:
    notice = replace(
        sample_notice(),
        title="Formations : manager une équipe de proximité ; langues étrangères",
        summary="",
        lots=(Lot("Manager une équipe", "1"), Lot("Langues étrangères", "2")),
    )
    inputs = replace(sample_inputs(notice), lots=select_lots(notice, None))
    blocks = select(inputs).blocks
    assert [r.course.title for r in blocks[0][1]] == ["Manager une équipe de proximité"]
    assert blocks[1][1] == []  # no module of the catalogue: the draft says « Programme à rédiger »


@pytest.mark.parametrize(
    ("title", "where"),
    [
        ("Lot 2 – Bretagne", True),
        ("LOT 02 - ILE DE FRANCE", True),
        ("Lot 3 : Département du Finistère (29)", True),
        ("Lot 4 : Ille-et-Vilaine", True),
        ("Lot 5 - Région Pays de la Loire", True),
        ("Lot n°2 : 35", True),
        ("Secteur nord-est", True),
        ("Sessions en Normandie", True),
        ("Formations dans le Finistère", True),
        ("France entière", True),
        ("Lot 1", True),
        ("Lot 1 : Langues étrangères", False),
        ("Lot 2 - Management", False),
        ("Lot 2 - Management - Bretagne", False),
        ("Lot 3 : Rennes (35)", False),  # a town is a place only where the lot says so
        ("Lot 2 – Hauts-de-France et Grand Est", True),
        ("Lot 4 : Bretagne & Normandie", True),
        ("Lot 9 : Régions Bretagne et Pays de la Loire", True),
        ("Lot 7 : Départements 22, 29", True),
        ("Lot 3 : Outre-mer", True),
        ("Lot 4 : DROM", True),
        ("Lot 5 : Paris et petite couronne", True),
        ("Lot 7 : Région PACA", True),
        ("Lot 8 : Grand Ouest", True),
        ("Lot 6 : Auvergne-Rhône-Alpes (hors Lyon)", True),
        ("Lot 16 : Nord-Pas-de-Calais", True),  # the regions before 2016
        ("Lot 41 : Occitanie Est", True),
        ("LOT2- Bretagne", True),
        ("Lot B - Normandie", True),
        ("Lot IV : Bretagne", True),
        ("Lot 2bis : Bretagne", True),
        ("Lot 8 : Management – région Sud", False),
        ("Lot 4 : Santé et sécurité au travail", False),
        ("Lot 3 : Hors temps de travail", False),
        ("Lot 2 : Bureautique (hors Excel)", False),
    ],
)
def test_which_lot_titles_say_only_where(title: str, where: bool) -> None:
    assert says_only_where(Lot(title)) is where


def test_a_lot_titled_by_one_of_its_places_says_only_where() -> None:
    assert says_only_where(Lot("Lot 3 : Rennes (35)", places=("Rennes",)))


def test_trainers_fit_by_domain_or_skill_phrase() -> None:
    trainers = [
        Trainer(name="A", skills=["Management"]),
        Trainer(name="B", skills=["gestes et postures", "SST"]),
        Trainer(name="C", skills=["Excel"]),
        Trainer(name="D"),
    ]
    found = fitting_trainers(trainers, "Formation gestes et postures et SST", ["Management"], [])
    assert [t.name for t in found] == ["B", "A"]  # two skills found before one domain
    sst = Course(title="Sauveteur secouriste du travail (SST)")
    assert [t.name for t in fitting_trainers(trainers, "Appel", [], [sst])] == ["B"]


# ------------------------------------------------------------------------------ lots, places


@pytest.mark.parametrize(
    ("number", "index", "key"),
    [("1", 0, "1"), ("Lot 03", 2, "3"), ("lot n°12", 11, "12"), (None, 4, "5"), ("A", 0, "a")],
)
def test_lot_keys(number: str | None, index: int, key: str) -> None:
    assert lot_key(Lot("x", number), index) == key


def test_select_lots() -> None:
    notice = sample_notice(lots=3)
    assert [i for i, _ in select_lots(notice, None)] == [0, 1, 2]
    assert [i for i, _ in select_lots(notice, "Lot 3")] == [2]
    with pytest.raises(DraftError, match="lots: 1, 2, 3"):
        select_lots(notice, "4")


def test_coverage_of_a_lot() -> None:
    profile = load_example_profile()  # Bretagne, Pays de la Loire, Normandie, 53, 72
    assert coverage(["Rennes (35)"], profile) == "région Bretagne desservie"
    assert coverage(["Le Mans (72)"], profile) == "département 72 desservi"
    assert coverage(["Nantes (44)"], profile) == "région Pays de la Loire desservie"
    assert coverage(["Paris (75)"], profile).startswith("hors de la zone déclarée")
    assert coverage([], profile) == "lieu non précisé"
    assert coverage(["quelque part"], profile) == "lieu non reconnu\u00a0: à vérifier"
    assert coverage(["Paris (75)"], Profile()) == "zone desservie"


# -------------------------------------------------------------------------------- Qualiopi


def test_indicators_apply_by_category_and_certification() -> None:
    assert len(INDICATORS) == 32
    af = {"actions de formation"}
    assert [i.number for i in applicable((26, 20), af, False)] == [26]
    assert [i.number for i in applicable((26, 20), {"apprentissage"}, False)] == [26, 20]
    assert [i.number for i in applicable((8, 11, 3, 16), af, False)] == [8, 11]
    assert [i.number for i in applicable((8, 11, 3, 16), af, True)] == [8, 11, 3, 16]
    assert [i.number for i in applicable((8, 11), {"bilans de compétences"}, False)] == [11]
    assert [s.number for s in SECTIONS] == list(range(1, 13))


def test_sections_list_the_indicators_of_the_certified_categories() -> None:
    inputs = sample_inputs()
    context = build_context(inputs, select(inputs))
    sections = context["sections"]
    assert [i["number"] for i in sections["handicap"]["indicators"]] == ["26"]
    assert sections["besoin"]["indicators_text"] == (
        "4 (Analyse du besoin); 24 (Veille sur les emplois et les métiers)"
    )
    need = {"section": "2. Compréhension du besoin", "indicators": "4, 24"}
    assert need in context["quality_map"]
    assert context["qualiopi"]["valid_until"] == "mercredi 31 mars 2027"


# ---------------------------------------------------------------------------------- wording


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("A & B", "A & B"),
        ("<b>x</b>", "\\<b\\>x\\</b\\>"),
        ("{{ 7*7 }}", "{{ 7\\*7 }}"),
        ("a | b", "a \\| b"),
        ("&lt;", "&amp;lt;"),
        ("# titre", "\\# titre"),
        ("- puce\n12. liste", "\\- puce\n12\\. liste"),
        ("[lien](javascript:x)", "\\[lien\\](javascript:x)"),
    ],
)
def test_markdown_escape(raw: str, escaped: str) -> None:
    assert markdown_escape(raw) == escaped


def test_cleaning_drops_control_characters() -> None:
    assert line("  Titre\x07 sur\n deux\tlignes\x0c ") == "Titre sur deux lignes"
    assert block("Ligne 1\r\nLigne 2\x00\n\n\n\nFin") == "Ligne 1\nLigne 2\n\nFin"


@pytest.mark.parametrize(
    ("hours", "text"),
    [(14, "14 h (2 jours)"), (7, "7 h (1 jour)"), (10.5, "10,5 h"), (None, "durée à préciser")],
)
def test_duration(hours: float | None, text: str) -> None:
    assert duration(hours) == text


def test_safe_names() -> None:
    assert safe_name("Lot n°3 — Île-de-France") == "lot-n3-ile-de-france"
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("«»") == "document"
    assert safe_name("attestation d'assurance responsabilité", size=20) == "attestation-d"
    assert safe_suffix("CV.PDF") == ".pdf" and safe_suffix("x.tar/../y") == ""


# ------------------------------------------------------------------------------------- demo


def test_demo_pdf_is_a_pdf() -> None:
    pdf = demo_pdf("DOCUMENT DE DÉMONSTRATION (test)")
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"(DOCUMENT DE DEMONSTRATION \\(test\\)) Tj" in pdf
    xref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[xref:].startswith(b"xref")


def test_the_demo_documents_show_an_attestation_expiring_before_the_deadline(
    tmp_path: Path,
) -> None:
    documents = demo_documents(SAMPLE_DAY)
    write_demo_files(documents, tmp_path / documents.folder)
    result = make_draft(
        sample_notice(),
        organisation=SampleOrganisation(),
        profile=load_example_profile(),
        responses_settings=load_example()[1],
        vault=Vault.load(documents, tmp_path),
        out_dir=tmp_path / "draft",
        now=SAMPLE_NOW,
    )
    assert (tmp_path / "documents" / "certificat-qualiopi.pdf").read_bytes().startswith(b"%PDF")
    assert result.warnings == [
        "Attestation de vigilance URSSAF (moins de 6 mois)\u00a0: expire avant la date limite"
    ]
    assert date(2026, 3, 2) == SAMPLE_DAY
