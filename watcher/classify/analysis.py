"""One pass over a document: every field tokenised once, every phrase of every rule found at once.

All the phrases the classifier knows (stage-1 vocabulary, topics, the profile's domains) live in
one ``PhraseIndex`` whose payloads say what kind of phrase matched; each stage then reads the
hits of the kinds it cares about. Lots are separate segments so that rules about word order
("fourniture ... et formation") never run across two lots.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

from watcher.classify import vocabulary as voc
from watcher.classify.document import Document
from watcher.classify.text import Hit, PhraseIndex, stems
from watcher.classify.topics import TOPICS

#: What counts is read first: title, lots, summary and the head of the body; the rest of the
#: body (up to ``BODY_LIMIT``) only when the head leaves the verdict undecided, so that the
#: cost of a notice is bounded whatever the length of its detail page.
BODY_HEAD = 2_500
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


@dataclass(slots=True)
class Segment:
    field: str
    text: str
    seq: list[str]
    by_kind: dict[str, list[Hit[Entry]]]

    def of(self, kind: str) -> list[Hit[Entry]]:
        return self.by_kind.get(kind, _NONE)


@dataclass(slots=True)
class Analysed:
    doc: Document
    segments: list[Segment]
    #: the kinds of phrase found anywhere (most notices have few: a fast "none" answer)
    kinds: set[str]
    #: the part of the body not read yet (read by ``read_rest`` when undecided)
    rest: str = ""

    def content_segments(self) -> Iterator[Segment]:
        """Segments that describe the purchase (all but the buyer's name)."""
        return (seg for seg in self.segments if seg.field != "buyer")

    def hits(self, kind: str, *, buyer: bool = False) -> list[tuple[Segment, Hit[Entry]]]:
        """(segment, hit) pairs of one kind, in reading order; the buyer only if asked."""
        if kind not in self.kinds:
            return _NONE
        return [
            (seg, hit)
            for seg in self.segments
            if buyer or seg.field != "buyer"
            for hit in seg.by_kind.get(kind, _NONE)
        ]


def base_index() -> PhraseIndex[Entry]:
    """The profile-independent phrases: stage-1 vocabulary and the topic taxonomy."""
    index: PhraseIndex[Entry] = PhraseIndex()
    index.add_all((term.label, Entry("term", term)) for term in voc.TERMS)
    for kind, phrases in _marker_lists():
        index.add_all((phrase, Entry(kind, phrase)) for phrase in phrases)
    for label, phrases in voc.VETOES.items():
        index.add_all((phrase, Entry("veto", label)) for phrase in phrases)
    for family, alternatives in voc.FAMILIES.values():
        index.add_all((p, Entry("family", (family, p))) for p in alternatives.split("|"))
    for topic in TOPICS:
        index.add_all((p, Entry("topic", (topic.key, p))) for p in topic.phrases)
    return index


@cache
def default_index() -> PhraseIndex[Entry]:
    """A shared ``base_index()`` (built once), for readers that need no profile phrases."""
    return base_index()


def _marker_lists() -> list[tuple[str, list[str]]]:
    return [
        ("incidental", voc.INCIDENTAL),
        ("object", voc.OBJECTS),
        ("not_object", voc.NOT_OBJECTS),
        ("learner", voc.LEARNERS),
        ("ancillary", voc.ANCILLARY),
        ("users", voc.USERS),
        ("call", voc.CALLS),
        ("applicant", voc.APPLICANTS),
        ("provider", voc.PROVIDERS),
        ("apprentice", voc.APPRENTICESHIP),
    ]


def analyse(doc: Document, index: PhraseIndex[Entry]) -> Analysed:
    """Title, lots, summary, the head of the body and the buyer; the rest of the body waits."""
    head, rest = split_body(doc.body[:BODY_LIMIT])
    segments = [_segment("title", doc.title, index)]
    segments += [_segment("lots", lot, index) for lot in doc.lots]
    segments.append(_segment("summary", doc.summary, index))
    if head:
        segments.append(_segment("body", head, index))
    segments.append(_segment("buyer", doc.buyer, index))
    kept = [seg for seg in segments if seg.seq]
    return Analysed(doc, kept, set().union(*(seg.by_kind for seg in kept)), rest)


def read_rest(an: Analysed, index: PhraseIndex[Entry]) -> bool:
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


def _segment(field: str, text: str, index: PhraseIndex[Entry]) -> Segment:
    seq = stems(text) if text else []
    by_kind: dict[str, list[Hit[Entry]]] = {}
    for hit in index.find(seq) if seq else ():
        by_kind.setdefault(hit.payload.kind, []).append(hit)
    return Segment(field, text, seq, by_kind)
