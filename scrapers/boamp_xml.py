"""BOAMP notices in the DILA open-data XML of the 2010s (schema ``Boamp_v230.xsd``): the daily
archives of the bulletin, and the ``donnees`` of old records. No source polls this format any
more (the DILA XML API is gone, shared/sources.md §1.1); ``parse_boamp_xml`` reads such files
into the same ``Notice`` as the API records, for archives and backfills.

Paths (shared/fixtures/real/SOURCES.md): ``GESTION/REFERENCE/IDWEB`` and ``TYPE_AVIS/NATURE``
(``APPEL_OFFRE``, ``RECTIFICATIF``, ``ATTRIBUTION``, ``ANNULATION``), ``GESTION/MARCHE/
ANNONCE_ANTERIEUR/REFERENCE/IDWEB`` (the notice an award or a corrigendum refers to),
``GESTION/INDEXATION/{DATE_PUBLICATION, DESCRIPTEURS, DEP_PUBLICATION, RESUME_OBJET}``,
``DONNEES/IDENTITE/{DENOMINATION, URL_PROFIL_ACHETEUR, URL_DOCUMENT, URL_PARTICIPATION}``,
``DONNEES/OBJET/{TITRE_MARCHE, REF_MARCHE, OBJET_COMPLET, CPV/PRINCIPAL, LOTS/LOT}``,
``DONNEES/PROCEDURE/TYPE_PROCEDURE``, ``DONNEES/CONDITION_DELAI/RECEPT_OFFRES`` (the deadline,
ISO with offset), ``DONNEES/ATTRIBUTION/DECISION/TITULAIRE/DENOMINATION`` (winners).

The buyer's own reference (``REF_MARCHE``) goes to ``Notice.buyer_ref`` (grouping key) and is
also written in the summary as "Référence acheteur : …".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from scrapers.base import clean_text, is_web_url
from scrapers.boamp import KINDS, NOTICE_PAGE
from scrapers.dates import parse_deadline
from scrapers.lots import lot_number
from scrapers.rss import safe_xml
from watcher.errors import ParseError
from watcher.models import Lot, Notice, NoticeKind

PLATFORM_FIELDS = ("URL_PROFIL_ACHETEUR", "URL_PARTICIPATION")
STATUS_KINDS = {"RECTIFICATIF": NoticeKind.CORRIGENDUM, "ANNULATION": NoticeKind.CANCELLATION}
PROCEDURES = {
    "OUVERT": "Procédure ouverte",
    "RESTREINT": "Procédure restreinte",
    "PROCEDURE_ADAPTE": "Procédure adaptée",
    "NEGOCIE": "Procédure négociée",
    "DIALOGUE_COMPETITIF": "Dialogue compétitif",
    "CONCOURS": "Concours",
}


def parse_boamp_xml(text: str | bytes, source: str = "boamp") -> Notice:
    """One ``<ANNONCE>`` document -> Notice. ParseError when the XML is broken or is not a
    notice (no IDWEB), whatever the bytes."""
    root = safe_xml(text, source, "BOAMP XML")
    idweb = _text(root, "GESTION/REFERENCE/IDWEB")
    if not idweb:
        raise ParseError(source, "BOAMP XML without GESTION/REFERENCE/IDWEB", url="BOAMP XML")
    try:
        return _notice(root, idweb, source)
    except ValueError as error:  # a notice that cannot be one (an empty title…)
        raise ParseError(source, f"BOAMP XML notice {idweb} unreadable: {error}") from error


def _notice(root: Any, idweb: str, source: str) -> Notice:
    objet = root.find("DONNEES/OBJET")
    deadline_text = _text(root, "DONNEES/CONDITION_DELAI/RECEPT_OFFRES")
    lots = tuple(_lot(lot, i) for i, lot in enumerate(root.findall("DONNEES/OBJET/LOTS/LOT"), 1))
    return Notice(
        source=source,
        ref=idweb,
        title=_title(root) or f"Avis BOAMP {idweb}",
        url=NOTICE_PAGE.format(idweb=quote(idweb, safe="-")),
        buyer=_text(root, "DONNEES/IDENTITE/DENOMINATION"),
        published=_date(_text(root, "GESTION/INDEXATION/DATE_PUBLICATION")),
        deadline=parse_deadline(deadline_text) if deadline_text else None,
        deadline_text=deadline_text,
        summary=_summary(root),
        body=_text(root, "DONNEES/OBJET/OBJET_COMPLET"),
        lots=lots,
        cpv=_unique(_all(objet, "CPV/PRINCIPAL") + [c for lot in lots for c in lot.cpv]),
        places=_unique(_all(root, "GESTION/INDEXATION/DEP_PUBLICATION")),
        procedure=_procedure(root),
        estimated_value=_total(lots),
        documents=_unique(
            [u for u in _all(root, "DONNEES/IDENTITE/URL_DOCUMENT") if is_web_url(u)]
        ),
        kind=_kind(root),
        buyer_ref=_text(root, "DONNEES/OBJET/REF_MARCHE"),
        related_refs=_unique(_all(root, "GESTION/MARCHE/ANNONCE_ANTERIEUR/REFERENCE/IDWEB")),
        platform_url=next(
            (
                u
                for u in (_text(root, f"DONNEES/IDENTITE/{k}") for k in PLATFORM_FIELDS)
                if is_web_url(u)
            ),
            "",
        ),
        winner=", ".join(
            _unique(_all(root, "DONNEES/ATTRIBUTION/DECISION/TITULAIRE/DENOMINATION"))
        ),
    )


def _title(root: Any) -> str:
    for path in ("DONNEES/OBJET/TITRE_MARCHE", "GESTION/INDEXATION/RESUME_OBJET"):
        if _text(root, path):
            return _text(root, path)
    return _text(root, "DONNEES/OBJET/OBJET_COMPLET")[:200]


def _summary(root: Any) -> str:
    descriptors = ", ".join(_all(root, "GESTION/INDEXATION/DESCRIPTEURS/DESCRIPTEUR/LIBELLE"))
    reference = _text(root, "DONNEES/OBJET/REF_MARCHE")
    parts = [
        _text(root, "GESTION/INDEXATION/RESUME_OBJET"),
        f"Descripteurs : {descriptors}" if descriptors else "",
        f"Référence acheteur : {reference}" if reference else "",
    ]
    return "\n".join(p for p in parts if p)


def _kind(root: Any) -> NoticeKind:
    status = _tags(root, "GESTION/REFERENCE/TYPE_AVIS/STATUT")
    for tag in status:
        if tag in STATUS_KINDS:
            return STATUS_KINDS[tag]
    nature = _tags(root, "GESTION/REFERENCE/TYPE_AVIS/NATURE")
    return next((KINDS[t] for t in nature if t in KINDS), NoticeKind.CALL)


def _procedure(root: Any) -> str:
    tags = _tags(root, "DONNEES/PROCEDURE/TYPE_PROCEDURE")
    if not tags:
        return ""
    return PROCEDURES.get(tags[0], tags[0].replace("_", " ").capitalize())


def _lot(lot: Any, index: int) -> Lot:
    number, title = lot_number(
        _text(lot, "NUM"), _text(lot, "INTITULE") or _text(lot, "DESCRIPTION"), "", index
    )
    return Lot(
        title=title or f"Lot {number}",
        number=number,
        description=_text(lot, "DESCRIPTION"),
        cpv=_unique(_all(lot, "CPV/PRINCIPAL")),
        estimated_value=_amount(_text(lot, "VALEUR")),
    )


def _total(lots: tuple[Lot, ...]) -> Decimal | None:
    """The sum of the lots' estimated values, when every lot has one."""
    values = [lot.estimated_value for lot in lots]
    if not values or any(v is None for v in values):
        return None
    return sum((v for v in values if v is not None), Decimal(0))


def _tags(root: Any, path: str) -> list[str]:
    """The names of the children of ``path`` (the XML codes its choices as empty elements)."""
    node = root.find(path)
    return (
        [str(child.tag) for child in node if isinstance(child.tag, str)] if node is not None else []
    )


def _text(node: Any, path: str) -> str:
    found = node.find(path) if node is not None else None
    return clean_text("".join(found.itertext())) if found is not None else ""


def _all(node: Any, path: str) -> list[str]:
    if node is None:
        return []
    return [t for t in (clean_text("".join(n.itertext())) for n in node.findall(path)) if t]


def _amount(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace(" ", "").replace(",", ".")) if text else None
    except (InvalidOperation, ValueError):
        return None
    return value if value is not None and value.is_finite() and 0 < value < 10**12 else None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


__all__ = ["parse_boamp_xml"]
