"""French text handling: case, accents, elisions, plurals, stop words, multi-word phrases."""

from __future__ import annotations

import pytest

from watcher.classify.text import AND, PhraseIndex, fold, stem, stems, words


def test_fold_lowers_and_removes_accents() -> None:
    assert fold("L’ÉCOLE Œuvre à Noël") == "l'ecole oeuvre a noel"


def test_elisions_are_removed() -> None:
    assert words("l'anglais d'entreprise qu'il jusqu'à") == ["anglais", "entreprise", "il", "a"]


def test_plural_and_singular_share_a_stem() -> None:
    assert stem("formations") == stem("formation")
    assert stems("compétences") == stems("compétence")
    assert stems("FORMATIONS SECURITE") == stems("formation sécurité")


@pytest.mark.parametrize(
    ("left", "right"),
    [("managers", "manageurs"), ("manager", "management"), ("emplois", "emploi"), ("élus", "élu")],
)
def test_irregular_forms_meet(left: str, right: str) -> None:
    assert stems(left) == stems(right)


@pytest.mark.parametrize(("left", "right"), [("équipe", "équipement"), ("former", "forme")])
def test_colliding_forms_stay_apart(left: str, right: str) -> None:
    assert stems(left) != stems(right)


def test_stop_words_are_dropped_and_coordinators_marked() -> None:
    assert stems("de la formation pour les agents") == [stem("formation"), stem("agents")]
    assert stems("fourniture, installation et formation") == [
        stem("fourniture"),
        AND,
        stem("installation"),
        AND,
        stem("formation"),
    ]


def test_phrase_matches_whatever_case_accents_and_plural() -> None:
    index: PhraseIndex[str] = PhraseIndex()
    index.add("bilan de compétence", "bc")
    hits = index.find(stems("Réalisation de BILANS DE COMPETENCES pour les agents"))
    assert [(hit.start, hit.end, hit.payload) for hit in hits] == [(1, 3, "bc")]


def test_phrase_needs_its_words_in_order() -> None:
    index: PhraseIndex[str] = PhraseIndex()
    index.add("habilitation électrique", "he")
    assert index.find(stems("électrique habilitation")) == []
    assert len(index.find(stems("Habilitations électriques B0"))) == 1


def test_longest_phrase_reported_with_shorter_ones() -> None:
    index: PhraseIndex[str] = PhraseIndex()
    index.add("formation", "short")
    index.add("action de formation", "long")
    payloads = {hit.payload for hit in index.find(stems("Actions de formation"))}
    assert payloads == {"short", "long"}


def test_phrase_without_content_word_is_refused() -> None:
    index: PhraseIndex[str] = PhraseIndex()
    with pytest.raises(ValueError, match="no content word"):
        index.add("de la", "x")
