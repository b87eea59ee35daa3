"""The OPCO site sources (AFDAS, Atlas, OCAPIAT, OPCO Mobilités, OPCO Santé, Uniformation,
L'Opcommerce) on their saved pages: golden output, invariants, loud layout changes, PDF calls.

Every page is a reconstruction (watcher/demo_data/PROVENANCE.md), read as of ``PAGE_DAY``.
Regenerate the golden files after a deliberate change with
``UPDATE_GOLDEN=1 python -m pytest tests/test_sources_opco.py`` and review the diff.
"""

from __future__ import annotations

import json
import zlib
from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader, PdfWriter

from scrapers.base import Source
from scrapers.opco_common import find_deadline, kind_from_wording
from scrapers.opcommerce import Opcommerce
from scrapers.pdf import PdfUnreadable, pdf_text
from scrapers.registry import SOURCES
from tests.conftest import PAGE_DAY
from tests.test_parsers import DEMO, Page, check_golden
from watcher.errors import LayoutChanged, ParseError
from watcher.models import PARIS, Notice, NoticeKind

OPCO_SOURCES = {
    "afdas",
    "atlas",
    "ocapiat",
    "opco-mobilites",
    "opco-sante",
    "uniformation",
    "opcommerce",
}
BASES = {
    "afdas": "https://www.afdas.com/lafdas/",
    "atlas": "https://www.opco-atlas.fr/",
    "ocapiat": "https://www.ocapiat.fr/",
    "opco-mobilites": "https://www.opcomobilites.fr/",
    "opco-sante": "https://www.opco-sante.fr/",
    "uniformation": "https://www.uniformation.fr/",
    "opcommerce": "https://www.lopcommerce.com/",
}
PDF_COMMENT = "Reconstruction by the opco-watch team, not a capture: see demo_data/PROVENANCE.md"


def page(source: str, file: str, path: str) -> Page:
    """A saved page of ``source`` (``demo_data/<source>/<file>``) and its URL on the site."""
    return Page(source, f"{source}/{file}", BASES[source] + path)


LISTINGS = [
    page("afdas", "listing.html", "nos-appels-doffres.html"),
    page("atlas", "appels-offres.html", "appels-offres.html"),
    page("ocapiat", "listing.html", "procedures-de-marches-publics-ami/"),
    page("opco-mobilites", "a-propos.html", "a-propos/"),
    page("opco-sante", "habilitation.html", "prestataire/demarche-d-habilitation/"),
    page("uniformation", "listing.html", "partenaire-prestataire/appels-doffre"),
    page("uniformation", "rss.xml", "rss.xml"),
    page(
        "opcommerce",
        "listing.html",
        "prestataire-de-formation/marches-publics/consulter-nos-appels-doffres/",
    ),
]
AFDAS_AO = "nos-appels-doffres/"
ATLAS_AO = "appels-d-offres/"
OCAPIAT_CALLS = "project/"
SANTE_CALLS = "appels-offres/"
UPLOADS = "wp-content/uploads/2026/02/"
DETAILS = [
    page("afdas", "aap-edec.html", AFDAS_AO + "aap-edec-spectacle-vivant-techniciens.html"),
    page("afdas", "accord-cadre-securite.html", AFDAS_AO + "accord-cadre-securite-tournages.html"),
    page(
        "afdas",
        "rectificatif-securite.html",
        AFDAS_AO + "rectificatif-accord-cadre-securite-tournages.html",
    ),
    page("afdas", "attribution-traiteur.html", AFDAS_AO + "attribution-traiteur-rencontres.html"),
    page("atlas", "cybersecurite.html", ATLAS_AO + "formations-cybersecurite-rgpd-tpe-pme/"),
    page("atlas", "investissement-cfa.html", ATLAS_AO + "6e-appel-a-projets-investissement-cfa/"),
    page("atlas", "audit-si.html", ATLAS_AO + "audit-systemes-information-tests-intrusion/"),
    page("atlas", "attribution-tosa.html", ATLAS_AO + "attribution-formations-bureautiques-tosa/"),
    page(
        "ocapiat",
        "ami-cqp-bretagne.html",
        OCAPIAT_CALLS + "ami-referencement-cqp-conducteur-machines-agricoles-bretagne/",
    ),
    page(
        "ocapiat",
        "haccp-nouvelle-aquitaine.html",
        OCAPIAT_CALLS + "marche-formation-hygiene-securite-alimentaire-nouvelle-aquitaine/",
    ),
    page("ocapiat", "nettoyage-siege.html", OCAPIAT_CALLS + "nettoyage-entretien-locaux-siege/"),
    page("opco-sante", "ami-afgsu.html", SANTE_CALLS + "ami-gestes-urgence-afgsu/"),
    page("opco-sante", "tutorat.html", SANTE_CALLS + "marche-tutorat-accueil-nouveaux-salaries/"),
    page("opco-sante", "impression-routage.html", SANTE_CALLS + "impression-routage-publications/"),
    page(
        "opcommerce",
        "aap-poec-vendeur-conseil-hdf.pdf",
        UPLOADS + "AAP-2026-POEC-vendeur-conseil-HDF.pdf",
    ),
    page(
        "opcommerce",
        "aap-afpr-poei-preparateur-ge.pdf",
        UPLOADS + "AAP-2026-AFPR-POEI-preparateur-commandes-GE.pdf",
    ),
    page(
        "opcommerce",
        "consultation-copieurs-occitanie.pdf",
        UPLOADS + "Consultation-2026-copieurs-Occitanie.pdf",
    ),
]


def parse_listing(page: Page) -> list[Notice]:
    return SOURCES[page.source]().parse(page.text(), page.url).notices


def listing_notice(page: Page) -> Notice:
    """The notice of the listing (any page of the source) whose detail page ``page`` is."""
    notices = (n for p in LISTINGS if p.source == page.source for n in parse_listing(p))
    return next(n for n in notices if n.url == page.url)


def parse_detail(page: Page) -> Notice:
    source: Source = SOURCES[page.source]()
    notice = listing_notice(page)
    if source.binary_details:
        return source.parse_detail_bytes(page.text().encode("ascii"), notice)
    return source.parse_detail(page.text(), notice)


def routes() -> dict[str, str]:
    data = json.loads((DEMO / "routes.json").read_text("utf-8"))["routes"]
    return {"https:/" + path: file for path, file in data}


# -- golden output and invariants -------------------------------------------------------------


@pytest.mark.parametrize("page", LISTINGS, ids=lambda p: p.id)
def test_listing_matches_golden(page: Page) -> None:
    check_golden(page.id, parse_listing(page))


@pytest.mark.parametrize("page", DETAILS, ids=lambda p: p.id)
def test_detail_matches_golden(page: Page) -> None:
    check_golden(page.id, [parse_detail(page)])


@pytest.mark.parametrize("page", LISTINGS + DETAILS, ids=lambda p: p.id)
def test_invariants(page: Page) -> None:
    notices = parse_listing(page) if page in LISTINGS else [parse_detail(page)]
    assert notices, "a saved page yields notices"
    assert len({n.key for n in notices}) == len(notices), "keys are unique"
    for notice in notices:
        assert notice.source == page.source and notice.buyer and not notice.via_fallback
        assert notice.title.strip() and "&amp;" not in notice.title and "&lt;" not in notice.title
        for url in (notice.url, *notice.documents, notice.platform_url or "https://x.fr"):
            assert url.startswith("https://"), url
        assert notice.deadline is None or notice.deadline.tzinfo is not None
        assert notice.deadline is None or notice.deadline_text, "a deadline keeps its wording"


def test_every_opco_source_is_registered_with_pages() -> None:
    assert {p.source for p in LISTINGS} == OPCO_SOURCES
    assert set(SOURCES) >= OPCO_SOURCES


def test_registry_keeps_the_display_order() -> None:
    order = list(SOURCES)
    opcos = ["afdas", "akto", "atlas", "ocapiat", "opco-mobilites", "opco-sante", "uniformation"]
    positions = [order.index(name) for name in [*opcos, "opcommerce"]]
    assert order[0] == "boamp" and positions == sorted(positions)


@pytest.mark.parametrize("page", LISTINGS, ids=lambda p: p.id)
def test_every_detail_page_the_demo_fetches_is_served(page: Page) -> None:
    source = SOURCES[page.source]()
    served = routes()
    for notice in parse_listing(page):
        request = source.detail_request(notice)
        assert request is None or request.url in served, f"no demo route for {request}"
        assert request is None or source.allows(request.url)


def test_every_detail_page_is_tested() -> None:
    fetched = set()
    for page in LISTINGS:
        source = SOURCES[page.source]()
        requests = (source.detail_request(n) for n in parse_listing(page))
        fetched |= {r.url for r in requests if r is not None}
    assert fetched == {p.url for p in DETAILS}


# -- layout changes ---------------------------------------------------------------------------


def test_emptied_feed_raises_layout_changed() -> None:
    page = next(p for p in LISTINGS if p.file.endswith("rss.xml"))
    soup = BeautifulSoup(page.text(), "xml")
    for item in soup.find_all("item"):
        item.decompose()
    with pytest.raises(LayoutChanged, match="item found 0"):
        SOURCES["uniformation"]().parse(str(soup), page.url)


def test_opco_sante_without_open_call_is_not_a_layout_change() -> None:
    page = next(p for p in LISTINGS if p.source == "opco-sante")
    soup = BeautifulSoup(page.text(), "lxml")
    template = soup.select_one(".wp-block-post-template")
    assert template is not None
    template.replace_with(
        BeautifulSoup(
            '<div class="wp-block-query-no-results"><p>Aucun appel en cours.</p></div>', "lxml"
        ).div
    )
    assert SOURCES["opco-sante"]().parse(str(soup), page.url).notices == []


def test_a_missing_card_title_is_a_layout_change() -> None:
    page = LISTINGS[0]
    text = page.text().replace("<h2 class=", "<div class=").replace("</a></h2>", "</a></div>")
    with pytest.raises(LayoutChanged, match="h2, h3 found 0"):
        SOURCES["afdas"]().parse(text, page.url)


# -- source-specific behaviour ----------------------------------------------------------------


def test_atlas_cards_read_their_date_range() -> None:
    """Whole card a link, "DD mois YYYY ➔ DD mois YYYY", no "date limite" label."""
    page = next(p for p in LISTINGS if p.source == "atlas")
    result = SOURCES["atlas"]().parse(page.text(), page.url)
    first, _, _, award = result.notices
    assert first.title.startswith("Formations « Cybersécurité & RGPD »")
    assert first.published == PAGE_DAY - timedelta(days=4)
    assert first.deadline == datetime.combine(
        PAGE_DAY + timedelta(days=24), time(23, 59), tzinfo=PARIS
    )
    assert "➔" in first.deadline_text and first.summary.startswith("Action collective")
    assert "commande publique" not in first.summary
    assert award.kind == NoticeKind.AWARD and award.deadline is None and award.deadline_text
    assert result.next_requests == [] and result.skipped == []


def test_atlas_card_wrapped_in_one_heading_still_gives_its_title() -> None:
    """The crawler's note: the card's heading may wrap all its text, one line each."""
    card = (
        '<main><a href="/appels-d-offres/x/"><h3>Action collective campusAtlas\n'
        "12 mars 2026 ➔ 3 avril 2026\nFormations bureautiques des salariés du conseil\n"
        "Sessions inter-entreprises.\nCet appel d'offres est soumis aux règles…</h3></a></main>"
    )
    (notice,) = SOURCES["atlas"]().parse(card, BASES["atlas"] + "appels-offres.html").notices
    assert notice.title == "Formations bureautiques des salariés du conseil"
    assert notice.deadline == datetime(2026, 4, 3, 23, 59, tzinfo=PARIS)
    assert notice.published == date(2026, 3, 12)


def test_atlas_detail_deadline_with_a_time_replaces_the_closing_day() -> None:
    notice = parse_detail(next(p for p in DETAILS if p.file == "atlas/cybersecurite.html"))
    assert notice.deadline == datetime.combine(
        PAGE_DAY + timedelta(days=24), time(16, 0), tzinfo=PARIS
    )
    assert notice.deadline_text.startswith("Date limite de réponse le ")


def test_ocapiat_skips_menu_links_and_leaves_a_yearless_deadline_unread() -> None:
    page = next(p for p in LISTINGS if p.source == "ocapiat")
    result = SOURCES["ocapiat"]().parse(page.text(), page.url)
    assert len(result.notices) == 3 and result.skipped == []  # the menus are outside main
    in_main = page.text().replace("<main>", '<main><nav><a href="/project/">Nos projets</a></nav>')
    result = SOURCES["ocapiat"]().parse(in_main, page.url)
    assert [s.reason for s in result.skipped] == ["menu link: Nos projets"]
    cleaning = parse_detail(next(p for p in DETAILS if "nettoyage" in p.file))
    assert cleaning.published is None and cleaning.deadline is None
    assert cleaning.deadline_text.startswith("DATE LIMITE DE DEPOT DES PLIS : ")


def test_opco_mobilites_never_fetches_the_platform() -> None:
    page = next(p for p in LISTINGS if p.source == "opco-mobilites")
    source = SOURCES["opco-mobilites"]()
    notices = parse_listing(page)
    assert [n.ref for n in notices] == ["OPCOM-2026-04", "OPCOM-2026-02", "OPCOM-2025-11"]
    assert all(source.detail_request(n) is None for n in notices)
    assert [n.platform_url.split("/")[2] for n in notices[:2]] == [
        "www.achatpublic.com",
        "www.marches-publics.info",
    ]
    closed = notices[2]
    assert closed.kind == NoticeKind.AWARD and closed.winner == "Prév'Action Formation"
    assert closed.deadline == datetime(2025, 11, 14, 23, 59, tzinfo=PARIS)


def test_uniformation_feed_keeps_calls_under_the_listing_key() -> None:
    listing, feed = (p for p in LISTINGS if p.source == "uniformation")
    listed = {n.key for n in parse_listing(listing)}
    result = SOURCES["uniformation"]().parse(feed.text(), feed.url)
    assert len(result.notices) == 2 and len(result.skipped) == 2  # two news items dropped
    assert result.notices[0].key in listed  # same call, same key: stored once
    assert result.notices[1].kind == NoticeKind.CORRIGENDUM


def test_opcommerce_reads_the_pdf_call() -> None:
    notice = parse_detail(next(p for p in DETAILS if "afpr" in p.file))
    assert notice.summary == "Dispositif : AFPR / POEI — Délégation Grand Est"
    assert notice.places == ("Grand Est",)
    assert notice.deadline == datetime(2026, 3, 10, 0, 0, tzinfo=PARIS)  # "à 00h00"
    assert "Préparateur de commandes & employé de drive <e-commerce>" in notice.body


def test_opcommerce_keeps_an_off_site_pdf_as_a_document_only() -> None:
    page = next(p for p in LISTINGS if p.source == "opcommerce")
    results = parse_listing(page)[-1]
    assert results.url.startswith("https://lopcommerce.blob.core.windows.net/")
    assert Opcommerce().detail_request(results) is None
    assert results.kind == NoticeKind.AWARD and results.documents == (results.url,)


def test_opcommerce_unreadable_pdf_is_a_parse_error() -> None:
    notice = listing_notice(DETAILS[-1])
    with pytest.raises(ParseError, match="PDF call unreadable: not a PDF file"):
        Opcommerce().parse_detail_bytes(b"<html>Page introuvable</html>", notice)


PDF_PAGES = [p for p in DETAILS if p.file.endswith(".pdf")]


@pytest.mark.parametrize("page", PDF_PAGES, ids=lambda p: p.id)
def test_demo_pdf_keeps_its_byte_offsets_once_dated(page: Page) -> None:
    raw = (DEMO / page.file).read_bytes()
    assert len(page.text().encode("ascii")) == len(raw), "a date token changed the length"


@pytest.mark.parametrize("page", PDF_PAGES, ids=lambda p: p.id)
def test_demo_pdf_was_written_by_build_pdf(page: Page) -> None:
    """The demo PDFs are what PROVENANCE.md says: this file's writer, on their own text."""
    raw = (DEMO / page.file).read_bytes()
    pages = [p.extract_text().splitlines() for p in PdfReader(BytesIO(raw)).pages]
    assert build_pdf(pages, comment=PDF_COMMENT) == raw


# -- the PDF reader ---------------------------------------------------------------------------


def build_pdf(pages: list[list[str]], *, compress: bool = False, comment: str = "") -> bytes:
    """A minimal valid PDF (Helvetica, WinAnsi), one text line per item, with a correct xref.
    Uncompressed, it is pure ASCII: it can be stored and served as text (the demo's PDFs were
    written with it)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",  # the page tree, once the pages are numbered
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    kids = []
    for lines in pages:
        kids.append(f"{len(objects) + 1} 0 R")
        objects.append(_page_object(len(objects) + 2))
        objects.append(_content_stream(lines, compress))
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode()
    return _with_xref(objects, comment)


def _page_object(content_id: int) -> bytes:
    resources = "/Resources << /Font << /F1 3 0 R >> >>"
    return (
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] {resources} "
        f"/Contents {content_id} 0 R >>"
    ).encode()


def _content_stream(lines: list[str], compress: bool) -> bytes:
    shown = " T* ".join(f"{_pdf_string(line)} Tj" for line in lines)
    stream = f"BT /F1 11 Tf 14 TL 56 790 Td {shown} ET".encode("ascii")
    flate = " /Filter /FlateDecode" if compress else ""
    stream = zlib.compress(stream) if compress else stream
    return f"<< /Length {len(stream)}{flate} >>\nstream\n".encode() + stream + b"\nendstream"


def _pdf_string(text: str) -> str:
    """A PDF literal string in WinAnsi (cp1252): ASCII kept, the rest as octal escapes."""
    out = []
    for char in text:
        if char in "()\\":
            out.append("\\" + char)
        elif ord(char) < 128:
            out.append(char)
        else:
            out.append("".join(f"\\{byte:03o}" for byte in char.encode("cp1252")))
    return "(" + "".join(out) + ")"


def _with_xref(objects: list[bytes], comment: str) -> bytes:
    out = bytearray(b"%PDF-1.4\n" + (f"% {comment}\n".encode("ascii") if comment else b""))
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    return bytes(out + trailer.encode())


def test_pdf_text_reads_accents_and_pages() -> None:
    lines = ["Délégation Hauts-de-France", "« Vendeur » & (parenthèses) – 12h00"]
    assert pdf_text(build_pdf([lines, ["page 2"]])) == "\n".join([*lines, "page 2"])


def test_pdf_text_reads_compressed_streams() -> None:
    assert pdf_text(build_pdf([["Date limite : 05/02/2026"]], compress=True)) == (
        "Date limite : 05/02/2026"
    )


def test_pdf_text_is_bounded() -> None:
    twelve = build_pdf([[f"page {n}"] for n in range(1, 13)], compress=True)
    assert pdf_text(twelve).splitlines() == [f"page {n}" for n in range(1, 11)]
    assert pdf_text(twelve, max_pages=2) == "page 1\npage 2"
    assert pdf_text(build_pdf([["x" * 500]]), max_chars=100) == "x" * 100


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<!DOCTYPE html><html>404</html>", "not a PDF file"),
        (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "damaged PDF"),
    ],
)
def test_pdf_text_refuses_what_it_cannot_read(content: bytes, reason: str) -> None:
    with pytest.raises(PdfUnreadable, match=reason):
        pdf_text(content)


def test_pdf_text_refuses_a_password_and_opens_an_empty_one() -> None:
    for password, readable in (("secret", False), ("", True)):
        writer = PdfWriter()
        writer.append(BytesIO(build_pdf([["Délégation Grand Est"]])))
        writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
        out = BytesIO()
        writer.write(out)
        if readable:
            assert pdf_text(out.getvalue()) == "Délégation Grand Est"
        else:
            with pytest.raises(PdfUnreadable, match="encrypted"):
                pdf_text(out.getvalue())


# -- shared readers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Avis rectificatif — Accord-cadre « Sécurité »", NoticeKind.CORRIGENDUM),
        ("Avis modificatif n°2 : formations CléA", NoticeKind.CORRIGENDUM),
        ("Avis d'attribution — Formations bureautiques", NoticeKind.AWARD),
        ("Marché attribué : gestes et postures", NoticeKind.AWARD),
        ("Résultats de la consultation – POEC Bretagne", NoticeKind.AWARD),
        ("Consultation annulée : nettoyage des locaux", NoticeKind.CANCELLATION),
        ("Lot 2 déclaré infructueux", NoticeKind.CANCELLATION),
        ("Avis d'attribution annulé", NoticeKind.CANCELLATION),
        ("Formation : piloter par les résultats", NoticeKind.CALL),
        ("Accompagner la modification des organisations", NoticeKind.CALL),
        ("Appel à projets EDEC Spectacle vivant", NoticeKind.CALL),
    ],
)
def test_kind_from_wording(title: str, kind: NoticeKind) -> None:
    assert kind_from_wording(title) == kind


@pytest.mark.parametrize(
    ("text", "deadline", "wording"),
    [
        (  # a questions deadline comes first: skipped
            "Date limite de réception des questions : 10/03/2026\n"
            "Date limite de réception des offres : 20/03/2026 à 12h00",
            datetime(2026, 3, 20, 12, 0, tzinfo=PARIS),
            "Date limite de réception des offres : 20/03/2026 à 12h00",
        ),
        (  # a corrigendum: the old deadline is not the deadline
            "Ancienne date limite : 20/03/2026\nNouvelle date limite : 27/03/2026 à 12h00",
            datetime(2026, 3, 27, 12, 0, tzinfo=PARIS),
            "date limite : 27/03/2026 à 12h00",
        ),
        (  # a bare label line (dt/dd) takes its value from the next line
            "Date limite de remise des offres\n27 mars 2026 à 16h00\nLieu : Paris",
            datetime(2026, 3, 27, 16, 0, tzinfo=PARIS),
            "Date limite de remise des offres 27 mars 2026 à 16h00",
        ),
        (  # a title that merely mentions a deadline is no wording
            "Report de la date limite\nPublié le 02/03/2026",
            None,
            "",
        ),
        (  # worded but unreadable: kept, not guessed
            "Limite de réponse : voir le règlement de consultation. Les offres…",
            None,
            "Limite de réponse : voir le règlement de consultation",
        ),
    ],
)
def test_find_deadline(text: str, deadline: datetime | None, wording: str) -> None:
    assert find_deadline(text, PAGE_DAY) == (deadline, wording)


def test_find_deadline_without_a_year_needs_the_publication_date() -> None:
    text = "DATE LIMITE DE DEPOT DES PLIS : LUNDI 16 MARS A 12H"
    assert find_deadline(text, None) == (None, text)
    assert find_deadline(text, PAGE_DAY)[0] == datetime(2026, 3, 16, 12, 0, tzinfo=PARIS)


def test_several_lots_in_one_sentence_are_each_read() -> None:
    from scrapers.opco_common import lots_from_lines

    lots = lots_from_lines(
        ["Lot 1 : Île-de-France. Lot 2 : Hauts-de-France.", "Lot n°3 – Occitanie"]
    )
    assert [(lot.number, lot.title) for lot in lots] == [
        ("1", "Île-de-France"),
        ("2", "Hauts-de-France"),
        ("3", "Occitanie"),
    ]
