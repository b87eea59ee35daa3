"""Writes the shipped .docx templates: memoire-technique.docx, DC1.docx, DC2.docx.

    .venv/bin/python -m responses.build_templates [FOLDER]   (default: templates/responses)

Run it after changing this file and commit the .docx files with it (a test rebuilds them and
compares bytes). The context the templates read is documented in ``responses/context.py``.
The DC1 and DC2 here are prefilled equivalents of the official forms: the text says so, and the
bid team copies them onto the official forms when the buyer requires those.
"""

from __future__ import annotations

import sys
from pathlib import Path

from responses.docx_builder import NOTE_STYLE, DocxBuilder
from responses.render import DC1_DOCX, DC2_DOCX, MEMOIRE_DOCX, SHIPPED

IDENTITY = [
    ("Raison sociale", "{{ organisation.name }}"),
    ("Forme juridique", "{{ organisation.legal_form }}"),
    ("Adresse", "{{ organisation.address }}"),
    ("SIRET", "{{ organisation.siret }}"),
    ("Déclaration d'activité (NDA)", "{{ organisation.nda }}"),
    ("Adresse électronique", "{{ organisation.email }}"),
    ("Téléphone", "{{ organisation.phone }}"),
    ("Représentant habilité", "{{ organisation.representative }}"),
    ("Qualité", "{{ organisation.representative_title }}"),
]
FORM_NOTE = (
    "Formulaire prérempli par opco-watch le {{ generated_on }} à partir de la configuration "
    "de l'organisme. Si l'acheteur impose le formulaire officiel {form} (direction des "
    "affaires juridiques du ministère de l'Économie), reportez-y ces informations."
)


# ---------------------------------------------------------------------------------- mémoire


def memoire() -> DocxBuilder:
    b = DocxBuilder("Mémoire technique")
    _cover(b)
    _presentation(b)
    _need(b)
    _pedagogy(b)
    _programme(b)
    _assessment(b)
    _team(b)
    _logistics(b)
    _accessibility(b)
    b.section("suivi")
    b.todos("sections.suivi.todos")
    _quality(b)
    _environment(b)
    _planning(b)
    b.footer("{{ organisation.name }} — Mémoire technique — {{ call.short_title }}")
    return b


def _cover(b: DocxBuilder) -> None:
    b.p("Mémoire technique", "Title")
    b.p("{{ call.title }}", "Subtitle")
    b.fields(
        [
            ("Candidat", "{{ organisation.name }}"),
            ("Acheteur", "{{ call.buyer }}"),
            ("Référence", "{{ call.reference }}"),
            ("Réponse pour", "{{ call.answer_scope }}"),
            ("Date limite de remise des offres", "{{ call.deadline }}"),
        ]
    )
    b.p()
    b.p(
        "Brouillon préparé le {{ generated_on }} par opco-watch à partir de l'avis publié et "
        "des documents de l'organisme. Les passages «\u00a0À COMPLÉTER\u00a0» sont à rédiger par "
        "l'équipe\u00a0; relisez l'ensemble avant l'envoi.",
        NOTE_STYLE,
    )
    b.page_break()


def _presentation(b: DocxBuilder) -> None:
    b.section("presentation")
    b.fields(
        [
            *IDENTITY[:4],
            ("Déclaration d'activité", "{{ organisation.nda_sentence }}"),
            ("Contact", "{{ organisation.email }} — {{ organisation.phone }}"),
            ("Site internet", "{{ organisation.website }}"),
            (
                "Certificat Qualiopi",
                "n°\u00a0{{ qualiopi.number }}, délivré par {{ qualiopi.certifier }}",
            ),
            ("Catégories certifiées", "{{ qualiopi.categories_text }}"),
            ("Validité du certificat", "jusqu'au {{ qualiopi.valid_until }}"),
        ]
    )
    b.tag("{%p if organisation.key_figures %}")
    b.p("Chiffres clés\u00a0:")
    b.bullets("organisation.key_figures", "figure")
    b.tag("{%p endif %}")
    b.todos("sections.presentation.todos")


def _need(b: DocxBuilder) -> None:
    b.section("besoin")
    b.p(
        "Consultation {{ call.of_buyer }} (référence {{ call.reference }})"
        "{% if call.procedure %}, {{ call.procedure }}{% endif %}"
        "{% if call.estimated_value %}, montant estimé {{ call.estimated_value }}{% endif %}."
    )
    b.tag("{%p if call.summary %}")
    b.p("Objet tel que publié\u00a0:")
    b.p("{{ call.summary }}", "Quote")
    b.tag("{%p endif %}")
    b.tag("{%p if lots %}")
    b.loop_table(
        ["Lot", "Intitulé", "Lieux", "Montant estimé"],
        "lot in lots",
        [
            "{{ lot.label }}",
            "{{ lot.title }}",
            "{{ lot.places }}",
            '{{ lot.estimated_value or "—" }}',
        ],
    )
    b.tag("{%p endif %}")
    b.todos("sections.besoin.todos")


def _pedagogy(b: DocxBuilder) -> None:
    b.section("pedagogie")
    b.tag("{%p if courses %}")
    b.p("Modalités des modules proposés\u00a0:")
    b.bullets("courses", "c", "{{ c.title }}\u00a0: {{ c.modality }}, {{ c.duration }}")
    b.tag("{%p endif %}")
    b.todos("sections.pedagogie.todos")


def _programme(b: DocxBuilder) -> None:
    b.section("programme")
    b.tag("{%p for block in programme %}")
    b.heading("{{ block.label }}", 2)
    b.tag("{%p if block.courses %}")
    b.loop_table(
        ["Module", "Durée", "Modalité", "Certification"],
        "c in block.courses",
        ["{{ c.title }}", "{{ c.duration }}", "{{ c.modality }}", '{{ c.certification or "—" }}'],
    )
    b.tag("{%p for c in block.courses %}")
    b.p("{{ c.title }}\u00a0: {{ c.description }}")
    b.tag("{%p endfor %}")
    b.tag("{%p endif %}")
    b.todos("block.todos", "item")
    b.tag("{%p endfor %}")
    b.todos("sections.programme.todos")


def _assessment(b: DocxBuilder) -> None:
    b.section("evaluation")
    b.tag("{%p for c in courses if c.certification %}")
    b.p("Module certifiant\u00a0: {{ c.title }} ({{ c.certification }}).")
    b.tag("{%p endfor %}")
    b.todos("sections.evaluation.todos")


def _team(b: DocxBuilder) -> None:
    b.section("equipe")
    b.tag("{%p if trainers %}")
    b.loop_table(
        ["Formateur", "Rôle", "Compétences", "CV"],
        "t in trainers",
        ["{{ t.name }}", "{{ t.role }}", "{{ t.skills }}", "{{ t.cv }}"],
    )
    b.tag("{%p endif %}")
    b.todos("sections.equipe.todos")


def _logistics(b: DocxBuilder) -> None:
    b.section("logistique")
    b.p(
        "Zone d'intervention déclarée\u00a0: {{ organisation.regions }}"
        "{% if organisation.departments %}\u00a0; départements {{ organisation.departments }}"
        "{% endif %}."
    )
    b.tag("{%p if organisation.sites %}")
    b.p("Sites de formation\u00a0:")
    b.bullets("organisation.sites", "site")
    b.tag("{%p endif %}")
    b.tag("{%p if lots %}")
    b.loop_table(
        ["Lot", "Lieux", "Couverture"],
        "lot in lots",
        ["{{ lot.label }}", "{{ lot.places }}", "{{ lot.coverage }}"],
    )
    b.tag("{%p endif %}")
    b.todos("sections.logistique.todos")


def _accessibility(b: DocxBuilder) -> None:
    b.section("handicap")
    b.tag("{%p if referent.known %}")
    b.p("Référent handicap\u00a0: {{ referent.name }} ({{ referent.contact }}).")
    b.tag("{%p endif %}")
    b.todos("sections.handicap.todos")


def _quality(b: DocxBuilder) -> None:
    b.section("qualite")
    b.p(
        "{{ organisation.name }} est certifié Qualiopi (certificat n°\u00a0{{ qualiopi.number }}, "
        "délivré par {{ qualiopi.certifier }}, valable jusqu'au {{ qualiopi.valid_until }}) au "
        "titre des catégories\u00a0: {{ qualiopi.categories_text }}. Chaque partie de ce mémoire "
        "s'appuie sur les indicateurs du Référentiel national qualité suivants\u00a0:"
    )
    b.loop_table(
        ["Partie du mémoire", "Indicateurs Qualiopi"],
        "row in quality_map",
        ["{{ row.section }}", "{{ row.indicators }}"],
    )
    b.todos("sections.qualite.todos")


def _environment(b: DocxBuilder) -> None:
    b.section("environnement")
    b.tag("{%p for paragraph in environment %}")
    b.p("{{ paragraph }}")
    b.tag("{%p endfor %}")
    b.todos("sections.environnement.todos")


def _planning(b: DocxBuilder) -> None:
    b.section("planning")
    b.p("Date limite de remise des offres\u00a0: {{ call.deadline }}.")
    b.tag("{%p if call.estimated_value %}")
    b.p("Montant estimé du marché\u00a0: {{ call.estimated_value }}.")
    b.tag("{%p endif %}")
    b.todos("sections.planning.todos")


# ------------------------------------------------------------------------------- DC1 / DC2


def _buyer_and_object(b: DocxBuilder) -> None:
    b.heading("A — Identification de l'acheteur")
    b.p("{{ call.buyer }}")
    b.heading("B — Objet de la consultation")
    b.p("{{ call.title }}")
    b.p("Référence\u00a0: {{ call.reference }}")


def dc1() -> DocxBuilder:
    b = DocxBuilder("DC1 — Lettre de candidature")
    b.p("DC1 — Lettre de candidature", "Title")
    b.p(FORM_NOTE.replace("{form}", "DC1"), NOTE_STYLE)
    _buyer_and_object(b)
    b.heading("C — Objet de la candidature")
    b.p("La candidature est présentée pour {{ call.answer_scope }}.")
    b.tag("{%p if lots %}")
    b.loop_table(["Lot", "Intitulé"], "lot in lots", ["{{ lot.label }}", "{{ lot.title }}"])
    b.tag("{%p endif %}")
    b.heading("D — Présentation du candidat")
    b.p("Le candidat se présente seul.")
    b.fields(IDENTITY)
    b.todo(
        "Groupement",
        "Si vous candidatez en groupement, remplacez la mention «\u00a0se présente seul\u00a0», "
        "identifiez chaque membre (partie E) et le mandataire (partie G).",
    )
    b.heading("E — Membres du groupement")
    b.p("Sans objet\u00a0: candidature individuelle.")
    b.heading("F — Engagements du candidat")
    b.p(
        "Le candidat déclare sur l'honneur n'entrer dans aucun des cas d'exclusion de la "
        "procédure de passation prévus par le code de la commande publique (articles L. 2141-1 "
        "à L. 2141-11) et être en règle au regard des articles L. 5212-1 à L. 5212-11 du code "
        "du travail relatifs à l'emploi des travailleurs handicapés."
    )
    b.p(
        "Ses capacités sont présentées dans le formulaire DC2 joint"
        "{% if lots|length > 1 %} (un par lot){% endif %}."
    )
    b.heading("G — Mandataire")
    b.p("Sans objet\u00a0: candidature individuelle.")
    b.heading("H — Signature")
    b.p("{{ organisation.representative }}, {{ organisation.representative_title }}")
    b.todo(
        "Lieu, date et signature",
        "Indiquez le lieu et la date, puis faites signer le représentant habilité (signature "
        "électronique si le profil d'acheteur l'exige).",
    )
    b.footer("{{ organisation.name }} — DC1 — {{ call.short_title }}")
    return b


def dc2() -> DocxBuilder:
    b = DocxBuilder("DC2 — Déclaration du candidat")
    b.p("DC2 — Déclaration du candidat individuel ou du membre du groupement", "Title")
    b.tag("{%p if lot %}")
    b.p("{{ lot.label }}\u00a0: {{ lot.title }}", "Subtitle")
    b.tag("{%p endif %}")
    b.p(FORM_NOTE.replace("{form}", "DC2"), NOTE_STYLE)
    _buyer_and_object(b)
    b.heading("C — Identification du candidat")
    b.fields([*IDENTITY, ("Site internet", "{{ organisation.website }}")])
    b.heading("D — Situation juridique et habilitations")
    b.p("{{ organisation.nda_sentence }}")
    b.p(
        "Certificat Qualiopi n°\u00a0{{ qualiopi.number }} délivré par {{ qualiopi.certifier }} "
        "({{ qualiopi.categories_text }}), valable jusqu'au {{ qualiopi.valid_until }}."
    )
    b.todo(
        "Procédure collective",
        "Indiquez si le candidat fait l'objet d'une procédure de redressement judiciaire "
        "(joindre alors la copie du jugement).",
    )
    b.heading("E — Capacités économiques et financières")
    b.tag("{%p if organisation.turnover %}")
    b.loop_table(
        ["Exercice", "Chiffre d'affaires global HT"],
        "year in organisation.turnover",
        ["{{ year.year }}", "{{ year.amount }}"],
    )
    b.tag("{%p endif %}")
    b.todo(
        "Chiffre d'affaires",
        "Complétez le chiffre d'affaires des trois derniers exercices s'il manque, et la part "
        "concernant les prestations de formation objet du marché.",
    )
    _capacities(b)
    b.footer("{{ organisation.name }} — DC2 — {{ call.short_title }}")
    return b


def _capacities(b: DocxBuilder) -> None:
    b.heading("F — Capacités techniques et professionnelles")
    b.tag("{%p if organisation.key_figures %}")
    b.bullets("organisation.key_figures", "figure")
    b.tag("{%p endif %}")
    b.tag("{%p if references %}")
    b.p("Références de prestations similaires\u00a0:")
    b.bullets("references", "reference")
    b.tag("{%p endif %}")
    b.tag("{%p if trainers %}")
    b.p("Formateurs mobilisés\u00a0: {{ trainers | map(attribute='name') | join(', ') }}.")
    b.tag("{%p endif %}")
    b.todo(
        "Effectifs et moyens",
        "Indiquez les effectifs moyens annuels des trois dernières années (dont formateurs) et "
        "les moyens matériels mobilisés pour ce marché.",
    )


def build(folder: Path = SHIPPED) -> list[Path]:
    """Write the three templates into ``folder``; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in ((MEMOIRE_DOCX, memoire), (DC1_DOCX, dc1), (DC2_DOCX, dc2)):
        make().save(folder / name)
        written.append(folder / name)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else SHIPPED):
        print(f"wrote {path}")
