"""The mémoire technique skeleton (domain.md §2.7) and the Qualiopi indicators that back it.

The 32 indicators of the Référentiel national qualité (décret 2019-565, annex), with short
French titles and their scope: ``None`` = common to all categories, else the categories it
applies to; ``certifying`` = only when the action leads to an RNCP/RS certification. A
section lists only the indicators that apply to the organisation's certified categories
(and the certification ones only when a proposed course is certifying).
"""

from __future__ import annotations

from dataclasses import dataclass

AF, BC, VAE, CFA = "actions de formation", "bilans de compétences", "VAE", "apprentissage"
#: the marker of every passage only a person can write
TODO_MARKER = "À COMPLÉTER"
#: printed in place of a missing identity field
MISSING = f"[{TODO_MARKER}]"


def todo(title: str, text: str) -> dict[str, str]:
    """An "À COMPLÉTER" block: what to write, and where the information comes from."""
    return {"title": title, "text": text}


@dataclass(frozen=True, slots=True)
class Indicator:
    number: int
    title: str
    scope: frozenset[str] | None = None
    certifying: bool = False

    def applies(self, categories: set[str], certifying: bool) -> bool:
        if self.certifying and not certifying:
            return False
        return self.scope is None or bool(self.scope & categories)


def _i(number: int, title: str, *scope: str, certifying: bool = False) -> Indicator:
    return Indicator(number, title, frozenset(scope) if scope else None, certifying)


INDICATORS: dict[int, Indicator] = {
    i.number: i
    for i in (
        _i(1, "Information du public sur les prestations"),
        _i(2, "Indicateurs de résultats"),
        _i(3, "Obtention des certifications", AF, VAE, CFA, certifying=True),
        _i(4, "Analyse du besoin"),
        _i(5, "Objectifs opérationnels et évaluables"),
        _i(6, "Contenus et modalités de mise en œuvre"),
        _i(7, "Adéquation des contenus à la certification visée", AF, CFA, certifying=True),
        _i(8, "Positionnement et évaluation des acquis à l'entrée", AF, CFA),
        _i(9, "Information des publics sur le déroulement"),
        _i(10, "Adaptation, accompagnement et suivi des bénéficiaires"),
        _i(11, "Évaluation de l'atteinte des objectifs"),
        _i(12, "Engagement des bénéficiaires et prévention des ruptures"),
        _i(13, "Coordination avec l'entreprise en alternance", AF, CFA),
        _i(14, "Accompagnement socio-professionnel des apprentis", CFA),
        _i(15, "Droits et devoirs de l'apprenti", CFA),
        _i(16, "Présentation à la certification", AF, VAE, CFA, certifying=True),
        _i(17, "Moyens humains et techniques, locaux"),
        _i(18, "Coordination des intervenants"),
        _i(19, "Ressources pédagogiques"),
        _i(20, "Référents mobilité et handicap, conseil de perfectionnement", CFA),
        _i(21, "Compétences des intervenants"),
        _i(22, "Développement des compétences des salariés"),
        _i(23, "Veille légale et réglementaire"),
        _i(24, "Veille sur les emplois et les métiers"),
        _i(25, "Veille pédagogique et technologique"),
        _i(26, "Expertise et réseau handicap"),
        _i(27, "Sous-traitance et portage salarial"),
        _i(28, "Formations en situation de travail\u00a0: réseau de partenaires", AF, CFA),
        _i(29, "Insertion professionnelle ou poursuite d'études", CFA),
        _i(30, "Recueil des appréciations des parties prenantes"),
        _i(31, "Traitement des difficultés, réclamations et aléas"),
        _i(32, "Mesures d'amélioration continue"),
    )
}


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    number: int
    title: str
    indicators: tuple[int, ...]
    #: what the bid team must always write here: (title, what is expected)
    todo: tuple[tuple[str, str], ...] = ()


SECTIONS: tuple[Section, ...] = (
    Section("presentation", 1, "Présentation de l'organisme", (1,)),
    Section(
        "besoin",
        2,
        "Compréhension du besoin",
        (4, 24),
        (
            (
                "Reformulation du besoin",
                "Reformulez avec vos mots le besoin de l'acheteur\u00a0: publics visés et "
                "effectifs, enjeux de la branche, contraintes du territoire, calendrier. "
                "Appuyez-vous sur le CCTP et citez-le\u00a0: un mémoire générique peut "
                "être écarté (TA Paris, 5 janvier 2024, n°\u00a02328772).",
            ),
        ),
    ),
    Section(
        "pedagogie",
        3,
        "Approche pédagogique",
        (5, 6, 19),
        (
            (
                "Démarche pédagogique",
                "Décrivez les objectifs opérationnels et évaluables, les méthodes actives "
                "(mises en situation, études de cas), la part de présentiel et de distanciel, "
                "les ressources et la plateforme mises à disposition des stagiaires.",
            ),
        ),
    ),
    Section(
        "programme",
        4,
        "Programme proposé",
        (1, 6, 7),
        (
            (
                "Adaptation au cahier des charges",
                "Vérifiez chaque module proposé contre le CCTP (objectifs, durée, public, "
                "modalités), ajustez les contenus et précisez l'organisation des sessions\u00a0: "
                "effectifs par groupe, rythme, horaires.",
            ),
        ),
    ),
    Section(
        "evaluation",
        5,
        "Positionnement et évaluation",
        (8, 11, 3, 16),
        (
            (
                "Positionnement et évaluations",
                "Décrivez le positionnement à l'entrée (questionnaire, entretien, test), "
                "l'évaluation des acquis en cours et en fin de formation, les évaluations à "
                "chaud et à froid, et le passage de la certification le cas échéant.",
            ),
        ),
    ),
    Section(
        "equipe",
        6,
        "Équipe pédagogique",
        (17, 18, 21, 22),
        (
            (
                "Coordination et développement des compétences",
                "Indiquez qui coordonne le marché et l'interlocuteur de l'acheteur, comment les "
                "formateurs sont coordonnés et comment leurs compétences sont entretenues "
                "(plan de développement des compétences, veille).",
            ),
        ),
    ),
    Section(
        "logistique",
        7,
        "Moyens logistiques et couverture territoriale",
        (9, 17),
        (
            (
                "Salles, équipements et outils",
                "Précisez pour chaque lot les salles (propres ou louées), leur accessibilité, "
                "les équipements, la plateforme de formation à distance et la convocation "
                "envoyée aux stagiaires.",
            ),
        ),
    ),
    Section(
        "handicap",
        8,
        "Accessibilité et handicap",
        (26, 20),
        (
            (
                "Adaptations et réseau",
                "Décrivez l'accueil des personnes en situation de handicap\u00a0: recueil des "
                "besoins, adaptations (rythme, supports, matériel), partenaires mobilisés "
                "(Agefiph, Cap emploi, ressource handicap formation).",
            ),
        ),
    ),
    Section(
        "suivi",
        9,
        "Suivi des stagiaires et reporting à l'OPCO",
        (2, 10, 12),
        (
            (
                "Suivi et bilans",
                "Décrivez le suivi de l'assiduité (émargement), la prévention des abandons, et "
                "les bilans transmis à l'acheteur\u00a0: fréquence, indicateurs (effectifs, "
                "présence, satisfaction, résultats), format.",
            ),
        ),
    ),
    Section(
        "qualite",
        10,
        "Démarche qualité",
        (23, 24, 25, 30, 31, 32),
        (
            (
                "Amélioration continue",
                "Décrivez le recueil des appréciations (stagiaires, entreprises, financeurs), "
                "le traitement des réclamations et une ou deux améliorations récentes issues "
                "de ces retours.",
            ),
        ),
    ),
    Section("environnement", 11, "Engagements environnementaux et sociétaux", ()),
    Section(
        "planning",
        12,
        "Planning et prix",
        (),
        (
            (
                "Calendrier et prix",
                "Proposez un calendrier de déploiement (premières sessions, rythme, bilans) et "
                "vérifiez que les prix annoncés sont identiques à ceux du bordereau de prix "
                "(BPU, DPGF) et de l'acte d'engagement.",
            ),
        ),
    ),
)
SECTION_KEYS = tuple(s.key for s in SECTIONS)


def applicable(numbers: tuple[int, ...], categories: set[str], certifying: bool) -> list[Indicator]:
    return [INDICATORS[n] for n in numbers if INDICATORS[n].applies(categories, certifying)]
