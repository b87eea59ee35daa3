"""French text normalisation, tokenisation, light stemming and multi-word phrase matching.

Pipeline, applied identically to notices and to vocabulary phrases so that both sides meet:

1. file-format notes removed ("Dossier de candidature (Word)", "au format PDF"): a document's
   format says nothing about what is bought;
2. lower case, accents folded (``é`` -> ``e``, ``œ`` -> ``oe``), typographic apostrophes unified;
   a letter lost to a bad encoding (U+FFFD, common in open-data records) is read as ``e``, the
   most frequent accented letter in French (``Soci�t�`` -> ``societe``), or as ``à`` when it
   stands alone (``Remise � niveau``);
3. elisions removed (``l'``, ``d'``, ``qu'``, ``jusqu'``...), so ``l'anglais`` -> ``anglais``;
4. split on anything that is not a letter or a digit (``e-learning`` -> ``e learning``);
5. French stop words dropped (``de``, ``la``, ``des``, ``pour``...); the coordinators ``et``,
   ``ou`` and list punctuation (``,`` ``;`` ``/``) become one ``&`` token, so that rules can see
   enumerations ("fourniture, installation et formation");
6. each token reduced by a *light* stemmer (``stem``): inflection only — plural (``-s``, ``-x``,
   ``-aux``), feminine (``-elle``, ``-ive``, ``-euse``, ``-rice``, ``-ère``, final ``-e``) — never
   derivation, so that words of different meaning stay apart (``secours`` / ``secourisme``,
   ``collaboration`` / ``collaborateurs``, ``professionnalisés`` / ``professionnalisation``);
   a table of guarded forms (``STEM_OVERRIDES``) keeps homonyms apart (``cadre`` "framework" /
   ``cadres`` "executives") and joins a few irregular forms (``manageurs`` -> ``manager``).

Everything here is a pure function of its input or a cache filled with pure results, so it is
safe from any number of threads (the scheduler classifies in threads): no stemmer object with
internal state is shared.

Phrases are matched on the resulting stem sequences (``phrases.py``): ``"Bilans de compétences"``
and the phrase ``"bilan de compétence"`` both become ``("bilan", "competenc")``.

A text is read once (``Tokens``): one byte-table translation folds it and marks what separates
words, ``str.split`` cuts it, and each word's stem comes from a cache; where each stem is in
the text (for the words a reason quotes) is found later, only when asked, from the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

#: Guarded forms, keyed by the accent-folded token (checked before the rules).
STEM_OVERRIDES: dict[str, str] = {
    # one lexeme written several ways
    "manager": "manag",
    "managers": "manag",
    "manageur": "manag",
    "manageurs": "manag",
    "manageuse": "manag",
    "manageuses": "manag",
    "management": "manag",
    "apprentis": "apprenti",
    "publique": "public",
    "publiques": "public",
    "elus": "elu",
    "elue": "elu",
    "elues": "elu",
    # homonyms kept apart: "dans le cadre de" (framework) / "les cadres" (executives)
    "cadre": "cadre",
    "cadres": "cadres_",
    # "travaux" (works bought) is not "travail" (work, as in "travail en hauteur")
    "travaux": "travaux",
    # "former" (to train) must not meet "forme"/"formes" (shape, "sous forme de")
    "former": "former",
    # "format" (a file format) must not meet "formation"
    "format": "format_",
    "formats": "format_",
    # words whose singular ends in -s or -x
    "cours": "cours",
    "secours": "secours",
    "parcours": "parcours",
    "concours": "concours",
    "recours": "recours",
    "discours": "discours",
    "acces": "acces",
    "process": "process",
    "processus": "processus",
    "permis": "permis",
    "acquis": "acquis",
    "avis": "avis",
    "devis": "devis",
    "temps": "temps",
    "corps": "corps",
    "frais": "frais",
    "pays": "pays",
    "prix": "prix",
    "choix": "choix",
    "paix": "paix",
    "voix": "voix",
    "mois": "mois",
    "fois": "fois",
    "bois": "bois",
    "chinois": "chinois",
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

_FORMATS = r"(?:pdf|word|excel|docx?|xlsx?|odt|ods|rtf|csv|zip)"
#: "(Word)", "(PDF, 420 Ko)", "au format Excel", "formats PDF et Word": notes on files.
_FORMAT_NOTE = re.compile(
    rf"\([^()]{{0,40}}\b{_FORMATS}\b[^()]{{0,40}}\)"
    rf"|\b(?:au |en |sous )?formats? (?:{_FORMATS}\b[ ,/et]*)+",
    re.IGNORECASE,
)


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
    table[0xFFFD] = "e"  # a letter lost to a bad encoding: most often é, è or ê
    return table


_FOLD = _fold_table()


def _byte_table(table: dict[int, str]) -> bytes:
    """The same fold for the characters of Windows-1252 (all of French typography), as a
    byte table: ``bytes.translate`` folds a text several times faster than ``str.translate``.
    Characters with no letter of their own (« », –, °) become spaces, as the tokeniser reads
    them anyway."""
    out = bytearray(b" " * 256)
    for byte in range(256):
        char = bytes([byte]).decode("cp1252", errors="replace")
        folded = table.get(ord(char), char.lower()) if char != "\ufffd" else " "
        if len(folded) == 1 and folded.isascii():
            out[byte] = ord(folded)
    return bytes(out)


_FOLD_BYTES = _byte_table(_FOLD)
#: characters folded to two letters (or to "e"), replaced before the byte table
_WIDE = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "\ufffd": "e"})
_WIDE_CHARS = re.compile("[œŒæÆß\ufffd]")
_LOST_ALONE = re.compile(r"(?<![^\W\d_])\ufffd(?![^\W\d_])")


def fold(text: str) -> str:
    """Lower case, accents folded, apostrophes unified: ``"L’École"`` -> ``"l'ecole"``."""
    if text.isascii():
        return text.lower()
    if _WIDE_CHARS.search(text):
        if "\ufffd" in text:  # a lost letter alone is most often "à" ("Lots 1 \ufffd 5")
            text = _LOST_ALONE.sub("a", text)
        text = text.translate(_WIDE)
    try:
        return text.encode("cp1252").translate(_FOLD_BYTES).decode("ascii")
    except UnicodeEncodeError:  # a letter from beyond Western Europe: the slower table
        return text.lower().translate(_FOLD)


def without_format_notes(text: str) -> str:
    """The text with its notes on file formats blanked (same length, so that positions in
    the text stay valid): ``"Dossier (Word)"`` -> ``"Dossier       "``."""
    if "(" not in text and "ormat " not in text and "ormats " not in text:
        return text
    return _FORMAT_NOTE.sub(lambda found: " " * len(found.group()), text)


def words(text: str) -> list[str]:
    """Folded words and list punctuation, elisions removed: ``"d'anglais,"`` -> ``anglais ,``."""
    return [word for word in _WORD.findall(fold(without_format_notes(text))) if word]


#: Feminine endings -> masculine, tried in order on a word without its plural mark.
_FEMININE = (("elle", "el"), ("enne", "en"), ("euse", "eur"), ("rice", "eur"), ("ive", "if"))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Light stem of one folded word (cached, pure): inflection removed, derivation kept.

    ``formations`` -> ``formation``, ``professionnelles`` -> ``professionnel``, ``sociaux`` ->
    ``social``, ``anglaise`` -> ``anglais``; ``secourisme`` and ``secours`` stay apart.
    """
    override = STEM_OVERRIDES.get(word)
    if override is not None:
        return override
    if len(word) <= 3 or not word.isalpha():
        return word
    w = _singular(word)
    for ending, masculine in _FEMININE:
        if w.endswith(ending) and len(w) > len(ending) + 2:
            return w[: -len(ending)] + masculine
    if w.endswith("ere") and len(w) > 5:
        return w[:-1] if w[-4] != "i" else w[:-3] + "er"
    if w.endswith("ee"):
        w = w[:-1]
    if w.endswith("e") and len(w) > 4:
        w = w[:-1]
    return w


def _singular(word: str) -> str:
    if word.endswith(("eaux", "eux")):
        return word[:-1]
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"
    if word.endswith("s") and not word.endswith(("ss", "us", "ais", "cours")):
        return word[:-1]
    return word


#: Elided words: "l'", "qu'"... (dropped when followed by an apostrophe, at a word start).
_ELISIONS = frozenset({"qu", "jusqu", "lorsqu", "puisqu", "presqu", "quelqu", *"cdjlmnst"})
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789'")


def _word_table(folded: bytes, upto: int = 256) -> bytes:
    """The fold as a byte table for the tokeniser: letters and digits folded, the apostrophe
    kept, list punctuation as ``,``, anything else a space (bytes from ``upto`` on too)."""
    out = bytearray(b" " * 256)
    for byte in range(upto):
        char = chr(folded[byte])
        if char in _LETTERS:
            out[byte] = folded[byte]
        elif char in ",;/+":
            out[byte] = ord(",")
    return bytes(out)


#: ASCII text is folded by ``str.lower`` alone (a backquote stays a separator there).
_ASCII_WORDS = _word_table(bytes(ord(chr(b).lower()) if b < 128 else 32 for b in range(256)), 128)
_CP1252_WORDS = _word_table(_FOLD_BYTES)
#: Latin-1 is cp1252 without the characters at 0x80-0x9F (control characters in Latin-1);
#: encoding to Latin-1 is many times faster, so it is tried first.
_LATIN1_WORDS = _CP1252_WORDS[:0x80] + b" " * 32 + _CP1252_WORDS[0xA0:]


def _folded_for_words(clean: str) -> tuple[str, bool]:
    """(``clean`` folded through the tokeniser's byte table, whether it keeps the length and
    the positions of ``clean``); raises ``UnicodeEncodeError`` beyond Windows-1252."""
    if clean.isascii():
        return clean.encode("ascii").translate(_ASCII_WORDS).decode("ascii"), "`" not in clean
    try:
        latin1: bytes | None = clean.encode("latin-1")
    except UnicodeEncodeError:  # œ, a lost letter, typographic quotes and dashes: below
        latin1 = None
    # no æ, Æ, ß: nothing folds to two letters (three byte searches instead of ``_WIDE_CHARS``,
    # as œ and a lost letter are not Latin-1; searched as ints: ``bytes in bytes`` first fails
    # to read its operand as an int, an exception raised and cleared each time)
    if latin1 is not None and not (0xE6 in latin1 or 0xC6 in latin1 or 0xDF in latin1):
        return latin1.translate(_LATIN1_WORDS).decode("ascii"), True
    same_length = True
    if _WIDE_CHARS.search(clean):  # the same preparation as ``fold``
        same_length = False
        if "\ufffd" in clean:
            clean = _LOST_ALONE.sub("a", clean)
        clean = clean.translate(_WIDE)
        try:
            folded = clean.encode("latin-1").translate(_LATIN1_WORDS)
        except UnicodeEncodeError:
            folded = clean.encode("cp1252").translate(_CP1252_WORDS)
    else:  # not Latin-1 (above), nothing wide: the typographic characters of Windows-1252
        folded = clean.encode("cp1252").translate(_CP1252_WORDS)
    return folded.decode("ascii"), same_length


def _read(text: str) -> tuple[list[str], str | None]:
    """The words of a text as the tokeniser reads them (the same as ``words``, except that
    elided words end with their apostrophe, as ``"l'"``, and list punctuation is ``,``), and
    the folded text they were read from when it has the positions of the text (else None)."""
    # (``without_format_notes``' own test first: most texts have no note)
    no_note = "(" not in text and "ormat " not in text and "ormats " not in text
    clean = text if no_note else without_format_notes(text)
    try:
        folded, same_length = _folded_for_words(clean)
    except UnicodeEncodeError:  # a letter from beyond Western Europe: the regular expression
        return _WORD.findall(fold(clean)), None
    spaced = folded.replace(",", " , ") if "," in folded else folded
    if "'" in spaced:
        spaced = spaced.replace("'", "' ")
    return spaced.split(), folded if same_length else None


#: word -> its stem, "" for a stop word, AND for a coordinator (bounded: cleared when full).
#: Concurrent readers and writers are safe: each entry is a pure result, and a lookup that
#: misses (after a clear in another thread) recomputes the same value.
_TOKENS: dict[str, str] = {"": ""}
_TOKENS_MAX = 200_000


def _token(word: str) -> str:
    if len(_TOKENS) >= _TOKENS_MAX:
        _TOKENS.clear()
        _TOKENS[""] = ""
    if word.endswith("'"):  # "l'" is elided; "aujourd'" is the word "aujourd"
        base = word[:-1]
        value = "" if not base or base in _ELISIONS else _token(base)
    else:
        value = AND if word in _COORDINATORS else "" if word in STOP_WORDS else stem(word)
    _TOKENS[word] = value
    return value


def clear_caches() -> None:
    """Forget every cached stem (tests use it to make threads compute stems at once)."""
    stem.cache_clear()
    _TOKENS.clear()
    _TOKENS[""] = ""


def _stems_of(words_: list[str]) -> list[str]:
    return _tokens_and_stems(words_)[1]


def _tokens_and_stems(words_: list[str]) -> tuple[list[str], list[str]]:
    """(each word's token, "" for a word dropped; the stems of the words)."""
    tokens = _tokens_of(words_)
    return tokens, _stems_from(tokens)


def _tokens_of(words_: list[str]) -> list[str]:
    """Each word's token ("" for a word dropped), every known word's looked up at once (in C)."""
    found = list(map(_TOKENS.get, words_))
    if None in found:  # words not met yet
        return [_token(w) if t is None else t for t, w in zip(found, words_, strict=True)]
    return found  # type: ignore[return-value]  # (no None in it; ``cast`` is a call)


def _stems_from(tokens: list[str]) -> list[str]:
    out = list(filter(None, tokens))  # stop words ("") dropped
    if AND in out:  # most often nothing to do: looked at once (in C), stems having no space
        joined = " ".join(out)
        if joined == AND or joined.startswith("& ") or joined.endswith(" &") or " & & " in joined:
            return _one_and(out)
    return out


#: A run of ``&`` tokens in stems joined by spaces (no stem holds a space or an ``&``).
_AND_RUN = re.compile(r"&(?: &)+")


def _one_and(seq: list[str]) -> list[str]:
    """``seq`` with one ``&`` for each run of them, none at its start or end (in C: joined,
    runs replaced, split again)."""
    joined = _AND_RUN.sub(AND, " ".join(seq))
    if joined.startswith("& ") or joined == AND:
        joined = joined[2:]
    if joined.endswith(" &"):
        joined = joined[:-2]
    return joined.split(" ") if joined else []


def stems(text: str) -> list[str]:
    """Content stems of a text, in order: stop words dropped, coordinators as one ``&``."""
    return _stems_of(_read(text)[0])


#: A fold that keeps the length of the text (one character for one), for positions only.
_FOLD_SAME_LENGTH = {**_FOLD, ord("œ"): "o", ord("Œ"): "o", ord("æ"): "a", ord("Æ"): "a"}
_FOLD_SAME_LENGTH[ord("ß")] = "s"


def spans(text: str, upto: int | None = None) -> list[tuple[int, int]]:
    """Where each item of ``stems(text)`` is in ``text``: (start, end) character offsets
    (only the first ``upto`` items when given: a reason quotes the start of a text)."""
    clean = without_format_notes(text)
    lowered = clean.lower()
    if len(lowered) != len(clean):  # a rare letter whose lower case is longer: no positions
        return [(0, len(text))] * len(stems(text))
    folded = lowered.translate(_FOLD_SAME_LENGTH)
    out: list[tuple[int, int]] = []
    last = AND
    get = _TOKENS.get
    at = 0
    find = folded.find
    for word in _WORD.findall(folded):
        if not word:
            continue
        start = find(word, at)
        at = start + len(word)
        token = get(word)
        if token is None:
            token = _token(word)
        if token and (token != AND or last != AND):
            out.append((start, at))
            last = token
            if upto is not None and len(out) >= upto:
                return out
    if last == AND and out:
        out.pop()
    return out


#: The walk's state before any stem is placed (its list is copied, never changed), and the
#: quotes of a text not quoted yet (never written: ``Tokens.quote`` gives a text its own).
_UNPLACED: tuple[list[tuple[int, int]], int, int, str | None] = ([], 0, 0, AND)
_NOT_QUOTED: dict[int, str] = {}
#: A span of stems (start, end) as one integer key of ``Tokens.quoted``: ``start << SPAN_BITS
#: | end`` (an int is hashed and compared at once, a tuple built, hashed and compared item by
#: item; a text read holds far fewer than 2**24 stems: ``analysis.BODY_LIMIT`` characters).
SPAN_BITS = 24


def span_key(start: int, end: int) -> int:
    return start << SPAN_BITS | end


class Tokens:
    """A text read once: its stems (``seq``), and where each stem is in the text, found only
    when a reason quotes it (from the words already read, without reading the text again)."""

    __slots__ = ("_folded", "_state", "_tokens", "_words", "quoted", "seq", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        words_, self._folded = _read(text)
        # (``_tokens_of``, written out: every text read goes through here)
        tokens: list[str] = list(map(_TOKENS.get, words_))  # type: ignore[arg-type]
        if None in tokens:  # words not met yet
            tokens = [_token(w) if t is None else t for t, w in zip(tokens, words_, strict=True)]
        self.seq = _stems_from(tokens)
        if self._folded is not None:
            self._words: list[str] | None = words_
            self._tokens = tokens
        else:
            self._words = None
        # where the walk over the words stands, as one value replaced whole (never changed in
        # place, so that notices and threads sharing a text only ever read a complete state):
        # positions found, next word, end of the last word found, last token placed (``None``
        # once every word is placed)
        self._state: tuple[list[tuple[int, int]], int, int, str | None] = _UNPLACED
        #: ``span_key(start, end)`` -> the words quoted (``quote``): pure results, filled in
        #: as asked (a text never quoted shares one empty dict, replaced by its own at the
        #: first quote)
        self.quoted: dict[int, str] = _NOT_QUOTED

    def spans(self, upto: int) -> list[tuple[int, int]]:
        """Positions of at least the first ``upto`` stems (all of them if fewer)."""
        found, i, at, last = self._state
        if len(found) >= upto or last is None:
            return found
        if self._words is None or self._folded is None:  # no same-length fold: read again
            asked = max(upto, 2 * len(found))
            out = spans(self.text, asked)
            self._state = (out, 0, 0, None if len(out) < asked else AND)  # None: all found
            return out
        out, words_, tokens, find = list(found), self._words, self._tokens, self._folded.find
        n = len(words_)
        count = len(out)
        while i < n and count < upto:
            word = words_[i]
            token = tokens[i]  # (a word's token is its base's: "aujourd'" as "aujourd")
            i += 1
            if word[-1] == "'":
                base = word[:-1]
                if not base or base in _ELISIONS:
                    continue  # an elision: not looked for (as in ``spans``)
                word = base
            start = find(word, at)
            at = start + len(word)
            if token and (token != AND or last != AND):
                out.append((start, at))
                count += 1
                last = token
        if i == n:
            if last == AND and out:
                out.pop()
            last = None
        self._state = (out, i, at, last)
        return out

    def quote(self, start: int, end: int) -> str:
        """The words of the text behind ``seq[start:end]`` (see ``quote``), once per span."""
        quotes = self.quoted  # pure results: threads sharing the text may both fill one in
        key = start << SPAN_BITS | end
        found = quotes.get(key)
        if found is None:
            if quotes is _NOT_QUOTED:
                quotes = self.quoted = {}
            found = quotes[key] = quote(self.text, start, end, self.spans(end))
        return found


def quote(text: str, start: int, end: int, positions: list[tuple[int, int]] | None = None) -> str:
    """The words of ``text`` behind ``stems(text)[start:end]``, as written (stop words kept):
    what a reason shows between « » (``positions``: ``spans(text)`` if already known)."""
    placed = -1 if positions is None else len(positions)
    if placed < end:
        positions = spans(text, end)
        placed = len(positions)
    if not placed or end > placed or start >= end:
        return text.strip()
    assert positions is not None
    first = positions[start][0]
    words_ = " ".join(text[first : positions[end - 1][1]].split())
    if words_.isupper() and len(words_) > 6:  # a title in capitals reads better in lower case
        return words_.lower()
    if (
        len(words_) > 1
        and words_[0].isupper()
        and words_[1].islower()
        and (first == 0 or not text[:first].strip(" \t\n-–—:«\"'"))
    ):
        return words_[0].lower() + words_[1:]  # the capital that starts a title
    return words_


def content(seq: Iterable[str]) -> list[str]:
    """The stems of a sequence without the ``&`` tokens."""
    return [s for s in seq if s != AND]


# Phrase matching lives in ``phrases.py``; its names are still importable from here.
from watcher.classify.phrases import Hit as Hit  # noqa: E402
from watcher.classify.phrases import PhraseIndex as PhraseIndex  # noqa: E402
