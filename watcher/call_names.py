"""The call a corrigendum, award or cancellation notice names, from its title.

When such a notice is the first one seen of a call (the original is older than the sources'
listings), its title is the call's only title — but it also describes the change:
« Avis rectificatif — Accord-cadre « Sécurité sur les tournages » : report de la date limite »,
« Formation linguistique (anglais, allemand) des personnels – report de la date limite »,
« Rectificatif — Parcours de formation aux compétences numériques de base ». The call is named
without those words (the emails, the digest and the drafts a buyer reads carry its title).
"""

from __future__ import annotations

import re

#: « … » or “…” around the call's name, as corrigenda quote it
QUOTED = re.compile(r"[«“\"]\s*([^»”\"]{3,160}?)\s*[»”\"]")
#: the kind of notice, before a dash or a colon
KIND_PREFIX = re.compile(
    r"^\s*(?:avis\s+)?(?:rectificatif|modificatif|de\s+modification|d['’]attribution|"
    r"d['’]annulation|annulation|attribution)(?:\s+n°\s*\d+)?\s*[-–—:]\s*",
    re.IGNORECASE,
)
#: the change, after a dash or a colon, at the end
CHANGE_SUFFIX = re.compile(
    r"\s*[-–—:]\s*(?:report|prolongation|modification|décalage|changement)\s+(?:de\s+(?:la\s+)?|"
    r"du\s+|des\s+)?(?:date|délai|dates)\b[^-–—:]*$",
    re.IGNORECASE,
)
MIN_WORDS = 2


def named_call(title: str) -> str:
    """The call's name in a change notice's ``title``; the title itself if none is found."""
    quoted = QUOTED.search(title)
    if quoted and len(quoted.group(1).split()) >= MIN_WORDS:
        return quoted.group(1).strip()
    stripped = CHANGE_SUFFIX.sub("", KIND_PREFIX.sub("", title, count=1), count=1).strip()
    if len(stripped.split()) < MIN_WORDS:
        return title
    return stripped[0].upper() + stripped[1:]  # « Attribution — formation … » → « Formation … »
