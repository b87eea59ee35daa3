"""BOAMP beyond the demo page: the real legacy XML notices (shared/fixtures/real), the legacy v1
record shape, the switch to the exports endpoint, entities, missing deadlines, notice kinds."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scrapers.boamp import EXPORT_URL, RECORDS_URL, Boamp, record_to_notice
from scrapers.boamp_xml import parse_boamp_xml
from tests.test_sources_platforms import check_golden, check_invariants
from watcher.errors import ParseError
from watcher.models import PARIS, NoticeKind

XML_FIXTURES = (
    "boamp-xml-v230_avis-marche_16-186359_2017-01-01.xml",
    "boamp-xml-v230_avis-marche_16-186394_2017-01-01.xml",
    "boamp-xml-v230_attribution_17-29167_2017.xml",
)
WHERE = 'search(objet, "formation")'


def real_xml(shared: Path, name: str) -> str:
    file = shared / "fixtures" / "real" / name
    if not file.exists():
        pytest.skip(f"real BOAMP XML fixture not found at {file}")
    return file.read_text("utf-8")


def record(**fields: Any) -> dict[str, Any]:
    base = {"idweb": "26-100", "objet": "Formation SST", "nomacheteur": "AKTO"}
    return {**base, **fields}


# ------------------------------------------------------------------------- legacy XML (v230)


@pytest.mark.parametrize("name", XML_FIXTURES)
def test_xml_notice_matches_golden(shared: Path, name: str) -> None:
    notice = parse_boamp_xml(real_xml(shared, name))
    check_golden(f"boamp-xml-{name.removesuffix('.xml')}", [notice])
    check_invariants([notice])


def test_xml_call_with_lots_and_buyer_platform(shared: Path) -> None:
    notice = parse_boamp_xml(real_xml(shared, XML_FIXTURES[0]))
    assert (notice.ref, notice.kind, notice.buyer) == ("16-186359", NoticeKind.CALL, "MTSFP")
    assert notice.title.startswith("Conception, organisation et réalisation de manifestations")
    assert notice.published == date(2017, 1, 1)
    assert notice.deadline == datetime(2017, 2, 17, 12, 0, tzinfo=PARIS)
    assert [lot.number for lot in notice.lots] == ["1", "2"]
    assert notice.lots[0].cpv == ("79952000", "79951000")
    assert notice.estimated_value == Decimal(1083333 + 6333333)
    assert notice.platform_url.startswith("https://www.marches-publics.gouv.fr/?page=")
    assert "Référence acheteur : AOOEVENEMENTS2016" in notice.summary
    assert notice.procedure == "Procédure ouverte" and notice.places == ("75",)


def test_xml_award_points_back_to_the_initial_notice(shared: Path) -> None:
    notice = parse_boamp_xml(real_xml(shared, XML_FIXTURES[2]))
    assert notice.kind == NoticeKind.AWARD and notice.related_refs == ("16-166926",)
    assert notice.winner == "ADECCO MEDICAL, SELECT TT APPEL MEDICAL, TROOPS IZUMA"
    assert notice.deadline is None and notice.deadline_text == ""
    assert notice.procedure == "Procédure adaptée" and notice.cpv == ("79620000",)


def test_xml_statut_marks_corrigenda_and_cancellations(shared: Path) -> None:
    text = real_xml(shared, XML_FIXTURES[1])
    assert parse_boamp_xml(text.replace("<INITIAL/>", "<RECTIFICATIF/>")).kind == "corrigendum"
    assert parse_boamp_xml(text.replace("<INITIAL/>", "<ANNULATION/>")).kind == "cancellation"


def test_xml_broken_or_without_idweb() -> None:
    with pytest.raises(ParseError, match="not well-formed XML"):
        parse_boamp_xml("<ANNONCE><GESTION>")
    with pytest.raises(ParseError, match="IDWEB"):
        parse_boamp_xml("<ANNONCE><GESTION/></ANNONCE>")


def test_xml_text_with_an_encoding_declaration_is_read(shared: Path) -> None:
    """A ``str`` that declares its encoding (lxml refuses those) reads like its bytes."""
    text = real_xml(shared, XML_FIXTURES[1])
    declared = '<?xml version="1.0" encoding="ISO-8859-1"?>\n' + text.split("?>", 1)[-1]
    assert parse_boamp_xml(declared) == parse_boamp_xml(text)
    assert parse_boamp_xml(text.encode("utf-8")) == parse_boamp_xml(text)


# ------------------------------------------------------------------------------ API records


def test_v1_record_shape_reads_like_v21() -> None:
    flat = record(datelimitereponse="2026-04-01T10:00:00+00:00", annonce_lie=["26-90"])
    legacy = {"datasetid": "boamp", "recordid": "abc", "fields": flat, "record_timestamp": "x"}
    assert record_to_notice(legacy) == record_to_notice(flat)
    # the wall clock written (10:00), in Paris: not 10:00 UTC
    assert record_to_notice(legacy).deadline == datetime(2026, 4, 1, 10, 0, tzinfo=PARIS)


def test_double_encoded_entities_are_decoded() -> None:
    notice = record_to_notice(record(objet="Gestes &amp;#039;TPE&amp;#039; &amp; postures"))
    assert notice.title == "Gestes 'TPE' & postures"


def test_missing_deadline_is_unknown_never_the_end_of_display() -> None:
    notice = record_to_notice(
        record(datelimitereponse=None, datefindiffusion="2026-05-01", gestion='{"INDEXATION": {}}')
    )
    assert notice.deadline is None and notice.deadline_text == ""


def test_gestion_deadline_is_used_when_the_field_is_empty() -> None:
    gestion = json.dumps({"INDEXATION": {"DATE_LIMITE_REPONSE": "2026-04-02T16:00"}})
    notice = record_to_notice(record(datelimitereponse=None, gestion=gestion))
    assert notice.deadline == datetime(2026, 4, 2, 16, 0, tzinfo=PARIS)


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"nature": "APPEL_OFFRE"}, NoticeKind.CALL),
        ({"nature": "RECTIFICATIF"}, NoticeKind.CORRIGENDUM),
        ({"nature": "ATTRIBUTION"}, NoticeKind.AWARD),
        ({"nature": "ANNULATION"}, NoticeKind.CANCELLATION),
        ({"nature_categorise_libelle": "Résultat de marché"}, NoticeKind.AWARD),
        ({"nature_libelle": "Rectificatif"}, NoticeKind.CORRIGENDUM),
    ],
)
def test_notice_kinds(fields: dict[str, str], kind: NoticeKind) -> None:
    assert record_to_notice(record(**fields)).kind == kind


def test_contract_folder_id_is_lower_cased_for_grouping_with_ted() -> None:
    notice = record_to_notice(record(contractfolderid="71AC6E62-1258-4BE1-A5D6-E35E5BF97251"))
    assert notice.folder_id == "71ac6e62-1258-4be1-a5d6-e35e5bf97251"


# --------------------------------------------------------------------------------- paging


def page_url(offset: int) -> str:
    return f"{RECORDS_URL}?limit=100&offset={offset}&order_by=dateparution+desc&where={WHERE}"


def answer(total: int, count: int = 2) -> str:
    results = [record(idweb=f"26-{i}") for i in range(count)]
    return json.dumps({"total_count": total, "results": results})


def test_next_page_by_offset_until_the_total() -> None:
    (after,) = Boamp().parse(answer(250), page_url(100)).next_requests
    assert after.url == RECORDS_URL and after.params is not None
    assert after.params["offset"] == 200 and after.params["where"] == WHERE
    assert Boamp().parse(answer(250), page_url(200)).next_requests == []


def test_more_than_ten_thousand_records_switch_to_the_exports_endpoint() -> None:
    (export,) = Boamp().parse(answer(25_000), page_url(0)).next_requests
    assert export.url == EXPORT_URL and export.params is not None
    assert export.params["where"] == WHERE and "limit" not in export.params
    assert Boamp().parse(answer(25_000), page_url(100)).next_requests == []
    exported = json.dumps([record(idweb="26-1"), record(idweb="26-2"), {"no": "idweb"}])
    result = Boamp().parse(exported, f"{EXPORT_URL}?where={WHERE}")
    assert [n.ref for n in result.notices] == ["26-1", "26-2"] and result.next_requests == []
    (skipped,) = result.skipped
    assert skipped.ref == "record 3" and skipped.unreadable and "idweb" in skipped.reason


def test_answer_without_results_raises_parse_error() -> None:
    with pytest.raises(ParseError, match="no 'results'"):
        Boamp().parse('{"nhits": 3, "records": []}', page_url(0))
