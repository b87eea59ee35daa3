"""Ordinary French text for the benchmarks: titles, summaries and detail pages of calls for
tenders as OPCOs write them, assembled from phrase banks with a seeded generator (the same
seed gives the same text, whichever checkout is measured). Standard library only.

Most calls (about 70 %) fall in a domain of the example profile (management, bureautique,
langues, SST, bilans), the others do not, so judging and alert queueing do real work.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from html import escape

ACTIONS = (
    "Formation",
    "Actions collectives de formation",
    "Accompagnement",
    "Parcours de formation",
    "Prestations de formation",
    "Dispositif de professionnalisation",
    "Sessions de sensibilisation",
    "Ateliers",
    "Programme de montée en compétences",
    "Modules de formation",
)
THEMES = (
    "au management de proximité",
    "à la bureautique et aux usages numériques",
    "en anglais professionnel",
    "sauveteur secouriste du travail (SST)",
    "aux gestes et postures",
    "à la prévention des risques professionnels",
    "à la conduite du changement",
    "en français langue étrangère (FLE)",
    "à la relation client",
    "à la cybersécurité",
    "aux techniques de nettoyage et d'hygiène",
    "à l'hygiène alimentaire HACCP",
    "à l'habilitation électrique",
    "à la gestion du stress",
    "au tutorat en entreprise",
    "aux bilans de compétences",
    "à la prévention des discriminations",
    "à la gestion comptable",
    "à la conduite de chariots élévateurs (CACES)",
    "à l'accueil du public",
    "à la sécurité incendie",
    "aux écrits professionnels",
    "à la transition écologique",
    "au service en salle",
)
PUBLICS = (
    " des salariés de la branche propreté",
    " des encadrants intermédiaires",
    " des demandeurs d'emploi",
    " des agents de sécurité privée",
    " des personnels de l'hôtellerie-restauration",
    " des intérimaires",
    " des salariés des TPE-PME",
    " des travailleurs en situation de handicap",
    "",
)
REGIONS = (
    "Bretagne",
    "Pays de la Loire",
    "Normandie",
    "Île-de-France",
    "Occitanie",
    "Grand Est",
    "Hauts-de-France",
    "Nouvelle-Aquitaine",
    "Auvergne-Rhône-Alpes",
    "Provence-Alpes-Côte d'Azur",
    "Centre-Val de Loire",
    "Bourgogne-Franche-Comté",
    "France entière",
)
CONTEXT = (
    "L'OPCO accompagne les entreprises de la branche dans le développement des compétences de "
    "leurs salariés et finance des actions collectives au bénéfice des structures adhérentes.",
    "Dans le cadre de sa politique emploi-formation, la branche souhaite renforcer "
    "l'employabilité des salariés et sécuriser les parcours professionnels.",
    "Les entreprises de moins de cinquante salariés expriment des besoins récurrents en "
    "formation, que l'offre existante ne couvre qu'en partie sur le territoire.",
    "Le présent cahier des charges fait suite à une étude de besoins menée auprès de "
    "{n} entreprises adhérentes au cours du dernier semestre.",
    "Les actions s'inscrivent dans le plan de développement des compétences et peuvent être "
    "mobilisées par les entreprises sans reste à charge.",
)
OBJECT = (
    "La consultation a pour objet la conception, l'organisation et l'animation de sessions "
    "{theme}{public}.",
    "Le prestataire retenu assurera l'ingénierie pédagogique, l'animation des sessions et "
    "l'évaluation des acquis des stagiaires {theme}.",
    "Il est attendu du titulaire une offre de formation {theme} adaptée aux contraintes des "
    "entreprises, notamment en matière d'horaires décalés.",
    "Les sessions se dérouleront en inter-entreprises, par groupes de six à douze stagiaires, "
    "sur une durée de {d} heures par stagiaire.",
)
LOTS = (
    "Le marché est alloti en {k} lots géographiques ; un candidat peut répondre à un ou "
    "plusieurs lots.",
    "Lot {k} : {region}, environ {s} sessions par an.",
    "Le volume prévisionnel est estimé à {s} sessions sur la durée de l'accord-cadre, sans "
    "engagement de commande minimale.",
)
MODALITIES = (
    "Les formations pourront être dispensées en présentiel, à distance ou en format mixte, "
    "sous réserve de l'accord de l'entreprise.",
    "Le prestataire met à disposition des stagiaires les supports pédagogiques et une "
    "attestation de fin de formation.",
    "Une attention particulière sera portée à l'accessibilité des contenus pour les personnes "
    "en situation de handicap.",
    "Les actions de formation doivent être réalisées par un organisme certifié Qualiopi au "
    "titre de la catégorie « actions de formation ».",
    "Le titulaire transmet un bilan quantitatif et qualitatif à l'issue de chaque session.",
)
CRITERIA = (
    "Les offres seront appréciées selon les critères suivants : valeur technique (60 %), prix "
    "(30 %), démarche de développement durable (10 %).",
    "Le candidat présente ses références récentes pour des prestations similaires et les CV "
    "des formateurs pressentis.",
    "La durée de l'accord-cadre est de douze mois, reconductible trois fois par période de "
    "douze mois.",
    "Les questions des candidats sont posées par écrit sur la plateforme au plus tard dix jours "
    "avant la date limite.",
)


@dataclass(frozen=True)
class Call:
    """One generated call: what a listing card and its detail page show."""

    title: str
    summary: str
    region: str
    published: date
    deadline: date
    paragraphs: tuple[str, ...]

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)


def title(rng: random.Random) -> tuple[str, str, str]:
    """(title, theme, region) of a call."""
    theme, public, region = rng.choice(THEMES), rng.choice(PUBLICS), rng.choice(REGIONS)
    return f"{rng.choice(ACTIONS)} {theme}{public} — {region}", theme, region


def call(seed: int, *, published: date, deadline: date, body_chars: int = 3_000) -> Call:
    """A call with a detail text of about ``body_chars`` characters."""
    rng = random.Random(seed)
    heading, theme, region = title(rng)
    paragraphs: list[str] = []
    size = 0
    banks = (CONTEXT, OBJECT, LOTS, MODALITIES, CRITERIA)
    while size < body_chars:
        bank = banks[len(paragraphs) % len(banks)]
        sentences = [_fill(rng.choice(bank), rng, theme, region) for _ in range(rng.randint(2, 4))]
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 1
    paragraphs.append(f"Lieu d'exécution : {region}.")
    summary = _fill(rng.choice(OBJECT), rng, theme, region)
    return Call(heading, summary, region, published, deadline, tuple(paragraphs))


def _fill(sentence: str, rng: random.Random, theme: str, region: str) -> str:
    return sentence.format(
        theme=theme,
        public=rng.choice(PUBLICS),
        region=region,
        n=rng.randint(40, 400),
        d=rng.choice((7, 14, 21, 35)),
        k=rng.randint(2, 6),
        s=rng.randint(10, 120),
    )


def french_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


# ------------------------------------------------------------------ pages in AKTO's layout


def listing_card(item: Call, href: str) -> str:
    """One card of an AKTO listing (div.posts-card, h3.h3, p.metas, a.btn.bg-primary)."""
    return (
        f'<div class="posts-card"><h3 class="h3">{escape(item.title)}</h3>'
        f'<p class="metas">Publié le {french_date(item.published)}</p>'
        f'<p class="metas">Limite de réponse : {french_date(item.deadline)}</p>'
        f'<div class="posts-card__content"><p>{escape(item.summary)}</p></div>'
        f'<a class="btn bg-primary" href="{escape(href)}">Voir l\'appel</a></div>'
    )


def listing_page(heading: str, cards: list[str]) -> str:
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(heading)}</title></head><body><header><nav><a href='/'>Accueil</a>"
        "</nav></header><main><h1>Appels d'offres</h1>"
        f"{''.join(cards)}</main><footer>Mentions légales</footer></body></html>"
    )


def detail_page(item: Call, document: str) -> str:
    paragraphs = "".join(f"<p>{escape(p)}</p>" for p in item.paragraphs)
    return (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{escape(item.title)}</title></head><body><header><nav><a href='/'>Accueil</a>"
        f"</nav></header><main><article><h1>{escape(item.title)}</h1>{paragraphs}"
        f"<p>Date limite de réception des offres : {french_date(item.deadline)} à 12h00.</p>"
        f'<p><a href="{escape(document)}">Télécharger le cahier des charges (PDF)</a></p>'
        "</article></main><footer>Mentions légales</footer></body></html>"
    )


def deadline_of(site: int, card: int, today: date) -> date:
    """The new calls' deadlines: spread over 60 days from three weeks ahead (the history
    never uses these days, so a recurring title there does not merge with a new call)."""
    return today + timedelta(days=21 + (site * 20 + card) % 60)
