"""A general taxonomy of training domains, independent of any organisation's profile.

Each topic has phrases (matched on stems, like every phrase here) and CPV prefixes. A notice's
topics are scored from its title (3 points per phrase), lots (2), summary (1.5), body (1) and
buyer (1), plus 2 for a CPV code under one of the topic's prefixes; each phrase counts once.
The topics kept are those scoring at least half of the best one (and at least 1.5 points).

Topics (key, label): langues (Langues), securite (Sécurité et prévention), transport
(Transport et logistique), numerique (Numérique et bureautique), management (Management et
leadership), bilans (Bilans, orientation et VAE), rh (Ressources humaines), relation_client
(Relation client et vente), sante_social (Santé, social et médico-social), btp_energie (BTP et
énergie), handicap (Handicap et inclusion), savoirs_base (Savoirs de base), restauration
(Hôtellerie-restauration), proprete (Propreté et hygiène des locaux), animation (Animation et
sport), juridique (Juridique, gouvernance et vie associative), emploi (Emploi et insertion),
ingenierie (Ingénierie de formation), gestion (Gestion, comptabilité et finance), industrie
(Industrie et maintenance), agriculture (Agriculture et environnement). Their phrases are
listed in ``TOPICS`` below.
"""

from __future__ import annotations

from dataclasses import dataclass

FIELD_WEIGHTS = {"title": 3.0, "lots": 2.0, "summary": 1.5, "body": 1.0, "buyer": 1.0}
CPV_POINTS = 2.0
MIN_POINTS = 1.5


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    label: str
    phrases: tuple[str, ...]
    cpv: tuple[str, ...] = ()


def _topic(key: str, label: str, phrases: str, cpv: tuple[str, ...] = ()) -> Topic:
    return Topic(key, label, tuple(p.strip() for p in phrases.split("|")), cpv)


TOPICS: tuple[Topic, ...] = (
    _topic(
        "langues",
        "Langues",
        "langue|linguistique|sociolinguistique|anglais|allemand|espagnol|italien|chinois|arabe"
        "|français langue étrangère|FLE|FLS|basque|occitan|breton|TOEIC|DELF|TOEFL",
        ("8058",),
    ),
    _topic(
        "securite",
        "Sécurité et prévention",
        "sécurité|SST|sauveteur secouriste|secourisme|premiers secours|incendie|extincteur"
        "|évacuation|première intervention|CACES|habilitation électrique|prévention des risques"
        "|risques professionnels|gestes et postures|PRAP|travail en hauteur"
        "|formations réglementaires|document unique|santé et sécurité au travail|risque chimique",
        ("8055", "80562", "8033"),
    ),
    _topic(
        "transport",
        "Transport et logistique",
        "FIMO|FCO|permis|conduite de véhicules|conduite d'engins|conduite automobile"
        "|conduite en sécurité|conduite économique|conduite défensive|chauffeur|conducteur"
        "|poids lourd|logistique|cariste|transport|prévention routière|sécurité routière"
        "|éco-conduite",
        ("80411",),
    ),
    _topic(
        "numerique",
        "Numérique et bureautique",
        "numérique|bureautique|informatique|Excel|Word|Microsoft|LibreOffice|Office|internet"
        "|digital|RGPD|protection des données|cybersécurité|outils collaboratifs|tableur"
        "|usages numériques|logiciel",
        ("80533",),
    ),
    _topic(
        "management",
        "Management et leadership",
        "management|managers|encadrement|encadrants|leadership|coaching|manager"
        "|conduite du changement|gestion d'équipe|cadres dirigeants|managérial|prise de parole"
        "|efficacité professionnelle|conduite de projet|gestion de projet|management de projet",
        ("80532",),
    ),
    _topic(
        "bilans",
        "Bilans, orientation et VAE",
        "bilan de compétences|bilan professionnel|VAE|validation des acquis|orientation"
        "|conseil en évolution professionnelle|évolution professionnelle|reconversion",
        ("79634",),
    ),
    _topic(
        "rh",
        "Ressources humaines",
        "ressources humaines|GPEC|GEPP|mobilité|congé mobilité|outplacement|reclassement"
        "|recrutement|paie|entretien professionnel|entretien annuel|droit du travail",
    ),
    _topic(
        "relation_client",
        "Relation client et vente",
        "accueil du public|accueil des publics|accueil physique|accueil téléphonique"
        "|accueil des usagers|agents d'accueil|qualité de l'accueil|accueil clientèle"
        "|relation client|relation usager|vente|commerce|commercial|négociation|clientèle"
        "|gestion des conflits|incivilités",
    ),
    _topic(
        "sante_social",
        "Santé, social et médico-social",
        "santé|médico-social|sanitaire|EHPAD|soins|aide-soignant|infirmier|personnes âgées"
        "|dépendance|bientraitance|travail social|travailleurs sociaux|action sociale"
        "|aide sociale à l'enfance|éducateurs|assistant familial|assistants familiaux"
        "|accueillants familiaux|assistants maternels|assistantes maternelles"
        "|accueil du jeune enfant|protection de l'enfance"
        "|analyse des pratiques|petite enfance|aide à domicile|prise en charge",
        ("8056",),
    ),
    _topic(
        "btp_energie",
        "BTP et énergie",
        "BTP|bâtiment|rénovation thermique|rénovation énergétique|énergie|travaux publics"
        "|chantier|construction|efficacité énergétique",
    ),
    _topic(
        "handicap",
        "Handicap et inclusion",
        "handicap|handicapés|situation de handicap|ESAT|Agefiph|inclusion|accessibilité|RQTH"
        "|travailleurs handicapés",
    ),
    _topic(
        "savoirs_base",
        "Savoirs de base",
        "savoirs de base|compétences de base|compétences clés|illettrisme|alphabétisation"
        "|remise à niveau|CléA|lecture écriture calcul",
    ),
    _topic(
        "restauration",
        "Hôtellerie-restauration",
        "restauration|restaurant|cuisine|cuisinier|HACCP|hygiène alimentaire|hôtellerie"
        "|service en salle|restauration collective",
    ),
    _topic(
        "proprete",
        "Propreté et hygiène des locaux",
        "hygiène des locaux|entretien des locaux|propreté|bionettoyage|nettoyage|agents d'entretien"
        "|hygiène et entretien",
    ),
    _topic(
        "animation",
        "Animation et sport",
        "BAFA|BAFD|brevet d'aptitude aux fonctions d'animateur|accueil collectif de mineurs"
        "|animation socioculturelle|animation jeunesse|sport|sportif|loisirs",
    ),
    _topic(
        "juridique",
        "Juridique, gouvernance et vie associative",
        "élus|bénévoles|association|associatif|vie associative|gouvernance|droit|juridique"
        "|marchés publics|commande publique|financements européens|réglementation",
    ),
    _topic(
        "emploi",
        "Emploi et insertion",
        "POEC|POEI|préparation opérationnelle à l'emploi|demandeurs d'emploi|insertion"
        "|retour à l'emploi|2ème chance|deuxième chance|2e chance|parcours emploi",
    ),
    _topic(
        "ingenierie",
        "Ingénierie de formation",
        "ingénierie de formation|ingénierie pédagogique|conception pédagogique"
        "|formation de formateurs|formateurs|digital learning|e-learning"
        "|parcours de formation innovants",
        ("8042",),
    ),
    _topic(
        "gestion",
        "Gestion, comptabilité et finance",
        "comptabilité|comptable|gestion budgétaire|finance|finances publiques|fiscalité"
        "|contrôle de gestion|budget",
        ("80532",),
    ),
    _topic(
        "industrie",
        "Industrie et maintenance",
        "maintenance industrielle|soudure|soudage|électricité|électrotechnique|usinage"
        "|mécanique|chaudronnerie|automatisme|industrie",
        ("80531",),
    ),
    _topic(
        "agriculture",
        "Agriculture et environnement",
        "agriculture|agricole|Certiphyto|phytosanitaire|environnement|développement durable"
        "|espaces verts|tri des déchets",
    ),
)

TOPIC_LABELS: dict[str, str] = {topic.key: topic.label for topic in TOPICS}
