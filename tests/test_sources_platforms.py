"""The platform sources (marches-publics.info, WordPress REST, RSS/Atom) and the built-in sources
made of them (opco-ep, constructys, opco2i): golden output of every saved page, invariants,
loud layout changes, pagination, safe XML, and sources a user adds in the config.

Golden files live in tests/pages/golden/; regenerate them after a deliberate change with
``UPDATE_GOLDEN=1 pytest tests/test_sources_platforms.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import pytest

from scrapers.base import Source
from scrapers.marches_publics_info import MarchesPublicsInfo, MarchesPublicsInfoOptions
from scrapers.opco_common import find_deadline as deadline_in_text
from scrapers.opco_common import kind_from_wording as kind_from_title
from scrapers.registry import PLATFORMS, SOURCES
from scrapers.rss import Rss, RssOptions
from scrapers.wordpress import WordPress, WordPressOptions
from tests.conftest import PAGE_DAY, PAGES, write_config
from watcher.config import load_config, validate_file
from watcher.demo import fill_dates
from watcher.devserver import DevServer
from watcher.errors import LayoutChanged, ParseError
from watcher.models import PARIS, Notice, NoticeKind
from watcher.pipeline import poll

DEMO = resources.files("watcher") / "demo_data"
GOLDEN = PAGES / "golden"
MPI = "https://www.marches-publics.info/avis/index.cfm?IDS={}"
OPCO2I_API = (
    "https://www.opco2i.fr/wp-json/wp/v2/appel_a_projects?order=desc&orderby=date&per_page=100"
)
FEED = "https://www.opco2i.fr/feed/"
AJAX = "https://www.opco2i.fr/wp-admin/admin-ajax.php"


@dataclass(frozen=True)
class Page:
    """A saved page of a source; ``build`` makes the source (built-in by name, else the feed)."""

    source: str
    file: str
    url: str

    @property
    def id(self) -> str:
        return f"{self.source}-{self.file.replace('/', '-')}"

    def text(self) -> str:
        return fill_dates((DEMO / self.file).read_text("utf-8"), PAGE_DAY)

    def build(self) -> Source:
        if self.source in SOURCES:
            return SOURCES[self.source]()
        if self.source == "wordpress":
            return wordpress()
        return Rss(RssOptions(url=FEED, buyer="OPCO 2i"), name=self.source)

    def notices(self) -> list[Notice]:
        return self.build().parse(self.text(), self.url).notices


def wordpress() -> WordPress:
    """A WordPress site configured by a user: OPCO 2i's REST endpoint (sample answer)."""
    return WordPress(WordPressOptions(endpoint=OPCO2I_API.split("?")[0], buyer="OPCO 2i"))


#: the listing pages of the built-in sources of this module (for tests/test_parsers.py too)
PAGES_BUILT_IN = [
    Page("opco-ep", "marches_publics_info/opco-ep.html", MPI.format(6499)),
    Page("constructys", "marches_publics_info/constructys.html", MPI.format(5173)),
    Page("opco2i", "opco2i/admin-ajax.html", AJAX),
]
ALL_PAGES = [
    *PAGES_BUILT_IN,
    Page("wordpress", "opco2i/appel_a_projects.json", OPCO2I_API),
    Page("opco2i-feed", "rss/opco2i-feed.xml", FEED),
]


def check_golden(name: str, notices: list[Notice]) -> None:
    file = GOLDEN / f"{name}.json"
    produced = [n.to_json() for n in notices]
    if os.environ.get("UPDATE_GOLDEN"):
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(json.dumps(produced, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert file.exists(), f"no golden file {file}: run with UPDATE_GOLDEN=1 and review it"
    assert produced == json.loads(file.read_text("utf-8"))


def check_invariants(notices: list[Notice]) -> None:
    assert notices, "a saved page yields notices"
    assert len({n.key for n in notices}) == len(notices), "keys are unique"
    for notice in notices:
        assert notice.url.startswith("https://") and notice.title.strip()
        assert notice.deadline is None or notice.deadline.tzinfo is not None
        assert all(d.startswith("https://") for d in notice.documents)
        for lot in notice.lots:
            assert lot.deadline is None or lot.deadline.tzinfo is not None


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.id)
def test_page_matches_golden(page: Page) -> None:
    check_golden(page.id, page.notices())


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.id)
def test_page_invariants(page: Page) -> None:
    check_invariants(page.notices())


@pytest.mark.parametrize("page", ALL_PAGES, ids=lambda p: p.id)
def test_no_detail_page_is_fetched(page: Page) -> None:
    """Listings say everything they can; links off the declared hosts are only stored."""
    source = page.build()
    assert all(source.detail_request(n) is None for n in page.notices())


# --------------------------------------------------------------------- marches-publics.info


def mpi_page(name: str = "opco-ep") -> str:
    return fill_dates((DEMO / f"marches_publics_info/{name}.html").read_text("utf-8"), PAGE_DAY)


def test_mpi_reference_date_and_buyer_are_read() -> None:
    first = SOURCES["opco-ep"]().parse(mpi_page(), MPI.format(6499)).notices[0]
    assert first.ref == "2026-AO-07" and first.key == "opco-ep:2026-AO-07"
    assert first.buyer == "OPCO EP"
    assert first.url.startswith("https://www.marches-publics.info/avis/index.cfm?fuseaction=")
    assert "refPub=1492031" in first.url
    assert first.title.startswith("Formations certifiantes CQP")
    assert "Avis" not in first.title and "[réf." not in first.title
    assert first.deadline == datetime(2026, 3, 27, 12, 0, tzinfo=PARIS)


def test_mpi_two_digit_years_read_as_on_the_real_site() -> None:
    short = re.sub(r"(\d{2}/\d{2}/)20(\d{2})", r"\1\2", mpi_page())
    assert "/26 à 12h00" in short
    source = SOURCES["opco-ep"]()
    long_ones = source.parse(mpi_page(), MPI.format(6499)).notices
    short_ones = source.parse(short, MPI.format(6499)).notices
    assert [n.deadline for n in short_ones] == [n.deadline for n in long_ones]
    assert [n.published for n in short_ones] == [n.published for n in long_ones]


def test_mpi_row_without_reference_falls_back_to_publication_number() -> None:
    notices = SOURCES["constructys"]().parse(mpi_page("constructys"), MPI.format(5173))
    award = notices.notices[-1]
    assert award.ref == "refPub-1483968" and award.buyer == "Constructys Île-de-France"
    assert award.kind == NoticeKind.AWARD and award.deadline is None and award.deadline_text
    assert [s.reason for s in notices.skipped] == ["row with 1 cell(s), not a consultation"]


def test_mpi_same_reference_twice_keeps_both() -> None:
    page = mpi_page().replace("[réf. 2026-AO-05]", "[réf. 2026-AO-07]")
    notices = SOURCES["opco-ep"]().parse(page, MPI.format(6499)).notices
    assert [n.ref for n in notices][:2] == ["2026-AO-07", "2026-AO-07 refPub-1489577"]


def test_mpi_emptied_page_raises_layout_changed() -> None:
    emptied = mpi_page().replace("AW_Table_Ligne", "row")
    with pytest.raises(LayoutChanged) as caught:
        SOURCES["opco-ep"]().parse(emptied, MPI.format(6499))
    assert 'td[class^="AW_Table_Ligne"]' in str(caught.value) and "found 0" in str(caught.value)


def test_mpi_page_saying_nothing_is_open_is_not_a_layout_change() -> None:
    page = "<html><body><table class='AW_Table'><tr><td>Aucune consultation en cours pour cet "
    page += "acheteur.</td></tr></table></body></html>"
    assert SOURCES["opco-ep"]().parse(page, MPI.format(6499)).notices == []


def test_mpi_rows_without_the_notice_link_raise_layout_changed() -> None:
    page = mpi_page().replace('title="Consulter l\'Avis"', "").replace("affPublication", "x")
    with pytest.raises(LayoutChanged, match="Consulter"):
        SOURCES["opco-ep"]().parse(page, MPI.format(6499))


# -------------------------------------------------------------------------------- WordPress


def wp_posts(count: int) -> str:
    post = {"id": 1, "link": "https://www.opco2i.fr/p/", "title": {"rendered": "Appel"}}
    return json.dumps(
        [{**post, "id": i, "link": f"https://www.opco2i.fr/p/{i}/"} for i in range(count)]
    )


def test_wordpress_full_page_asks_for_the_next_by_offset() -> None:
    source = wordpress()
    (after,) = source.parse(wp_posts(100), OPCO2I_API).next_requests
    assert after.url == "https://www.opco2i.fr/wp-json/wp/v2/appel_a_projects"
    assert after.params == {"per_page": 100, "orderby": "date", "order": "desc", "offset": 100}
    assert source.parse(wp_posts(99), OPCO2I_API).next_requests == []


def test_wordpress_pagination_is_bounded() -> None:
    source = wordpress()
    last = f"{OPCO2I_API}&offset={100 * (source.max_pages - 1)}"
    assert source.parse(wp_posts(100), last).next_requests == []
    assert source.parse("[]", f"{OPCO2I_API}&offset=100").notices == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ('{"code": "rest_no_route", "message": "Aucune route"}', "rest_no_route"),
        ('{"posts": []}', "not a list of posts"),
        ('[{"id": 3}, {"title": "x"}]', "no readable post among 2"),
        ("<html>maintenance</html>", "did not return JSON"),
    ],
)
def test_wordpress_bad_answers_raise_parse_error(answer: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        wordpress().parse(answer, OPCO2I_API)


def test_wordpress_deadline_wordings() -> None:
    day = date(2026, 3, 2)
    found, text = deadline_in_text(
        "Intro.\nDATE LIMITE DE DEPOT DES PLIS : LUNDI 30 MARS A 12H", day
    )
    assert found == datetime(2026, 3, 30, 12, 0, tzinfo=PARIS)
    assert text.startswith("DATE LIMITE")
    found, text = deadline_in_text("Clôture de l'appel à projets : 21 avril – 12h00", day)
    assert found == datetime(2026, 4, 21, 12, 0, tzinfo=PARIS)
    assert deadline_in_text("Date limite : voir le règlement", day) == (
        None,
        "Date limite : voir le règlement",
    )
    assert deadline_in_text("Clôture de l'exercice comptable.", day) == (None, "")


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("Avis d'attribution – formations CléA", NoticeKind.AWARD),
        ("Rectificatif : report de la date limite", NoticeKind.CORRIGENDUM),
        ("Consultation déclarée sans suite", NoticeKind.CANCELLATION),
        ("Critères d'attribution des aides à la formation", NoticeKind.CALL),
        ("Appel d'offres POEC", NoticeKind.CALL),
    ],
)
def test_kind_from_title(title: str, kind: NoticeKind) -> None:
    assert kind_from_title(title) == kind


# ------------------------------------------------------------------------------------- RSS


def feed(source: Rss, text: str) -> list[Notice]:
    return source.parse(text, FEED).notices


def test_rss_keywords_filter_items() -> None:
    source = Rss(RssOptions(url=FEED, keywords=["appel"]), name="f")
    result = source.parse(ALL_PAGES[-1].text(), FEED)
    assert len(result.notices) == 2
    assert result.skipped[0].reason.startswith("no keyword in: Webinaire")
    assert len(feed(Rss(RssOptions(url=FEED), name="f"), ALL_PAGES[-1].text())) == 3


ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Appels d'offres</title>
  <entry>
    <title type="html">Appel d&amp;rsquo;offres &lt;b&gt;VAE&lt;/b&gt;</title>
    <link rel="alternate" href="/ao/vae-2026"/>
    <link rel="enclosure" href="/ao/vae-2026.pdf"/>
    <id>urn:uuid:7f1c</id>
    <updated>2026-02-27T10:00:00+01:00</updated>
    <summary>Date limite de réponse le 20/03/2026 à 16h00</summary>
  </entry>
</feed>"""


def test_atom_entries_are_read() -> None:
    (notice,) = feed(Rss(RssOptions(url=FEED), name="f"), ATOM)
    assert notice.title == "Appel d’offres VAE" and notice.ref == "urn:uuid:7f1c"
    assert notice.url == "https://www.opco2i.fr/ao/vae-2026" and notice.published == date(
        2026, 2, 27
    )
    assert notice.deadline == datetime(2026, 3, 20, 16, 0, tzinfo=PARIS)


def test_rss_does_not_expand_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", "utf-8")
    evil = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<rss version="2.0"><channel><item><title>Appel &xxe; &c;</title>
<link>https://www.opco2i.fr/x/</link></item></channel></rss>"""
    (notice,) = feed(Rss(RssOptions(url=FEED), name="f"), evil)
    assert "TOP-SECRET" not in notice.title and "aaaa" not in notice.title


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<html><body>Maintenance</body></html>", "not an RSS or Atom feed"),
        ("<rss><channel><item>", "not well-formed XML"),
        ("Service indisponible", "not well-formed XML"),
    ],
)
def test_rss_not_a_feed_raises_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        Rss(RssOptions(url=FEED), name="f").parse(text, FEED)


# ------------------------------------------------------------- sources added in the config

USER_SOURCES = """
[sources.mon-acheteur]
kind = "marches-publics.info"
ids = 1234
buyer = "Mon acheteur"

[sources.mon-site]
kind = "wordpress"
endpoint = "https://www.example-opco.fr/wp-json/wp/v2/posts"
buyer = "Mon OPCO"

[sources.mon-flux]
kind = "rss"
url = "https://www.opco2i.fr/feed/"
keywords = ["appel"]
interval_minutes = 120
"""


def test_each_platform_is_configured_without_code(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, USER_SOURCES))
    assert config.enabled_sources()[-3:] == ["mon-acheteur", "mon-site", "mon-flux"]
    mpi, site, rss = (config.build_source(n) for n in ("mon-acheteur", "mon-site", "mon-flux"))
    assert isinstance(mpi, MarchesPublicsInfo) and mpi.name == "mon-acheteur"
    assert mpi.hosts == ("www.marches-publics.info",)
    assert [r.url for r in mpi.start_requests(PAGE_DAY)] == [MPI.format(1234)]
    assert isinstance(site, WordPress) and site.hosts == ("www.example-opco.fr",)
    assert site.start_requests(PAGE_DAY)[0].url == "https://www.example-opco.fr/wp-json/wp/v2/posts"
    assert isinstance(rss, Rss) and rss.hosts == ("www.opco2i.fr",)
    assert config.sources["mon-flux"].interval_minutes == 120
    (notice, *_) = mpi.parse(mpi_page(), MPI.format(1234)).notices
    assert notice.key == "mon-acheteur:2026-AO-07" and notice.buyer == "Mon acheteur"


def test_user_sources_poll_through_the_pipeline(tmp_path: Path, demo_server: DevServer) -> None:
    extra = '[sources.flux-opco2i]\nkind = "rss"\nurl = "https://www.opco2i.fr/feed/"\n'
    extra += '[sources.ep-bis]\nkind = "marches-publics.info"\nids = 6499\n'
    config = load_config(write_config(tmp_path, extra))
    names = ["flux-opco2i", "ep-bis"]
    reports = {r.source: r for r in poll(config, names=names, mirror=demo_server.base_url)}
    assert reports["flux-opco2i"].ok and reports["flux-opco2i"].new == 3
    assert reports["ep-bis"].ok and reports["ep-bis"].new == 3
    again = poll(config, names=names, mirror=demo_server.base_url)
    assert all(r.ok and r.not_modified == r.pages and r.new == 0 for r in again)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('kind = "ftp"', "sources.x.kind: unknown platform kind 'ftp'\n  -> known kinds: "),
        ('kind = "marches-publics.info"\nids = "six"', "sources.x.ids: must be a whole number"),
        ('kind = "marches-publics.info"', "sources.x.ids: this setting is required"),
        ('kind = "marches-publics.info"\nids = 0', "sources.x.ids: must be at least 1"),
        ('kind = "wordpress"\nendpoint = "opco2i.fr"', "sources.x.endpoint: must be a full http"),
        ('kind = "rss"\nurl = "https://a.fr/f"\nfeed = 1', "sources.x.feed: unknown key"),
        (
            'kind = "rss"\nurl = "https://a.fr/f"\nkeywords = "vae"',
            "sources.x.keywords: must be a list",
        ),
    ],
)
def test_bad_platform_settings_are_explained(tmp_path: Path, table: str, expected: str) -> None:
    found = [str(p) for p in validate_file(write_config(tmp_path, f"[sources.x]\n{table}\n"))]
    assert any(p.startswith(expected) for p in found), found


def test_known_kinds_are_listed_for_an_unknown_kind(tmp_path: Path) -> None:
    (found,) = validate_file(write_config(tmp_path, '[sources.x]\nkind = "ftp"\n'))
    assert set(PLATFORMS) == {"marches-publics.info", "wordpress", "rss"}
    assert all(kind in str(found) for kind in PLATFORMS)


def test_platform_options_validate_directly() -> None:
    assert MarchesPublicsInfoOptions(ids=5173).buyer == ""
    with pytest.raises(ValueError, match="full http"):
        WordPressOptions(endpoint="ftp://x.fr/wp-json")
