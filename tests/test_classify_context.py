"""Training words count only in a training sense: one test table per class of error seen on
real records (``../shared/eval/decp-2019-dev.jsonl``, issue 11). Each title below is written
for the test, in the manner of the real ones; none is copied from the evaluation sets."""

from __future__ import annotations

from datetime import date

import pytest

from watcher.classify import Classifier, Document

TODAY = date(2026, 3, 2)
RULES = Classifier()


def training(title: str, summary: str = "") -> bool:
    return RULES.assess(Document(title=title, summary=summary), today=TODAY).training


@pytest.mark.parametrize(
    "title",
    [
        # « secours » is rescue, not first aid (stems kept apart)
        "Aménagement des abords du centre d'incendie et de secours de Saint-Martin",
        "Réhabilitation de deux véhicules de secours routier",
        "Entretien des locaux des centres d'incendie et de secours, lot 3",
        # « cadre » is a framework, not executives
        "Prestations d'accompagnement dans le cadre d'une mission de la caisse",
        "Travaux dans le cadre de la rénovation du gymnase",
        # « enseignement » names a kind of buyer or a sector
        "Équipements informatiques pour les établissements publics locaux d'enseignement",
        "Prestations d'hôtesses pour le ministère de l'enseignement supérieur",
        # « remise à niveau », « reconversion », « reclassement » of things
        "Remise à niveau des installations frigorifiques de la patinoire",
        "Reconversion de la friche industrielle en écoquartier",
        "Reclassement de voies communales dans le domaine public",
        # « formation » as constitution
        "Formation d'un groupement de commandes pour l'achat d'électricité",
        # « supervision », « atelier » of machines and rooms
        "Supervision des installations de chauffage et télégestion",
        "Extension de l'atelier municipal de mécanique",
        # short words that mean something else
        "Acquisition de VAE (vélos à assistance électrique) pour les agents",
        "Campagne de vaccination FCO des ovins du département",
        "Adhésion au service de santé au travail (SST) pour le suivi médical des agents",
        # a document's format is not a subject
        "Dossier de candidature (Word) et cahier des charges (PDF)",
        # IT operation with a training lot, read in one title: the object comes first
        "Marché d'intégration et d'exploitation de solutions informatiques - formations",
    ],
)
def test_words_out_of_a_training_sense_do_not_count(title: str) -> None:
    assert not training(title)


@pytest.mark.parametrize(
    "title",
    [
        # named by their format, not by « formation »
        "Stages linguistiques de langue anglaise pour les agents",
        "Supervision des équipes sociales et socio-éducatives du département",
        "Séances de supervision des travailleurs sociaux",
        "Ateliers d'initiation aux usages numériques pour les habitants",
        "Remise à niveau en français et mathématiques des demandeurs d'emploi",
        "Accompagnement à la reconversion des militaires",
        "Parcours CléA pour les salariés",
        "Pro-A : reconversion ou promotion par alternance des salariés",
        "Séminaire management et leadership des cadres dirigeants",
        "Prise de parole en public pour les élus",
        "Accompagnement des managers de proximité",
        "Bilan à mi-carrière des agents",
        "Échanges de pratiques entre professionnels de la petite enfance",
        "Informations et échanges sur la pratique professionnelle des éducateurs de rue",
    ],
)
def test_trainings_named_without_the_word_formation(title: str) -> None:
    assert training(title)


@pytest.mark.parametrize(
    "title",
    [
        # works and construction as what is learnt
        "Formation aux travaux en hauteur et port du harnais",
        "Formation des agents aux travaux pratiques de maintenance industrielle",
        "Construction d'un parcours de formation des agents d'accueil",
        # a consulting or insertion word as the subject of a training
        "Formation des agents à la démarche qualité",
        "Formation à l'étude de cas en protection de l'enfance",
        "Formation des encadrants techniques à l'insertion et qualification professionnelle",
        "Formation aux méthodes d'audit interne",
    ],
)
def test_exclusion_words_that_are_the_subject_of_a_training_do_not_win(title: str) -> None:
    assert training(title)


@pytest.mark.parametrize(
    "title",
    [
        # listed beside training, or before it: a real exclusion
        "Audit et formation des équipes au nouveau logiciel",
        "Étude de faisabilité et formation",
        "Marché d'insertion ayant pour support l'entretien des espaces verts",
    ],
)
def test_exclusions_still_win_when_they_are_the_purchase(title: str) -> None:
    assert not training(title)


def test_reasons_quote_the_notice_and_say_what_was_looked_for() -> None:
    found = RULES.assess(Document(title="FORMATIONS BAFA ET BAFD"), today=TODAY).match
    assert (
        found.reasons[0]
        == "appel de formation\u00a0: «\u00a0formations\u00a0», «\u00a0BAFA\u00a0» dans le titre"
    )
    nothing = RULES.assess(Document(title="Fourniture de sel de déneigement"), today=TODAY).match
    assert nothing.reasons == (
        "pas un appel de formation\u00a0: l'objet de l'achat est «\u00a0fourniture\u00a0»",
    )
    empty = RULES.assess(Document(title="Accord-cadre n° 2026-004"), today=TODAY).match
    assert empty.reasons[0].startswith(
        "pas un appel de formation\u00a0: aucun mot de formation dans"
    )
    assert "bilan de compétences" in empty.reasons[0] and "VAE" in empty.reasons[0]


@pytest.mark.parametrize(
    "document",
    [
        Document(
            title="Formation SST des agents",
            summary="Sessions de formation SST, recyclage SST, formation initiale SST.",
            lots=("Lot 1 : formation SST", "Lot 2 : recyclage SST", "Lot 3 : formations SST"),
            cpv=("80550000",),
        ),
        Document(title="Formation des agents", summary="Formations, former, formateurs, stages."),
    ],
)
def test_reasons_are_few_and_one_per_idea(document: Document) -> None:
    reasons = RULES.assess(document, today=TODAY).match.reasons
    assert len(reasons) <= 4, reasons
    assert sum("SST" in r or "formation" in r.lower() for r in reasons) <= 2, reasons
    assert not any("indices" in r or "points" in r or "non compté" in r for r in reasons)
