"""Stage 2: profile domains, catalogue, score, relevance; ``classify`` on a ``Notice``."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from watcher.classify import Classifier, Document, Profile, load_example_profile
from watcher.models import PARIS, Lot, Notice

TODAY = date(2026, 3, 2)
EXAMPLE = Classifier(load_example_profile())


def match(title: str, summary: str = "", **fields: object):
    return EXAMPLE.assess(Document(title=title, summary=summary, **fields), today=TODAY).match  # type: ignore[arg-type]


def test_training_call_in_a_domain_is_relevant_with_reasons() -> None:
    result = match("Cours d'anglais professionnel pour les agents", places=("Rennes (35)",))
    assert result.relevant and result.score >= 60
    assert result.domains == ("Langues",)
    assert (
        "domaine «\u00a0Langues\u00a0»\u00a0: «\u00a0anglais\u00a0» dans le titre" in result.reasons
    )
    assert "ressemble au cours «\u00a0Anglais professionnel\u00a0»" in result.reasons
    assert "région Bretagne desservie" in result.reasons


def test_training_call_outside_every_domain_scores_low() -> None:
    result = match("Formation FIMO et FCO des conducteurs")
    assert not result.relevant and result.score < 50 and result.domains == ()


def test_domain_cpv_raises_the_score() -> None:
    plain = match("Formation des agents", summary="anglais")
    with_cpv = match("Formation des agents", summary="anglais", cpv=("80580000",))
    assert with_cpv.score > plain.score
    assert (
        "domaine «\u00a0Langues\u00a0»\u00a0: «\u00a0anglais\u00a0» dans le résumé"
        in with_cpv.reasons
    )
    assert (
        "domaine «\u00a0Langues\u00a0»\u00a0: code CPV 80580000"
        in match("Accord-cadre", cpv=("80580000",)).reasons
    )


def test_excluded_phrase_rules_a_domain_out() -> None:
    result = match("Formation à la langue des signes française")
    assert "Langues" not in result.domains
    assert any(
        r.startswith("domaine «\u00a0Langues\u00a0» écarté\u00a0: «\u00a0langue des signes\u00a0»")
        for r in result.reasons
    )


def test_catalogue_certification_code_is_recognised() -> None:
    result = match("Formation certifiante RS5252 pour 12 agents")
    assert (
        "ressemble au cours «\u00a0Excel perfectionnement : tableaux croisés dynamiques\u00a0»"
        in result.reasons
    )


def test_score_is_bounded_and_not_training_scores_near_zero() -> None:
    result = match("Fourniture de pièces détachées automobiles", cpv=("34330000",))
    assert 0 <= result.score < 5 and not result.relevant and result.domains == ()


def test_open_profile_reports_general_topics() -> None:
    result = Classifier().assess(Document(title="Formation SST des agents"), today=TODAY).match
    assert result.relevant and result.domains == ("Sécurité et prévention",)


def test_min_score_sets_relevance() -> None:
    strict = Classifier(Profile(min_score=100)).assess(Document(title="Formation"), today=TODAY)
    assert strict.training and not strict.match.relevant


def test_classify_notice() -> None:
    notice = Notice(
        source="boamp",
        ref="26-12345",
        title="Accord-cadre de prestations intellectuelles",
        url="https://www.boamp.fr/avis/detail/26-12345",
        buyer="Ville de Rennes",
        summary="Voir les lots.",
        lots=(
            Lot(title="Lot 1 : Formation Excel", number="1"),
            Lot(title="Lot 2 : Management d'équipe", number="2", cpv=("80532000",)),
        ),
        places=("35",),
        deadline=datetime(2026, 3, 30, 12, tzinfo=PARIS),
    )
    result = EXAMPLE.classify(notice, today=TODAY)
    assert result.relevant and result.go
    assert set(result.domains) >= {"Bureautique et numérique", "Management"}
    assert (
        "appel de formation\u00a0: «\u00a0Formation\u00a0», "
        "«\u00a0Management d'équipe\u00a0» dans un lot" in result.reasons
    )


def test_classify_record_reads_jsonl_fields() -> None:
    record = {
        "id": "x-1",
        "title": "Bilans de compétences",
        "summary": None,
        "lots": [{"title": "Lot unique", "description": "bilans"}],
        "cpv": ["80530000-8"],
        "region": "Normandie",
        "published": "2026-02-20",
        "deadline": "2026-03-05",
    }
    result = EXAMPLE.classify_record(record, today=TODAY)
    assert result.relevant
    assert result.blockers == ("délai trop court\u00a0: 3 jours (minimum 10)",)


@pytest.mark.parametrize(
    ("title", "wanted", "not_wanted"),
    [
        # « conduite » of a project is management, not driving
        ("Formation à la conduite de projet des chefs de service", "management", "transport"),
        ("Formation à la conduite d'engins de chantier", "transport", "management"),
        # « accueil » of children by childminders is social work, not customer relations
        (
            "Formation initiale des accueillants familiaux et assistants maternels",
            "sante_social",
            "relation_client",
        ),
        ("Formation à l'accueil téléphonique des usagers", "relation_client", "sante_social"),
    ],
)
def test_topic_labels_follow_the_sense_of_the_word(
    title: str, wanted: str, not_wanted: str
) -> None:
    topics = Classifier().assess(Document(title=title), today=TODAY).topics
    assert topics and topics[0] == wanted and not_wanted not in topics
