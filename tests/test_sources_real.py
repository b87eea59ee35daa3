"""The real captures parse to what a person reads on them.

Every notice of the real BOAMP Explore v2.1 answer (shared/fixtures/real, 5 notices of January
2026) and every call of the real OPCO 2i admin-ajax answer, one row each: reference, title,
buyer, the deadline as boamp.fr / the tile shows it, the value as shown, the lots with their
numbers, the buyer's reference. The expected values were read off the captures by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scrapers.boamp import RECORDS_URL, Boamp
from scrapers.opco2i import AJAX, Opco2i
from watcher import fr
from watcher.models import PARIS, Notice

BOAMP_FILE = "boamp-ods-v21-records_dateparution-2026-01-21_limit5.json"
OPCO2I_FILE = "opco2i_admin-ajax_search-results_2026-06-30.html"


def real(shared: Path, name: str) -> str:
    file = shared / "fixtures" / "real" / name
    if not file.exists():
        pytest.skip(f"real fixture not found at {file}")
    return file.read_text("utf-8")


def shown(moment: datetime | None) -> str:
    """A deadline as boamp.fr writes it: "16/02/2026 à 12h00"."""
    return moment.astimezone(PARIS).strftime("%d/%m/%Y à %Hh%M") if moment else ""


@dataclass(frozen=True)
class Read:
    """What a person reads on one notice."""

    ref: str
    title: str
    buyer: str
    deadline: str  # as the source's own page shows it
    value: str  # as the tool shows it (fr.estimate)
    lots: tuple[tuple[str, str], ...]  # (number, title as it starts)
    buyer_ref: str


URSSAF_LOTS = (
    ("1", "Prestations pour l’URSSAF de Rouen (Seine Maritime)"),
    ("2", "Prestations pour l’URSSAF du Havre (Seine-Maritime)"),
    ("3", "Prestations pour l’URSSAF de Dieppe (Seine Maritime)"),
    ("4", "Prestations pour l’URSSAF d’Evreux (Eure)"),
    ("5", "Prestations pour les URSSAF de Caen-Isigny et Caen-Unicité (Calvados)"),
    ("6", "Prestations pour l’URSSAF de Saint-Lô (Manche)"),
    ("7", "Prestations pour l’URSSAF d’Alençon"),
)
BOAMP_READS = [
    Read(
        "26-7298",
        "TRAVAUX D'AMENAGEMENTS INTERIEURS ET EXTERIEURS",
        "COMMUNE DE LA MADELEINE",
        "16/02/2026 à 12h00",
        "",
        (),
        "2026_TX_AMENAGEMENTS",
    ),
    Read(
        "26-7308",
        "Prestations traiteurs pour l'URSSAF Normandie",
        "URSSAF Normandie",
        "27/02/2026 à 12h00",
        "jusqu'à 75\u202f000 € HT",  # fourchette {valeurBasse 1, valeurHaute 75000}
        URSSAF_LOTS,
        "UR287-2026-01",
    ),
    Read(
        "26-7319",
        "Relance_Lot 2_FINITIONS et Lot 5_MENUISERIE_Travaux de mise en accessibilité du lycée "
        "Louis Lachenal (74 - Argonay)",
        "Région Auvergne-Rhône-ALpes",
        "11/02/2026 à 12h00",
        "",  # both lots are estimated at "0.00": not given
        (("2", "Finition"), ("5", "Menuiserie")),
        "DAF_2025_000461",
    ),
    Read(
        "26-7109",
        "Marché Public Relatif à La Réalisation De Prestations De Mandat De Commissaires Aux "
        "Comptes Pour Les Exercices Comptables 2026-2031 De La Spl Levaparc",
        "Spl Levaparc",
        "06/03/2026 à 12h00",
        "",
        (),
        "2026-01-01",  # the buyer's own reference, however much it looks like a date
    ),
    Read(
        "26-7113",
        "Rénovation de la caserne de gendarmerie de DOULAINCOURT-SAUCOURT (52)",
        "SGAMI Est DAGF BCP",
        "20/02/2026 à 11h00",
        "",
        (  # numbered nowhere: their order is all there is
            ("1", "Rénovation de l'isolement thermique par l'extérieur (ITE)"),
            ("2", "TOITURE"),
            ("3", "MENUISERIE EXTÉRIEURE"),
            ("4", "PEINTURE INTÉRIEURE"),
        ),
        "2025SGAMI57045",
    ),
]


def read_of(notice: Notice) -> Read:
    expected = next(r for r in BOAMP_READS + OPCO2I_READS if r.ref == notice.ref)
    lots = tuple(
        (lot.number or "", lot.title[: len(title)])
        for lot, (_, title) in zip(notice.lots, expected.lots, strict=False)
    )
    return Read(
        notice.ref,
        notice.title,
        notice.buyer,
        shown(notice.deadline) if notice.source == "boamp" else _day(notice.deadline),
        fr.estimate(notice.estimated_value, notice.estimated_value_max),
        lots if len(notice.lots) == len(expected.lots) else (("count", str(len(notice.lots))),),
        notice.buyer_ref,
    )


def _day(moment: datetime | None) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y") if moment else ""


@pytest.fixture(scope="module")
def boamp_notices(shared: Path) -> list[Notice]:
    answer = json.loads(real(shared, BOAMP_FILE))["data"]  # the saving script's wrapper
    result = Boamp().parse_json(answer, f"{RECORDS_URL}?limit=5&offset=0")
    assert result.skipped == []
    return result.notices


@pytest.mark.parametrize("expected", BOAMP_READS, ids=lambda r: r.ref)
def test_real_boamp_notice_reads_as_on_boamp_fr(
    boamp_notices: list[Notice], expected: Read
) -> None:
    notice = next(n for n in boamp_notices if n.ref == expected.ref)
    assert read_of(notice) == expected


def test_real_boamp_answer_gives_every_notice_once(boamp_notices: list[Notice]) -> None:
    assert [n.ref for n in boamp_notices] == [r.ref for r in BOAMP_READS]


def test_real_boamp_deadline_instant_is_the_paris_wall_clock(boamp_notices: list[Notice]) -> None:
    """datelimitereponse says 12:00+00:00; the instant is 12:00 Paris, 11:00 UTC in winter."""
    first = boamp_notices[0]
    assert first.deadline is not None
    assert first.deadline.astimezone(UTC) == datetime(2026, 2, 16, 11, 0, tzinfo=UTC)
    assert first.deadline_text == "2026-02-16T12:00:00.000+01:00"  # gestion's, as written


def test_real_boamp_range_keeps_both_bounds(boamp_notices: list[Notice]) -> None:
    catering = next(n for n in boamp_notices if n.ref == "26-7308")
    assert (catering.estimated_value, catering.estimated_value_max) == (1, 75000)


# ----------------------------------------------------------------------------------- OPCO 2i

MPI_DCE = "https://www.marches-publics.info/mpiaws/index.cfm?fuseaction=dematEnt.choixDCE&IDM={}&XFAOK=dce.verifLotsDCE"
OPCO2I_CALLS = "https://www.opco2i.fr/appel_a_projects/"
OPCO2I_READS = [
    Read(
        OPCO2I_CALLS + "consultation-2026-53-poec-decouverte-des-metiers-de-lindustrie-10-lots/",
        "Consultation 2026-53 POEC Découverte des métiers de l’industrie – 10 lots",
        "OPCO 2i",
        "01/07/2026",  # "Date limite de dépôt des plis : 01/07/2026"
        "",
        (),
        "2026-53",
    ),
    Read(
        OPCO2I_CALLS + "consultation-2026-52-poec-formation-aux-metiers-de-lindustrie-usinage-"
        "chaudronnerie-soudage-tuyauterie-25-lots/",
        "Consultation 2026-52 POEC Formation aux métiers de l’industrie (usinage, "
        "chaudronnerie, soudage, tuyauterie…) – 25 lots",
        "OPCO 2i",
        "01/07/2026",
        "",
        (),
        "2026-52",
    ),
]


@pytest.fixture(scope="module")
def opco2i_page(shared: Path) -> str:
    return real(shared, OPCO2I_FILE)


@pytest.mark.parametrize("expected", OPCO2I_READS, ids=lambda r: r.buyer_ref)
def test_real_opco2i_tile_reads_as_shown(opco2i_page: str, expected: Read) -> None:
    notice = next(n for n in Opco2i().parse(opco2i_page, AJAX).notices if n.ref == expected.ref)
    assert read_of(notice) == expected


def test_real_opco2i_tiles_give_deadline_dce_place_and_date(opco2i_page: str) -> None:
    result = Opco2i().parse(opco2i_page, AJAX)
    # 2 calls among the answer's news and event cards, which are not calls (nor "skipped")
    assert [n.buyer_ref for n in result.notices] == ["2026-53", "2026-52"] and not result.skipped
    first, second = result.notices
    assert first.deadline == datetime(2026, 7, 1, 23, 59, tzinfo=PARIS)  # a date, no time
    assert first.deadline_text == "Date limite de dépôt des plis : 01/07/2026"
    assert first.platform_url == MPI_DCE.format(1833429)
    assert second.platform_url == MPI_DCE.format(1833177)
    assert first.published == second.published == datetime(2026, 6, 23).date()
    assert first.places == ("France entière",)
    assert first.summary.startswith("Cette consultation vise à mettre en œuvre et financer")
    assert "Les prestations sont décomposées en 10 lots." in first.body


def test_real_opco2i_next_page_is_asked_as_the_page_script_does(opco2i_page: str) -> None:
    (after,) = Opco2i().parse(opco2i_page, AJAX).next_requests
    assert (after.method, after.url, after.json) == ("POST", AJAX, None)
    assert after.form is not None and after.form["action"] == "get_search_results"
    fields = {after.form[f"args[{i}][name]"]: after.form[f"args[{i}][value]"] for i in range(5)}
    assert fields == {
        "context": "offerPage",
        "page": "2",
        "display": "grid",
        "order": "DESC",
        "default_post_types": "appel_a_projects",
    }


def test_the_request_matches_the_real_page_form(shared: Path) -> None:
    """The form the real calls page sends (its hidden inputs, in order) is the one asked."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(real(shared, "opco2i_appels-doffres_page_2026-06-30.html"), "lxml")
    form = page.select_one("form#filterScrollArea")
    assert form is not None
    hidden = [(i["name"], i["value"]) for i in form.select("input[type=hidden]")]
    (request,) = Opco2i().start_requests(datetime(2026, 6, 30).date())
    assert request.form is not None
    asked = [
        (request.form[f"args[{i}][name]"], request.form[f"args[{i}][value]"])
        for i in range(len(hidden))
    ]
    assert asked == hidden
    assert "body.append('action', 'get_search_results')" in str(page)


def test_real_opco2i_answer_without_tiles_is_no_open_call(opco2i_page: str) -> None:
    """The same answer with its two calls gone (news and events left): 0 open calls."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(opco2i_page, "lxml")
    for tile in soup.select(".tile-ao"):
        tile.decompose()
    result = Opco2i().parse(str(soup), AJAX)
    assert result.notices == [] and result.skipped == []


def test_wordpress_default_robots_txt_lets_the_tiles_request_through(tmp_path: Path) -> None:
    """WordPress's default robots.txt disallows /wp-admin/ and allows admin-ajax.php: read as
    RFC 9309 says (the longest rule wins), the calls request is allowed, the rest of wp-admin
    is not. The standard library's parser (first rule wins) would block both."""
    import asyncio

    from watcher.devserver import DevServer
    from watcher.errors import FetchError
    from watcher.fetch import Fetcher, FetchSettings, Request

    robots = "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n"

    async def fetch(server: DevServer, request: Request) -> str:
        async with Fetcher(FetchSettings(mirror=server.base_url, retries=0)) as fetcher:
            page = await fetcher.fetch(request, source="opco2i", allowed_hosts=("www.opco2i.fr",))
            return page.text

    with DevServer() as server:
        server.add("/www.opco2i.fr/robots.txt", robots, content_type="text/plain")
        server.add("/www.opco2i.fr/wp-admin/admin-ajax.php", '<div class="results__pool"></div>')
        server.add("/www.opco2i.fr/wp-admin/options.php", "secret")
        (tiles,) = Opco2i().start_requests(datetime(2026, 6, 30).date())
        assert "results__pool" in asyncio.run(fetch(server, tiles))
        posted = [r for r in server.requests if r.path.endswith("admin-ajax.php")]
        assert posted and posted[0].method == "POST"
        assert posted[0].headers["content-type"].startswith("application/x-www-form-urlencoded")
        assert b"action=get_search_results" in posted[0].body
        assert b"args%5B4%5D%5Bvalue%5D=appel_a_projects" in posted[0].body
        with pytest.raises(FetchError, match=r"blocked by robots\.txt"):
            asyncio.run(fetch(server, Request("https://www.opco2i.fr/wp-admin/options.php")))


@pytest.mark.parametrize("answer", ["0", "-1", ""])
def test_opco2i_action_gone_is_a_layout_change(answer: str) -> None:
    """WordPress answers "0" (or "-1") when the action is not registered any more: no frame,
    a layout change (the admin is told), never "no open call"."""
    from watcher.errors import LayoutChanged

    with pytest.raises(LayoutChanged, match="results__pool"):
        Opco2i().parse(answer, AJAX)
