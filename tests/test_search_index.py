"""``list --text`` through the full-text index: the rows the substring match found (case and
accent blind), and those where the query's words appear in the singular or the plural;
kept in step with the notices, and used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from scrapers.dates import fold
from tests.conftest import Database
from tests.notify_data import settings
from watcher import tenders
from watcher.calls import CallFilter, list_calls
from watcher.models import Notice
from watcher.notify.routing import Router
from watcher.store import SCHEMA_HEAD, Store, search_forms, search_index
from watcher.store.engine import resolve_url
from watcher.store.migrations import migrate
from watcher.store.records import Prepared
from watcher.store.schema import notices

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
TEXTS = {
    "secu": ("Formation sécurité incendie", "AKTO", "Habilitations électriques en entreprise."),
    "plain": ("Securite au travail", "Région Bretagne", "Sauveteur secouriste du travail."),
    "upper": ("SÉCURITÉ DES DONNÉES", "OPCO EP", "Cybersécurité pour les TPE."),
    "plural": ("Formations managériales", "Atlas", "Parcours « manager de proximité »."),
    "btp": ("Prévention BTP", "Constructys", 'Le "risque chimique" et 100% des chantiers.'),
    "oyster": ("Ostréiculture et conchyliculture", "Ocapiat", "Filières de la mer."),
    "social": ("Dialogue social", "Atlas", "Instances représentatives."),
    "sociaux": ("Acteurs sociaux du territoire", "Atlas", "Bureaux et lieux d'accueil."),
    "sante": ("Santé au travail", "AKTO", "Prévention des troubles musculo-squelettiques."),
    "collectif": ("Actions collectives régionales", "Opco EP", "Premières journées."),
    "pro": ("Enseignement professionnel et continu", "Atlas", "Salariée diplômée."),
}
QUERIES = (
    "sécurité",
    "securite",
    "SECURITE",
    "cybersecurite",
    "formation",  # a substring of "formations"
    "manager de proximité",
    "ostréiculture",
    "BT",  # too short for trigrams: scanned
    '"risque chimique"',  # quotes are text, not query syntax
    "100%",
    "1_0",
    "  incendie ",
    "xylophone",
)


def notice(ref: str, title: str, buyer: str, summary: str) -> Notice:
    return Notice(
        "akto", ref, title, f"https://akto.example.org/{ref}", buyer=buyer, summary=summary
    )


def substring_model(query: str) -> set[str]:
    """What LIKE '%query%' on the folded text found (the old code's semantics)."""
    wanted = fold(query.strip())
    return {ref for ref, parts in TEXTS.items() if wanted in fold("\n".join(parts))}


@pytest.fixture
def filled(store: Store) -> Store:
    store.upsert([notice(ref, *parts) for ref, parts in TEXTS.items()], seen_at=T0)
    return store


@pytest.mark.parametrize("query", QUERIES)
def test_the_index_finds_what_the_substring_match_found(filled: Store, query: str) -> None:
    found = {s.notice.ref for s in filled.list_notices(text=query)}
    assert found == substring_model(query)


@pytest.mark.parametrize("query", ["securite", "formation", "de la", "ostréiculture"])
def test_a_common_text_is_scanned_in_list_order_with_the_same_results(
    filled: Store, query: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search_index, "DRIVE_LIMIT", 2)  # "common": found in 2 notices or more
    found = [s.notice.ref for s in filled.list_notices(text=query, limit=2)]
    everything = [s.notice.ref for s in filled.list_notices(limit=None)]
    assert found == [ref for ref in everything if ref in substring_model(query)][:2]


def test_accents_and_case_do_not_matter(filled: Store) -> None:
    assert {s.notice.ref for s in filled.list_notices(text="securite")} == {
        "secu",
        "plain",
        "upper",
    }


def found(store: Store, text: str) -> set[str]:
    return {s.notice.ref for s in store.list_notices(text=text)}


@pytest.mark.parametrize(
    ("query", "refs"),
    [
        ("formations", {"plural", "secu"}),  # the plural finds the singular
        ("Formation", {"plural", "secu"}),  # and the singular the plural (a substring)
        ("sociaux", {"social", "sociaux"}),
        ("SOCIAL", {"social", "sociaux"}),
        ("formation manageriale", {"plural"}),  # a phrase, word by word
        ("Formations managériales", {"plural"}),
        ("formation sécu", {"secu"}),  # the last word may be the start of one
        ("bureau", {"sociaux"}),
        ("lieux d'accueil", {"sociaux"}),
        ("acteur social", {"sociaux"}),
        ("sans", set()),  # « san » as a whole word only: not « santé »
        ("dialogues", {"social"}),
        ("ostréicultures", {"oyster"}),
        ("sociale", {"social", "sociaux"}),  # the feminine finds the masculine
        ("action collective", {"collectif"}),
        ("collectif", {"collectif"}),  # and the masculine the feminine, beyond a substring
        ("collectif régional", {"collectif"}),
        ("premier", {"collectif"}),
        ("professionnelles", {"pro"}),
        ("salarié diplômé", {"pro"}),
        ("salariés", {"pro"}),
    ],
)
def test_plurals_and_genders_find_each_other(filled: Store, query: str, refs: set[str]) -> None:
    assert found(filled, query) == refs


@pytest.mark.parametrize("query", QUERIES)
def test_nothing_the_substring_match_found_is_lost(filled: Store, query: str) -> None:
    assert found(filled, query) >= substring_model(query)


def test_the_lists_of_calls_find_plurals_too(filled: Store, tmp_path: Path) -> None:
    """``list`` (calls) and the web console go through the same condition."""
    with filled.transaction(write=True) as conn:
        tenders.assign(conn, [s.notice for s in filled.list_notices(limit=None)], at=T0)
    router = Router(settings(tmp_path))
    rows = list_calls(filled, CallFilter(text="sociaux"), now=T0, router=router)
    titles = sorted(r.tender.title for r in rows)
    assert titles == ["Acteurs sociaux du territoire", "Dialogue social"]


def test_the_index_follows_changed_notices(filled: Store) -> None:
    title, buyer, _ = TEXTS["oyster"]
    filled.upsert([notice("oyster", title, buyer, "Aquaculture en Bretagne.")], seen_at=T0)
    assert {s.notice.ref for s in filled.list_notices(text="aquaculture")} == {"oyster"}
    assert not filled.list_notices(text="filières de la mer")
    renamed = notice("oyster", "Mytiliculture", buyer, "Aquaculture en Bretagne.")
    filled.upsert([renamed], seen_at=T0 + timedelta(hours=1))
    assert not filled.list_notices(text="ostreiculture")
    assert [s.notice.title for s in filled.list_notices(text="mytili")] == ["Mytiliculture"]


def test_a_database_upgraded_to_the_index_finds_its_old_notices(database: Database) -> None:
    if database.dialect == "sqlite":
        Path(database.url).parent.mkdir(parents=True)
    engine = sa.create_engine(resolve_url(database.url))
    try:
        with engine.begin() as conn:
            migrate(conn, target=SCHEMA_HEAD - 1)
            row = Prepared.of(notice("old", *TEXTS["oyster"])).columns()
            stamps = dict.fromkeys(("first_seen", "last_seen", "last_changed"), T0)
            conn.execute(sa.insert(notices).values(key="akto:old", **row, **stamps))
    finally:
        engine.dispose()
    with Store.open(database.url) as store:
        assert [s.key for s in store.list_notices(text="conchyliculture")] == ["akto:old"]


def test_the_query_uses_the_index(filled: Store, database: Database) -> None:
    with filled.transaction() as conn:
        if database.dialect == "sqlite":
            select = _captured_select(filled, conn)
            plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {select}"))
            assert "VIRTUAL TABLE INDEX" in plan and "notices_search" in plan
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = " ".join(
                r[0]
                for r in conn.exec_driver_sql(
                    "EXPLAIN SELECT id FROM notices WHERE search_text LIKE %(p)s ESCAPE '\\'",
                    {"p": "%ostreiculture%"},
                )
            )
            assert "ix_notices_search_trgm" in plan


def test_list_by_source_sorts_the_page_through_an_index(filled: Store, database: Database) -> None:
    database.require("sqlite")
    with filled.transaction() as conn:
        select = _captured_select(filled, conn, "FROM notices", source="akto", text=None)
        plan = " ".join(str(r) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {select}"))
    assert "COVERING INDEX ix_notices_source_first_seen" in plan


def _captured_select(
    store: Store, conn: sa.Connection, marker: str = "notices_search MATCH", **filters: object
) -> str:
    """The SQL of a ``list`` query, with its parameters inlined (SQLite)."""
    from watcher.store import notices as notice_sql

    seen: list[str] = []

    def capture(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        if marker in statement and "count(*)" not in statement:
            seen.append(statement.replace("?", "{}").format(*(repr(p) for p in params)))  # type: ignore[union-attr]

    arguments = {"source": None, "since": None, "text": "ostréiculture", "limit": 50}
    sa.event.listen(conn, "before_cursor_execute", capture)
    try:
        notice_sql.search(conn, **{**arguments, **filters})  # type: ignore[arg-type]
    finally:
        sa.event.remove(conn, "before_cursor_execute", capture)
    assert seen, "the query was not sent"
    return seen[0]


def stored_at(database: Database, version: int, rows: dict[str, tuple[str, str | None]]) -> None:
    """A database migrated to ``version`` holding notices ``ref -> (text key, search text as
    that version stored it, None for what the ingestion writes now)``, written directly."""
    if database.dialect == "sqlite":
        Path(database.url).parent.mkdir(parents=True)
    engine = sa.create_engine(resolve_url(database.url))
    stamps = dict.fromkeys(("first_seen", "last_seen", "last_changed"), T0)
    try:
        with engine.begin() as conn:
            migrate(conn, target=version)
            for ref, (text, search_text) in rows.items():
                values = {**Prepared.of(notice(ref, *TEXTS[text])).columns(), **stamps}
                if search_text is not None:
                    values["search_text"] = search_text
                conn.execute(sa.insert(notices).values(key=f"akto:{ref}", **values))
    finally:
        engine.dispose()


def test_an_upgrade_gives_the_old_notices_their_forms(database: Database) -> None:
    """Notices stored by version 8 (folded text only) are found by their plurals after the
    upgrade, and a text that has its forms already keeps them once."""
    legacy = fold("\n".join(TEXTS["sociaux"]))  # what version 8 stored
    stored_at(database, 8, {"old": ("sociaux", legacy), "new": ("social", None)})
    with Store.open(database.url) as store:
        assert [s.key for s in store.list_notices(text="acteur social")] == ["akto:old"]
        assert found(store, "bureau") == {"old"} and found(store, "dialogues") == {"new"}
        with store.transaction() as conn:
            texts = dict(conn.execute(sa.select(notices.c.key, notices.c.search_text)).all())
    assert texts["akto:old"] == search_forms.searchable(legacy)
    assert texts["akto:new"].count(search_forms.SEPARATOR) == 1


def test_a_plural_query_uses_the_index_on_postgresql(filled: Store, database: Database) -> None:
    database.require("postgresql")
    with filled.transaction() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        query = search_index.matching(conn, sa.select(notices.c.id), "ostréicultures")
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}"))
    assert "ix_notices_search_trgm" in plan


def test_an_upgrade_to_the_gender_forms_finds_the_feminine_by_the_masculine(
    database: Database,
) -> None:
    """Notices stored by version 9 (plural forms only) are found by their masculine forms
    after step 10."""
    folded = fold("\n".join(TEXTS["collectif"]))
    forms = " actions collective regionale opco ep premiere journee "  # version 9's
    stored_at(database, 9, {"old": ("collectif", f"{folded}{search_forms.SEPARATOR}{forms}")})
    with Store.open(database.url) as store:
        assert found(store, "collectif régional") == {"old"}
        assert found(store, "premier") == {"old"}


def test_base_forms() -> None:
    pairs = {
        "formations": "formation",
        "sociaux": "social",
        "bureaux": "bureau",
        "lieux": "lieu",
        "cours": "cours",
        "mois": "mois",
        "stress": "stress",
        "bus": "bus",
        "2026": "2026",
        "sociales": "social",
        "professionnelles": "professionnel",
        "europeennes": "europeen",
        "collectives": "collectif",
        "collectif": "collectif",
        "premieres": "premier",
        "diplomee": "diplome",
        "bonnes": "bonne",  # too short to be gendered: as it was
        "elle": "elle",
        "ecole": "ecole",
    }
    assert {word: search_forms.base_form(word) for word in pairs} == pairs
    assert search_forms.query_forms("formation") is None  # the substring says it all
    assert search_forms.query_forms("formations") == ("formation", False)
    assert search_forms.query_forms("collectif") == ("collectif", True)  # collective too
    assert search_forms.query_forms("l'ecole") == ("l ecole", True)
