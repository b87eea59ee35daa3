"""The senses of training words: where a word of the vocabulary does not mean training.

Read with ``vocabulary.py`` (which re-exports these lists): phrases that make a training word
incidental, purchase-object words used in a training sense, who learns (for the terms that
need a learner nearby) and words that veto a short term ("VAE" beside "vélo").
"""

from __future__ import annotations

#: Phrases in which "formation" (or another term) is not the service bought.
INCIDENTAL: list[str] = [
    "salle de formation",
    "espace de formation",
    "locaux de formation",
    "centre de formation",
    "bâtiment de formation",
    "matériel de formation",
    "équipement de formation",
    "simulateur de formation",
    "logiciel de formation",
    "exercices de formation",
    "organisme de formation",
    "lors de formation",
    "stagiaires de la formation",
    "stagiaires en formation",
    "lors des formations",
    "pendant les formations",
    "compte personnel de formation",
    "cours d'eau",
    "apprentissage automatique",
    "éducation et de la formation",
    # "formation" as constitution (issue 11: « formation d'un groupement de commandes »)
    "formation d'un groupement",
    "formation du groupement",
    "formation de groupement",
    # "enseignement" as a kind of buyer or a sector, not a service bought (DECP: EPLE
    # equipment, the ministry of higher education's hostesses)
    "établissement d'enseignement",
    "local d'enseignement",
    "enseignement supérieur",
    "enseignement secondaire",
    "enseignement primaire",
    "enseignement scolaire",
    "enseignement agricole",
    "enseignement privé",
    "enseignement catholique",
    "enseignement artistique",
    "ministère de l'enseignement",
    "formation musicale",
]

#: Words that, anywhere in the same field, show that a short training term means something
#: else: "VAE" is also an electric bicycle, "FCO" a sheep disease, "SST" occupational health.
VETOES: dict[str, list[str]] = {
    "VAE": ["vélo", "vélos", "cycles", "assistance électrique", "trottinette"],
    "FCO": ["fièvre catarrhale", "vaccination", "ovins", "bovins", "cheptel"],
    "SST": [
        "médecine du travail",
        "médecine professionnelle",
        "santé au travail",
        "service de santé",
        "surveillance médicale",
        "visites médicales",
    ],
    "coach": ["autocar", "autocars", "véhicule"],
}

#: Phrases in which a purchase-object word names what is learnt, not what is bought
#: ("travaux pratiques", "construction d'un parcours"): the object rule ignores them.
NOT_OBJECTS: list[str] = [
    "travaux pratiques",
    "travaux dirigés",
    "travaux en hauteur",
    "conduite de travaux",
    "construction d'un parcours",
    "construction de parcours",
    "construction du projet professionnel",
    "construction d'un projet professionnel",
    "construction de son projet",
    "métiers de la construction",
    "métiers de la maintenance",
    "maintenance industrielle",
    "installation professionnelle",
]


#: Who learns or what is learnt: a ``needs_learner`` term counts only near one of these.
LEARNERS: list[str] = [
    "agents",
    "salariés",
    "personnel",
    "personnels",
    "stagiaires",
    "apprenants",
    "participants",
    "demandeurs d'emploi",
    "bénéficiaires",
    "jeunes",
    "adultes",
    "grand public",
    "public adulte",
    "publics prioritaires",
    "publics éloignés",
    "publics fragiles",
    "public accueilli",
    "élus",
    "bénévoles",
    "managers",
    "encadrants",
    "encadrement",
    "cadres",
    "dirigeants",
    "équipes",
    "équipe",
    "collaborateurs",
    "professionnels",
    "travailleurs",
    "éducateurs",
    "assistants familiaux",
    "assistants maternels",
    "soignants",
    "aides-soignants",
    "infirmiers",
    "enseignants",
    "officiers",
    "militaires",
    "sapeurs-pompiers",
    "conducteurs",
    "chauffeurs",
    "habitants",
    "seniors",
    "personnes",
    "allophones",
    "primo-arrivants",
    "détenus",
    "compétences",
    "savoirs",
    "connaissances",
    "langue",
    "français",
    "anglais",
    "espagnol",
    "allemand",
    "linguistique",
    "mathématiques",
    "bureautique",
    "numérique",
    "informatique",
    "management",
    "pratiques",
    "professionnelle",
    "professionnel",
]
