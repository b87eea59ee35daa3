"""What the classifier keeps or shortens to go faster (issue 11, "Speed") gives the verdicts of
the long way: each stage-2 phrase counted at its first field, the CPV codes and the best course
kept per notice's codes and stems, phrases matched with their kinds at hand, quotes kept per
text."""

from __future__ import annotations

import pickle
from collections import defaultdict
from dataclasses import FrozenInstanceError, replace
from datetime import date
from itertools import pairwise
from typing import Any

import pytest

from watcher.classify import Classifier, Document, load_example_profile
from watcher.classify.analysis import (
    BODY_HEAD,
    KIND_BITS,
    TERM,
    TOPIC,
    Entry,
    Phrases,
    analyse,
    mask_of,
    read_rest,
)
from watcher.classify.classifier import _MatchDraft
from watcher.classify.document import from_record
from watcher.classify.frozen import draft_of
from watcher.classify.phrases import PLACED_MAX, PhraseIndex
from watcher.classify.scoring import DOMAIN_FIELD_WEIGHTS, FIELD_ORDER, FIRST_IS_BEST
from watcher.classify.text import Tokens, _stems_of, span_key, spans, stems, words
from watcher.classify.topics import FIELD_WEIGHTS as TOPIC_FIELD_WEIGHTS
from watcher.models import Match

TODAY = date(2026, 3, 2)


def _verdict(classifier: Classifier, doc: Document) -> tuple[object, ...]:
    v = classifier.assess(doc, today=TODAY)
    return (v.match, v.training, v.probability, v.points, v.topics)


def test_the_fields_are_read_in_an_order_of_weights_that_never_increase() -> None:
    """Stage 2 counts a phrase at the first field it is found in: the best only because the
    segments come in ``FIELD_ORDER`` (the rest of a long body too) and no weight increases
    along it."""
    for weights in (DOMAIN_FIELD_WEIGHTS, TOPIC_FIELD_WEIGHTS):
        assert all(weights[a] >= weights[b] for a, b in pairwise(FIELD_ORDER))
    assert FIRST_IS_BEST
    classifier = Classifier(load_example_profile())
    body = "Formation. " + "Le règlement de la consultation s'applique. " * (BODY_HEAD // 20)
    doc = Document(
        title="Formation anglais",
        lots=("Lot 1 : anglais", "Lot 2 : Excel"),
        summary="Cours d'anglais",
        body=body + " anglais des agents",
        buyer="Ville de Rennes",
    )
    an = analyse(doc, classifier._index)
    assert an.rest and read_rest(an, classifier._index)
    order = [FIELD_ORDER.index(seg.field) for seg in an.segments]
    assert order == sorted(order) and len(set(order)) == len(FIELD_ORDER)


def test_a_phrase_in_several_fields_counts_once_at_the_first() -> None:
    classifier = Classifier(load_example_profile())
    match = classifier.assess(
        Document(
            title="Formation d'anglais des agents",
            lots=("Lot 1 : anglais oral",),
            summary="Cours d'anglais professionnel",
        ),
        today=TODAY,
    ).match
    assert (
        "domaine «\u00a0Langues\u00a0»\u00a0: «\u00a0anglais\u00a0» dans le titre" in match.reasons
    )
    assert match.domains == ("Langues",)


def test_domain_codes_kept_per_set_of_codes_still_honour_exclusions() -> None:
    """The codes found for each domain are kept per notice's codes; a notice that rules a
    domain out (« langue des signes ») gets no CPV points for it, whatever was seen before."""
    docs = [
        Document(title="Formation d'anglais des agents", cpv=("80580000",)),
        Document(title="Formation à la langue des signes des agents", cpv=("80580000",)),
        Document(title="Formation d'anglais des agents", cpv=("80580000", "80533000")),
        Document(title="Formation à la langue des signes", cpv=("80580000", "80533000")),
    ]
    seen_all = Classifier(load_example_profile())
    for _ in range(2):
        for doc in docs:
            assert _verdict(seen_all, doc) == _verdict(Classifier(load_example_profile()), doc)
    excluded = seen_all.assess(docs[1], today=TODAY).match
    assert "Langues" not in excluded.domains


def test_best_course_kept_per_set_of_stems_gives_the_fresh_verdicts() -> None:
    docs = [
        Document(title="Formation Excel perfectionnement", summary="tableaux croisés dynamiques"),
        Document(title="Tableaux croisés dynamiques", summary="Formation Excel perfectionnement"),
        Document(title="Formation anglais professionnel", lots=("Lot 1 : préparation au TOEIC",)),
        Document(title="Manager une équipe de proximité", buyer="Excel formation"),
        Document(title="Formation Excel", summary="perfectionnement des agents"),
    ]
    seen_all = Classifier(load_example_profile())
    for _ in range(2):
        for doc in docs:
            assert _verdict(seen_all, doc) == _verdict(Classifier(load_example_profile()), doc)
    found = seen_all.assess(docs[0], today=TODAY).match.reasons
    assert any(r.startswith("ressemble au cours «\u00a0Excel perfectionnement") for r in found)


def _found_by_kind(index: PhraseIndex[tuple[str, int]], seq: Any) -> dict[str, list[Any]]:
    """``index.find(seq)``'s hits grouped by the kind of their payload (``find_by_kind``'s form)."""
    grouped: dict[str, list[Any]] = defaultdict(list)
    for hit in index.find(seq):
        grouped[hit.payload[0]].append(hit)
    return grouped


def test_phrases_by_kind_are_those_found_grouped_by_kind() -> None:
    index: PhraseIndex[tuple[str, int]] = PhraseIndex()
    phrases = ["formation", "formation continue", "anglais", "cours d'anglais", "cours", "SST"]
    for i, phrase in enumerate(phrases):
        index.add(phrase, ("term" if i % 2 else "topic", i))
    texts = [
        "Cours d'anglais et formation continue des agents",
        "Formation SST, cours, formation",
        "anglais",
        "",
    ]
    for text in texts:
        seq = stems(text)
        grouped = _found_by_kind(index, seq)
        assert index.find_by_kind(seq) == grouped


def test_hits_kept_per_position_are_those_found_in_every_text() -> None:
    """One-word hits are kept per word and position: texts read again, a word moved to
    another position, and positions beyond ``PLACED_MAX`` (not kept) find the hits of
    ``find``."""
    index: PhraseIndex[tuple[str, int]] = PhraseIndex()
    for i, phrase in enumerate(["formation", "anglais", "cours d'anglais", "SST", "sst"]):
        index.add(phrase, ("term" if i % 2 else "topic", i))
    filler = " ".join(f"mot{n}" for n in range(PLACED_MAX))
    texts = [
        "Formation anglais SST",
        "SST formation anglais",
        "cours d'anglais, formation",
        f"{filler} formation anglais SST",
        "Formation anglais SST",
        f"{filler} formation anglais SST",
    ]
    for text in texts:
        seq = stems(text)
        grouped = _found_by_kind(index, seq)
        assert index.find_by_kind(seq) == grouped
        assert grouped


def test_the_kinds_as_bits_are_the_kinds_of_the_hits() -> None:
    """``Analysed.kinds`` and each ``Segment.mask`` hold the bits of the kinds found, before
    and after the later kinds are read, the rest of a body included."""
    classifier = Classifier(load_example_profile())
    phrases = classifier._index
    body = "Le règlement de la consultation s'applique. " * (BODY_HEAD // 20)
    doc = Document(
        title="Fourniture de logiciels et formation des utilisateurs",
        lots=("Lot 1 : cours d'anglais",),
        summary="Accompagnement VAE des agents",
        body=body + " bilan de compétences des salariés",
        buyer="Ville de Lyon",
    )
    an = analyse(doc, phrases)

    def found() -> int:
        return mask_of({kind for seg in an.segments for kind, hits in seg.by_kind.items() if hits})

    assert an.kinds == found() and an.kinds & TERM
    assert all(seg.mask == mask_of(seg.by_kind) for seg in an.segments)
    an.read_later()
    assert an.kinds == found() and an.kinds & TOPIC
    assert read_rest(an, phrases)
    assert an.kinds == found()
    assert all(seg.mask == mask_of(seg.by_kind) for seg in an.segments)
    for kind, bit in KIND_BITS.items():
        assert bool(an.hits(kind, buyer=True)) == bool(an.kinds & bit)


def test_a_phrase_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        Phrases([("formation", Entry("formations", None))])


def test_a_phrase_added_after_a_search_is_found() -> None:
    index: PhraseIndex[tuple[str, int]] = PhraseIndex()
    index.add("anglais", ("topic", 0))
    seq = stems("Cours d'anglais professionnel")
    assert set(index.find_by_kind(seq)) == {"topic"}
    index.add("cours d'anglais", ("term", 1))
    found = index.find_by_kind(seq)
    assert [hit.payload for hit in found["term"]] == [("term", 1)]


def test_the_quotes_of_one_text_never_show_in_another() -> None:
    """Texts not quoted yet share one empty record of quotes; each has its own once quoted."""
    first = Tokens("Formation SST des agents")
    second = Tokens("Cours d'anglais")
    assert first.quote(0, 1) == "formation" and first.quoted == {span_key(0, 1): "formation"}
    assert second.quoted == {}
    assert second.quote(0, 1) == "cours" and second.quoted == {span_key(0, 1): "cours"}
    assert first.quoted == {span_key(0, 1): "formation"}
    assert len({span_key(s, e) for s in range(300) for e in range(s + 1, 301)}) == 300 * 301 // 2
    assert Tokens("Formation SST").quoted == {}


def test_a_short_field_matched_in_one_pass_finds_what_the_two_passes_find() -> None:
    """Titles, lots, summaries and buyers are matched against every phrase at once: each kind's
    hits, in order, are those of its own index (stage 1's or the later kinds'), and nothing
    is left to read later; a body still waits for ``read_later``."""
    phrases = Classifier(load_example_profile())._index
    doc = Document(
        title="Formation SST et gestes et postures des agents, cours d'anglais",
        lots=("Lot 1 : management des équipes", "Lot 2 : fourniture de logiciels"),
        summary="Bilans de compétences et accompagnement VAE des salariés",
        body="Formation à la bureautique Excel et Word des agents",
        buyer="Centre de gestion de la fonction publique territoriale",
    )
    an = analyse(doc, phrases)
    fields = [seg.field for seg in an.segments]
    assert fields == ["title", "lots", "lots", "summary", "body", "buyer"]
    for seg in an.segments:
        both = {**phrases.index.find_by_kind(seg.seq), **phrases.later.find_by_kind(seg.seq)}
        if seg.field == "body":
            assert seg.later is phrases.later and seg.by_kind == phrases.index.find_by_kind(seg.seq)
            seg.read_later()
        assert seg.later is None and seg.by_kind == both and seg.mask == mask_of(both)
    assert {"term", "topic", "domain"} <= set(an.segments[0].by_kind)


def test_a_frozen_class_built_from_a_draft_is_that_class_frozen() -> None:
    """``frozen.draft_of``: an object filled in as a draft, then given the frozen class, equals
    the constructor's, refuses changes, pickles; a class without slots of its own is refused."""
    match = _MatchDraft()
    match.relevant, match.score, match.domains = True, 73, ("Langues",)
    match.reasons, match.blockers = ("appel de formation",), ()
    match.__class__ = Match
    assert type(match) is Match and match == Match(True, 73, ("Langues",), ("appel de formation",))
    with pytest.raises(FrozenInstanceError):
        match.score = 10  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(match)) == match and hash(match) == hash(replace(match))
    doc = from_record({"title": "Cours d'anglais", "lots": ["Lot 1"], "cpv": ["80580000"]})
    assert type(doc) is Document and doc == Document(
        title="Cours d'anglais", lots=("Lot 1",), cpv=("80580000",)
    )
    with pytest.raises(FrozenInstanceError):
        doc.title = "Travaux"  # type: ignore[misc]

    class Plain:
        pass

    with pytest.raises(TypeError, match="not a slotted class"):
        draft_of(Plain)


@pytest.mark.parametrize(
    "text",
    [
        "Étude des élus et formation des agents",  # Latin-1
        "Cœur de métier : l’ŒUVRE",  # œ and a typographic apostrophe
        "Formation Straße et Æsop, encyclopædia",  # Latin-1 letters folded to two
        "Remise \ufffd niveau des \ufffdquipements",  # letters lost to a bad encoding
        "d’anglais – « formation » n° 3",  # Windows-1252 only
    ],
)
def test_the_tokeniser_reads_every_alphabet_as_the_regular_expression_does(text: str) -> None:
    """The byte-table tokeniser (Latin-1 first, then Windows-1252, the letters folded to two
    prepared) finds the stems and positions of the regular expression's way (``words``,
    ``spans``)."""
    tokens = Tokens(text)
    assert tokens.seq == _stems_of(words(text)) == stems(text)
    assert tokens.spans(len(tokens.seq)) == spans(text, len(tokens.seq))


def test_a_domain_reason_quotes_no_more_hits_than_it_shows() -> None:
    """A domain's line shows two quotes at most: the hits after them are not quoted at all
    (each quote of a text read once walks its words)."""
    classifier = Classifier(load_example_profile())
    doc = Document(
        title="Formation bureautique Excel",
        summary="Word et LibreOffice pour les agents",
        buyer="Ville de Rennes",
    )
    an, stage1, fit, _score = classifier.rules(doc)
    assert stage1.training
    reasons = fit.shown(2)
    assert (
        "domaine «\u00a0Bureautique et numérique\u00a0»\u00a0: «\u00a0bureautique\u00a0», "
        "«\u00a0Excel\u00a0» dans le titre"
    ) in reasons
    summary = next(seg for seg in an.segments if seg.field == "summary")
    assert summary.by_kind["domain"]  # found, counted, not quoted
    assert summary.tokens.quoted == {}
