"""Stage 1: training calls vs the exclusion families, on made-up notices."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.classify import Classifier, Document

TODAY = date(2026, 3, 2)
CLASSIFIER = Classifier()


def verdict(title: str, summary: str = "", cpv: tuple[str, ...] = (), lots: tuple[str, ...] = ()):
    return CLASSIFIER.assess(
        Document(title=title, summary=summary, cpv=cpv, lots=lots), today=TODAY
    )


@pytest.mark.parametrize(
    "title",
    [
        "Formation des agents techniques à l'habilitation électrique",
        "Réalisation de bilans de compétences pour le personnel hospitalier",
        "Accompagnement à la VAE des aides-soignants",
        "Conseil en évolution professionnelle des salariés",
        "Mise en place d'AFEST dans les ateliers de production",
        "Cours d'anglais pour les agents d'accueil",
        "Ateliers sociolinguistiques pour adultes primo-arrivants",
        "Lutte contre l'illettrisme : savoirs de base pour agents d'entretien",
        "POEC développeur web pour demandeurs d'emploi",
        "Coaching individuel des directeurs d'école",
        "Ingénierie de formation d'un parcours métiers du numérique",
        "Préparation au permis poids lourd des agents de collecte",
        "Séances d'analyse des pratiques pour les éducateurs",
        "Outplacement des salariés concernés par le plan de départs volontaires",
        "Recyclage SST et sauveteurs secouristes du travail",
    ],
)
def test_training_calls_are_recognised(title: str) -> None:
    assert verdict(title).training


@pytest.mark.parametrize(
    ("title", "why"),
    [
        # goods, works, IT: training is an ancillary service
        ("Fourniture et installation d'un tour numérique avec formation des opérateurs", "objet"),
        ("Paramétrage, hébergement, formation et maintenance d'un logiciel de paie", "objet"),
        ("Intégration, évolution, formation et maintenance d'un progiciel", "annexe"),
        ("Travaux de réhabilitation du bâtiment de formation du lycée", "objet"),
        # a purchase by a training body of something else
        ("Location d'un amphithéâtre pour les sessions de formation", "objet"),
        ("Nettoyage des salles de formation de l'institut", "salles de formation"),
        ("Audit de conformité des organismes de formation partenaires", "audit"),
        # applicants are companies or funders, not providers
        (
            "Appel à projets : aides aux entreprises de moins de 250 salariés pour développer "
            "les compétences de leurs salariés",
            "entreprises de moins de",
        ),
        # consulting, support, recruitment, communication, insertion, pupils
        ("Étude de faisabilité d'une école de production", "étude"),
        ("Démarche qualité ISO 9001 du service achats", "démarche qualité"),
        ("Cellule d'écoute et soutien psychologique des agents après un incident", "psychologique"),
        ("Cabinet de recrutement pour un directeur financier", "recrutement"),
        ("Refonte du site internet et community management de l'office de tourisme", "site"),
        ("Marché d'insertion ayant pour support l'entretien des espaces verts", "insertion"),
        ("Soutien scolaire et aide aux devoirs pour les élèves du quartier", "élèves"),
    ],
)
def test_exclusion_families(title: str, why: str) -> None:
    result = verdict(title)
    assert not result.training
    assert any(why in reason for reason in result.match.reasons), result.match.reasons


def test_provider_named_in_call_for_projects_keeps_it() -> None:
    title = "Appel à projets destiné aux organismes de formation : parcours qualifiants"
    assert verdict(
        title, "Actions de formation pour les entreprises de moins de 50 salariés"
    ).training


def test_user_training_counts_when_nothing_is_bought() -> None:
    assert verdict("Formation des utilisateurs des outils bureautiques").training
    assert not verdict("Fourniture d'un progiciel et formation des utilisateurs").training


def test_training_cpv_alone_is_enough_and_goods_cpv_counts_against() -> None:
    assert verdict("Prestations pour le personnel", cpv=("80530000",)).training
    assert not verdict("Prestations pour le personnel", cpv=("30200000",)).training
    assert (
        verdict("Formation des agents", cpv=("30200000",)).points
        < verdict("Formation des agents").points
    )


def test_summary_and_lots_are_read() -> None:
    assert verdict("Accord-cadre 2026-004", summary="Formations CACES des agents").training
    assert verdict("Accord-cadre 2026-004", lots=("Lot 2 : formation SST",)).training


def test_reasons_name_phrase_field_and_cpv() -> None:
    reasons = verdict("Bilans de compétences", cpv=("80530000",)).match.reasons
    assert reasons == (
        "appel de formation\u00a0: «\u00a0bilans de compétences\u00a0» dans le titre",
        "code CPV 80530000 (formation professionnelle)",
    )


def test_incidental_formation_is_explained() -> None:
    reasons = verdict("Maintenance du logiciel de gestion de la formation").match.reasons
    assert reasons[0].startswith("pas un appel de formation")
    assert reasons == (
        "pas un appel de formation\u00a0: l'objet de l'achat est «\u00a0maintenance\u00a0», "
        "la formation n'en est qu'un service annexe",
    )


def test_empty_notice_is_not_a_training_call() -> None:
    result = verdict("")
    assert not result.training and not result.match.relevant
    assert result.match.score < 10 and result.match.domains == ()
