"""Deadlines of every source: which wall clock and offset each wording carries, and the instant
stored. One row per (source, wording): the wording as the source publishes it, run through the
source's own parser, and the instant expected in UTC (so that an hour off cannot hide behind
two equal local renderings). "Paris" below means Europe/Paris with its summer time.

| source | wording | carries |
|---|---|---|
| BOAMP API | ``datelimitereponse`` ``…T12:00:00+00:00`` | the buyer's wall clock, mislabelled UTC |
| BOAMP API | gestion ``DATE_LIMITE_REPONSE``, ``dateReceptionOffres`` | wall clock, +01:00, none |
| BOAMP API | eForms ``TenderSubmissionDeadlinePeriod`` | date and time with their real offsets |
| BOAMP XML | ``RECEPT_OFFRES`` ``…T12:00:00+01:00`` | the wall clock with its real offset |
| TED | ``deadline-receipt-tender-date-lot`` + ``-time-lot`` | date and time with real offsets |
| marches-publics.info | ``27/03/26 à 12h00`` | Paris wall clock, 2-digit year |
| OPCO sites, WordPress, RSS, PDF | worded French dates | Paris wall clock; no time: 23:59; |
| | | no year: the next such date after the publication |
| Uniformation | ``time[datetime]`` | an ISO instant (assumed Drupal's UTC) |
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from scrapers.boamp import record_to_notice
from scrapers.boamp_xml import parse_boamp_xml
from scrapers.opcommerce import read_call_pdf
from scrapers.registry import SOURCES
from scrapers.rss import Rss, RssOptions
from scrapers.ted import notice_from_ted
from scrapers.wordpress import WordPress, WordPressOptions
from watcher.models import Notice

PUBLISHED = date(2026, 1, 10)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# -- one reader per source: the wording in the smallest input that source publishes ----------


def boamp_api(**fields: object) -> Callable[[str], Notice]:
    def read(wording: str) -> Notice:
        values = {
            k: (v.replace("{}", wording) if isinstance(v, str) else v) for k, v in fields.items()
        }
        return record_to_notice({"idweb": "26-1", "objet": "Formation", **values})

    return read


def boamp_gestion(wording: str) -> Notice:
    gestion = json.dumps({"INDEXATION": {"DATE_LIMITE_REPONSE": wording}})
    return record_to_notice({"idweb": "26-1", "objet": "Formation", "gestion": gestion})


def boamp_body(wording: str) -> Notice:
    donnees = {"FNSimple": {"initial": {"procedure": {"dateReceptionOffres": wording}}}}
    return record_to_notice({"idweb": "26-1", "objet": "F", "donnees": json.dumps(donnees)})


def boamp_eforms(wording: str) -> Notice:
    day, clock = wording.split(" ")
    period = {"cbc:EndDate": {"#text": day}, "cbc:EndTime": {"#text": clock}}
    notice = {"cac:TenderingProcess": {"cac:TenderSubmissionDeadlinePeriod": period}}
    donnees = {"EFORMS": {"ContractNotice": notice}}
    return record_to_notice({"idweb": "26-1", "objet": "F", "donnees": json.dumps(donnees)})


def boamp_xml(wording: str) -> Notice:
    return parse_boamp_xml(
        "<ANNONCE><GESTION><REFERENCE><IDWEB>16-1</IDWEB></REFERENCE></GESTION><DONNEES>"
        "<OBJET><TITRE_MARCHE>Formation</TITRE_MARCHE></OBJET><CONDITION_DELAI>"
        f"<RECEPT_OFFRES>{wording}</RECEPT_OFFRES></CONDITION_DELAI></DONNEES></ANNONCE>"
    )


def ted(wording: str) -> Notice:
    day, _, clock = wording.partition(" ")
    raw = {
        "publication-number": "1-2026",
        "publication-date": "2026-01-05+01:00",
        "title-lot": {"fra": ["Lot 1 : Formation"]},
        "deadline-receipt-tender-date-lot": [day],
        **({"deadline-receipt-tender-time-lot": [clock]} if clock else {}),
    }
    return notice_from_ted(raw)


def html_source(name: str, page: str, url: str) -> Callable[[str], Notice]:
    def read(wording: str) -> Notice:
        (notice,) = SOURCES[name]().parse(page.replace("{}", wording), url).notices
        return notice

    return read


def detail(name: str, url: str) -> Callable[[str], Notice]:
    """A detail page of an OPCO card source, whose listing gave the publication date."""

    def read(wording: str) -> Notice:
        listed = Notice(name, url, "Formation", url, published=PUBLISHED)
        page = f"<html><body><main><article><p>Objet</p><p>{wording}</p></article></main>"
        return SOURCES[name]().parse_detail(page, listed)

    return read


def wordpress(wording: str) -> Notice:
    post = {
        "id": 1,
        "link": "https://www.example.fr/ao/",
        "date": "2026-01-10T09:00:00",
        "title": {"rendered": "Appel"},
        "content": {"rendered": f"<p>{wording}</p>"},
    }
    source = WordPress(WordPressOptions(endpoint="https://www.example.fr/wp-json/wp/v2/posts"))
    (notice,) = source.parse_json([post], "https://www.example.fr/wp-json/wp/v2/posts").notices
    return notice


def rss(wording: str) -> Notice:
    feed = (
        "<rss><channel><item><title>Appel</title><link>https://www.example.fr/ao</link>"
        "<pubDate>Sat, 10 Jan 2026 09:00:00 +0100</pubDate>"
        f"<description><![CDATA[<p>{wording}</p>]]></description></item></channel></rss>"
    )
    source = Rss(RssOptions(url="https://www.example.fr/rss.xml"), name="flux")
    (notice,) = source.parse(feed, "https://www.example.fr/rss.xml").notices
    return notice


def rss_dated(wording: str) -> Notice:
    """A yearless deadline, read after the item's RFC 822 pubDate (in Paris time)."""
    feed = (
        "<rss><channel><item><title>Appel</title><link>https://www.example.fr/ao</link>"
        "<pubDate>Wed, 31 Dec 2025 23:30:00 -0200</pubDate>"  # 1 January 2026 in Paris
        f"<description>{wording}</description></item></channel></rss>"
    )
    source = Rss(RssOptions(url="https://www.example.fr/rss.xml"), name="flux")
    (notice,) = source.parse(feed, "https://www.example.fr/rss.xml").notices
    assert notice.published == date(2026, 1, 1)
    return notice


def pdf(wording: str) -> Notice:
    url = "https://www.lopcommerce.com/x.pdf"
    listed = Notice("opcommerce", url, "Appel à propositions", url, published=PUBLISHED)
    return read_call_pdf(f"APPEL A PROPOSITIONS 2026\n{wording}\n", listed)


MPI_PAGE = (
    '<table class="AW_Table"><tr><td class="AW_Table_Ligne0">05/01/26</td>'
    '<td class="AW_Table_Ligne0">{}</td><td class="AW_Table_Ligne0">'
    '<a title="Consulter l\'Avis" href="index.cfm?fuseaction=pub.affPublication&refPub=1">Avis</a>'
    "<b>OPCO EP</b> (75) [réf. 2026-1] Formations</td></tr></table>"
)
AKTO_PAGE = (
    '<main><section class="posts-list"><div class="posts-card"><h3 class="h3">Formation</h3>'
    '<p class="metas">Publié le 10/01/2026</p><p class="metas">{}</p>'
    '<a class="btn bg-primary" href="/appels-d-offres/x/">Consulter</a></div></section></main>'
)
ATLAS_PAGE = (
    '<main><a href="/appels-d-offres/x/"><p>Action collective</p><p>{}</p>'
    "<h3>Formations bureautiques certifiantes</h3></a></main>"
)
OPCO2I_PAGE = (
    '<div class="results__pool"><div class="tile-ao"><h3 class="tile-ao__title">'
    '<a href="https://www.opco2i.fr/appel_a_projects/x/">Consultation 2026-1 POEC</a></h3>'
    '<p class="tile-ao__depot"><span>Date limite de dépôt des plis :</span> <span>{}</span></p>'
    '<p class="tile-ao__date">Publié le : 10 janvier 2026</p></div></div>'
)
MOBILITES_PAGE = (
    '<main><details class="accordion__details" id="ao-1"><summary><h3 class="accordion__title">'
    "Appel d'offres n° 1</h3></summary><table><tr><th>Date de publication</th>"
    "<td>10 janvier 2026</td></tr><tr><th>Date de clôture</th><td>{}</td></tr></table>"
    "</details></main>"
)
UNIFORMATION_PAGE = (
    '<main><div class="view"><div class="views-row"><article><h3><a href="/ao/x">'
    '<span>Appel à projets</span></a></h3><div>Date limite : <time datetime="{}">…</time></div>'
    "</article></div></div></main>"
)


@dataclass(frozen=True)
class Row:
    source: str
    wording: str
    carries: str
    instant: datetime | None  # the instant stored, in UTC; None: left unread, wording kept
    read: Callable[[str], Notice]


ROWS = [
    Row(
        "boamp",
        "2026-02-16T12:00:00+00:00",
        "wall clock labelled UTC (winter)",
        utc(2026, 2, 16, 11, 0),
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "2026-07-16T12:00:00+00:00",
        "wall clock labelled UTC (summer)",
        utc(2026, 7, 16, 10, 0),
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "2026-03-28T12:00:00+00:00",
        "the day before summer time",
        utc(2026, 3, 28, 11, 0),
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "2026-03-29T12:00:00+00:00",
        "the day summer time starts",
        utc(2026, 3, 29, 10, 0),
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "2026-10-24T12:00:00+00:00",
        "the day before summer time ends",
        utc(2026, 10, 24, 10, 0),
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "2026-10-25T12:00:00+00:00",
        "the day summer time ends",
        utc(2026, 10, 25, 11, 0),
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "2026-02-16T12:00:00.000+01:00",
        "gestion: wall clock, Paris offset",
        utc(2026, 2, 16, 11, 0),
        boamp_gestion,
    ),
    Row(
        "boamp",
        "2026-02-27T12:00:00",
        "gestion: wall clock, no offset",
        utc(2026, 2, 27, 11, 0),
        boamp_gestion,
    ),
    Row(
        "boamp",
        "2026-07-03T16:00:00.000",
        "gestion: summer, no offset",
        utc(2026, 7, 3, 14, 0),
        boamp_gestion,
    ),
    Row(
        "boamp",
        "2026-02-20T11:00:00.000",
        "body dateReceptionOffres, no offset",
        utc(2026, 2, 20, 10, 0),
        boamp_body,
    ),
    Row(
        "boamp",
        "2026-07-16+02:00 12:00:00+02:00",
        "eForms date and time, real offsets",
        utc(2026, 7, 16, 10, 0),
        boamp_eforms,
    ),
    Row(
        "boamp-xml",
        "2017-02-17T12:00:00+01:00",
        "legacy XML: real offset",
        utc(2017, 2, 17, 11, 0),
        boamp_xml,
    ),
    Row(
        "ted",
        "2026-08-25+02:00 23:59:00+02:00",
        "date and time with real offsets",
        utc(2026, 8, 25, 21, 59),
        ted,
    ),
    Row("ted", "2026-03-10+01:00 12:00:00+01:00", "winter offsets", utc(2026, 3, 10, 11, 0), ted),
    Row(
        "ted",
        "2026-03-10+01:00",
        "a date without its time: the end of that day",
        utc(2026, 3, 10, 22, 59),
        ted,
    ),
    Row(
        "opco-ep",
        "27/03/26 à 12h00",
        "dd/mm/yy, Paris wall clock",
        utc(2026, 3, 27, 11, 0),
        html_source(
            "opco-ep", MPI_PAGE, "https://www.marches-publics.info/avis/index.cfm?IDS=6499"
        ),
    ),
    Row(
        "opco-ep",
        "15/07/26",
        "dd/mm/yy without a time (summer)",
        utc(2026, 7, 15, 21, 59),
        html_source(
            "opco-ep", MPI_PAGE, "https://www.marches-publics.info/avis/index.cfm?IDS=6499"
        ),
    ),
    Row(
        "akto",
        "Limite de réponse : 05/02/2026",
        "a date only: 23:59 Paris",
        utc(2026, 2, 5, 22, 59),
        html_source("akto", AKTO_PAGE, "https://www.akto.fr/appels-d-offres/"),
    ),
    Row(
        "akto",
        "Limite de réponse : 05/02/2026 à 16h00",
        "dd/mm/yyyy à HHhMM",
        utc(2026, 2, 5, 15, 0),
        html_source("akto", AKTO_PAGE, "https://www.akto.fr/appels-d-offres/"),
    ),
    Row(
        "atlas",
        "12 mars 2026 ➔ 3 avril 2026",
        "a date range: its end, 23:59 Paris (summer)",
        utc(2026, 4, 3, 21, 59),
        html_source("atlas", ATLAS_PAGE, "https://www.opco-atlas.fr/appels-offres.html"),
    ),
    Row(
        "opco2i",
        "01/07/2026",
        "tile: a date only",
        utc(2026, 7, 1, 21, 59),
        html_source("opco2i", OPCO2I_PAGE, "https://www.opco2i.fr/wp-admin/admin-ajax.php"),
    ),
    Row(
        "opco-mobilites",
        "14 novembre 2025",
        "Date de clôture: a worded date",
        utc(2025, 11, 14, 22, 59),
        html_source("opco-mobilites", MOBILITES_PAGE, "https://www.opcomobilites.fr/a-propos/"),
    ),
    Row(
        "uniformation",
        "2026-03-20T12:00:00Z",
        "time[datetime]: an instant",
        utc(2026, 3, 20, 12, 0),
        html_source(
            "uniformation",
            UNIFORMATION_PAGE,
            "https://www.uniformation.fr/partenaire-prestataire/appels-doffre",
        ),
    ),
    Row(
        "ocapiat",
        "DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H",
        "no year: after publication",
        utc(2026, 1, 31, 11, 0),
        detail("ocapiat", "https://www.ocapiat.fr/project/x/"),
    ),
    Row(
        "afdas",
        "Clôture de l'appel à projets : 21 avril – 12h00",
        "no year, summer",
        utc(2026, 4, 21, 10, 0),
        detail("afdas", "https://www.afdas.com/x.html"),
    ),
    Row(
        "afdas",
        "Date limite de réception des offres : 12 Mars 2026 à 10 h 00",
        "« 10 h 00 »",
        utc(2026, 3, 12, 9, 0),
        detail("afdas", "https://www.afdas.com/x.html"),
    ),
    Row(
        "opco-sante",
        "Date limite : 3 mars 2026 à midi",
        "« à midi »",
        utc(2026, 3, 3, 11, 0),
        detail("opco-sante", "https://www.opco-sante.fr/x/"),
    ),
    Row(
        "opco2i-wordpress",
        "Date et heure limite de réception des PLIS : 5 mars 2026 à 12h00",
        "worded, « à 12h00 »",
        utc(2026, 3, 5, 11, 0),
        wordpress,
    ),
    Row(
        "rss",
        "Date limite de réponse le 20/03/2026 à 16h00",
        "in the item's description",
        utc(2026, 3, 20, 15, 0),
        rss,
    ),
    Row(
        "rss",
        "Clôture de l'appel à projets : 31 décembre – 12h00",
        "no year: after the pubDate (its Paris day, not the day written)",
        utc(2026, 12, 31, 11, 0),
        rss_dated,
    ),
    Row(
        "opcommerce",
        "Date limite de dépôt des candidatures : 10/03/2026 à 00h00",
        "PDF: « à 00h00 »",
        utc(2026, 3, 9, 23, 0),
        pdf,
    ),
    Row(
        "akto",
        "Limite de réponse : 31/12/9999",
        "a year no call has: unread, kept",
        None,
        html_source("akto", AKTO_PAGE, "https://www.akto.fr/appels-d-offres/"),
    ),
    Row(
        "boamp",
        "2026-03-05T12:00:00+72:05",
        "an offset no clock has: unread, kept",
        None,
        boamp_api(datelimitereponse="{}"),
    ),
    Row(
        "boamp",
        "9999-12-31T23:59:00+14:00",
        "year 9999: unread, kept",
        None,
        boamp_api(datelimitereponse="{}"),
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.source}: {r.wording}")
def test_deadline_instant_stored(row: Row) -> None:
    notice = row.read(row.wording)
    stored = notice.deadline.astimezone(UTC) if notice.deadline else None
    assert stored == row.instant, row.carries
    assert notice.deadline_text, "the wording is kept beside the instant"
    if row.source not in ("ted", "boamp", "boamp-xml", "uniformation"):  # raw values kept
        assert row.wording in notice.deadline_text or notice.deadline_text in row.wording


def test_every_source_has_a_row() -> None:
    covered = {r.source for r in ROWS}
    assert set(SOURCES) - {"constructys"} <= covered | {"opco2i"}, set(SOURCES) - covered
