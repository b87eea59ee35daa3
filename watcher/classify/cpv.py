"""CPV codes (Common Procurement Vocabulary, Reg. (EC) 213/2008) as evidence.

CPV codes are hierarchical: trailing zeros widen a code (``80500000`` = every ``805xxxxx``).
Codes are compared on their first 8 digits; a check digit (``80530000-8``) is dropped.

- training, strong: 805 (services de formation, except 80512/80513 animal training and 8059
  tutoring), 8040 / 8042 / 8043 (adult education, e-learning), 80411 (driving school), 8033
  (safety teaching), 79632 / 79633 / 79634 (staff training, development, career guidance);
- training, weak: 80000000 (the root "enseignement et formation", too broad);
- not training (penalty): divisions 03-44 (supplies), 45 (works), 48 (software packages), 50,
  51, 55, 60, 63, 64, 65, 66, 70, 71, 72, 73, 77, 90, 92 (repair, installation, catering,
  transport, telecom, utilities, insurance, real estate, engineering, IT, R&D, agriculture,
  cleaning, leisure).

Codes outside both lists (79 business services, 85 health and social work, 98...) are neutral:
consulting, coaching (79998000) and social support carry no evidence either way.
"""

from __future__ import annotations

import re

STRONG_TRAINING_PREFIXES: tuple[str, ...] = (
    "805",
    "8040",
    "8042",
    "8043",
    "80411",
    "8033",
    "79632",
    "79633",
    "79634",
)
#: Children of a strong prefix that are not training services for people at work.
EXCLUDED_PREFIXES: tuple[str, ...] = ("80512", "80513", "8059")
WEAK_TRAINING_CODES: frozenset[str] = frozenset({"80000000"})

NON_TRAINING_DIVISIONS: frozenset[str] = frozenset(
    {f"{d:02d}" for d in range(3, 46)}
    | set(
        [
            "48",
            "50",
            "51",
            "55",
            "60",
            "63",
            "64",
            "65",
            "66",
            "70",
            "71",
            "72",
            "73",
            "77",
            "90",
            "92",
        ]
    )
)

#: French labels shown in reasons (most specific prefix wins).
LABELS: dict[str, str] = {
    "80": "enseignement et formation",
    "804": "éducation des adultes",
    "8042": "apprentissage en ligne",
    "80411": "auto-école",
    "8033": "enseignement de la sécurité",
    "805": "services de formation",
    "8059": "soutien scolaire et tutorat",
    "801": "enseignement primaire",
    "802": "enseignement secondaire",
    "803": "enseignement supérieur",
    "8051": "formation spécialisée",
    "80511": "formation du personnel",
    "8053": "formation professionnelle",
    "80532": "formation à la gestion",
    "80533": "formation informatique",
    "8055": "formation à la sécurité",
    "8056": "formation santé et secourisme",
    "8057": "développement personnel",
    "8058": "cours de langues",
    "79632": "formation du personnel",
    "79633": "perfectionnement du personnel",
    "79634": "orientation professionnelle",
    "45": "travaux",
    "48": "logiciels",
    "50": "réparation et entretien",
    "51": "installation",
    "55": "hôtellerie et restauration",
    "60": "transport",
    "66": "assurance et finance",
    "70": "immobilier",
    "71": "architecture et ingénierie",
    "72": "services informatiques",
    "90": "déchets et nettoyage",
    "92": "loisirs, culture et sport",
}

_CODE = re.compile(r"^\s*(\d{8})(?:-\d)?\s*$")


def clean_code(raw: str) -> str | None:
    """The 8 digits of a CPV code (``"80530000-8"`` -> ``"80530000"``), or None."""
    if len(raw) == 8 and raw.isdigit():
        return raw
    found = _CODE.match(raw)
    return found.group(1) if found else None


def prefix_of(code: str) -> str:
    """``80500000`` -> ``805``: the significant digits (at least 2)."""
    return code.rstrip("0").ljust(2, "0")


def is_training(code: str) -> bool:
    if code.startswith(EXCLUDED_PREFIXES):
        return False
    return code.startswith(STRONG_TRAINING_PREFIXES)


def is_weak_training(code: str) -> bool:
    return code in WEAK_TRAINING_CODES


def is_non_training(code: str) -> bool:
    return code[:2] in NON_TRAINING_DIVISIONS


def label(code: str) -> str:
    """``"CPV 80530000 (formation professionnelle)"``; divisions of goods read "fournitures"."""
    for size in range(len(prefix_of(code)), 1, -1):
        text = LABELS.get(code[:size])
        if text:
            return f"CPV {code} ({text})"
    if code[:2] < "45":
        return f"CPV {code} (fournitures)"
    return f"CPV {code}"
