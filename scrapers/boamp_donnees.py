"""Read the ``donnees`` JSON of a BOAMP record, whatever its form.

The top-level key depends on the form (``MAPA``, ``FNSimple``, ``DSP``, ``DIVERS``, ``EFORMS``,
legacy ``OBJET``/``IDENTITE``…, see shared/sources.md §1.5) and one lot is an object where
several are a list. Rather than one reader per variant, lots are looked up at the known paths
and the rest (CPV codes, amounts, buyer platform URLs) by walking the tree for the keys every
variant uses, so a new variant degrades to "fewer details", never to a crash: every reader here
takes any JSON value and returns what it can (the walk stops at ``MAX_DEPTH``).

Estimated values keep both bounds of a range: ``valeurEstimee.fourchette {valeurBasse 1,
valeurHaute 75000}`` (a buyer who types 1 as the floor means "up to 75 000") gives
``(1, 75000)``; eForms gives ``cbc:EstimatedOverallContractAmount`` and, for a framework
agreement, ``efbc:FrameworkMaximumAmount`` as the high bound. A value of 0 means "not given".
Lots keep the number the buyer gave (``numLot``, ``NUM``… or the "Lot 2 : …" of their name,
see ``scrapers/lots.py``), the position only when they are numbered nowhere. The deadline a
person reads (``dateReceptionOffres``, ``receptionOffres``, eForms' submission deadline) is
returned as written; ``scrapers/boamp.py`` decides how to read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from scrapers.base import clean_text, is_web_url
from scrapers.dates import combine_iso_date_time
from scrapers.lots import lot_number
from watcher.models import Lot

MAX_DEPTH = 40

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
    "intituleLot",
    "titre",
    "TITRE",
    "objet",
    "cbc:Name",
    "description",
    "DESCRIPTION",
)
#: the lot number as boamp.fr reads it (numLot, NUM), and the other variants' fields
NUMBER_KEYS = ("numLot", "NUM", "numero", "num", "numeroLot")
CPV_KEY = re.compile(r"cpv|ItemClassificationCode|PRINCIPAL", re.IGNORECASE)
#: an estimate: a figure or a range (fourchette), by variant; an award's amount last
ESTIMATE_KEYS = ("valeurEstimee", "VALEUR_ESTIMEE", "estimationValeur", "valeurTotale")
AWARD_KEYS = ("montant", "MONTANT")
EFORMS_ESTIMATE = "cbc:EstimatedOverallContractAmount"
EFORMS_MAXIMUM = "efbc:FrameworkMaximumAmount"
#: where lots are, to tell a notice's own estimate from its lots'
LOT_CONTAINERS = frozenset({"lots", "lot", "LOTS", "LOT", "cac:ProcurementProjectLot"})
#: the deadline as the notice writes it, by variant
DEADLINE_KEYS = ("dateReceptionOffres", "receptionOffres", "RECEPT_OFFRES", "dateLimiteReponse")
URL_KEY = re.compile(r"url|uri", re.IGNORECASE)
PLATFORM_KEY = re.compile(r"profil|acheteur|BuyerProfile|URL_PROFIL", re.IGNORECASE)
BODY_KEYS = ("description", "objetComplet", "OBJET_COMPLET", "cbc:Description", "descriptionMarche")
#: the buyer's own reference: idMarche (MAPA), REF_MARCHE (legacy), identifiantInterne (FNSimple)
BUYER_REF_KEY = re.compile(r"^(idMarche|REF_MARCHE|referenceMarche|identifiantInterne)$")
CPV_CODE = re.compile(r"\b(\d{8})(?:-\d)?\b")


@dataclass(frozen=True, slots=True)
class DonneesDetails:
    lots: tuple[Lot, ...] = ()
    cpv: tuple[str, ...] = ()
    estimated_value: Decimal | None = None
    estimated_value_max: Decimal | None = None
    #: the deadline as written in the notice's body ("2026-02-16T12:00:00.000+01:00"), or ""
    deadline_text: str = ""
    platform_url: str = ""
    documents: tuple[str, ...] = ()
    body: str = ""
    buyer_ref: str = ""


def donnees_details(donnees: Any) -> DonneesDetails:
    if not isinstance(donnees, dict) or not donnees:
        return DonneesDetails()
    urls = _unique(_values_under(donnees, URL_KEY, _is_url))
    platform = next(
        (u for k, u in _pairs(donnees, URL_KEY) if PLATFORM_KEY.search(k) and _is_url(u)), ""
    )
    lots = tuple(_lots(donnees))
    low, high = notice_estimate(donnees, lots)
    return DonneesDetails(
        lots=lots,
        cpv=tuple(_unique(_cpv_codes(donnees))),
        estimated_value=low,
        estimated_value_max=high,
        deadline_text=_deadline_text(donnees),
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
        number, title = lot_number("", raw, "", index)
        return Lot(title=title, number=number) if raw.strip() else None
    if not isinstance(raw, dict):
        return None
    project = raw.get("cac:ProcurementProject")
    if isinstance(project, dict):  # eForms: the name sits one level down
        raw = {**raw, **project}
    title = next((_text(raw[k]) for k in TITLE_KEYS if k in raw and _text(raw[k])), "")
    stated = next((_text(raw[k]) for k in NUMBER_KEYS if k in raw and _text(raw[k])), "")
    number, title = lot_number(stated, title, _identifier(raw.get("cbc:ID")), index)
    codes = tuple(_unique(_cpv_codes(raw)))
    low, high = _estimate_in(raw)
    if not title and not codes:
        return None
    return Lot(
        title=title or f"Lot {number}",
        number=number,
        description=_lot_description(raw, title),
        cpv=codes,
        estimated_value=low,
        estimated_value_max=high,
    )


def _identifier(value: Any) -> str:
    """eForms identifiers are {"#text": "LOT-0001", "@schemeName": "Lot"}."""
    return _text(value.get("#text")) if isinstance(value, dict) else _text(value)


def _lot_description(raw: dict[str, Any], title: str) -> str:
    """The lot's description when it says more than its title."""
    for key in ("description", "DESCRIPTION", "cbc:Description"):
        text = _text(raw.get(key))
        if text and not text.endswith(title):
            return text[:2_000]
    return ""


# ---------------------------------------------------------------------------------- values


def notice_estimate(donnees: Any, lots: tuple[Lot, ...] = ()) -> tuple[Decimal | None, ...]:
    """(low, high) of the notice's own estimate, outside its lots; else the sum of its lots'
    single figures when every lot has one; else an award's amount; (None, None) if none."""
    for key in ESTIMATE_KEYS:
        value = next((v for v in _outside_lots(donnees, key)), None)
        if value is not None:
            low, high = value_of(value)
            if low is not None or high is not None:
                return low, high
    eforms = _eforms_estimate(donnees)
    if eforms != (None, None):
        return eforms
    figures = [lot.estimated_value for lot in lots if lot.estimated_value_max is None]
    if lots and len(figures) == len(lots) and all(f is not None for f in figures):
        return sum((f for f in figures if f is not None), Decimal(0)), None
    for key in AWARD_KEYS:
        for value in _outside_lots(donnees, key, skip_lots=False):
            low, high = value_of(value)
            if low is not None:
                return low, high
    return None, None


def _estimate_in(lot: dict[str, Any]) -> tuple[Decimal | None, Decimal | None]:
    """A lot's own estimate (its variant's field, or eForms amounts)."""
    for key in ESTIMATE_KEYS:
        if key in lot:
            low, high = value_of(lot[key])
            if low is not None or high is not None:
                return low, high
    return _eforms_estimate(lot)


def _eforms_estimate(node: Any) -> tuple[Decimal | None, Decimal | None]:
    low = next((value_of(v)[0] for v in _outside_lots(node, EFORMS_ESTIMATE)), None)
    high = next((value_of(v)[0] for v in _outside_lots(node, EFORMS_MAXIMUM)), None)
    if high is not None and low is not None and high <= low:
        high = None
    return low, high


def value_of(node: Any) -> tuple[Decimal | None, Decimal | None]:
    """One value field -> (low, high): a figure gives (figure, None), a range (low, high),
    either bound may be missing. A currency other than the euro, or 0, gives nothing."""
    if isinstance(node, dict):
        currency = node.get("@devise") or node.get("@currencyID") or node.get("DEVISE") or "EUR"
        if not isinstance(currency, str) or currency.upper() != "EUR":
            return None, None
        span = node.get("fourchette") or node.get("FOURCHETTE")
        if isinstance(span, dict):
            low = _amount(span.get("valeurBasse") or span.get("VALEUR_BASSE"))
            high = _amount(span.get("valeurHaute") or span.get("VALEUR_HAUTE"))
            return (low, high) if low is None or high is None or high > low else (low, None)
        for key in ("valeur", "VALEUR", "#text", "montant", "valeurHaute"):
            if key in node:
                return (
                    value_of(node[key])
                    if isinstance(node[key], dict)
                    else (
                        _amount(node[key]),
                        None,
                    )
                )
        return None, None
    return _amount(node), None


def _amount(value: Any) -> Decimal | None:
    """A published amount ("75000", "1 083 333", "96000,50", 12000) -> Decimal, else None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    # 0 means "not given"; a figure beyond a trillion euros is a typing slip, not an estimate
    return amount if amount.is_finite() and 0 < amount < Decimal(10) ** 12 else None


def _outside_lots(node: Any, key: str, *, skip_lots: bool = True, depth: int = 0) -> Iterator[Any]:
    """Values under ``key`` anywhere in the tree, not inside a lot (unless ``skip_lots``)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            elif not (skip_lots and k in LOT_CONTAINERS):
                yield from _outside_lots(v, key, skip_lots=skip_lots, depth=depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _outside_lots(item, key, skip_lots=skip_lots, depth=depth + 1)


def _deadline_text(donnees: dict[str, Any]) -> str:
    """The deadline as the notice's body writes it ("2026-02-16T12:00:00.000+01:00")."""
    for key in DEADLINE_KEYS:
        found = next((_text(v) for v in _outside_lots(donnees, key) if _text(v)), "")
        if found:
            return found
    period = next(_outside_lots(donnees, "cac:TenderSubmissionDeadlinePeriod"), None)
    if isinstance(period, dict):  # eForms: date and time apart, with their offsets
        day, clock = _text(period.get("cbc:EndDate")), _text(period.get("cbc:EndTime"))
        moment = combine_iso_date_time(day, clock or None) if day else None
        return moment.isoformat() if moment else ""
    return ""


def _cpv_codes(node: Any) -> Iterator[str]:
    for _, value in _pairs(node, CPV_KEY):
        for text in _strings(value):
            yield from CPV_CODE.findall(text)


def _body(donnees: dict[str, Any]) -> str:
    parts = [_text(v) for k, v in _pairs(donnees, re.compile("|".join(map(re.escape, BODY_KEYS))))]
    return "\n".join(_unique(p for p in parts if len(p) > 20))[:20_000]


def _pairs(node: Any, key: re.Pattern[str], depth: int = 0) -> Iterator[tuple[str, Any]]:
    """Every (key, value) in the tree whose key matches."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(k, str) and key.search(k):
                yield k, v
            yield from _pairs(v, key, depth + 1)
    elif isinstance(node, list):
        for item in node:
            yield from _pairs(item, key, depth + 1)


def _values_under(node: Any, key: re.Pattern[str], keep: Any) -> Iterator[str]:
    for _, value in _pairs(node, key):
        yield from (s for s in _strings(value) if keep(s))


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > MAX_DEPTH or isinstance(value, bool):
        return
    if isinstance(value, str | int | float):
        yield str(value)
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner, depth + 1)


def _text(value: Any) -> str:
    return clean_text(" ".join(_strings(value)))


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _is_url(text: Any) -> bool:
    return isinstance(text, str) and is_web_url(text)


def _unique(items: Any) -> list[str]:
    return list(dict.fromkeys(items))
