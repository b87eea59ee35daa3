"""Every parse entry point, the date parser, the fallback extractor and the config loader, as
fuzz targets.

A target is a function of one input (text, or bytes for the PDF reader), the kind of edits to
draw (``text``, ``json``, ``bytes``) and its seeds: the saved pages (demo snapshots) and the real
captures of shared/fixtures/real when present. It passes when the function returns, or raises
one of the project's declared errors; anything else is a crash. A page whose reader failed on
one record is a crash too, even though the page was kept (its skip says "internal error").
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

from scrapers.base import INTERNAL, ParseResult, Source
from scrapers.boamp_xml import parse_boamp_xml
from scrapers.dates import (
    combine_iso_date_time,
    parse_french_date,
    parse_french_datetime,
    parse_wall_clock,
)
from scrapers.fallback import fallback_notices
from scrapers.marches_publics_info import MarchesPublicsInfo, MarchesPublicsInfoOptions
from scrapers.opco_common import find_deadline
from scrapers.registry import SOURCES
from scrapers.rss import Rss, RssOptions
from scrapers.wordpress import WordPress, WordPressOptions
from watcher.config import config_from_bytes
from watcher.demo import fill_dates
from watcher.errors import OpcoWatchError, SkipNotice
from watcher.models import Notice
from watcher.starter import example_notify, starter_toml

DEMO = Path(str(resources.files("watcher") / "demo_data"))
REAL = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "real"
DAY = date(2026, 3, 2)
#: what a parser may raise: the project's own errors
DECLARED: tuple[type[BaseException], ...] = (OpcoWatchError, SkipNotice)


class InternalError(AssertionError):
    """A reader failed on a record and the record was left out: a bug, found by fuzzing."""


@dataclass(frozen=True)
class Target:
    name: str
    kind: str  # "text", "json" or "bytes"
    run: Callable[[str | bytes], object]
    demo: tuple[str, ...] = ()  # demo_data files
    real: tuple[str, ...] = ()  # shared/fixtures/real files
    words: tuple[str | bytes, ...] = ()  # literal seeds (dates, config files)
    #: relative cost, for sharing a large budget (1 = a listing page)
    weight: float = 1.0

    def seeds(self) -> list[str | bytes]:
        return _seeds(self)


@cache
def _seeds(target: Target) -> list[str | bytes]:
    found: list[str | bytes] = list(target.words)
    for name in target.demo:
        raw = (DEMO / name).read_bytes()
        text = fill_dates(raw.decode("latin-1" if target.kind == "bytes" else "utf-8"), DAY)
        found.append(text.encode("latin-1") if target.kind == "bytes" else text)
    for name in target.real:
        file = REAL / name
        if file.exists():
            text = file.read_text("utf-8")
            found.append(json.dumps(json.loads(text)["data"]) if "boamp-ods" in name else text)
    return found


def checked(result: ParseResult) -> ParseResult:
    """A page kept, but a record left out because its reader failed: a crash."""
    for skip in result.skipped:
        if skip.reason.startswith(INTERNAL):
            raise InternalError(f"{skip.ref}: {skip.reason}")
    return result


def listing(source: Source, url: str) -> Callable[[str | bytes], object]:
    def run(page: str | bytes) -> object:
        assert isinstance(page, str)
        return checked(source.parse(page, url))

    return run


def detail(name: str, url: str) -> Callable[[str | bytes], object]:
    source = SOURCES[name]()
    notice = Notice(name, url, "Appel d'offres", url, published=DAY)

    def run(page: str | bytes) -> object:
        if isinstance(page, bytes):
            return source.parse_detail_bytes(page, notice)
        return source.parse_detail(page, notice)

    return run


def _text(function: Callable[[str], object]) -> Callable[[str | bytes], object]:
    def run(value: str | bytes) -> object:
        assert isinstance(value, str)
        return function(value)

    return run


CONFIG_DIR = Path(tempfile.mkdtemp(prefix="opco-watch-fuzz-config-"))
atexit.register(shutil.rmtree, CONFIG_DIR, ignore_errors=True)


def _config(value: str | bytes) -> object:
    """The config loader every command uses (trust-honest's ``config_from_bytes``)."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    return config_from_bytes(data, base_dir=CONFIG_DIR)


def _split_iso(value: str) -> object:
    day, _, clock = value.partition(" ")
    return combine_iso_date_time(day, clock or None)


MPI = "https://www.marches-publics.info/avis/index.cfm?IDS={}"
BOAMP = (
    "https://boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp/records"
    "?limit=100&offset=0&where=x"
)
TED = "https://api.ted.europa.eu/v3/notices/search"
WP = "https://www.opco2i.fr/wp-json/wp/v2/appel_a_projects"
FEED = "https://www.opco2i.fr/feed/"
AJAX = "https://www.opco2i.fr/wp-admin/admin-ajax.php"
WORDINGS = (
    "Date limite de réponse le 05/02/2026 à 16h00",
    "Limite de réponse : 05/02/2026",
    "Date et heure limite de réception des PLIS : 5 mars 2026 à 12h00",
    "DATE LIMITE DE DEPOT DES PLIS : LUNDI 31 JANVIER A 12H",
    "Clôture de l'appel à projets : 21 avril – 12h00",
    "Date limite : 3 mars 2026 à midi",
    "31/01/26",
    "12 mars 2026 ➔ 3 avril 2026",
    "2026-02-16T12:00:00+00:00",
    "2026-02-16T12:00:00.000+01:00",
    "2026-08-25+02:00 23:59:00+02:00",
    "9999-12-31T23:59:00+14:00",
)


def _targets() -> list[Target]:
    s = SOURCES
    wordpress = WordPress(WordPressOptions(endpoint=WP, buyer="OPCO 2i"))
    rss = Rss(RssOptions(url=FEED, buyer="OPCO 2i"), name="flux")
    mpi = MarchesPublicsInfo(MarchesPublicsInfoOptions(ids=6499), name="acheteur")
    return [
        Target(
            "boamp",
            "json",
            listing(s["boamp"](), BOAMP),
            demo=("boamp/records.json",),
            real=("boamp-ods-v21-records_dateparution-2026-01-21_limit5.json",),
            weight=0.5,
        ),
        Target("boamp-text", "text", listing(s["boamp"](), BOAMP), demo=("boamp/records.json",)),
        Target(
            "boamp-xml",
            "text",
            _text(parse_boamp_xml),
            real=(
                "boamp-xml-v230_avis-marche_16-186359_2017-01-01.xml",
                "boamp-xml-v230_avis-marche_16-186394_2017-01-01.xml",
                "boamp-xml-v230_attribution_17-29167_2017.xml",
            ),
        ),
        Target(
            "ted",
            "json",
            listing(s["ted"](), TED),
            demo=("ted/search.json",),
            real=("ted-v3-search_sweden-cities_2026-10-08_first3.json",),
            weight=0.5,
        ),
        Target(
            "wordpress",
            "json",
            listing(wordpress, WP),
            demo=("opco2i/appel_a_projects.json",),
            weight=0.5,
        ),
        Target(
            "rss", "text", listing(rss, FEED), demo=("rss/opco2i-feed.xml", "uniformation/rss.xml")
        ),
        Target(
            "akto",
            "text",
            listing(s["akto"](), "https://www.akto.fr/appels-d-offres/"),
            demo=("akto/listing.html",),
        ),
        Target(
            "afdas",
            "text",
            listing(s["afdas"](), "https://www.afdas.com/lafdas/nos-appels-doffres.html"),
            demo=("afdas/listing.html",),
        ),
        Target(
            "atlas",
            "text",
            listing(s["atlas"](), "https://www.opco-atlas.fr/appels-offres.html"),
            demo=("atlas/appels-offres.html",),
        ),
        Target(
            "ocapiat",
            "text",
            listing(s["ocapiat"](), "https://www.ocapiat.fr/procedures-de-marches-publics-ami/"),
            demo=("ocapiat/listing.html",),
        ),
        Target(
            "opco-mobilites",
            "text",
            listing(s["opco-mobilites"](), "https://www.opcomobilites.fr/a-propos/"),
            demo=("opco-mobilites/a-propos.html",),
        ),
        Target(
            "opco-sante",
            "text",
            listing(
                s["opco-sante"](), "https://www.opco-sante.fr/prestataire/demarche-d-habilitation/"
            ),
            demo=("opco-sante/habilitation.html",),
        ),
        Target(
            "uniformation",
            "text",
            listing(
                s["uniformation"](),
                "https://www.uniformation.fr/partenaire-prestataire/appels-doffre",
            ),
            demo=("uniformation/listing.html",),
        ),
        Target(
            "uniformation-feed",
            "text",
            listing(s["uniformation"](), "https://www.uniformation.fr/rss.xml"),
            demo=("uniformation/rss.xml",),
        ),
        Target(
            "opcommerce",
            "text",
            listing(
                s["opcommerce"](),
                "https://www.lopcommerce.com/prestataire-de-formation/marches-publics/consulter-nos-appels-doffres/",
            ),
            demo=("opcommerce/listing.html",),
        ),
        Target(
            "opco-ep",
            "text",
            listing(s["opco-ep"](), MPI.format(6499)),
            demo=("marches_publics_info/opco-ep.html",),
        ),
        Target(
            "constructys",
            "text",
            listing(s["constructys"](), MPI.format(5173)),
            demo=("marches_publics_info/constructys.html",),
        ),
        Target(
            "marches-publics.info",
            "text",
            listing(mpi, MPI.format(6499)),
            demo=("marches_publics_info/opco-ep.html",),
        ),
        Target(
            "opco2i",
            "text",
            listing(s["opco2i"](), AJAX),
            demo=("opco2i/admin-ajax.html",),
            real=("opco2i_admin-ajax_search-results_2026-06-30.html",),
        ),
        Target(
            "akto-detail",
            "text",
            detail("akto", "https://www.akto.fr/appels-d-offres/x/"),
            demo=("akto/manager.html", "akto/sst.html"),
        ),
        Target(
            "afdas-detail",
            "text",
            detail("afdas", "https://www.afdas.com/x.html"),
            demo=("afdas/aap-edec.html", "afdas/rectificatif-securite.html"),
        ),
        Target(
            "atlas-detail",
            "text",
            detail("atlas", "https://www.opco-atlas.fr/appels-d-offres/x/"),
            demo=("atlas/cybersecurite.html", "atlas/attribution-tosa.html"),
        ),
        Target(
            "ocapiat-detail",
            "text",
            detail("ocapiat", "https://www.ocapiat.fr/project/x/"),
            demo=("ocapiat/ami-cqp-bretagne.html", "ocapiat/nettoyage-siege.html"),
        ),
        Target(
            "opco-sante-detail",
            "text",
            detail("opco-sante", "https://www.opco-sante.fr/x/"),
            demo=("opco-sante/tutorat.html", "opco-sante/ami-afgsu.html"),
        ),
        Target(
            "opcommerce-pdf",
            "bytes",
            detail("opcommerce", "https://www.lopcommerce.com/x.pdf"),
            demo=("opcommerce/aap-afpr-poei-preparateur-ge.pdf",),
            weight=4.0,
        ),
        Target(
            "fallback",
            "text",
            _text(
                lambda page: fallback_notices(page, "https://www.akto.fr/appels-d-offres/", "akto")
            ),
            demo=("akto/listing.html", "atlas/appels-offres.html", "uniformation/listing.html"),
        ),
        Target(
            "dates",
            "text",
            _text(lambda t: parse_french_datetime(t, today=DAY)),
            words=WORDINGS,
            weight=0.05,
        ),
        Target("dates-wall-clock", "text", _text(parse_wall_clock), words=WORDINGS, weight=0.05),
        Target(
            "dates-calendar",
            "text",
            _text(lambda t: parse_french_date(t, today=DAY)),
            words=WORDINGS,
            weight=0.05,
        ),
        Target("dates-ted", "text", _text(_split_iso), words=WORDINGS, weight=0.05),
        Target(
            "find-deadline",
            "text",
            _text(lambda t: find_deadline(t, DAY)),
            words=WORDINGS,
            weight=0.05,
        ),
        Target("config", "text", _config, words=CONFIG_SEEDS),
        Target("config-bytes", "bytes", _config, words=tuple(c.encode() for c in CONFIG_SEEDS)),
    ]


CONFIG_SEEDS = (
    starter_toml(),
    example_notify(),
    '[organisation]\nname = "OF"\ncontact_email = "veille@of.fr"\n'
    "[sources.akto]\nenabled = false\n",
)
TARGETS = {target.name: target for target in _targets()}
