"""Multi-word phrases matched on stem sequences (see ``text.py`` for how texts become stems).

``PhraseIndex.find`` yields every occurrence of every phrase in one pass over a sequence
(overlaps included), longest phrases first at each position; ``find_by_kind`` does the same for
payloads that carry a kind (``payload[0]``) and groups the hits by kind, in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import compress
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")


class Hit(NamedTuple, Generic[T]):
    """One phrase found in a stem sequence: ``stems[start:end]`` equals the phrase."""

    start: int
    end: int
    payload: T


_new_hit = tuple.__new__  # builds a Hit without the Python-level NamedTuple constructor

#: first stem -> ((kind, payload) of the one-word phrases, second stem -> (length, stems,
#: kind, payload) of the longer ones, position -> (kind, hit) of the one-word phrases there)
_ByKind = dict[
    str,
    tuple[
        tuple[tuple[str, T], ...],
        dict[str, tuple[tuple[int, tuple[str, ...], str, T], ...]],
        dict[int, tuple[tuple[str, Hit[T]], ...]],
    ],
]
#: The hits of one-word phrases are kept for the positions below this one (a title's, a
#: lot's, a summary's, the start of a body): a hit is a value (an immutable tuple), the same
#: for every text where its word stands at that position.
PLACED_MAX = 64


class PhraseIndex(Generic[T]):
    """Multi-word phrases indexed by their first two stems, matched in one pass over a text.

    ``add("bilan de compétences", payload)`` then ``find(stems(text))`` yields every occurrence
    (overlaps included), longest phrases first at each position.
    """

    def __init__(self) -> None:
        #: first stem -> (payloads of the one-word phrases, second stem -> longer phrases)
        self._first: dict[str, tuple[list[T], dict[str, list[tuple[tuple[str, ...], T]]]]] = {}
        self._count = 0
        #: the same for ``find_by_kind``, each payload with its kind (and each longer phrase
        #: with its length): built on first use, dropped by ``add``
        self._kinds: _ByKind[T] | None = None

    def add(self, phrase: str, payload: T) -> None:
        from watcher.classify.text import stems  # text.py re-exports this module's names

        key = tuple(stems(phrase))
        if not key:
            raise ValueError(f"phrase {phrase!r} has no content word")
        self.add_stems(key, payload)

    def add_stems(self, key: tuple[str, ...], payload: T) -> None:
        """``add`` of a phrase already read as stems (``key``, not empty)."""
        self._count += 1
        self._kinds = None
        single, multi = self._first.setdefault(key[0], ([], {}))
        if len(key) == 1:
            single.append(payload)
            return
        entries = multi.setdefault(key[1], [])
        entries.append((key, payload))
        entries.sort(key=lambda entry: -len(entry[0]))

    def add_all(self, phrases: Iterable[tuple[str, T]]) -> None:
        for phrase, payload in phrases:
            self.add(phrase, payload)

    def find(self, seq: Sequence[str]) -> list[Hit[T]]:
        hits: list[Hit[T]] = []
        first_of = self._first.get
        append = hits.append
        n = len(seq)
        for i, first in enumerate(seq):
            found = first_of(first)
            if found is None:
                continue
            single, multi = found
            if multi and i + 1 < n:
                for key, payload in multi.get(seq[i + 1], ()):
                    end = i + len(key)
                    if end <= n and (end == i + 2 or tuple(seq[i:end]) == key):
                        append(_new_hit(Hit, (i, end, payload)))
            for payload in single:
                append(_new_hit(Hit, (i, i + 1, payload)))
        return hits

    def find_by_kind(self, seq: Sequence[str]) -> dict[str, list[Hit[T]]]:
        """``find`` grouped by the kind of each payload (``payload[0]``), in the same order.

        The first stem of every position is looked up at once (in C); only the positions where
        a phrase starts are visited."""
        first = self._kinds
        if first is None:
            first = self._kinds = self._by_kind()
        by_kind: defaultdict[str, list[Hit[T]]] = defaultdict(list)
        starts = list(map(first.get, seq))
        n = len(seq)
        for i in compress(range(n), starts):
            single, multi, placed = starts[i]  # type: ignore[misc]
            if multi and i + 1 < n:
                entries = multi.get(seq[i + 1])
                if entries:
                    for length, key, kind, payload in entries:
                        end = i + length
                        if end <= n and (length == 2 or tuple(seq[i:end]) == key):
                            by_kind[kind].append(_new_hit(Hit, (i, end, payload)))
            if single:
                at = placed.get(i)
                if at is None:
                    at = _placed(placed, single, i)
                for kind, hit in at:
                    by_kind[kind].append(hit)
        return by_kind

    def _by_kind(self) -> _ByKind[T]:
        return {
            stem: (
                tuple((payload[0], payload) for payload in single),  # type: ignore[index]
                {
                    second: tuple(
                        (len(key), key, payload[0], payload)  # type: ignore[index]
                        for key, payload in entries
                    )
                    for second, entries in multi.items()
                },
                {},
            )
            for stem, (single, multi) in self._first.items()
        }

    def __len__(self) -> int:
        return self._count


def _placed(
    placed: dict[int, tuple[tuple[str, Hit[T]], ...]], single: tuple[tuple[str, T], ...], i: int
) -> tuple[tuple[str, Hit[T]], ...]:
    """(kind, hit) of the one-word phrases ``single`` at position ``i``, kept in ``placed``
    below ``PLACED_MAX`` (a pure value: threads sharing the index may both store it)."""
    stop = i + 1
    at = tuple([(kind, _new_hit(Hit, (i, stop, payload))) for kind, payload in single])
    if i < PLACED_MAX:
        placed[i] = at
    return at
