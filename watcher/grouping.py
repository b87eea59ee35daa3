"""One call, one record: the pure rules that tell whether two notices are the same consultation.

Exact keys first — the eForms ``contractfolderid`` (same value on BOAMP and TED), a buyer
reference written "[réf. 12345]" (marches-publics.info), BOAMP's ``annonce_lie`` (a corrigendum
or an award points at the initial notice). Then, for notices without a shared key, a fuzzy
match that is deliberately strict, because merging two different calls hides one of them:
same buyer (OPCO names normalised), the same significant title words once generic words
("avis", "rectificatif", "marché"…) are removed, and compatible deadlines. Titles that differ
by a number, a region or a department never merge ("POEC Couvreur — Bretagne" is not
"POEC Couvreur — Normandie").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime

from scrapers.dates import fold
from watcher import deadlines, fr
from watcher.call_names import QUOTED
from watcher.models import Lot, Notice, NoticeKind

OPCO_NAMES = {
    "afdas": "afdas",
    "akto": "akto",
    "atlas": "atlas",
    "opco atlas": "atlas",
    "constructys": "constructys",
    "opco ep": "opco ep",
    "opco des entreprises de proximite": "opco ep",
    "opco 2i": "opco 2i",
    "ocapiat": "ocapiat",
    "opco mobilites": "opco mobilites",
    "opco sante": "opco sante",
    "uniformation": "uniformation",
    "opcommerce": "opcommerce",
    "l opcommerce": "opcommerce",
}
GENERIC_WORDS = frozenset(
    "a au aux avis d de des du en et l la le les pour sur un une par dans "
    "rectificatif modificatif modification attribution resultat resultats marche marches "
    "public publics publique appel appels offre offres consultation procedure adaptee "
    "accord cadre accords cadres".split()
)
REGION_WORDS = frozenset(
    "auvergne rhone alpes bourgogne franche comte bretagne centre val loire corse grand est "
    "hauts france ile normandie nouvelle aquitaine occitanie pays provence cote azur "
    "guadeloupe martinique guyane reunion mayotte".split()
)
MIN_WORDS_IN_A_CALL_NAME = 2
BUYER_REF = re.compile(r"\[?\s*r[ée]f(?:[ée]rence)?\.?\s*:?\s*([A-Za-z0-9][\w\-/.]{2,30})\s*\]?")
MIN_WORDS_FOR_CONTAINMENT = 4


@functools.lru_cache(maxsize=4096)  # a few dozen buyers, asked several times per notice
def normalise_buyer(name: str) -> str:
    """'Constructys Siège', 'CONSTRUCTYS' -> 'constructys'; other buyers: folded words."""
    words = " ".join(re.findall(r"[a-z0-9]+", fold(name)))
    for known, canonical in sorted(OPCO_NAMES.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(known)}\b", words):
            return canonical
    return words


def title_words(title: str) -> frozenset[str]:
    """The significant words of a title: folded, generic words dropped."""
    words = re.findall(r"[a-z0-9]+", fold(title))
    return frozenset(w for w in words if (w not in GENERIC_WORDS and len(w) > 1) or w.isdigit())


def normalise_title(title: str) -> str:
    return " ".join(sorted(title_words(title)))


def similar_titles(a: str, b: str) -> bool:
    """Same significant words, or one title inside the other with only harmless extra words."""
    first, second = set(a.split()), set(b.split())
    if first == second:
        return bool(first)
    small, large = sorted((first, second), key=len)
    if len(small) < MIN_WORDS_FOR_CONTAINMENT or not small <= large:
        return False
    extra = large - small
    return len(extra) <= 2 and not any(_distinguishing(word) for word in extra)


def amended_call_name(notice: Notice) -> str:
    """The normalised name a corrigendum, award or cancellation quotes for the call it amends.

    "Avis rectificatif — Accord-cadre « Sécurité sur les tournages » : report de la date limite"
    names the call « Sécurité sur les tournages »; the rest of its title describes the change, so
    the whole-title comparison cannot find the call. Calls themselves name nothing.
    """
    if notice.kind == NoticeKind.CALL:
        return ""
    quoted = QUOTED.search(notice.title)
    name = normalise_title(quoted.group(1)) if quoted else ""
    return name if len(name.split()) >= MIN_WORDS_IN_A_CALL_NAME else ""


def names_call(call_name: str, tender_title: str) -> bool:
    """Every significant word of a quoted call name is in a tender's normalised title."""
    words = set(call_name.split())
    return len(words) >= MIN_WORDS_IN_A_CALL_NAME and words <= set(tender_title.split())


def _distinguishing(word: str) -> bool:
    return any(c.isdigit() for c in word) or word in REGION_WORDS


def compatible_deadlines(a: datetime | None, b: datetime | None, kind: NoticeKind) -> bool:
    """Deadlines agree (same day), one is unknown, or the notice amends or closes the call."""
    if a is None or b is None or kind != NoticeKind.CALL:
        return True
    return a.date() == b.date()


def buyer_references(notice: Notice) -> set[str]:
    """Buyer references ("[réf. 12345]") written in the title, summary or site reference."""
    text = " ".join((notice.title, notice.summary[:500], notice.ref if "réf" in notice.ref else ""))
    return {match.upper() for match in BUYER_REF.findall(text) if any(c.isdigit() for c in match)}


def identity_keys(notice: Notice) -> set[str]:
    """The keys that name this notice's consultation (stored for later notices to find)."""
    keys = {f"notice:{notice.key}"}
    if notice.folder_id:
        keys.add(f"folder:{notice.folder_id.lower()}")
    buyer = normalise_buyer(notice.buyer)
    references = buyer_references(notice) | (
        {notice.buyer_ref.upper()} if notice.buyer_ref else set()
    )
    keys |= {f"buyref:{buyer}:{ref}" for ref in references}
    return keys


def lookup_keys(notice: Notice) -> set[str]:
    """The keys under which an earlier notice of the same consultation may be stored."""
    linked = {f"notice:{notice.source}:{ref}" for ref in notice.related_refs}
    return identity_keys(notice) | linked


def changes(
    before_deadline: datetime | None, before_lots: Iterable[Lot], notice: Notice
) -> tuple[str, ...]:
    """What a later notice changes in a call, in French: deadline moved, lots added. A lot's
    own deadline moved is told as the lot's (« lot 2 : date limite repoussée au … »); the
    call's is told only when it is not merely the earliest of its lots' (TED's)."""
    before_lots = list(before_lots)
    lots_moved = _lot_moves(before_lots, notice)
    found: list[str] = []
    if not (lots_moved and notice.deadline in {lot.deadline for lot in notice.lots}):
        found += _deadline_move(before_deadline, notice.deadline)
    found += lots_moved
    known = {fold(lot.title) for lot in before_lots}
    found += [
        f"lot ajouté\u00a0: {lot.title}" for lot in notice.lots if fold(lot.title) not in known
    ]
    return tuple(found)


def _deadline_move(before: datetime | None, after: datetime | None, who: str = "") -> list[str]:
    """« date limite repoussée au … », « avancée au … », « fixée au … », after ``who``."""
    if after is None or after == before:
        return []
    verb = "fixée" if before is None else "repoussée" if after > before else "avancée"
    return [f"{who}date limite {verb} au {fr.long_datetime(after)}"]


def _lot_moves(before_lots: list[Lot], notice: Notice) -> list[str]:
    """The lots of ``notice`` whose own deadline differs from the one they had; all of them
    moved to one same day is the call's deadline moving (told once, as the call's)."""
    before, after = deadlines.by_lot(before_lots), deadlines.by_lot(notice.lots)
    moved = {k: at for k, at in after.items() if k in before and before[k] != at}
    if not moved or (len(set(after.values())) == 1 and moved.keys() == after.keys()):
        return []
    return [m for k, at in moved.items() for m in _deadline_move(before[k], at, f"{k}\u00a0: ")]
