"""Read the ``donnees`` JSON of a BOAMP record, whatever its form.

The top-level key depends on the form (``MAPA``, ``FNSimple``, ``DSP``, ``DIVERS``, ``EFORMS``,
legacy ``OBJET``/``IDENTITE``…, see shared/sources.md §1.5) and one lot is an object where
several are a list. Rather than one reader per variant, lots are looked up at the known paths
and the rest (CPV codes, amounts, buyer platform URLs) by walking the tree for the keys every
variant uses, so a new variant degrades to "fewer details", never to a crash.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from scrapers.base import clean_text
from watcher.models import Lot

LOT_PATHS = (
    ("OBJET", "LOTS", "LOT"),
    ("FNSimple", "initial", "lots", "lot"),
    ("MAPA", "initial", "lots", "lot"),
    ("MAPA", "attribution", "attribution", "lotMarche"),
    ("DSP", "initial", "descriptionMarche", "lots", "lot"),
    ("DIVERS", "initial", "lots", "lot"),
    ("EFORMS", "ContractNotice", "cac:ProcurementProjectLot"),
    ("EFORMS", "ContractAwardNotice", "cac:ProcurementProjectLot"),
    ("EFORMS", "PriorInformationNotice", "cac:ProcurementProjectLot"),
)
TITLE_KEYS = (
    "intitule",
    "INTITULE",
    "titre",
    "TITRE",
    "objet",
    "cbc:Name",
    "description",
    "DESCRIPTION",
)
NUMBER_KEYS = ("numero", "num", "NUM", "numLot", "cbc:ID")
CPV_KEY = re.compile(r"cpv|ItemClassificationCode|PRINCIPAL", re.IGNORECASE)
AMOUNT_KEY = re.compile(r"valeurEstimee|valeurHaute|EstimatedOverallContractAmount|montant", re.I)
URL_KEY = re.compile(r"url|uri", re.IGNORECASE)
PLATFORM_KEY = re.compile(r"profil|acheteur|BuyerProfile|URL_PROFIL", re.IGNORECASE)
BODY_KEYS = ("description", "objetComplet", "OBJET_COMPLET", "cbc:Description", "descriptionMarche")
BUYER_REF_KEY = re.compile(r"^(idMarche|REF_MARCHE|referenceMarche)$")
CPV_CODE = re.compile(r"\b(\d{8})(?:-\d)?\b")


@dataclass(frozen=True, slots=True)
class DonneesDetails:
    lots: tuple[Lot, ...] = ()
    cpv: tuple[str, ...] = ()
    estimated_value: Decimal | None = None
    platform_url: str = ""
    documents: tuple[str, ...] = ()
    body: str = ""
    buyer_ref: str = ""


def donnees_details(donnees: dict[str, Any]) -> DonneesDetails:
    if not donnees:
        return DonneesDetails()
    urls = _unique(_values_under(donnees, URL_KEY, _is_url))
    platform = next(
        (u for k, u in _pairs(donnees, URL_KEY) if PLATFORM_KEY.search(k) and _is_url(u)), ""
    )
    return DonneesDetails(
        lots=tuple(_lots(donnees)),
        cpv=tuple(_unique(_cpv_codes(donnees))),
        estimated_value=next(_amounts(donnees), None),
        platform_url=platform or (urls[0] if urls else ""),
        documents=tuple(urls),
        body=_body(donnees),
        buyer_ref=next((_text(v) for _, v in _pairs(donnees, BUYER_REF_KEY) if _text(v)), ""),
    )


def _lots(donnees: dict[str, Any]) -> Iterator[Lot]:
    for path in LOT_PATHS:
        found = _at(donnees, path)
        if found is None:
            continue
        for index, raw in enumerate(found if isinstance(found, list) else [found], start=1):
            lot = _lot(raw, index)
            if lot:
                yield lot
        return


def _lot(raw: Any, index: int) -> Lot | None:
    if isinstance(raw, str):
        return Lot(title=clean_text(raw), number=str(index)) if raw.strip() else None
    if not isinstance(raw, dict):
        return None
    if "cac:ProcurementProject" in raw:  # eForms: the name sits one level down
        raw = {**raw, **raw["cac:ProcurementProject"]}
    title = next((_text(raw[k]) for k in TITLE_KEYS if k in raw and _text(raw[k])), "")
    number = next((_text(raw[k]) for k in NUMBER_KEYS if k in raw and _text(raw[k])), str(index))
    codes = tuple(_unique(_cpv_codes(raw)))
    return Lot(title=title or f"Lot {number}", number=number, cpv=codes) if title or codes else None


def _cpv_codes(node: Any) -> Iterator[str]:
    for _, value in _pairs(node, CPV_KEY):
        for text in _strings(value):
            yield from CPV_CODE.findall(text)


def _amounts(node: Any) -> Iterator[Decimal]:
    for _, value in _pairs(node, AMOUNT_KEY):
        for text in _strings(value):
            try:
                amount = Decimal(text.replace(" ", "").replace(",", "."))
            except InvalidOperation:
                continue
            if amount > 0:
                yield amount


def _body(donnees: dict[str, Any]) -> str:
    parts = [_text(v) for k, v in _pairs(donnees, re.compile("|".join(map(re.escape, BODY_KEYS))))]
    return "\n".join(_unique(p for p in parts if len(p) > 20))[:20_000]


def _pairs(node: Any, key: re.Pattern[str]) -> Iterator[tuple[str, Any]]:
    """Every (key, value) in the tree whose key matches."""
    if isinstance(node, dict):
        for k, v in node.items():
            if key.search(k):
                yield k, v
            yield from _pairs(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _pairs(item, key)


def _values_under(node: Any, key: re.Pattern[str], keep: Any) -> Iterator[str]:
    for _, value in _pairs(node, key):
        yield from (s for s in _strings(value) if keep(s))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str | int | float):
        yield str(value)
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def _text(value: Any) -> str:
    return clean_text(" ".join(_strings(value)))


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _is_url(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(("http://", "https://"))


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))
