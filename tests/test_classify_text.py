"""French text handling: case, accents, elisions, plurals, stop words, multi-word phrases."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from watcher.classify.phrases import PhraseIndex
from watcher.classify.text import AND, clear_caches, fold, stem, stems, words


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


# ---------------------------------------------------------------------- light stems, guarded

#: Words of different meaning that a derivational stemmer (Snowball) merged: each merge made a
#: class of false alarms (a fire and rescue service read as first-aid training, "dans le cadre
#: de" read as "les cadres"...).
MUST_STAY_APART = [
    ("secours", "secourisme"),
    ("secours", "secouristes"),
    ("cadre", "cadres"),
    ("collaboration", "collaborateurs"),
    ("professionnalisés", "professionnalisation"),
    ("équipe", "équipement"),
    ("former", "forme"),
    ("format", "formation"),
    ("travaux", "travail"),
    ("cours", "cour"),
    ("enseignement", "enseignant"),
    ("formation", "formateur"),
    ("communication", "communauté"),
    ("organisation", "organisme"),
    ("généraliste", "général"),
]

#: Inflected forms of one word, which must meet.
MUST_MEET = [
    ("formations", "formation"),
    ("compétences", "compétence"),
    ("professionnelles", "professionnel"),
    ("sociaux", "social"),
    ("sociales", "social"),
    ("anglaise", "anglais"),
    ("françaises", "français"),
    ("collectives", "collectif"),
    ("formatrices", "formateur"),
    ("premières", "premier"),
    ("bureaux", "bureau"),
    ("niveaux", "niveau"),
    ("salariées", "salarié"),
    ("secouristes", "secouriste"),
    ("collaboratrices", "collaborateur"),
    ("emplois", "emploi"),
    ("élus", "élu"),
    ("managers", "manageurs"),
    ("manager", "management"),
    ("apprentis", "apprenti"),
    ("publique", "public"),
    ("EUROPÉENNES", "européen"),
]


@pytest.mark.parametrize(("left", "right"), MUST_STAY_APART)
def test_words_of_different_meaning_stay_apart(left: str, right: str) -> None:
    assert stems(left) != stems(right)


@pytest.mark.parametrize(("left", "right"), MUST_MEET)
def test_inflected_forms_meet(left: str, right: str) -> None:
    assert stems(left) == stems(right)


def test_a_letter_lost_to_a_bad_encoding_reads_as_e() -> None:
    assert stems("Soci\ufffdt\ufffd de pr\ufffdvention") == stems("Société de prévention")
    assert stems("Remise \ufffd niveau des \ufffdquipements") == stems(
        "Remise à niveau des équipements"
    )


def test_file_format_notes_are_not_words_of_the_notice() -> None:
    assert "word" not in " ".join(stems("Dossier de candidature (Word)"))
    assert "excel" not in " ".join(stems("Bordereau des prix au format Excel"))
    assert stems("Cahier des charges (PDF, 420 Ko)") == stems("Cahier des charges")
    assert "excel" in " ".join(stems("Formation Excel et Word pour les agents"))


def _corpus() -> list[str]:
    """Real French text: the titles and summaries of the development set, else a fixture."""
    dev = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev-notices.jsonl"
    if dev.is_file():
        rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()]
        return [f"{r['title']} {r.get('summary') or ''}" for r in rows]
    return [p for p, _q in MUST_STAY_APART + MUST_MEET]


def test_stems_are_the_same_from_many_threads_at_once() -> None:
    """The scheduler classifies in threads: a shared stemmer with internal state raced there
    (IndexError, silently wrong stems). Threads start together on empty caches, many times."""
    texts = _corpus()
    clear_caches()
    expected = [stems(text) for text in texts]
    threads, rounds = 4, 60
    barrier = threading.Barrier(threads)
    results: list[list[list[str]]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        for _ in range(rounds):
            if offset == 0:
                clear_caches()
            barrier.wait()  # every thread starts the round together, on caches just emptied
            order = texts[offset:] + texts[:offset]  # each thread in its own order
            try:
                got = [stems(text) for text in order]
                got = got[-offset:] + got[:-offset] if offset else got
            except BaseException as error:  # an IndexError inside a stemmer, say
                with lock:
                    errors.append(error)
                got = []
            with lock:
                results.append(got)
            barrier.wait()

    pool = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert not errors
    assert len(results) == threads * rounds
    assert all(got == expected for got in results)
