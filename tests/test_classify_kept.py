"""Kept segments (issue 11, "Speed"): a short text read twice is kept, and stays kept when the
bounded set of texts seen once is cleared (titles seen once fill that set in a real feed, so
it is cleared every few thousand notices; the lots and summaries that repeat must not be read
again each time it is)."""

from __future__ import annotations

from datetime import date

from watcher.classify.analysis import SHARED_SEGMENTS, Phrases, analyse
from watcher.classify.classifier import Classifier
from watcher.classify.document import Document
from watcher.classify.profile import load_example_profile

TODAY = date(2026, 3, 2)


def _phrases(classifier: Classifier) -> Phrases:
    return classifier._index


def test_a_kept_text_stays_kept_when_the_texts_seen_once_are_forgotten() -> None:
    classifier = Classifier(load_example_profile())
    phrases = _phrases(classifier)
    phrases.segment.cache_clear()
    phrases.seen.clear()
    doc = Document(title="Formation SST des agents", summary="Lot 1 : anglais professionnel")
    analyse(doc, phrases)
    kept = analyse(doc, phrases).segments  # read a second time: kept
    phrases.seen.clear()  # as when it is full of titles seen once
    again = analyse(doc, phrases).segments
    assert [seg.field for seg in again] == ["title", "summary"]
    assert all(new is old for new, old in zip(again, kept, strict=True))


def test_titles_seen_once_do_not_make_repeated_summaries_read_again() -> None:
    """A feed of distinct titles with one repeated summary: the summary's segment is read
    twice, then shared, however many titles fill (and clear) the set of texts seen once; the
    verdicts are those of a classifier that keeps nothing."""
    classifier = Classifier(load_example_profile())
    phrases = _phrases(classifier)
    phrases.segment.cache_clear()
    phrases.seen.clear()
    summary = "Prestations de formation à la bureautique pour la collectivité."
    docs = [
        Document(title=f"Formation Excel des agents, session {i}", summary=summary)
        for i in range(2 * SHARED_SEGMENTS + 10)
    ]
    # (the segments held: the id of a segment freed may be that of a later one)
    segments = [analyse(doc, phrases).segments[-1] for doc in docs]
    summaries = {id(seg) for seg in segments}
    assert len(summaries) == 2  # the first reading, then the kept one
    fresh = Classifier(load_example_profile())
    for doc in docs[:: SHARED_SEGMENTS // 4]:
        _phrases(fresh).segment.cache_clear()
        _phrases(fresh).seen.clear()
        assert classifier.assess(doc, today=TODAY) == fresh.assess(doc, today=TODAY)
