"""BOAMP — the French official bulletin of public procurement, through its open-data API.

The OpenDataSoft Explore v2.1 API (anonymous) is queried twice per poll: notices whose buyer is
an OPCO (``nomacheteur``), and notices nationwide whose object mentions training words. Records
come 100 per call (``limit``/``offset``); past 10,000 results the ``exports`` endpoint is used.
The record fields and the ``donnees`` variants are described in shared/sources.md §1.

Deadlines. ``datelimitereponse`` carries the buyer's wall-clock time labelled ``+00:00``
(``2026-02-16T12:00:00+00:00`` for a 12:00 Paris deadline: real answer of January 2026,
shared/fixtures/real), while ``gestion.INDEXATION.DATE_LIMITE_REPONSE`` and the body's
``dateReceptionOffres`` write the local time with its offset or none
(``2026-02-16T12:00:00.000+01:00``, ``2026-02-27T12:00:00``). boamp.fr shows the wall-clock
part of DATE_LIMITE_REPONSE ("à 12h00": its front-end cuts the string at "T" and keeps
"HH:MM", fixture boamp-fr_recherche-resultats). So the deadline is read from gestion, else
the body, else ``datelimitereponse``, always as the wall-clock time written, in Europe/Paris
(summer time included): never as the instant its ``+00:00`` claims.

Each record is validated on its own (``BoampRecord``): one of the wrong shape is skipped with
its reason, the others are kept. The envelope (``total_count``, ``results``) is validated once:
a wrong one is a ``ParseError``.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import date, timedelta
from typing import Annotated, Any, ClassVar
from urllib.parse import parse_qs, quote

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from scrapers.base import (
    JsonApiSource,
    ParseResult,
    Skipped,
    clean_text,
    read_each,
    split_url,
    validated_envelope,
)
from scrapers.boamp_donnees import donnees_details
from scrapers.dates import parse_wall_clock
from scrapers.options import BoampOptions
from watcher.errors import ParseError
from watcher.fetch import Request
from watcher.models import Notice, NoticeKind

log = logging.getLogger(__name__)

API = "https://boamp-datadila.opendatasoft.com/api/explore/v2.1/catalog/datasets/boamp"
RECORDS_URL = f"{API}/records"
EXPORT_URL = f"{API}/exports/json"
NOTICE_PAGE = "https://www.boamp.fr/pages/avis/?q=idweb:{idweb}"
PAGE_SIZE = 100
RECORDS_CAP = 10_000

KINDS = {
    "APPEL_OFFRE": NoticeKind.CALL,
    "RECTIFICATIF": NoticeKind.CORRIGENDUM,
    "ATTRIBUTION": NoticeKind.AWARD,
    "RESULTAT": NoticeKind.AWARD,
    "ANNULATION": NoticeKind.CANCELLATION,
}


Text = str | None
#: a list field, or the same as one comma-separated string, or a single number
Listish = list[str | int | float | None] | str | int | None
#: gestion and donnees: JSON strings on the API, objects in some exports
JsonText = str | dict[str, Any] | None


class BoampRecord(BaseModel):
    """The fields of one record that are read, with the shapes the API gives them."""

    model_config = ConfigDict(extra="ignore")

    idweb: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] | StrictInt
    objet: Text = None
    nomacheteur: Text = None
    url_avis: Text = None
    dateparution: Text = None
    datelimitereponse: Text = None
    gestion: JsonText = None
    donnees: JsonText = None
    code_departement: Listish = None
    code_departement_prestation: Listish = None
    procedure_libelle: Text = None
    type_procedure: Text = None
    nature: Text = None
    nature_categorise: Text = None
    nature_categorise_libelle: Text = None
    nature_libelle: Text = None
    contractfolderid: Text = None
    annonce_lie: Listish = None
    annonces_anterieures: Listish = None
    titulaire: Listish = None
    descripteur_libelle: Listish = None


class BoampPage(BaseModel):
    """The envelope of a records answer (v2.1)."""

    total_count: int = Field(default=0, ge=0)
    results: list[Any]


class Boamp(JsonApiSource):
    """BOAMP — annonces de marchés publics (API open data de la DILA)."""

    name = "boamp"
    hosts = ("boamp-datadila.opendatasoft.com", "www.boamp.fr")
    Options: ClassVar[type[BaseModel]] = BoampOptions
    max_pages = RECORDS_CAP // PAGE_SIZE + 1

    def start_requests(self, today: date) -> list[Request]:
        options: BoampOptions = self.options  # type: ignore[assignment]
        since = today - timedelta(days=options.lookback_days)
        clauses = [
            _any_search("nomacheteur", options.buyers),
            _any_search("objet", options.keywords),
        ]
        return [_records_request(f"({c}) AND {_since(since)}", 0) for c in clauses if c]

    def parse_json(self, data: Any, url: str) -> ParseResult:
        if isinstance(data, list):  # exports endpoint: a bare array of records
            notices, skipped = self._records(data)
            return ParseResult(notices, [], skipped)
        if not isinstance(data, dict) or "results" not in data:
            raise ParseError(self.name, "unexpected API answer: no 'results' list", url=url)
        page = validated_envelope(BoampPage, data, source=self.name, url=url)
        notices, skipped = self._records(page.results)
        return ParseResult(notices, _next_requests(url, page.total_count), skipped)

    def _records(self, records: list[Any]) -> tuple[list[Notice], list[Skipped]]:
        """Each record on its own; the pipeline logs and counts those left out."""
        return read_each(records, record_to_notice, source=self.name, ref=_ref)


def _ref(index: int, record: Any) -> str:
    fields = record.get("fields", record) if isinstance(record, dict) else None
    idweb = fields.get("idweb") if isinstance(fields, dict) else None
    return str(idweb) if isinstance(idweb, str | int) and str(idweb) else f"record {index}"


def record_to_notice(record: Any) -> Notice:
    """One API record (v2.1 flat, or v1 with ``fields``) -> Notice; ValidationError (a
    ValueError) when the record is not of the shape the API gives."""
    raw = record.get("fields", record) if isinstance(record, dict) else record
    fields = BoampRecord.model_validate(raw)
    idweb = str(fields.idweb).strip()
    gestion = _json_field(fields.gestion)
    extra = donnees_details(_json_field(fields.donnees))
    deadline_text = _deadline_text(fields, gestion, extra.deadline_text)
    deadline = parse_wall_clock(deadline_text) if deadline_text else None
    return Notice(
        source="boamp",
        ref=idweb,
        title=_unescape(fields.objet or "") or f"Avis BOAMP {idweb}",
        url=_notice_page(fields.url_avis, idweb),
        buyer=_unescape(fields.nomacheteur or ""),
        published=_date(fields.dateparution),
        deadline=deadline.value if deadline else None,
        deadline_text=deadline_text,
        summary=_summary(fields, gestion),
        body=extra.body,
        lots=extra.lots,
        cpv=extra.cpv,
        places=tuple(_as_list(fields.code_departement_prestation or fields.code_departement)),
        procedure=fields.procedure_libelle or fields.type_procedure or "",
        estimated_value=extra.estimated_value,
        estimated_value_max=extra.estimated_value_max,
        documents=extra.documents,
        kind=_kind(fields),
        folder_id=(fields.contractfolderid or "").strip().lower(),  # as TED's, for grouping
        buyer_ref=extra.buyer_ref,
        related_refs=tuple(_as_list(fields.annonce_lie) + _as_list(fields.annonces_anterieures)),
        platform_url=extra.platform_url,
        winner=", ".join(_as_list(fields.titulaire)),
    )


def _notice_page(url: str | None, idweb: str) -> str:
    """The notice's page on boamp.fr: ``url_avis`` when it is one, else built from idweb."""
    if url and url.startswith("https://www.boamp.fr/"):
        return url
    return NOTICE_PAGE.format(idweb=quote(idweb, safe="-"))


def _records_request(where: str, offset: int) -> Request:
    params: dict[str, str | int] = {
        "where": where,
        "order_by": "dateparution desc",
        "limit": PAGE_SIZE,
        "offset": offset,
    }
    return Request(RECORDS_URL, params=params)


def _next_requests(url: str, total: int) -> list[Request]:
    query = parse_qs(split_url(url).query)
    where = query.get("where", [""])[0]
    try:
        offset = int(query.get("offset", ["0"])[0]) + PAGE_SIZE
    except ValueError:  # not our own request's URL: no paging
        return []
    if offset >= total or not where:
        return []
    if total > RECORDS_CAP:
        if offset == PAGE_SIZE:  # switch once, from the first page, to the uncapped export
            return [Request(EXPORT_URL, params={"where": where, "order_by": "dateparution desc"})]
        return []
    return [_records_request(where, offset)]


def _any_search(field: str, words: list[str]) -> str:
    return " OR ".join(f'search({field}, "{w.replace(chr(34), "")}")' for w in words)


def _since(day: date) -> str:
    return f"dateparution >= date'{day.isoformat()}'"


def _json_field(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            decoded = json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def _deadline_text(fields: BoampRecord, gestion: dict[str, Any], in_body: str) -> str:
    """The deadline as the notice writes it: gestion's (what boamp.fr shows), else the body's,
    else ``datelimitereponse`` (whose wall clock is the same, labelled +00:00)."""
    indexation = gestion.get("INDEXATION")
    value = indexation.get("DATE_LIMITE_REPONSE") if isinstance(indexation, dict) else None
    for candidate in (value, in_body, fields.datelimitereponse):
        if isinstance(candidate, str) and candidate.strip():
            return clean_text(candidate)
    return ""


def _summary(fields: BoampRecord, gestion: dict[str, Any]) -> str:
    indexation = gestion.get("INDEXATION")
    resume = indexation.get("RESUME_OBJET") if isinstance(indexation, dict) else None
    descriptors = ", ".join(_as_list(fields.descripteur_libelle))
    parts = [
        _unescape(resume if isinstance(resume, str) else ""),
        f"Descripteurs : {descriptors}" if descriptors else "",
    ]
    return "\n".join(p for p in parts if p)


def _kind(fields: BoampRecord) -> NoticeKind:
    nature = str(fields.nature or fields.nature_categorise or "").upper()
    for prefix, kind in KINDS.items():
        if nature.startswith(prefix):
            return kind
    label = str(fields.nature_categorise_libelle or fields.nature_libelle or "")
    if "attribution" in label.lower() or "résultat" in label.lower():
        return NoticeKind.AWARD
    return NoticeKind.CORRIGENDUM if "rectificatif" in label.lower() else NoticeKind.CALL


def _unescape(text: str) -> str:
    """Titles carry HTML entities, sometimes encoded twice (&amp;#039;)."""
    once = html.unescape(text)
    return clean_text(html.unescape(once) if "&" in once else once)


def _as_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v not in (None, "")]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


__all__ = ["Boamp", "BoampOptions", "record_to_notice"]
