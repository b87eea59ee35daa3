"""The general vocabulary of stage 1: "is this a call a training organisation can answer?"

Every entry is a phrase a French training professional would recognise; none is taken from a
particular notice. Phrases are matched on stems (see ``text.py``), so plurals, accents, case and
elisions do not matter. Weights are evidence points; a notice is a training call when its points
reach ``TRAINING_THRESHOLD`` (see ``relevance.py`` for how fields and rules combine them).

Positive terms (one count per group, at its best weight; a title hit counts 1.5x). All imply
the Qualiopi category "actions de formation", except bilan (bilans de compétences), vae (VAE)
and apprentis (apprentissage).

| group | examples | weight |
|---|---|---|
| formation | formation(s), action / stage / session / prestation de formation, former | 2 |
| bilan | bilan de compétences, bilan professionnel | 3 |
| vae | VAE, validation des acquis de l'expérience | 3 |
| cep | conseil en évolution professionnelle | 3 |
| afest | AFEST, formation en situation de travail | 3 |
| apprentis | apprentis, contrat d'apprentissage, formation par apprentissage | 1.5 |
| ingenierie | ingénierie de formation / pédagogique, conception pédagogique | 3 |
| distance | e-learning, FOAD, formation à distance, classe virtuelle | 2 |
| langues | FLE, français langue étrangère, formation / atelier linguistique | 3 |
| savoirs | savoirs de base, compétences clés, illettrisme, alphabétisation | 2.5 |
| poe | POEC, POEI, préparation opérationnelle à l'emploi | 3 |
| preparation | préparation au permis / aux concours / à l'examen / au diplôme | 2 |
| secourisme | sauveteur secouriste, premiers secours, PSC1 (SST alone: 1.5) | 2.5 |
| alternance | Pro-A, promotion par alternance, contrat de professionnalisation | 2 |
| management | leadership, management d'équipe, prise de parole (en public) | 1.5-2 |
| ateliers | ateliers d'initiation / de découverte / numériques (near who learns) | 2 |
| securite | CACES, habilitation électrique, équipier de première intervention | 2.5 |
| transport | FIMO, FCO, permis C / D / BE / poids lourd (permis de conduire: 1.5) | 2.5 |
| metiers | HACCP, Certiphyto, BAFA, BAFD | 2 |
| certification | CQP, titre professionnel, RNCP, TOEIC, DELF | 1.5 |
| pratiques | analyse / échange / supervision des pratiques, supervision des équipes | 2 |
| coaching | coaching, coach, co-développement | 2.5 |
| accompagnement | accompagnement des managers / encadrants / équipes / agents | 1.5-2 |
| transition | mobilité professionnelle, reconversion, outplacement, reclassement | 2 |
| competences | développement des compétences, professionnalisation, perfectionnement | 1.5 |
| enseignement | enseignement, apprentissage (1.5); cours de langue / d'anglais (2) | 1.5-2 |
| initiation | initiation, sensibilisation, séminaire, stage, atelier (near who learns) | 1-1.5 |

Rules that make a training word *incidental* (it does not count):

- ``INCIDENTAL``: "formation" as a complement of a place, a thing or an audience that is not the
  service: salle / espace / centre / matériel / simulateur / logiciel de formation, organismes de
  formation, lors de formations, compte personnel de formation.
- ``OBJECTS`` first: in a field, a purchase object (fourniture, matériel, logiciel, travaux,
  maintenance, location, repas...) named before any training word is what is bought; the training
  words of that field are ancillary ("Fourniture, installation et formation des utilisateurs").
- ``ANCILLARY`` enumeration: the bare word "formation" listed with a product service
  ("..., formation et maintenance", "formation, collecte et valorisation") is ancillary.
- "formation des utilisateurs" when the notice buys a product (an object marker or a CPV code of
  goods, works or IT anywhere).

Exclusion families (each counted once, points subtracted):

| family | examples | points |
|---|---|---|
| conseil | audit, étude, démarche qualité, ISO 9001, AMO, réorganisation, méthodologie | -2.5 |
| psy | soutien psychologique, groupes de parole, cellule d'écoute, psychologue | -3 |
| rh | recrutement, intérim, mise à disposition de personnel, management de transition | -2.5 |
| communication | community management, site internet, relations presse, traduction | -3 |
| insertion | marché d'insertion, action d'insertion ayant pour support | -5 |
| scolaire | aide aux devoirs, soutien scolaire, périscolaire, élèves | -3 |

Where the additions of issue 11 came from (the real records named are classes of error read in
``shared/eval/decp-2019-dev.jsonl`` and ``dev-notices.jsonl``; no title is listed here):

- ``needs_learner`` and ``LEARNERS``: DECP "Remise à niveau … des installations frigorifiques",
  the issue's « reconversion » of buildings; "stage", "atelier", "supervision" of machines;
- "stage linguistique", "supervision des équipes", "pratique professionnelle" (near who
  learns), "approfondissement de la pratique": DECP "STAGES LINGUISTIQUES DE LANGUE ANGLAISE",
  "SUPERVISION DES EQUIPES SOCIALES…", "Informations/échanges … pratique professionnelle des
  éducateurs", "Groupes d'Approfondissement de la Pratique"; dev set "supervision/régulation";
- CléA, Pro-A, leadership, prise de parole, ateliers QVT, bilans de carrière / mi-carrière /
  positionnement: the issue's list and ``domain.md`` §1.1 (categories: bilans, VAE), §3.1
  (actions collectives named by subject), §3.2 (CPV 80532 management, 80570 personal
  development);
- INCIDENTAL "établissement d'enseignement", "enseignement supérieur", "ministère de
  l'enseignement": DECP EPLE equipment and the ministry's hostesses; "formation d'un
  groupement": the issue; "formation musicale" (a band);
- NOT_OBJECTS ("travaux en hauteur", "construction d'un parcours"…): the issue's « construction
  » / « travaux » in a training sense; OBJECTS "exploitation", "infogérance": DECP IT
  operation contracts with a training lot in the title; conseil "diagnostic", "mission
  d'assistance": DECP "Diagnostic RPS et régulation d'équipe", "Prestation d'assistance …
  évaluation des pratiques managériales"; "clause d'insertion" removed (a social clause of any
  contract, training included);
- VETOES: "VAE" electric bicycles and "FCO" (sheep disease) in municipal and veterinary
  purchases, "SST" as "service de santé au travail".

Calls whose applicants are not providers are excluded outright: a call for projects
(``CALLS``: appel à projets, AMI, appel à candidatures) that names non-provider applicants
(``APPLICANTS``: portés par des entreprises, OPCA, fédérations professionnelles, chambres
consulaires) and no provider (``PROVIDERS``: organismes de formation, prestataires,
ingénierie de formation).
"""

from __future__ import annotations

from dataclasses import dataclass

from watcher.classify.senses import INCIDENTAL, LEARNERS, NOT_OBJECTS, VETOES

__all__ = ["INCIDENTAL", "LEARNERS", "NOT_OBJECTS", "VETOES"]

AF = "actions de formation"
BC = "bilans de compétences"
VAE = "VAE"
CFA = "apprentissage"

TRAINING_THRESHOLD = 2.0


@dataclass(frozen=True, slots=True)
class Term:
    """A training phrase. ``generic`` terms (bare "formation") are dropped in enumerations;
    ``needs_learner`` terms (bare "stage", "atelier", "remise à niveau"...) count only when the
    same field names who learns or what is learnt (``LEARNERS``) near them, or another training
    term: a "remise à niveau" of refrigerating plants trains nobody."""

    label: str
    group: str
    weight: float
    category: str = AF
    generic: bool = False
    needs_learner: bool = False


@dataclass(frozen=True, slots=True)
class Family:
    """An exclusion family: subject matter that is not a training service."""

    key: str
    label: str
    penalty: float


def _terms(group: str, weight: float, phrases: str, category: str = AF) -> list[Term]:
    return [Term(p.strip(), group, weight, category) for p in phrases.split("|")]


def _in_context(group: str, weight: float, phrases: str, category: str = AF) -> list[Term]:
    """Terms that count only near a learner (see ``Term.needs_learner``)."""
    return [
        Term(p.strip(), group, weight, category, needs_learner=True) for p in phrases.split("|")
    ]


TERMS: list[Term] = [
    Term("formation", "formation", 2.0, generic=True),
    Term("former", "formation", 2.0, generic=True),
    *_terms(
        "formation",
        2.0,
        "action de formation|stage de formation|session de formation|prestation de formation"
        "|module de formation|parcours de formation|plan de formation|actions collectives"
        "|formation continue|formation professionnelle|former les agents|former les salariés"
        "|journées de formation",
    ),
    *_terms("formateur", 1.0, "formateur|formation de formateurs"),
    *_terms(
        "bilan",
        3.0,
        "bilan de compétences|bilan professionnel|bilan d'orientation|bilan de carrière"
        "|bilan à mi-carrière|bilan mi-carrière|bilan de positionnement|bilan d'employabilité",
        BC,
    ),
    *_terms("vae", 3.0, "VAE|validation des acquis de l'expérience|validation des acquis", VAE),
    *_terms("cep", 3.0, "conseil en évolution professionnelle"),
    *_terms("afest", 3.0, "AFEST|formation en situation de travail"),
    *_terms(
        "apprentis",
        1.5,
        "apprentis|contrat d'apprentissage|formation par apprentissage|maître d'apprentissage",
        CFA,
    ),
    # Pro-A and professionalisation contracts: alternance for employees (domain.md, issue 11)
    *_terms(
        "alternance",
        2.0,
        "Pro-A|promotion par alternance|reconversion ou promotion par alternance"
        "|contrat de professionnalisation|formation en alternance",
    ),
    *_terms(
        "ingenierie",
        3.0,
        "ingénierie de formation|ingénierie pédagogique|conception pédagogique"
        "|ingénierie de parcours",
    ),
    *_terms(
        "distance",
        2.0,
        "e-learning|elearning|FOAD|formation à distance|classe virtuelle|blended learning"
        "|digital learning|formation en ligne",
    ),
    *_terms(
        "langues",
        3.0,
        "FLE|français langue étrangère|français langue seconde|formation linguistique"
        "|atelier linguistique|atelier sociolinguistique|ateliers de savoirs sociolinguistiques"
        "|stage linguistique|stage de langue|cours de langue|français langue d'intégration",
    ),
    *_terms(
        "savoirs",
        2.5,
        "savoirs de base|compétences de base|compétences clés|illettrisme|alphabétisation"
        "|socle de connaissances et de compétences|certification CléA|CléA",
    ),
    *_in_context("savoirs", 2.5, "remise à niveau"),
    *_terms(
        "poe",
        3.0,
        "POEC|POEI|préparation opérationnelle à l'emploi",
    ),
    *_terms(
        "preparation",
        2.0,
        "préparation au permis|préparation au code de la route|préparation aux concours"
        "|préparation au concours|préparation à l'examen|préparation au diplôme"
        "|préparation à la certification",
    ),
    *_terms(
        "secourisme",
        2.5,
        "sauveteur secouriste|secourisme|premiers secours|PSC1|PSE1|gestes qui sauvent",
    ),
    Term("SST", "secourisme", 1.5),
    *_terms(
        "securite",
        2.5,
        "CACES|habilitation électrique|équipier de première intervention"
        "|manipulation des extincteurs|maniement des extincteurs|utilisation des extincteurs"
        "|gestes et postures|PRAP|travail en hauteur|travaux en hauteur|AIPR"
        "|évacuation incendie|exercice d'évacuation",
    ),
    *_terms(
        "transport",
        2.5,
        "FIMO|FCO|permis C|permis C1|permis D|permis BE|permis poids lourd|permis EB|éco-conduite",
    ),
    Term("permis de conduire", "transport", 1.5),
    *_terms("metiers", 2.0, "HACCP|Certiphyto|BAFA|BAFD"),
    *_terms(
        "certification",
        1.5,
        "CQP|titre professionnel|RNCP|répertoire spécifique|TOEIC|DELF|TOSA|diplôme d'état",
    ),
    *_terms(
        "pratiques",
        2.0,
        "analyse des pratiques|analyse de la pratique|analyse de pratique"
        "|échange de pratiques|supervision des pratiques|approfondissement de la pratique"
        "|supervision d'équipe|supervision des équipes",
    ),
    # supervision of professionals, named without "formation" (DECP: "SUPERVISION DES EQUIPES
    # SOCIALES ET SOCIO EDUCATIVES"); an IT or works "supervision" names no learner
    *_in_context("pratiques", 2.0, "supervision|pratique professionnelle"),
    *_terms("coaching", 2.5, "coaching|coach|co-développement|codéveloppement"),
    # management and leadership courses named by their subject (issue 11)
    *_terms(
        "management",
        2.0,
        "leadership|management d'équipe|prise de parole en public|séminaire de management",
    ),
    *_in_context("management", 1.5, "prise de parole"),
    *_terms(
        "accompagnement",
        2.0,
        "accompagnement des managers|accompagnement des encadrants|accompagnement des cadres"
        "|accompagnement managérial|accompagnement des équipes",
    ),
    *_terms(
        "accompagnement",
        1.5,
        "accompagnement des agents|accompagnement des salariés|accompagnement des collaborateurs"
        "|formation-accompagnement",
    ),
    *_in_context("accompagnement", 1.5, "accompagnement individuel|accompagnement personnalisé"),
    *_terms(
        "transition",
        2.0,
        "mobilité professionnelle|mobilité externe|congé mobilité|outplacement"
        "|reclassement professionnel|transition professionnelle|évolution professionnelle"
        "|orientation professionnelle|projet professionnel|reconversion professionnelle",
    ),
    *_in_context("transition", 2.0, "reconversion|reclassement"),
    *_terms(
        "competences",
        1.5,
        "développement des compétences|développer les compétences|montée en compétences"
        "|renforcement des compétences",
    ),
    *_in_context("competences", 1.5, "professionnalisation|perfectionnement"),
    *_in_context(
        "enseignement",
        1.5,
        "enseignement|apprentissage|cours collectifs|cours individuels|cours en ligne",
    ),
    *_terms(
        "enseignement",
        2.0,
        "cours de français|cours d'anglais|cours d'allemand|cours d'espagnol"
        "|cours d'informatique|cours de bureautique|cours et ateliers",
    ),
    # trainings named by their format: a stage, a workshop, a seminar... of people
    *_in_context(
        "initiation", 1.5, "sensibilisation|ateliers QVT|ateliers qualité de vie au travail"
    ),
    *_in_context(
        "ateliers",
        2.0,
        "atelier d'initiation|ateliers de découverte|ateliers pédagogiques|ateliers numériques"
        "|ateliers collectifs",
    ),
    *_in_context(
        "initiation",
        1.0,
        "initiation|séminaire|webinaire|animation d'ateliers|tutorat|tuteurs|mentorat"
        "|stage|atelier|séances collectives",
    ),
]

#: Purchase objects that are not training (goods, works, IT, venues, meals, other services).
OBJECTS: list[str] = [
    "fourniture",
    "livraison",
    "matériel",
    "équipement",
    "mobilier",
    "véhicule",
    "pièces détachées",
    "consommables",
    "réactifs",
    "automate",
    "robots",
    "drones",
    "simulateur",
    "logiciel",
    "progiciel",
    "licence",
    "système d'information",
    "téléphonie",
    "maintenance",
    "installation",
    "mise en service",
    "montage",
    "réparation",
    "paramétrage",
    "travaux",
    "maîtrise d'oeuvre",
    "exploitation",
    "infogérance",
    "intégration de solutions",
    "intégration de logiciels",
    "intégration d'un logiciel",
    "désamiantage",
    "construction",
    "démolition",
    "aménagement",
    "location",
    "louer",
    "mise à disposition de salles",
    "prestation de restauration",
    "repas",
    "traiteur",
    "hébergement",
    "transport collectif",
    "transport scolaire",
    "transports scolaires",
    "transport de personnes",
    "assurance",
    "impression",
    "nettoyage",
    "gardiennage",
    "collecte",
    "ramassage",
]

#: Product services that, listed next to a bare "formation", make it ancillary.
ANCILLARY: list[str] = [
    "fourniture",
    "livraison",
    "installation",
    "mise en service",
    "maintenance",
    "paramétrage",
    "déploiement",
    "réparation",
    "montage",
    "hébergement",
    "collecte",
    "valorisation",
]

#: "formation des utilisateurs": ancillary when the notice buys a product.
USERS: list[str] = [
    "formation des utilisateurs",
    "formation à l'utilisation",
    "formation utilisateurs",
]

FAMILIES: dict[str, tuple[Family, str]] = {
    "conseil": (
        Family("conseil", "conseil, audit ou étude", 2.5),
        "audit|étude|diagnostic organisationnel|démarche qualité|certification ISO|norme ISO"
        "|ISO 9001|ISO 14001|ISO 45001|ISO 50001|assistance à maîtrise d'ouvrage|AMO"
        "|conseil en organisation|réorganisation|schéma directeur|méthodologie"
        "|mise en place d'une démarche|projet de service|programme d'appui"
        "|assistance à la définition|mission de conseil|conseils et accompagnement"
        "|expertise|évaluation de politique|diagnostic|mission d'assistance"
        "|prestation d'assistance|assistance technique",
    ),
    "psy": (
        Family("psy", "soutien psychologique ou écoute", 3.0),
        "soutien psychologique|accompagnement psychologique|prise en charge psychologique"
        "|groupe de parole|cellule d'écoute|écoute psychologique|débriefing|psychologue"
        "|psychothérapie",
    ),
    "rh": (
        Family("rh", "recrutement ou mise à disposition de personnel", 2.5),
        "recrutement|chasse de têtes|intérim|travail temporaire|mise à disposition de personnel"
        "|management de transition|portage salarial",
    ),
    "communication": (
        Family("communication", "communication, web ou traduction", 3.0),
        "community management|webmastering|site internet|site web|relations presse"
        "|plan de communication|campagne de communication|supports de communication"
        "|prestations de communication|traduction|interprétariat|mise en page|événementiel"
        "|organisation d'événements|cérémonie|visibilité|campagne de sensibilisation"
        "|campagne d'information",
    ),
    "insertion": (
        Family("insertion", "marché d'insertion (l'activité support n'est pas une formation)", 5.0),
        "marché d'insertion|action d'insertion|insertion et qualification professionnelle"
        "|ayant pour support|support d'activité|activité support|chantier d'insertion",
    ),
    "scolaire": (
        Family("scolaire", "activités pour des élèves (scolaire, périscolaire)", 3.0),
        "aide aux devoirs|soutien scolaire|accompagnement scolaire|accompagnement à la scolarité"
        "|périscolaire|éducation à l'environnement|écoles maternelles|écoles élémentaires"
        "|écoles primaires|élèves|collégiens|lycéens|classe de découverte|séjour linguistique"
        "|accueil de loisirs",
    ),
}

#: Calls for projects or applications (the applicant is a project holder, not a supplier).
CALLS: list[str] = [
    "appel à projets",
    "appel à projet",
    "appel à manifestation d'intérêt",
    "AMI",
    "appel à candidatures",
    "appel à propositions",
]

#: Applicants that are not training providers: companies, funders, branches, intermediaries.
APPLICANTS: list[str] = [
    "portés par des entreprises",
    "portées par des entreprises",
    "à destination des entreprises",
    "destiné aux entreprises",
    "entreprises de moins de",
    "organismes paritaires collecteurs",
    "OPCA",
    "à destination des OPCO",
    "fédérations professionnelles",
    "chambres consulaires",
    "branches professionnelles",
    "employeurs éligibles",
    "entreprises éligibles",
]

#: Applicants that are training providers (the call is for them after all).
PROVIDERS: list[str] = [
    "organisme de formation",
    "prestataire de formation",
    "prestataires",
    "opérateur de formation",
    "ingénierie de formation",
    "ingénierie pédagogique",
]

#: Apprenticeship phrases: the Qualiopi category "apprentissage" is required.
APPRENTICESHIP: list[str] = ["CFA", "centre de formation d'apprentis"]
