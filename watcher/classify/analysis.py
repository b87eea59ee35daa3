"""One pass over a document: every field tokenised once, the phrases of each rule found at once.

The phrases the classifier knows live in ``PhraseIndex`` es whose payloads say what kind of
phrase matched; each stage reads the hits of the kinds it cares about. ``Indexes`` keeps three:
``relevance`` (the stage-1 vocabulary, read for every notice), ``fit`` (the topic taxonomy and
the profile's domains, read only for a training call, when stage 2 first asks) and
``learners`` (who learns, read only beside a term that needs one). Lots are separate segments
so that rules about word order ("fourniture ... et formation") never run across two lots.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from watcher.classify import vocabulary as voc
from watcher.classify.document import Document
from watcher.classify.text import Hit, PhraseIndex, Tokens
from watcher.classify.topics import TOPICS

#: What counts is read first: title, lots, summary and the head of the body; the rest of the
#: body (up to ``BODY_LIMIT``) only when the head leaves the verdict undecided, so that the
#: cost of a notice is bounded whatever the length of its detail page.
BODY_HEAD = 1_200
BODY_LIMIT = 20_000

#: How each field is named in a reason ("« formation » dans le titre").
FIELD_NAMES = {
    "title": "le titre",
    "lots": "un lot",
    "summary": "le résumé",
    "body": "le texte",
    "buyer": "l'acheteur",
}


class Entry(NamedTuple):
    """What a phrase is: ``kind`` (``term``, ``object``, ``topic``, ``domain``...) and its data."""

    kind: str
    ref: Any


_NONE: list[Any] = []


#: Kinds of phrase read only when asked for: stage 2's, and who learns.
FIT_KINDS = frozenset({"topic", "domain", "exclude", "certification"})
LEARNER = "learner"


@dataclass(slots=True)
class Indexes:
    """The classifier's phrase indexes (see the module docstring)."""

    relevance: PhraseIndex[Entry] = field(default_factory=PhraseIndex)
    fit: PhraseIndex[Entry] = field(default_factory=PhraseIndex)
    learners: PhraseIndex[Entry] = field(default_factory=PhraseIndex)

    def __len__(self) -> int:
        return len(self.relevance) + len(self.fit) + len(self.learners)


@dataclass(slots=True)
class Segment:
    field: str
    text: str
    seq: list[str]
    by_kind: dict[str, list[Hit[Entry]]]
    indexes: Indexes
    tokens: Tokens
    _fit_read: bool = False
    _learners: list[Hit[Entry]] | None = None

    def of(self, kind: str) -> list[Hit[Entry]]:
        found = self.by_kind.get(kind)
        if found is not None:
            return found
        if kind in FIT_KINDS and not self._fit_read:
            self.read_fit()
            return self.by_kind.get(kind, _NONE)
        if kind == LEARNER:
            if self._learners is None:
                self._learners = self.indexes.learners.find(self.seq)
            return self._learners
        return _NONE

    def read_fit(self) -> None:
        """Add the hits of stage 2's phrases (idempotent: a buyer segment is shared)."""
        found = _grouped(self.indexes.fit.find(self.seq)) if self.seq else {}
        self.by_kind.update(found)
        self._fit_read = True

    def quote(self, hit: Hit[Entry]) -> str:
        """The notice's own words behind a hit (positions found once, from the words read)."""
        return self.tokens.quote(hit.start, hit.end)


@dataclass(slots=True)
class Analysed:
    doc: Document
    segments: list[Segment]
    #: the stage-1 kinds of phrase found anywhere (most notices have few: a fast "none")
    kinds: set[str]
    #: the part of the body not read yet (read by ``read_rest`` when undecided)
    rest: str = ""

    def content_segments(self) -> Iterator[Segment]:
        """Segments that describe the purchase (all but the buyer's name)."""
        return (seg for seg in self.segments if seg.field != "buyer")

    def hits(self, kind: str, *, buyer: bool = False) -> list[tuple[Segment, Hit[Entry]]]:
        """(segment, hit) pairs of one kind, in reading order; the buyer only if asked."""
        if kind not in FIT_KINDS and kind not in self.kinds:
            return _NONE
        return [
            (seg, hit)
            for seg in self.segments
            if buyer or seg.field != "buyer"
            for hit in seg.of(kind)
        ]


def base_index() -> Indexes:
    """The profile-independent phrases: stage-1 vocabulary and the topic taxonomy."""
    indexes = Indexes()
    index = indexes.relevance
    index.add_all((term.label, Entry("term", term)) for term in voc.TERMS)
    for kind, phrases in _marker_lists():
        index.add_all((phrase, Entry(kind, phrase)) for phrase in phrases)
    for label, phrases in voc.VETOES.items():
        index.add_all((phrase, Entry("veto", label)) for phrase in phrases)
    for family, alternatives in voc.FAMILIES.values():
        index.add_all((p, Entry("family", (family, p))) for p in alternatives.split("|"))
    for topic in TOPICS:
        indexes.fit.add_all((p, Entry("topic", (topic.key, p))) for p in topic.phrases)
    indexes.learners.add_all((phrase, Entry(LEARNER, phrase)) for phrase in voc.LEARNERS)
    return indexes


@cache
def default_index() -> Indexes:
    """A shared ``base_index()`` (built once), for readers that need no profile phrases."""
    return base_index()


def _marker_lists() -> list[tuple[str, list[str]]]:
    return [
        ("incidental", voc.INCIDENTAL),
        ("object", voc.OBJECTS),
        ("not_object", voc.NOT_OBJECTS),
        ("ancillary", voc.ANCILLARY),
        ("users", voc.USERS),
        ("call", voc.CALLS),
        ("applicant", voc.APPLICANTS),
        ("provider", voc.PROVIDERS),
        ("apprentice", voc.APPRENTICESHIP),
    ]


def analyse(doc: Document, index: Indexes) -> Analysed:
    """Title, lots, summary, the head of the body and the buyer; the rest of the body waits."""
    head, rest = split_body(doc.body[:BODY_LIMIT])
    segments = [_segment("title", doc.title, index)]
    segments += [_segment("lots", lot, index) for lot in doc.lots]
    segments.append(_segment("summary", doc.summary, index))
    if head:
        segments.append(_segment("body", head, index))
    segments.append(_buyer_segment(doc.buyer, index))
    kept = [seg for seg in segments if seg.seq]
    return Analysed(doc, kept, set().union(*(seg.by_kind for seg in kept)), rest)


def read_rest(an: Analysed, index: Indexes) -> bool:
    """Read the rest of the body into ``an`` (before the buyer); False when nothing was left."""
    if not an.rest:
        return False
    seg = _segment("body", an.rest, index)
    an.rest = ""
    if seg.seq:
        at = len(an.segments) - (an.segments[-1].field == "buyer") if an.segments else 0
        an.segments.insert(at, seg)
        an.kinds.update(seg.by_kind)
    return True


def split_body(body: str) -> tuple[str, str]:
    """(head, rest) of a body, cut at a space near ``BODY_HEAD`` so no word is split."""
    if len(body) <= BODY_HEAD:
        return body, ""
    cut = body.rfind(" ", BODY_HEAD // 2, BODY_HEAD)
    cut = cut if cut > 0 else BODY_HEAD
    return body[:cut], body[cut:]


#: Buyers repeat across a feed: their analysed names are kept with the index (bounded).
_BUYERS_MAX = 4096


def _buyer_segment(buyer: str, indexes: Indexes) -> Segment:
    """The buyer's segment, shared between notices: read in full at once, then only read
    (concurrent threads at worst compute the same segment twice)."""
    memo: dict[tuple[str, int], Segment] = indexes.relevance.memo
    key = (buyer, len(indexes))  # a phrase added later makes older segments stale
    seg = memo.get(key)
    if seg is None:
        if len(memo) >= _BUYERS_MAX:
            memo.clear()
        seg = _segment("buyer", buyer, indexes)
        seg.read_fit()
        seg.of(LEARNER)
        memo[key] = seg
    return seg


def _segment(field: str, text: str, indexes: Indexes) -> Segment:
    tokens = Tokens(text)
    seq = tokens.seq
    by_kind = _grouped(indexes.relevance.find(seq)) if seq else {}
    return Segment(field, text, seq, by_kind, indexes, tokens)


def _grouped(hits: list[Hit[Entry]]) -> dict[str, list[Hit[Entry]]]:
    by_kind: dict[str, list[Hit[Entry]]] = {}
    for hit in hits:
        kind = hit[2][0]
        found = by_kind.get(kind)
        if found is None:
            by_kind[kind] = [hit]
        else:
            found.append(hit)
    return by_kind
