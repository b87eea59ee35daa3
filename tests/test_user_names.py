"""What users read names sources and places as they know them: « OPCO EP », not « opco-ep »;
« Bretagne », not « FRH » (a NUTS code from TED). Data outputs keep the ids and the codes."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

import pytest

from responses.context import build_context, select
from responses.demo import write_demo_files
from responses.matching import select_lots
from responses.sample import sample_inputs, sample_notice
from responses.settings import load_example
from responses.vault import Vault
from tests.conftest import write_config
from tests.notify_data import VEILLE, notice, parts, poll, settings
from tests.smtp_server import smtp_server
from tests.test_cli import cli
from tests.test_responses_draft import docx_text, draft, files
from watcher.config import load_config
from watcher.models import PARIS, Lot
from watcher.notify.digest import enqueue_digest
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.store import Store

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)
#: a source's id where its name belongs: a line « opco-ep : OK », a cell <td>opco-ep</td>
ID_SHOWN = re.compile(r"(?m)^\s*(boamp|opco-ep|afdas|ted)\u00a0:|>(boamp|opco-ep|afdas|ted)<")
NUTS = re.compile(r"\bFR[A-Z0-9]{1,3}\b")


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    """The shipped example documents, every file present."""
    documents, _ = load_example()
    write_demo_files(documents, tmp_path / "config" / documents.folder)
    return Vault.load(documents, tmp_path / "config")


def test_the_digests_source_health_names_each_source_as_users_know_it(
    tmp_path: Path, store: Store
) -> None:
    """Received over SMTP: « OPCO EP : OK », « AFDAS : en échec », in the registry's order
    (BOAMP, AFDAS, OPCO EP, TED), in the text part and the HTML part alike."""
    with smtp_server() as server:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none"}
        config = settings(tmp_path, timeout_seconds=30, **mail)
        poll(store, [notice("A1")], config, at=NOW - timedelta(days=3))
        for source in ("ted", "opco-ep", "boamp"):
            store.record_success(source, at=NOW - timedelta(hours=1), items=4, new=0, changed=0)
        store.record_failure(
            "afdas", at=NOW, error_kind="layout", error="layout changed: div.card found 0"
        )
        enqueue_digest(store, config, Week(2026, 10), NOW, to=VEILLE)
        assert drain(store, config, clock=lambda: NOW).ok
        received = [r.message for r in server.handler.received]
    (message,) = [m for m in received if m["X-Opco-Watch-Kind"] == "digest"]
    text, page = parts(message)
    health = text[text.index("ÉTAT DES SOURCES") :]
    names = [line.strip().split("\u00a0:")[0] for line in health.splitlines()[1:5]]
    assert names == ["BOAMP", "AFDAS", "OPCO EP", "TED"], health
    assert "AFDAS\u00a0: en échec (1 de suite)" in health
    html = unescape(page)
    table = html[html.index("État des sources") :]
    cells = re.findall(r'<tr><td style="[^"]*">([^<]+)</td>', table)
    assert cells[:4] == ["BOAMP", "AFDAS", "OPCO EP", "TED"], table
    assert not ID_SHOWN.search(health) and not ID_SHOWN.search(table)


def test_a_drafts_lots_say_regions_not_nuts_codes(tmp_path: Path, vault: Vault) -> None:
    """A TED call placed by NUTS codes: the mémoire's table of lots, re-opened, says
    « Bretagne » and « Auvergne-Rhône-Alpes », never « FRH03 » or « FRK »; the draft's
    context names its source « TED »."""
    lots = (
        Lot("Sessions à Rennes", "1", places=("FRH03", "FRH")),
        Lot("Sessions à Lyon", "2", places=("FRK",)),
    )
    ted = replace(sample_notice(), source="ted", lots=lots, places=("FRH", "FRK"))
    memoire = docx_text(files(draft(tmp_path, ted, vault))["memoire-technique.docx"])
    assert "Bretagne" in memoire and "Auvergne-Rhône-Alpes" in memoire
    assert not NUTS.search(memoire), NUTS.search(memoire)
    inputs = replace(sample_inputs(ted), lots=select_lots(ted, None))
    context = build_context(inputs, select(inputs))
    assert context["call"]["source"] == "TED"
    assert context["call"]["places"] == "Bretagne, Auvergne-Rhône-Alpes"
    assert [lot["places"] for lot in context["lots"]] == ["Bretagne", "Auvergne-Rhône-Alpes"]


def test_show_says_the_region_and_its_json_keeps_the_codes(tmp_path: Path) -> None:
    """`show` is read by people (« Lieux : Bretagne, Auvergne-Rhône-Alpes »); `show --json`
    feeds scripts: the source's id and the stored NUTS codes are kept there."""
    config = load_config(write_config(tmp_path))
    ted = notice(
        "162418-2026", source="ted", places=("FRH03", "FRK"), lots=(), buyer="Ville de Lyon"
    )
    with Store.open(config.database) as store:
        poll(store, [ted], settings_of(config), at=NOW)
    shown = cli(tmp_path, "show", "ted:162418-2026")
    assert shown.returncode == 0, shown.stderr
    assert "Bretagne, Auvergne-Rhône-Alpes" in shown.stdout
    assert not NUTS.search(shown.stdout), shown.stdout
    data = json.loads(cli(tmp_path, "show", "ted:162418-2026", "--json").stdout)
    assert data["sources"] == ["ted"]
    assert data["notices"][0]["places"] == ["FRH03", "FRK"]
