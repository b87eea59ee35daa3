"""The singular forms ``list --text`` searches besides the text itself: « formations » finds
« formation », « sociaux » finds « social », and each the other way round.

A notice's search text is its folded text (``records.fold``: lower case, no accents), then
``SEPARATOR``, then the singular form of each of its words, each word between spaces::

    "formations sociales\\nakto" + "\\x1f formation sociale akto "

A query is folded the same way; it matches as a substring of the folded text (as always), or
its words' singular forms match as whole words, in a row, in the forms (the last word may
be the start of a word when the query did not change it: « formation profession » finds
« formations professionnelles »). Whole words, because a form is shorter than its word:
« sans » as « san » must not find « santé ».

The forms are stored: these rules are part of the schema. Changing them means a migration
step that recomputes them (``recompute``), as step 9 did. Plural marks only (s, x, -aux,
-eaux), not gender: « sociale » does not find « social ».
"""

from __future__ import annotations

import re
from functools import lru_cache

#: between the folded text and its forms: a control character, which the ingestion removes
#: from every text (``watcher.sanitise``), so no text nor query holds one
SEPARATOR = "\x1f"
_WORD = re.compile(r"[a-z0-9]+")
#: singular words ending in s that would lose it (and meet another word: « cours », « cour »)
_ALREADY_SINGULAR = frozenset(
    "mois fois bois pays temps corps cours concours discours parcours secours recours "
    "dans sans sous tous plus vers tres apres alors depuis moins".split()
)


@lru_cache(maxsize=65536)
def singular(word: str) -> str:
    """The singular of one folded word: « formations » -> « formation », « sociaux » ->
    « social », « bureaux » -> « bureau », « lieux » -> « lieu ». Both forms of a word give
    the same result, which is all a search needs."""
    if len(word) <= 3 or not word.isalpha() or word in _ALREADY_SINGULAR:
        return word
    if word.endswith(("eaux", "eux")):
        return word[:-1]
    if word.endswith("aux"):
        return word[:-3] + "al"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def searchable(folded: str) -> str:
    """The search text stored for a notice whose folded text is ``folded``."""
    folded = folded.replace(SEPARATOR, " ")
    forms = " ".join(map(singular, words(folded)))
    return f"{folded}{SEPARATOR} {forms} "


def recompute(search_text: str) -> str:
    """A stored search text with its forms computed again (with or without forms before)."""
    return searchable(search_text.partition(SEPARATOR)[0])


def query_forms(folded: str) -> tuple[str, bool] | None:
    """What a folded query looks for among the forms: its words' singular forms (spaced),
    and whether its last word may be the start of a word (it was kept as typed); None when
    the substring match of the folded query already finds all that."""
    typed = words(folded)
    if not typed:
        return None
    forms = [singular(word) for word in typed]
    phrase = " ".join(forms)
    if phrase == folded:  # nothing changed and nothing but words: the substring says it
        return None
    return phrase, forms[-1] == typed[-1]
