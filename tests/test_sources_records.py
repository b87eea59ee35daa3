"""A bad record never costs the good ones.

API parsers (BOAMP, TED, WordPress, RSS) and HTML rows are read one by one: a record of the
wrong shape is left out with its reason (``ParseResult.skipped``, logged with the source and
the reference, counted in ``opco-watch sources``) and the rest of the page is stored. A wrong
envelope is a declared ``ParseError``, never a Python exception.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scrapers.boamp import RECORDS_URL, Boamp
from scrapers.rss import Rss, RssOptions
from scrapers.ted import SEARCH_URL, Ted
from scrapers.wordpress import WordPress, WordPressOptions
from tests.conftest import PAGE_DAY, write_config
from tests.test_parsers import DEMO
from watcher.cli import main as cli
from watcher.config import load_config
from watcher.demo import fill_dates
from watcher.devserver import DevServer
from watcher.errors import ParseError
from watcher.pipeline import poll
from watcher.store import Store

BOAMP_PATH = "/boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records"
PAGE_URL = f"{RECORDS_URL}?limit=100&offset=0&where=x"

#: records of the wrong shape, each with the words of the reason it is left out for
BAD_RECORDS: list[tuple[Any, str]] = [
    ("not a record", "record"),
    ({"objet": "Formation sans idweb"}, "idweb: Field required"),
    ({"idweb": "26-9001", "objet": {"fr": "Formation"}}, "objet"),
    ({"idweb": "26-9002", "objet": "Formation", "code_departement": {"a": 1}}, "code_departement"),
    ({"idweb": "", "objet": "x"}, "idweb"),
    ({"idweb": "26-9003", "objet": "   ", "nomacheteur": "AKTO", "url_avis": "javascript:x"}, ""),
]


def boamp_page_with_bad_records() -> tuple[dict[str, Any], int]:
    page = json.loads(fill_dates((DEMO / "boamp/records.json").read_text("utf-8"), PAGE_DAY))
    good = len(page["results"])
    results = list(page["results"])
    for index, (bad, _) in enumerate(BAD_RECORDS):
        results.insert(1 + 2 * index, bad)
    return {"total_count": len(results), "results": results}, good


def test_boamp_page_with_malformed_records_keeps_every_good_one() -> None:
    page, good = boamp_page_with_bad_records()
    result = Boamp().parse(json.dumps(page), PAGE_URL)
    # the last "bad" one has a blank title and a hostile url_avis: it is read, its title made
    # up from its idweb and its page from boamp.fr's pattern (never the javascript: link)
    assert len(result.notices) == good + 1
    blank = next(n for n in result.notices if n.ref == "26-9003")
    assert blank.title == "Avis BOAMP 26-9003" and blank.url.startswith("https://www.boamp.fr/")
    reasons = [s.reason for s in result.skipped]
    assert len(result.unreadable) == len(BAD_RECORDS) - 1
    for (_, words), reason in zip(BAD_RECORDS[:-1], reasons, strict=True):
        assert words in reason and reason.startswith(("wrong shape", "unreadable"))
    assert [s.ref for s in result.skipped][:2] == ["record 2", "record 4"]
    assert "internal error" not in " ".join(reasons)


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ('{"total_count": "beaucoup", "results": []}', "total_count"),
        ('{"total_count": 3, "results": {"0": {}}}', "results"),
        ('{"total_count": 3, "results": "26-1"}', "results"),
        ('{"total_count": -1, "results": []}', "total_count"),
        ('{"nhits": 3, "records": []}', "no 'results'"),
        ("[" * 100_000, "did not return JSON"),
    ],
)
def test_boamp_wrong_envelope_is_a_parse_error(answer: str, words: str) -> None:
    with pytest.raises(ParseError, match=words):
        Boamp().parse(answer, PAGE_URL)


def test_ted_bad_notice_is_left_out_with_its_reason() -> None:
    good = {"publication-number": "1-2026", "notice-title": {"fra": "Formation"}}
    bad = {"publication-number": "2-2026", "title-lot": {"fra": [{"x": 1}]}}
    result = Ted().parse(json.dumps({"notices": [good, bad, 7], "totalNoticeCount": 3}), SEARCH_URL)
    assert [n.ref for n in result.notices] == ["1-2026"]
    assert [s.ref for s in result.unreadable] == ["2-2026", "notice 3"]
    with pytest.raises(ParseError, match="totalNoticeCount"):
        Ted().parse('{"notices": [], "totalNoticeCount": "many"}', SEARCH_URL)


def test_wordpress_bad_post_is_left_out_with_its_reason() -> None:
    source = WordPress(WordPressOptions(endpoint="https://www.example.fr/wp-json/wp/v2/posts"))
    posts = [
        {"id": 1, "link": "https://www.example.fr/a/", "title": {"rendered": "Appel"}},
        {"id": 2, "link": "javascript:alert(1)", "title": {"rendered": "Appel"}},
        {"id": 3, "link": "https://www.example.fr/c/", "title": ["Appel"]},
    ]
    result = source.parse(json.dumps(posts), "https://www.example.fr/wp-json/wp/v2/posts")
    assert [n.ref for n in result.notices] == ["1"]
    assert [(s.ref, s.unreadable) for s in result.skipped] == [("post 2", True), ("post 3", True)]


def test_rss_bad_item_is_left_out_with_its_reason() -> None:
    feed = (
        "<rss><channel><item><title>Appel A</title><link>https://www.example.fr/a</link></item>"
        "<item><title>Appel B</title><link>javascript:alert(1)</link><guid>b</guid></item>"
        "<item><guid>c</guid></item></channel></rss>"
    )
    source = Rss(RssOptions(url="https://www.example.fr/rss.xml"), name="flux")
    result = source.parse(feed, "https://www.example.fr/rss.xml")
    assert [n.title for n in result.notices] == ["Appel A"]
    assert [s.ref for s in result.unreadable] == ["b", "c"]


def test_a_reader_bug_on_one_record_costs_only_that_record(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Even an unexpected failure of the reader (a bug) is one record left out, marked
    "internal error" and logged with its traceback; the fuzz tests hunt such failures."""
    import scrapers.boamp as boamp

    real = boamp.donnees_details

    def fails_on_one(donnees: Any) -> Any:
        if "FNSimple" in donnees:
            raise AttributeError("'str' object has no attribute 'get'")
        return real(donnees)

    monkeypatch.setattr(boamp, "donnees_details", fails_on_one)
    page = fill_dates((DEMO / "boamp/records.json").read_text("utf-8"), PAGE_DAY)
    with caplog.at_level(logging.ERROR, logger="scrapers.base"):
        result = Boamp().parse(page, PAGE_URL)
    assert len(result.notices) == 5
    (skip,) = result.skipped
    assert skip.ref == "26-91551" and skip.reason.startswith("internal error: AttributeError")
    assert "Traceback" in caplog.text and "[boamp] 26-91551" in caplog.text


def test_malformed_records_are_logged_counted_and_shown_in_sources(
    tmp_path: Path, demo_server: DevServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Through the pipeline: every good record stored, each bad one logged with the source
    and its reference, their number in the source's health and in ``opco-watch sources``."""
    page, good = boamp_page_with_bad_records()
    demo_server.add(BOAMP_PATH, json.dumps(page), content_type="application/json")
    config_file = write_config(tmp_path, "[sources.boamp]\nkeywords = []\n")
    config = load_config(config_file)
    with caplog.at_level(logging.WARNING, logger="watcher.pipeline"):
        (report,) = poll(config, names=["boamp"], mirror=demo_server.base_url, today=PAGE_DAY)
    assert report.ok and report.new == good + 1 and report.skipped == len(BAD_RECORDS) - 1
    assert "[boamp] record 4 left out: wrong shape: idweb: Field required" in caplog.text
    with Store.open(config.database) as store:
        assert store.count_notices() == good + 1
        state = store.source_state("boamp")
    assert state is not None and state.skipped_last == len(BAD_RECORDS) - 1
    shown = CliRunner().invoke(cli, ["--config", str(config_file), "sources", "--json"])
    assert shown.exit_code == 0, shown.output
    boamp = next(row for row in json.loads(shown.output) if row["source"] == "boamp")
    assert boamp["skipped_last"] == len(BAD_RECORDS) - 1
    table = CliRunner().invoke(cli, ["--config", str(config_file), "sources"])
    assert f"{len(BAD_RECORDS) - 1}\u00a0avis illisibles ignorés" in table.output
