"""Hostile input, one row per class, through the real pipeline and the real renderers.

A hostile site publishes one call whose every field carries markup, attribute-breaking text,
Jinja syntax, XML-invalid control characters and ``&<>``, with ``javascript:``, ``file:`` and
off-host links. It is fetched from a loopback server, parsed, stored, grouped, judged and
alerted by ``poll``; the alert email is sent to a collecting transport, the weekly digest and a
response draft (DOCX, checklist, zip) are written. Each row says what the user sees.

Other HTML views (the web console's pages) join the table through ``HTML_VIEWS``: a function
from the ``World`` to the HTML a user opens; every row about HTML then covers them too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from docx import Document
from lxml import html as lxml_html

from responses.demo import declare_demo_vault
from responses.draft import DraftResult
from scrapers.boamp_xml import parse_boamp_xml
from scrapers.rss import Rss, RssOptions
from tests.conftest import PAGE_DAY, write_config
from tests.notify_data import Collect, parts
from watcher.call_draft import write_call_draft
from watcher.calls import resolve, verdict_now
from watcher.config import load_config
from watcher.devserver import DevServer
from watcher.errors import ParseError
from watcher.judging import Judge
from watcher.models import PARIS, Notice
from watcher.notify.digest import write_html
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.pipeline import poll
from watcher.starter import write_starter
from watcher.store import Store

SCRIPT = "<script>alert('xss')</script>"
ATTRIBUTE = '" onmouseover="alert(1)" data-x="'
JINJA = "{{ 7*7 }} {% for x in [1, 2] %}boucle{% endfor %} {{ config }}"
CONTROL = "ctl\x00\x01\x08\x0b\x0c\x1f fin"
MARKUP = "Tom & Jerry <b>gras</b> > 5 < 7"
HOSTILE = f"{SCRIPT} {ATTRIBUTE} {JINJA} {CONTROL} {MARKUP}"
#: what the renderers must show literally (the control characters aside: see the docx row)
LITERAL = f"{SCRIPT} {ATTRIBUTE} {JINJA}"
TITLE = f"Formation management des managers {HOSTILE}"
BOAMP_PATH = "/boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records"
OFF_HOST = "https://evil.example/dce.zip"


def hostile_record(day: date) -> dict[str, object]:
    deadline = datetime.combine(day + timedelta(days=30), time(12, 0)).isoformat()
    donnees = {
        "FNSimple": {
            "initial": {
                "communication": {
                    "urlDocConsul": "javascript:alert(3)",
                    "urlProfilAcheteur": "file:///etc/passwd",
                    "urlDocument": OFF_HOST,
                    "identifiantInterne": f"REF-{ATTRIBUTE}",
                },
                "natureMarche": {"description": f"Objet complet {HOSTILE} " * 3},
                "lots": {"lot": [{"description": f"Lot 1 : Bretagne {HOSTILE}"}]},
            }
        }
    }
    return {
        "idweb": "26-666",
        "objet": TITLE,
        "nomacheteur": f"OPCO ATLAS {SCRIPT}{ATTRIBUTE}",
        "dateparution": (day - timedelta(days=1)).isoformat(),
        "datelimitereponse": f"{deadline}+00:00",
        "code_departement": ["35"],
        "procedure_libelle": f"Procédure adaptée {SCRIPT}",
        "descripteur_libelle": [f"Formation {ATTRIBUTE}"],
        "url_avis": "javascript:alert(4)",
        "gestion": json.dumps({"INDEXATION": {"RESUME_OBJET": f"Résumé {HOSTILE}"}}),
        "donnees": json.dumps(donnees),
    }


@dataclass
class World:
    """Everything a user gets from the hostile call."""

    folder: Path
    notice: Notice
    email_text: str
    email_html: str
    digest_html: str
    draft: DraftResult
    files: dict[str, Path] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    folder = tmp_path_factory.mktemp("hostile")
    config_file = folder / "opco-watch.toml"
    now = datetime.now(PARIS)  # the poll stores at the real time: the digest's week is today's
    day = now.date()
    write_starter(config_file, force=True)  # the organisation, profile and mail of `init`
    declare_demo_vault(config_file, day)  # and the demo's documents: the draft copies them
    config = load_config(config_file)
    with DevServer() as server:
        page = {"total_count": 1, "results": [hostile_record(day)]}
        server.add(BOAMP_PATH, json.dumps(page), content_type="application/json")
        (report,) = poll(config, names=["boamp"], mirror=server.base_url, today=day)
    assert report.ok and report.new == 1, report
    settings = settings_of(config)
    with Store.open(config.database) as store:
        (row,) = store.list_notices()
        transport = Collect()
        drain(store, settings, transport, clock=lambda: now)
        digest = folder / "digest.html"
        write_html(store, settings, Week.of(day), now, digest)
        # drafted as `opco-watch draft N` and the console draft it: the stored call, its verdict
        tender = resolve(store, row.notice.key).tender
        assert tender is not None
        verdict = verdict_now(Judge.from_config(config, store), tender, day)
        draft = write_call_draft(config, store, tender, now=now, match=verdict, actor="test")
    (message, *_) = transport.sent
    text, html = parts(message)
    files = {path.name: path for path in draft.files}
    return World(folder, row.notice, text, html, digest.read_text("utf-8"), draft, files)


#: every HTML page a user opens with the hostile call on it; the web console adds its own
HTML_VIEWS: dict[str, Callable[[World], str]] = {
    "alert email": lambda w: w.email_html,
    "weekly digest": lambda w: w.digest_html,
    "checklist": lambda w: w.files["checklist.html"].read_text("utf-8"),
}


def _script_elements(page: str) -> list[str]:
    tree = lxml_html.fromstring(page)
    return [lxml_html.tostring(e, encoding="unicode") for e in tree.iter("script")]


def _handlers(page: str) -> list[str]:
    tree = lxml_html.fromstring(page)
    return [f"{e.tag}@{a}" for e in tree.iter() for a in e.attrib if a.lower().startswith("on")]


def _text_of(page: str) -> str:
    return " ".join(lxml_html.fromstring(page).text_content().split())


# -- the table ------------------------------------------------------------------------------


@pytest.mark.parametrize("view", sorted(HTML_VIEWS))
def test_markup_in_any_field_is_shown_as_text_never_run(world: World, view: str) -> None:
    """Row "<script> and attribute-breaking text": the user reads the text as written, in
    every field of every HTML page; no script element, no event handler comes from it."""
    page = HTML_VIEWS[view](world)
    assert not [s for s in _script_elements(page) if "xss" in s], view
    assert not _handlers(page), view
    shown = _text_of(page)
    assert "Formation management des managers <script>alert('xss')</script>" in shown, view
    assert 'onmouseover="alert(1)"' in shown, view  # as text, the attribute never broke out


def test_every_field_shown_in_the_email_is_escaped(world: World) -> None:
    shown = _text_of(world.email_html)
    for field_value in (world.notice.title, world.notice.buyer):
        assert " ".join(field_value.split()[:6]) in shown
    assert f"OPCO ATLAS {SCRIPT}" in shown and "<script>" not in world.email_html


@pytest.mark.parametrize("where", ["email text", "email html", "digest", "checklist", "docx"])
def test_jinja_in_a_title_is_kept_literally(world: World, where: str) -> None:
    """Row "Jinja syntax in titles": the literal text everywhere, neither evaluated (49, the
    config) nor dropped."""
    texts = {
        "email text": world.email_text,
        "email html": _text_of(world.email_html),
        "digest": _text_of(world.digest_html),
        "checklist": _text_of(world.files["checklist.html"].read_text("utf-8")),
        "docx": _docx_text(world.files["memoire-technique.docx"]),
    }
    shown = texts[where]
    assert JINJA in shown
    evaluated = ("managers 49", "boucleboucle", "Config(", "<watcher.")
    assert not [e for e in evaluated if e in shown.replace(f"{SCRIPT} {ATTRIBUTE} ", "")]


def _docx_text(path: Path) -> str:
    document = Document(str(path))
    paragraphs = [p.text for p in document.paragraphs]
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return " ".join(" ".join(paragraphs + cells).split())


def test_docx_with_control_characters_and_markup_opens_in_python_docx(world: World) -> None:
    """Row "XML-invalid control characters and &<>": every .docx re-opens; the title is there
    with its ``&<>`` as written and the characters XML cannot hold left out."""
    docx = [p for name, p in world.files.items() if name.endswith(".docx")]
    assert docx
    for path in docx:
        Document(str(path))  # opens
    text = _docx_text(world.files["memoire-technique.docx"])
    assert f"ctl fin {MARKUP}" in text
    assert not any(chr(c) in text for c in (0, 1, 8, 11, 12, 31))


@pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice (Debian package libreoffice-writer-nogui) is not installed here",
)
def test_docx_with_control_characters_and_markup_opens_in_libreoffice(
    world: World, tmp_path: Path
) -> None:
    soffice = shutil.which("soffice")
    assert soffice is not None, "CI must install libreoffice-writer-nogui"
    docx = sorted(p for name, p in world.files.items() if name.endswith(".docx"))
    profile = f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}"
    command = [soffice, profile, "--headless", "--convert-to", "txt:Text", "--outdir"]
    result = subprocess.run(
        [*command, str(tmp_path), *map(str, docx)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    for source in docx:
        converted = tmp_path / f"{source.stem}.txt"
        assert converted.exists(), f"LibreOffice could not open {source.name}: {result.stderr}"
    memoire = (tmp_path / "memoire-technique.txt").read_text("utf-8", "replace")
    assert f"Formation management des managers {LITERAL}" in " ".join(memoire.split())


def test_hostile_links_are_refused(world: World) -> None:
    """Row "off-host, file: and javascript: document links": javascript: and file: links are
    not stored, never reach an href; the off-host document is a stored link, never fetched;
    the notice's own page is boamp.fr's, not the javascript: url_avis."""
    notice = world.notice
    links = [notice.url, notice.platform_url, *notice.documents]
    assert not [u for u in links if u.startswith(("javascript:", "file:"))]
    assert notice.url == "https://www.boamp.fr/pages/avis/?q=idweb:26-666"
    assert OFF_HOST in notice.documents
    for view, render in HTML_VIEWS.items():
        hrefs = [a.get("href") or "" for a in lxml_html.fromstring(render(world)).iter("a")]
        assert not [h for h in hrefs if h.lower().startswith(("javascript:", "file:"))], view


def test_off_host_document_is_never_fetched(server: DevServer) -> None:
    """The fetch layer follows only a source's declared hosts: the off-host DCE link of the
    hostile call cannot be fetched as a BOAMP page (the user sees it as a link only)."""
    import asyncio

    from watcher.errors import FetchError
    from watcher.fetch import Fetcher, FetchSettings, Request

    async def fetch() -> None:
        async with Fetcher(FetchSettings(mirror=server.base_url, retries=0)) as fetcher:
            await fetcher.fetch(Request(OFF_HOST), source="boamp", allowed_hosts=("www.boamp.fr",))

    with pytest.raises(FetchError, match="not a declared host"):
        asyncio.run(fetch())
    assert not server.requests


def test_zip_names_never_climb_out(world: World) -> None:
    """Row "../ and absolute names in the zip": every name in dossier.zip is a relative safe
    slug, whatever the titles (hostile ones included)."""
    with zipfile.ZipFile(world.files["dossier.zip"]) as archive:
        names = archive.namelist()
    assert names and not [n for n in names if n.startswith("/") or ".." in n or "\\" in n]


@pytest.mark.parametrize("name", ["../../secret.pdf", "/etc/passwd"])
def test_vault_document_outside_its_folder_is_refused(tmp_path: Path, name: str) -> None:
    """Row "../ and absolute names in the vault": ``opco-watch config check`` names the key of
    a document declared outside the documents folder; the vault never reads it and a draft's
    zip never holds it (the user sees it reported missing)."""
    from responses.bundle import plan_attachments
    from responses.settings import DocumentsConfig
    from responses.vault import Vault
    from watcher.config_check import check_config

    (tmp_path / "secret.pdf").write_bytes(b"%PDF-1.4 secret")
    (tmp_path / "docs").mkdir()
    extra = f'[documents]\nfolder = "docs"\n[[documents.items]]\nkind = "kbis"\nfile = "{name}"\n'
    errors = [str(e) for e in check_config(write_config(tmp_path, extra)).errors]
    assert any(e.startswith(f"documents.items.0.file: '{name}' is outside") for e in errors)
    section = DocumentsConfig.model_validate(
        {"folder": "docs", "items": [{"kind": "kbis", "file": name}]}
    )
    vault = Vault.load(section, tmp_path)
    assert plan_attachments(vault, [], PAGE_DAY, None) == []


def test_pdf_bomb_is_a_declared_error_or_a_bounded_skip(tmp_path: Path, server: DevServer) -> None:
    """Row "a PDF bomb for the PDF source": a call PDF that inflates to hundreds of MB does not
    stop the poll; the call is kept from its listing, its PDF left unread (a declared error,
    or a skip within the PDF reader's bounds). The user sees the call, with the listing's
    details only."""
    import zlib

    from tests.test_sources_opco import build_pdf

    listing = (
        '<html><body><main><p><a href="/wp-content/uploads/2026/02/bombe.pdf">APPEL A '
        "PROPOSITIONS 2026 — POEC — Délégation Grand Est</a> Consultation du : 02/03/2026"
        "</p></main></body></html>"
    )
    page = build_pdf([["x"]])
    bomb = zlib.compress(b"0" * 300_000_000, 9)  # ~300 kB that inflate to 300 MB
    body = page.replace(b"/Length", b"/Filter /FlateDecode /Length", 1)
    stream_start = body.index(b"stream\n") + len(b"stream\n")
    stream_end = body.index(b"\nendstream")
    body = body[:stream_start] + bomb + body[stream_end:]
    root = "/www.lopcommerce.com"
    server.add(f"{root}/robots.txt", "", status=404)
    server.add(
        f"{root}/prestataire-de-formation/marches-publics/consulter-nos-appels-doffres/", listing
    )
    server.add(f"{root}/wp-content/uploads/2026/02/bombe.pdf", body, content_type="application/pdf")
    config = load_config(write_config(tmp_path))
    (report,) = poll(config, names=["opcommerce"], mirror=server.base_url, today=PAGE_DAY)
    assert report.ok and report.new == 1
    with Store.open(config.database) as store:
        (row,) = store.list_notices()
    assert row.notice.title.startswith("APPEL A PROPOSITIONS 2026")


EVIL_DTD = """<?xml version="1.0"?>
<!DOCTYPE {root} [
  <!ENTITY xxe SYSTEM "file://{secret}">
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
"""


FEEDS = {
    "rss": (
        "<rss><channel><item><title>Appel d'offres &xxe;{laughs}</title>"
        "<link>https://www.opco2i.fr/ao/1</link><description>Date limite : 20/03/2026"
        "</description></item></channel></rss>"
    ),
    "feed": (
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>Appel d\'offres &xxe;{laughs}'
        '</title><link href="https://www.opco2i.fr/ao/1"/><id>urn:ao:1</id>'
        "<summary>Date limite : 20/03/2026</summary></entry></feed>"
    ),
}


@pytest.mark.parametrize("root", sorted(FEEDS), ids=["atom", "rss"])
def test_xxe_and_billion_laughs_in_a_feed_expand_nothing(
    tmp_path: Path, server: DevServer, root: str
) -> None:
    """Row "XXE and billion laughs in RSS/Atom": through the pipeline. A feed whose entities
    would inflate it (billion laughs) is refused whole, a declared parse error the admin sees
    in ``sources`` — no memory blow-up; a feed with an external entity (XXE) is read with the
    reference left out — the secret file's content never stored. The user sees the calls of
    the second, nothing of the first."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", "utf-8")
    item = FEEDS[root]
    server.add("/www.opco2i.fr/robots.txt", "", status=404)
    extra = '[sources.flux]\nkind = "rss"\nurl = "https://www.opco2i.fr/feed/"\n'
    config = load_config(write_config(tmp_path, extra))
    bomb = EVIL_DTD.format(root=root, secret=secret) + item.format(laughs=" &e;")
    server.add("/www.opco2i.fr/feed/", bomb, content_type="application/rss+xml")
    (refused,) = poll(config, names=["flux"], mirror=server.base_url, today=PAGE_DAY)
    assert not refused.ok and refused.error_kind == "parse" and "XML" in refused.error
    xxe = EVIL_DTD.format(root=root, secret=secret).split("<!ENTITY a")[0] + "]>\n"
    server.add("/www.opco2i.fr/feed/", xxe + item.format(laughs=""), content_type="text/xml")
    (report,) = poll(config, names=["flux"], mirror=server.base_url, today=PAGE_DAY)
    assert report.ok and report.new == 1
    with Store.open(config.database) as store:
        (row,) = store.list_notices()
    assert "TOP-SECRET" not in json.dumps(row.notice.to_json())
    assert row.notice.title.startswith("Appel d'offres")


def test_xxe_and_billion_laughs_in_boamp_xml_expand_nothing(tmp_path: Path) -> None:
    """Row "XXE and billion laughs in BOAMP XML": the billion laughs a declared ParseError,
    the external entity left out."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", "utf-8")
    body = (
        "<ANNONCE><GESTION><REFERENCE><IDWEB>16-1</IDWEB></REFERENCE></GESTION><DONNEES><OBJET>"
        "<TITRE_MARCHE>Formation &xxe;{laughs}</TITRE_MARCHE></OBJET></DONNEES></ANNONCE>"
    )
    dtd = EVIL_DTD.format(root="ANNONCE", secret=secret)
    with pytest.raises(ParseError, match="XML"):
        parse_boamp_xml(dtd + body.format(laughs=" &e;"))
    notice = parse_boamp_xml(dtd.split("<!ENTITY a")[0] + "]>\n" + body.format(laughs=""))
    assert "TOP-SECRET" not in json.dumps(notice.to_json())
    assert notice.title.startswith("Formation")


def test_rss_xxe_parser_settings() -> None:
    """The feed reader's parser resolves no entity, loads no DTD, goes to no network."""
    source = Rss(RssOptions(url="https://www.opco2i.fr/feed/"), name="f")
    with pytest.raises(ParseError):
        source.parse(
            "<rss><channel><item>" + "<x>" * 300 + "</channel></rss>", "https://www.opco2i.fr/feed/"
        )
