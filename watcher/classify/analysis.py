"""One pass over a document: every field read once, the phrases of every rule found at once.

Every phrase the classifier knows (the stage-1 vocabulary, the topic taxonomy, who learns, and
the profile's domains, exclusions and certification codes) is compiled once per profile into
``Phrases`` (cached, never changed afterwards, so any number of threads share it), whose
payloads say what kind of phrase matched (``Entry``). Each field of a notice is tokenised once
(``Tokens``) and matched at once against the stage-1 phrases, which every notice needs; the
phrases of the other kinds (``LATER_KINDS``: stage 2's and who learns) are matched on the same
stems only when a rule first asks for one of them, which most notices never do. Each stage
reads the hits of the kinds it cares about. Lots are separate segments so that rules about word
order ("fourniture ... et formation") never run across two lots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from watcher.classify import vocabulary as voc
from watcher.classify.document import Document
from watcher.classify.phrases import Hit, PhraseIndex
from watcher.classify.text import SPAN_BITS, Tokens, stems
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

LEARNER = "learner"
#: Kinds of phrase matched only when first asked for: stage 2's (a training call's), and who
#: learns (beside a term that needs a learner).
LATER_KINDS = frozenset({"topic", "domain", "exclude", "certification", LEARNER})
#: Every kind of phrase, each as one bit of an int: the kinds found in a segment
#: (``Segment.mask``) and in a notice (``Analysed.kinds``, a few ORs of kept masks), tested
#: with one AND.
KINDS = (
    "term",
    "incidental",
    "object",
    "not_object",
    "ancillary",
    "users",
    "call",
    "applicant",
    "provider",
    "apprentice",
    "veto",
    "family",
    "topic",
    "domain",
    "exclude",
    "certification",
    LEARNER,
)
KIND_BITS = {kind: 1 << i for i, kind in enumerate(KINDS)}
assert KIND_BITS.keys() >= LATER_KINDS
(TERM, OBJECT, CALL, APPLICANT, FAMILY, TOPIC, DOMAIN, EXCLUDE, CERTIFICATION) = (
    KIND_BITS[kind]
    for kind in (
        "term",
        "object",
        "call",
        "applicant",
        "family",
        "topic",
        "domain",
        "exclude",
        "certification",
    )
)


def mask_of(kinds: Iterable[str]) -> int:
    """The bits of ``kinds`` (``KIND_BITS``)."""
    mask = 0
    for kind in kinds:
        mask |= KIND_BITS[kind]
    return mask


class Phrases:
    """The phrases of one classifier, compiled: ``index`` (the stage-1 kinds) and ``later``
    (``LATER_KINDS``), plus a memo of analysed buyer names.

    Built once (``compile_phrases``) and never changed afterwards: threads share it. The memo
    holds pure results (a buyer's segment, read in full before it is stored)."""

    __slots__ = ("every", "index", "later", "memo", "seen", "segment")

    def __init__(self, phrases: Iterable[tuple[str, Entry]]) -> None:
        self.index: PhraseIndex[Entry] = PhraseIndex()
        self.later: PhraseIndex[Entry] = PhraseIndex()
        #: both at once, for the short fields (see ``_segment``)
        self.every: PhraseIndex[Entry] = PhraseIndex()
        for phrase, entry in phrases:
            if entry.kind not in KIND_BITS:
                raise ValueError(f"unknown kind of phrase: {entry.kind!r}")
            key = tuple(stems(phrase))
            if not key:
                raise ValueError(f"phrase {phrase!r} has no content word")
            (self.later if entry.kind in LATER_KINDS else self.index).add_stems(key, entry)
            self.every.add_stems(key, entry)
        self.memo: dict[str, Segment] = {}
        #: (field, short text) -> its segment, kept (bounded: cleared when full; plain
        #: lookups of complete values, so threads share it, two at worst building the same
        #: segment twice)
        self.segment = KeptSegments()
        #: short texts seen recently (bounded: cleared when full): a text is kept from the
        #: second time it is read (plain strings in a set: safe to share, nothing to compute)
        self.seen: set[str] = set()

    def __len__(self) -> int:
        return len(self.index) + len(self.later)


class KeptSegments:
    """The kept segments of short texts: one dict per field, keyed by the text alone (a
    dict of strings is the fastest to look up), ``SHARED_SEGMENTS`` at most in all."""

    __slots__ = ("by_field", "size")

    def __init__(self) -> None:
        self.by_field: dict[str, dict[str, Segment]] = {f: {} for f in _SHORT_FIELDS}
        #: segments kept (approximate when threads add at once: only a bound)
        self.size = 0

    def __len__(self) -> int:
        return sum(map(len, self.by_field.values()))

    def keep(self, field: str, seg: Segment) -> None:
        """Keep ``seg``, every segment forgotten first when the bound is reached."""
        if self.size >= SHARED_SEGMENTS:
            self.cache_clear()
        self.by_field[field][seg.text] = seg
        self.size += 1

    def cache_clear(self) -> None:
        """Forget every kept segment (tests read texts anew)."""
        for kept in self.by_field.values():
            kept.clear()
        self.size = 0


#: The fields whose short texts are kept.
_SHORT_FIELDS = ("title", "lots", "summary")


@dataclass(slots=True)
class Segment:
    field: str
    text: str
    seq: list[str]
    #: the hits of the segment by kind (those of ``LATER_KINDS`` once asked for)
    by_kind: dict[str, list[Hit[Entry]]]
    tokens: Tokens
    #: where the phrases of ``LATER_KINDS`` are, until they are matched
    later: PhraseIndex[Entry] | None
    #: True for a segment shared by the notices that repeat its text (kept)
    kept: bool = False
    #: stage 1's counted terms of a kept segment, once computed (``relevance._best_terms``)
    terms: Any = None
    #: the kinds of ``by_kind`` (``mask_of``)
    mask: int = 0

    def of(self, kind: str) -> list[Hit[Entry]]:
        if self.later is not None and kind in LATER_KINDS:
            self.read_later()
        return self.by_kind.get(kind, _NONE)

    def read_later(self) -> None:
        """Match the phrases of ``LATER_KINDS`` (once). The hits are published as a new dict,
        then ``later`` cleared: a segment shared between notices and threads is never changed
        in place, and a reader that finds ``later`` None finds every kind."""
        later = self.later
        if later is not None:
            found = later.find_by_kind(self.seq)
            self.by_kind = {**self.by_kind, **found}
            if found:
                self.mask |= mask_of(found)
            self.later = None

    def quote(self, hit: Hit[Entry]) -> str:
        """The notice's own words behind a hit (positions found once, from the words read)."""
        tokens = self.tokens
        start, end, _payload = hit
        found = tokens.quoted.get(start << SPAN_BITS | end)  # most were written before
        return found if found is not None else tokens.quote(start, end)


@dataclass(slots=True)
class Analysed:
    doc: Document
    segments: list[Segment]
    #: the kinds of phrase found anywhere, as bits (``KIND_BITS``: a fast "none")
    kinds: int
    #: the part of the body not read yet (read by ``read_rest`` when undecided)
    rest: str = ""
    #: the general topics, once computed (``scoring.topics_of``: the verdict and the learner
    #: both ask)
    topics: list[str] | None = None
    later_read: bool = False

    def content_segments(self) -> Iterator[Segment]:
        """Segments that describe the purchase (all but the buyer's name)."""
        return (seg for seg in self.segments if seg.field != "buyer")

    def read_later(self) -> None:
        """Match the phrases of ``LATER_KINDS`` in every segment (once)."""
        if not self.later_read:
            self.later_read = True
            kinds = self.kinds
            for seg in self.segments:
                if seg.later is not None:  # (it may have been read already: kept, learners)
                    seg.read_later()
                kinds |= seg.mask
            self.kinds = kinds

    def hits(self, kind: str, *, buyer: bool = False) -> list[tuple[Segment, Hit[Entry]]]:
        """(segment, hit) pairs of one kind, in reading order; the buyer only if asked."""
        if kind in LATER_KINDS and not self.later_read:
            self.read_later()
        if not self.kinds & KIND_BITS[kind]:
            return _NONE
        # every segment holds the hits of ``kind`` now (those of ``LATER_KINDS`` were read)
        found = []
        for seg in self.segments:
            hits = seg.by_kind.get(kind)
            if hits and (buyer or seg.field != "buyer"):
                for hit in hits:
                    found.append((seg, hit))
        return found


def base_phrases() -> list[tuple[str, Entry]]:
    """The profile-independent phrases: stage-1 vocabulary, topic taxonomy, who learns."""
    phrases = [(term.label, Entry("term", term)) for term in voc.TERMS]
    for kind, listed in _marker_lists():
        phrases += [(phrase, Entry(kind, phrase)) for phrase in listed]
    for label, vetoes in voc.VETOES.items():
        phrases += [(phrase, Entry("veto", label)) for phrase in vetoes]
    for family, alternatives in voc.FAMILIES.values():
        phrases += [(p, Entry("family", (family, p))) for p in alternatives.split("|")]
    for topic in TOPICS:
        phrases += [(p, Entry("topic", (topic.key, p))) for p in topic.phrases]
    phrases += [(phrase, Entry(LEARNER, phrase)) for phrase in voc.LEARNERS]
    return phrases


def compile_phrases(extra: tuple[tuple[str, Entry], ...] = ()) -> Phrases:
    """The base phrases and ``extra`` ones (a profile's), compiled and cached: classifiers of
    the same profile share them (immutable once built)."""
    return _compiled(extra)


@lru_cache(maxsize=16)
def _compiled(extra: tuple[tuple[str, Entry], ...]) -> Phrases:
    return Phrases([*base_phrases(), *extra])


def default_phrases() -> Phrases:
    """The base phrases alone, for readers that need no profile phrases."""
    return compile_phrases()


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


def analyse(doc: Document, phrases: Phrases) -> Analysed:
    """Title, lots, summary, the head of the body and the buyer; the rest of the body waits."""
    body = doc.body
    head, rest = split_body(body[:BODY_LIMIT]) if body else ("", "")
    read = []  # the segments with words, in the order of ``scoring.FIELD_ORDER``
    # (the kept segments looked up here, without a call: this runs once per notice)
    kept = phrases.segment.by_field
    title = doc.title
    seg = kept["title"].get(title) if len(title) <= SHARED_TEXT_MAX else None
    if seg is None:
        seg = _not_kept("title", title, phrases)
    if seg.seq:
        read.append(seg)
    lots = doc.lots
    if lots:
        kept_lots = kept["lots"]
        for lot in lots:
            seg = kept_lots.get(lot) if len(lot) <= SHARED_TEXT_MAX else None
            if seg is None:
                seg = _not_kept("lots", lot, phrases)
            if seg.seq:
                read.append(seg)
    summary = doc.summary
    seg = kept["summary"].get(summary) if len(summary) <= SHARED_TEXT_MAX else None
    if seg is None:
        seg = _not_kept("summary", summary, phrases)
    if seg.seq:
        read.append(seg)
    if head:
        seg = _segment("body", head, phrases)
        if seg.seq:
            read.append(seg)
    buyer = phrases.memo.get(doc.buyer)
    seg = _buyer_segment(doc.buyer, phrases) if buyer is None else buyer
    if seg.seq:
        read.append(seg)
    kinds = 0
    for seg in read:
        kinds |= seg.mask
    return Analysed(doc, read, kinds, rest)


def read_rest(an: Analysed, phrases: Phrases) -> bool:
    """Read the rest of the body into ``an`` (before the buyer); False when nothing was left."""
    if not an.rest:
        return False
    seg = _segment("body", an.rest, phrases)
    an.rest = ""
    if seg.seq:
        at = len(an.segments) - (an.segments[-1].field == "buyer") if an.segments else 0
        an.segments.insert(at, seg)
        if an.later_read:
            seg.read_later()
        an.kinds |= seg.mask
        an.topics = None
    return True


def split_body(body: str) -> tuple[str, str]:
    """(head, rest) of a body, cut at a space near ``BODY_HEAD`` so no word is split."""
    if len(body) <= BODY_HEAD:
        return body, ""
    cut = body.rfind(" ", BODY_HEAD // 2, BODY_HEAD)
    cut = cut if cut > 0 else BODY_HEAD
    return body[:cut], body[cut:]


#: Titles, lots and summaries repeat across a feed and between polls (« Lot 1 : Anglais », a
#: call judged again): the segments of short texts are kept (bounded). A kept segment is
#: shared by notices and threads: its lazy parts (phrases of ``LATER_KINDS``, positions for
#: quotes) are computed aside and published whole, never changed in place.
SHARED_SEGMENTS = 4096
SHARED_TEXT_MAX = 400


def _not_kept(field: str, text: str, phrases: Phrases) -> Segment:
    """The segment of a title, lot or summary not kept (``analyse`` looked it up): kept from
    its second reading when the text is short, so that a text seen once (most titles) neither
    costs nor evicts anything."""
    if len(text) <= SHARED_TEXT_MAX:
        seen = phrases.seen
        if text in seen:  # read a second time: kept from now on
            found = _segment(field, text, phrases)
            found.kept = True
            phrases.segment.keep(field, found)
            return found
        # (clearing the texts seen forgets no kept segment: a text kept stays found)
        if len(seen) >= SHARED_SEGMENTS:
            seen.clear()
        seen.add(text)
    return _segment(field, text, phrases)


#: Buyers repeat across a feed: their analysed names are kept with the phrases (bounded).
_BUYERS_MAX = 4096


def _buyer_segment(buyer: str, phrases: Phrases) -> Segment:
    """The buyer's segment, shared between notices and threads: complete (positions found)
    before it is stored, then only read (two threads at worst compute the same one twice)."""
    memo = phrases.memo
    seg = memo.get(buyer)
    if seg is None:
        seg = _segment("buyer", buyer, phrases)
        seg.read_later()  # nothing left to compute lazily: safe to share
        seg.tokens.spans(len(seg.seq))
        seg.kept = True
        if len(memo) >= _BUYERS_MAX:
            memo.clear()
        memo[buyer] = seg
    return seg


def _segment(field: str, text: str, phrases: Phrases) -> Segment:
    tokens = Tokens(text)
    seq = tokens.seq
    if not seq:
        return Segment(field, text, seq, {}, tokens, None)
    # A short field is matched against every phrase in one pass: one pass costs less than two
    # for the training calls that need both, more than one for the others by only the few
    # later-kind hits. A body (long, rarely asked for stage 2) waits for ``read_later``.
    if field == "body":
        by_kind = phrases.index.find_by_kind(seq)
        later = phrases.later
    else:
        by_kind = phrases.every.find_by_kind(seq)
        later = None
    mask = 0
    for kind in by_kind:  # (``mask_of``, written out: every text read goes through here)
        mask |= _BITS[kind]
    seg = Segment(field, text, seq, by_kind, tokens, later)
    seg.mask = mask
    return seg


_BITS = KIND_BITS
