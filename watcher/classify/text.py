"""French text normalisation, tokenisation, stemming and multi-word phrase matching.

Pipeline, applied identically to notices and to vocabulary phrases so that both sides meet:

1. lower case, accents folded (``é`` -> ``e``, ``œ`` -> ``oe``), typographic apostrophes unified;
2. elisions removed (``l'``, ``d'``, ``qu'``, ``jusqu'``...), so ``l'anglais`` -> ``anglais``;
3. split on anything that is not a letter or a digit (``e-learning`` -> ``e learning``);
4. French stop words dropped (``de``, ``la``, ``des``, ``pour``...); the coordinators ``et``,
   ``ou`` and list punctuation (``,`` ``;`` ``/``) become one ``&`` token, so that rules can see
   enumerations ("fourniture, installation et formation");
5. each token stemmed: a few irregular forms mapped by hand (``manageurs`` -> ``manag``), a
   plural ``s`` dropped, then the Snowball French stemmer (packaged, no model download), cached
   per token so a stream of notices stems each distinct word once.

Phrases are matched on the resulting stem sequences: ``"Bilans de compétences"`` and the phrase
``"bilan de compétence"`` both become ``("bilan", "competent")``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Generic, NamedTuple, TypeVar

import snowballstemmer

T = TypeVar("T")

_STEMMER = snowballstemmer.stemmer("french")

#: Irregular or colliding forms, keyed by the accent-folded token (checked before stemming).
STEM_OVERRIDES: dict[str, str] = {
    "manager": "manag",
    "managers": "manag",
    "manageur": "manag",
    "manageurs": "manag",
    "manageuse": "manag",
    "manageuses": "manag",
    # "former" (to train) must not meet "forme"/"formes" (shape, "sous forme de")
    "former": "former",
    "formes": "forme",
    "forme": "forme",
    # "format" (a file format) must not meet "formation"
    "format": "format_",
    "formats": "format_",
    "formateur": "formateur",
    "formateurs": "formateur",
    "formatrice": "formateur",
    "formatrices": "formateur",
    "elus": "elu",
    # "équipe" (team) must not meet "équipement" (equipment)
    "equipement": "equipement",
    "equipements": "equipement",
    "emplois": "emploi",
}

_STOP_TEXT = """
a au aux avec ce ces cet cette dans de des du elle elles en et il ils je la le les leur leurs
lui ma mais me meme mes mon ne ni nos notre nous on ou par pas pour qu que qui sa se ses son
sur ta te tes ton tu un une vos votre vous y sont est etre ete etait ont avoir afin ainsi
dont chez vers via tout tous toute toutes autre autres
"""
STOP_WORDS: frozenset[str] = frozenset(_STOP_TEXT.split())

#: A word or list punctuation; an elided article or pronoun ("l'", "qu'") matches as "".
_WORD = re.compile(
    r"(?<![a-z0-9])(?:qu|jusqu|lorsqu|puisqu|presqu|quelqu|[cdjlmnst])'|([a-z0-9]+|[,;/+])"
)
#: Token standing for a coordinator or list punctuation in stem sequences.
AND = "&"
_COORDINATORS = frozenset({",", ";", "/", "+", "et", "ou"})


def _fold_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(
            c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
        )
        if base != char and base.isascii():
            table[code] = base.lower()
    table.update({ord("œ"): "oe", ord("Œ"): "oe", ord("æ"): "ae", ord("Æ"): "ae", ord("ß"): "ss"})
    table.update({ord(c): "'" for c in "\u2019\u2018\u02bc`\u00b4"})
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case, accents folded, apostrophes unified: ``"L’École"`` -> ``"l'ecole"``."""
    return text.lower().translate(_FOLD)


def words(text: str) -> list[str]:
    """Folded words and list punctuation, elisions removed: ``"d'anglais,"`` -> ``anglais ,``."""
    return [word for word in _WORD.findall(fold(text)) if word]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem of one folded word (cached): plural ``s`` dropped, then Snowball French."""
    override = STEM_OVERRIDES.get(word)
    if override is not None:
        return override
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return str(_STEMMER.stemWord(word))


#: word -> its stem, "" for a stop word, AND for a coordinator (bounded: cleared when full)
_TOKENS: dict[str, str] = {"": ""}
_TOKENS_MAX = 200_000


def _token(word: str) -> str:
    if len(_TOKENS) >= _TOKENS_MAX:
        _TOKENS.clear()
        _TOKENS[""] = ""
    value = AND if word in _COORDINATORS else "" if word in STOP_WORDS else stem(word)
    _TOKENS[word] = value
    return value


def stems(text: str) -> list[str]:
    """Content stems of a text, in order: stop words dropped, coordinators as one ``&``."""
    out: list[str] = []
    last = AND  # no leading "&"
    get = _TOKENS.get
    for word in _WORD.findall(fold(text)):
        token = get(word)
        if token is None:
            token = _token(word)
        if token and (token != AND or last != AND):
            out.append(token)
            last = token
    if last == AND and out:
        out.pop()
    return out


def content(seq: Iterable[str]) -> list[str]:
    """The stems of a sequence without the ``&`` tokens."""
    return [s for s in seq if s != AND]


class Hit(NamedTuple, Generic[T]):
    """One phrase found in a stem sequence: ``stems[start:end]`` equals the phrase."""

    start: int
    end: int
    payload: T


class PhraseIndex(Generic[T]):
    """Multi-word phrases indexed by their first two stems, matched in one pass over a text.

    ``add("bilan de compétences", payload)`` then ``find(stems(text))`` yields every occurrence
    (overlaps included), longest phrases first at each position.
    """

    def __init__(self) -> None:
        self._single: dict[str, list[T]] = {}
        self._multi: dict[str, dict[str, list[tuple[tuple[str, ...], T]]]] = {}
        self._count = 0

    def add(self, phrase: str, payload: T) -> None:
        key = tuple(stems(phrase))
        if not key:
            raise ValueError(f"phrase {phrase!r} has no content word")
        self._count += 1
        if len(key) == 1:
            self._single.setdefault(key[0], []).append(payload)
            return
        entries = self._multi.setdefault(key[0], {}).setdefault(key[1], [])
        entries.append((key, payload))
        entries.sort(key=lambda entry: -len(entry[0]))

    def add_all(self, phrases: Iterable[tuple[str, T]]) -> None:
        for phrase, payload in phrases:
            self.add(phrase, payload)

    def find(self, seq: Sequence[str]) -> list[Hit[T]]:
        hits: list[Hit[T]] = []
        single, multi = self._single, self._multi
        seq = tuple(seq)
        n = len(seq)
        for i, first in enumerate(seq):
            seconds = multi.get(first)
            if seconds is not None and i + 1 < n:
                for key, payload in seconds.get(seq[i + 1], ()):
                    end = i + len(key)
                    if end <= n and (end == i + 2 or key == seq[i:end]):
                        hits.append(Hit(i, end, payload))
            payloads = single.get(first)
            if payloads is not None:
                for payload in payloads:
                    hits.append(Hit(i, i + 1, payload))
        return hits

    def __len__(self) -> int:
        return self._count
