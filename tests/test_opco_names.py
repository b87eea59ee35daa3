"""Each OPCO has one name wherever users read it — the name its source goes by
(``scrapers.registry.source_label``: « AFDAS », « Atlas »): subjects, the digest's counts and
sources, emails, ``show``, the demo's verdicts and drafts. Routing still reads every spelling a
notice or an older configuration gives (« OPCO ATLAS », « Afdas »)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from scrapers.boamp import RECORDS_URL, Boamp
from scrapers.opco2i import AJAX, Opco2i
from scrapers.registry import SOURCES, source_label
from tests.notify_data import VEILLE, notice, parts, poll, settings
from tests.smtp_server import smtp_server
from tests.test_sources_real import BOAMP_FILE, OPCO2I_FILE, real
from watcher.models import PARIS, Match, Notice, Tender
from watcher.notify.digest import enqueue_digest
from watcher.notify.opco import SOURCE_OF, buyer_shown, canonical_opco, opco_names
from watcher.notify.routing import selects
from watcher.notify.sender import drain
from watcher.notify.settings import Route
from watcher.notify.week import Week
from watcher.store import Store

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)
#: the OPCOs' names as BOAMP's `nomacheteur` spells them (shared/sources.md), and the name
#: users read for each
BOAMP_SPELLINGS = {
    "OPCO ATLAS": "Atlas",
    "OPCO 2i": "OPCO 2i",
    "Afdas": "AFDAS",
    "AKTO": "AKTO",
    "CONSTRUCTYS": "Constructys",
    "UNIFORMATION": "Uniformation",
    "OPCO Mobilités": "OPCO Mobilités",
    "OPCO Santé": "OPCO Santé",
    "Opcommerce": "L'Opcommerce",
}
LANGUES = Match(True, 80, ("Langues",))


def test_each_opco_is_named_as_its_source() -> None:
    """One place for the name: the source's; and the registry's line says it too."""
    assert opco_names() == tuple(source_label(source) for source in SOURCE_OF.values())
    assert {"AFDAS", "Atlas"} <= set(opco_names())
    assert not {"Afdas", "OPCO ATLAS"} & set(opco_names())
    for source in SOURCE_OF.values():
        assert SOURCES.description(source).startswith(f"{source_label(source)} — ")


@pytest.fixture(scope="module")
def boamp_record(shared: Path) -> dict[str, Any]:
    """The real BOAMP Explore v2.1 answer (its first record is the one varied below)."""
    answer: dict[str, Any] = json.loads(real(shared, BOAMP_FILE))["data"]
    return answer


def boamp_notice(answer: dict[str, Any], buyer: str) -> Notice:
    """The answer's first real record, as published by ``buyer`` (derived in the test)."""
    record = dict(answer["results"][0], nomacheteur=buyer)
    (parsed, *_) = Boamp().parse_json({**answer, "results": [record]}, RECORDS_URL).notices
    return parsed


@pytest.mark.parametrize(("spelling", "name"), BOAMP_SPELLINGS.items())
def test_routing_reads_each_spelling_under_the_one_name(
    boamp_record: dict[str, Any], spelling: str, name: str
) -> None:
    """A real BOAMP record as each OPCO publishes on BOAMP: its OPCO is known under the one
    name, and a route written with the old spelling, the new name or the notice's own
    spelling selects it; a route for another OPCO does not."""
    published = boamp_notice(boamp_record, spelling)
    assert published.buyer == spelling
    call = Tender(1, (published,))
    assert canonical_opco(call.buyer) == buyer_shown(call.buyer) == name
    old = {"Atlas": "OPCO ATLAS", "AFDAS": "Afdas"}.get(name, name)
    for written in {old, name, spelling, spelling.lower()}:
        route = Route(recipient=VEILLE, opcos=[written])
        assert route.opcos == [name] and selects(route, call, LANGUES), written
    other = "AKTO" if name != "AKTO" else "Atlas"
    assert not selects(Route(recipient=VEILLE, opcos=[other]), call, LANGUES)


def test_the_real_opco2i_tiles_route_to_opco_2i(shared: Path) -> None:
    result = Opco2i().parse(real(shared, OPCO2I_FILE), AJAX)
    route = Route(recipient=VEILLE, opcos=["opco 2i"])
    assert result.notices and route.opcos == ["OPCO 2i"]
    for tile in result.notices:
        assert selects(route, Tender(1, (tile,)), LANGUES)
        assert buyer_shown(tile.buyer) == "OPCO 2i"


def test_a_buyer_that_says_more_than_its_opco_is_kept() -> None:
    assert buyer_shown("Constructys Siège") == "Constructys Siège"
    assert canonical_opco("Constructys Siège") == "Constructys"
    assert buyer_shown("Région Bretagne") == "Région Bretagne"


def test_the_digest_names_atlas_and_afdas_one_way(tmp_path: Path, store: Store) -> None:
    """Received over SMTP: calls of Atlas published as « OPCO ATLAS » (BOAMP) and « OPCO
    Atlas » (its site), of AFDAS as « Afdas »: the counts per OPCO, the calls and the sources'
    health name each OPCO one way, the source's."""
    with smtp_server() as server:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none"}
        config = settings(tmp_path, timeout_seconds=30, **mail)
        calls = [
            notice("B1", "Cours d'anglais professionnel", source="boamp", buyer="OPCO ATLAS"),
            notice("A1", "Formation management des équipes", source="atlas", buyer="OPCO Atlas"),
            notice("F1", "Parcours management hybride", source="afdas", buyer="Afdas"),
        ]
        poll(store, calls, config, at=NOW - timedelta(days=3))
        for source in ("atlas", "afdas", "boamp"):
            store.record_success(source, at=NOW - timedelta(hours=1), items=4, new=0, changed=0)
        enqueue_digest(store, config, Week(2026, 10), NOW, to=VEILLE)
        assert drain(store, config, clock=lambda: NOW).ok
        received = [r.message for r in server.handler.received]
    (message,) = [m for m in received if m["X-Opco-Watch-Kind"] == "digest"]
    text, page = parts(message)
    for shown in (text, unescape(page)):
        assert "OPCO ATLAS" not in shown and "OPCO Atlas" not in shown, shown
        assert "Afdas" not in shown, shown
        assert "Atlas\u00a0: OK" in shown or ">Atlas<" in shown
    per_opco = text[text.index("APPELS DE LA SEMAINE PAR OPCO") :]
    assert "Atlas" in per_opco and "AFDAS" in per_opco


def test_an_alert_and_a_draft_name_the_opco_once(tmp_path: Path) -> None:
    """The email's call line and a draft's buyer: « Atlas », not « Atlas · OPCO ATLAS »."""
    from responses.context import build_context, select
    from responses.sample import sample_inputs, sample_notice
    from watcher.notify.context import tender_context

    call = Tender(1, (notice("B1", source="boamp", buyer="OPCO ATLAS"),))
    context = tender_context(call, LANGUES, NOW)
    assert (context["opco"], context["buyer_detail"]) == ("Atlas", "")
    inputs = sample_inputs(replace(sample_notice(), buyer="OPCO ATLAS"))
    drafted = build_context(inputs, select(inputs))
    assert drafted["call"]["buyer"] == "Atlas"
    assert drafted["call"]["of_buyer"] == "d'Atlas"
