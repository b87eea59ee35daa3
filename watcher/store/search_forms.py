"""The base forms ``list --text`` searches besides the text itself — singular, masculine:
« formations » finds « formation », « sociaux » « social », « sociale » « social »,
« collectives » « collectif », and each the other way round.

A notice's search text is its folded text (``records.fold``: lower case, no accents), then
``SEPARATOR``, then the base form of each of its words, each word between spaces::

    "formations sociales\\nakto" + "\\x1f formation social akto "

A query is folded the same way; it matches as a substring of the folded text (as always), or
its words' base forms match as whole words, in a row, in the forms (the last word may
be the start of a word when the query did not change it: « formation profession » finds
« formations professionnelles »). Whole words, because a form is shorter than its word:
« sans » as « san » must not find « santé ».

The forms are stored: these rules are part of the schema. Changing them means a migration
step that recomputes them (``recompute``), as steps 9 (plurals: s, x, -aux, -eaux) and 10
(the feminine endings of adjectives and nouns: -ale, -elle, -enne, -onne, -ive, -ère, -ée)
did. Forms only need to be equal for the forms of one word; that they sometimes meet
another word's (« entrée » and « entre ») only widens a search a little.
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


#: feminine ending -> masculine, for words of at least ``_GENDERED_LENGTH`` letters (folded:
#: « ère » is « ere »); the first that fits applies
_FEMININE = (
    ("elle", "el"),  # professionnelle
    ("enne", "en"),  # européenne
    ("onne", "on"),  # bonne
    ("ale", "al"),  # sociale, régionale
    ("ive", "if"),  # collective
    ("ere", "er"),  # première, foncière
    ("ee", "e"),  # diplômée, agréée
)
_GENDERED_LENGTH = 6
#: masculine endings whose feminine is not the masculine and more letters (collectif,
#: collective): a query ending so searches the forms even when it is its own form
MASCULINE_BEYOND_SUBSTRING = ("if", "er")


@lru_cache(maxsize=65536)
def base_form(word: str) -> str:
    """The singular masculine form of one folded word: « formations » -> « formation »,
    « sociaux » and « sociales » -> « social », « bureaux » -> « bureau », « collectives » ->
    « collectif ». All forms of a word give the same result, which is all a search needs."""
    return _masculine(_singular(word))


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha() or word in _ALREADY_SINGULAR:
        return word
    if word.endswith(("eaux", "eux")):
        return word[:-1]
    if word.endswith("aux"):
        return word[:-3] + "al"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _masculine(word: str) -> str:
    if len(word) < _GENDERED_LENGTH or not word.isalpha():
        return word
    for feminine, masculine in _FEMININE:
        if word.endswith(feminine):
            return word[: -len(feminine)] + masculine
    return word


def words(folded: str) -> list[str]:
    return _WORD.findall(folded)


def searchable(folded: str) -> str:
    """The search text stored for a notice whose folded text is ``folded``."""
    folded = folded.replace(SEPARATOR, " ")
    forms = " ".join(map(base_form, words(folded)))
    return f"{folded}{SEPARATOR} {forms} "


def recompute(search_text: str) -> str:
    """A stored search text with its forms computed again (with or without forms before)."""
    return searchable(search_text.partition(SEPARATOR)[0])


def query_forms(folded: str) -> tuple[str, bool] | None:
    """What a folded query looks for among the forms: its words' base forms (spaced), and
    whether its last word may be the start of a word (it was kept as typed); None when the
    substring match of the folded query already finds all that."""
    typed = words(folded)
    if not typed:
        return None
    forms = [base_form(word) for word in typed]
    phrase = " ".join(forms)
    beyond = any(word.endswith(MASCULINE_BEYOND_SUBSTRING) for word in typed)
    if phrase == folded and not beyond:  # nothing changed, nothing but words: the substring
        return None
    return phrase, forms[-1] == typed[-1]
