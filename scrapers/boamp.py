"""BOAMP — the French official bulletin of public procurement, through its open-data API.

The OpenDataSoft Explore v2.1 API (anonymous) is queried twice per poll: notices whose buyer is
an OPCO (``nomacheteur``), and notices nationwide whose object mentions training words. Records
come 100 per call (``limit``/``offset``); past 10,000 results the ``exports`` endpoint is used.
The record fields and the ``donnees`` variants are described in shared/sources.md §1.
"""

from __future__ import annotations

import html
import json
import logging
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from pydantic import BaseModel, ConfigDict, Field

from scrapers.base import JsonApiSource, ParseResult, clean_text
from scrapers.boamp_donnees import donnees_details
from scrapers.dates import parse_deadline
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

OPCO_BUYERS = (
    "AKTO",
    "Afdas",
    "OPCO ATLAS",
    "CONSTRUCTYS",
    "OPCO 2i",
    "UNIFORMATION",
    "OPCO Mobilités",
    "OPCO Santé",
    "Opcommerce",
    "OCAPIAT",
    "OPCO EP",
)
TRAINING_WORDS = ("formation", "bilan de compétences", "VAE", "compétences")

KINDS = {
    "APPEL_OFFRE": NoticeKind.CALL,
    "RECTIFICATIF": NoticeKind.CORRIGENDUM,
    "ATTRIBUTION": NoticeKind.AWARD,
    "RESULTAT": NoticeKind.AWARD,
    "ANNULATION": NoticeKind.CANCELLATION,
}


class BoampOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyers: list[str] = Field(
        default=list(OPCO_BUYERS),
        description="Buyer names (nomacheteur) searched on BOAMP: the OPCOs by default.",
    )
    keywords: list[str] = Field(
        default=list(TRAINING_WORDS),
        description="Words searched in the object of every notice nationwide ([] to disable).",
    )
    lookback_days: int = Field(
        default=30, ge=1, le=365, description="How many days of publications each poll asks for."
    )


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
            return ParseResult([n for n in map(self._notice_or_none, data) if n])
        if not isinstance(data, dict) or "results" not in data:
            raise ParseError(self.name, "unexpected API answer: no 'results' list", url=url)
        notices = [n for n in map(self._notice_or_none, data["results"]) if n]
        return ParseResult(notices, _next_requests(url, int(data.get("total_count") or 0)))

    def _notice_or_none(self, record: Any) -> Notice | None:
        try:
            return record_to_notice(record)
        except (ValueError, KeyError, TypeError) as error:
            log.warning("[boamp] record skipped: %s", error)
            return None


def record_to_notice(record: dict[str, Any]) -> Notice:
    """One API record (v2.1 flat, or v1 with ``fields``) -> Notice."""
    fields = record.get("fields", record)
    idweb = str(fields["idweb"])
    gestion = _json_field(fields.get("gestion"))
    extra = donnees_details(_json_field(fields.get("donnees")))
    deadline_text = _deadline_text(fields, gestion)
    return Notice(
        source="boamp",
        ref=idweb,
        title=_unescape(fields.get("objet") or "") or f"Avis BOAMP {idweb}",
        url=fields.get("url_avis") or NOTICE_PAGE.format(idweb=idweb),
        buyer=_unescape(fields.get("nomacheteur") or ""),
        published=_date(fields.get("dateparution")),
        deadline=parse_deadline(deadline_text) if deadline_text else None,
        deadline_text=deadline_text,
        summary=_summary(fields, gestion),
        body=extra.body,
        lots=extra.lots,
        cpv=extra.cpv,
        places=tuple(
            _as_list(fields.get("code_departement_prestation") or fields.get("code_departement"))
        ),
        procedure=fields.get("procedure_libelle") or fields.get("type_procedure") or "",
        estimated_value=extra.estimated_value,
        documents=extra.documents,
        kind=_kind(fields),
        folder_id=str(fields.get("contractfolderid") or "").lower(),  # as TED's, for grouping
        buyer_ref=extra.buyer_ref,
        related_refs=tuple(
            _as_list(fields.get("annonce_lie")) + _as_list(fields.get("annonces_anterieures"))
        ),
        platform_url=extra.platform_url,
        winner=", ".join(_as_list(fields.get("titulaire"))),
    )


def _records_request(where: str, offset: int) -> Request:
    params: dict[str, str | int] = {
        "where": where,
        "order_by": "dateparution desc",
        "limit": PAGE_SIZE,
        "offset": offset,
    }
    return Request(RECORDS_URL, params=params)


def _next_requests(url: str, total: int) -> list[Request]:
    query = parse_qs(urlsplit(url).query)
    where = query.get("where", [""])[0]
    offset = int(query.get("offset", ["0"])[0]) + PAGE_SIZE
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
        except json.JSONDecodeError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def _deadline_text(fields: dict[str, Any], gestion: dict[str, Any]) -> str:
    value = fields.get("datelimitereponse")
    if not value:
        value = (gestion.get("INDEXATION") or {}).get("DATE_LIMITE_REPONSE")
    return str(value) if value else ""


def _summary(fields: dict[str, Any], gestion: dict[str, Any]) -> str:
    resume = (gestion.get("INDEXATION") or {}).get("RESUME_OBJET") or ""
    descriptors = ", ".join(_as_list(fields.get("descripteur_libelle")))
    parts = [_unescape(resume), f"Descripteurs : {descriptors}" if descriptors else ""]
    return "\n".join(p for p in parts if p)


def _kind(fields: dict[str, Any]) -> NoticeKind:
    nature = str(fields.get("nature") or fields.get("nature_categorise") or "").upper()
    for prefix, kind in KINDS.items():
        if nature.startswith(prefix):
            return kind
    label = str(fields.get("nature_categorise_libelle") or fields.get("nature_libelle") or "")
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
