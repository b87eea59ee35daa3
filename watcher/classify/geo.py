"""French regions and departments: validation of the profile and reading of a notice's places.

A notice's place may be a region name (any case or accents), a department code (``"35"``,
``"2A"``, ``"971"``), a string containing a code in brackets (``"Rennes (35)"``), or
``"France entière"``, or a NUTS code as TED writes them (``"FRK"``, ``"FRH03"``; ``"FR"`` is the
whole country). Anything else is unknown and never blocks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from watcher.classify.text import fold
from watcher.nuts import NATIONAL as NATIONAL
from watcher.nuts import NUTS_REGIONS as NUTS_REGIONS
from watcher.nuts import nuts_region as nuts_region

#: The 18 regions (13 metropolitan, 5 overseas) and their departments.
# fmt: off
REGION_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "Auvergne-Rhône-Alpes": (
        "01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74",
    ),
    "Bourgogne-Franche-Comté": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "Bretagne": ("22", "29", "35", "56"),
    "Centre-Val de Loire": ("18", "28", "36", "37", "41", "45"),
    "Corse": ("2A", "2B"),
    "Grand Est": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "Hauts-de-France": ("02", "59", "60", "62", "80"),
    "Île-de-France": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "Normandie": ("14", "27", "50", "61", "76"),
    "Nouvelle-Aquitaine": (
        "16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87",
    ),
    "Occitanie": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "Pays de la Loire": ("44", "49", "53", "72", "85"),
    "Provence-Alpes-Côte d'Azur": ("04", "05", "06", "13", "83", "84"),
    "Guadeloupe": ("971",),
    "Martinique": ("972",),
    "Guyane": ("973",),
    "La Réunion": ("974",),
    "Mayotte": ("976",),
}
# fmt: on

REGIONS: tuple[str, ...] = tuple(REGION_DEPARTMENTS)

DEPARTMENT_REGION: dict[str, str] = {
    code: region for region, codes in REGION_DEPARTMENTS.items() for code in codes
}
#: Saint-Pierre-et-Miquelon has an INSEE department-style code but no region.
DEPARTMENT_REGION["975"] = "Saint-Pierre-et-Miquelon"

DEPARTMENTS: tuple[str, ...] = tuple(sorted(DEPARTMENT_REGION))

#: The departments' names, by code (a lot's title may say « Lot 3 : Finistère »).
# fmt: off
DEPARTMENT_NAMES: dict[str, str] = {
    "01": "Ain", "02": "Aisne", "03": "Allier", "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes", "06": "Alpes-Maritimes", "07": "Ardèche", "08": "Ardennes",
    "09": "Ariège", "10": "Aube", "11": "Aude", "12": "Aveyron", "13": "Bouches-du-Rhône",
    "14": "Calvados", "15": "Cantal", "16": "Charente", "17": "Charente-Maritime", "18": "Cher",
    "19": "Corrèze", "2A": "Corse-du-Sud", "2B": "Haute-Corse", "21": "Côte-d'Or",
    "22": "Côtes-d'Armor", "23": "Creuse", "24": "Dordogne", "25": "Doubs", "26": "Drôme",
    "27": "Eure", "28": "Eure-et-Loir", "29": "Finistère", "30": "Gard", "31": "Haute-Garonne",
    "32": "Gers", "33": "Gironde", "34": "Hérault", "35": "Ille-et-Vilaine", "36": "Indre",
    "37": "Indre-et-Loire", "38": "Isère", "39": "Jura", "40": "Landes", "41": "Loir-et-Cher",
    "42": "Loire", "43": "Haute-Loire", "44": "Loire-Atlantique", "45": "Loiret", "46": "Lot",
    "47": "Lot-et-Garonne", "48": "Lozère", "49": "Maine-et-Loire", "50": "Manche",
    "51": "Marne", "52": "Haute-Marne", "53": "Mayenne", "54": "Meurthe-et-Moselle",
    "55": "Meuse", "56": "Morbihan", "57": "Moselle", "58": "Nièvre", "59": "Nord",
    "60": "Oise", "61": "Orne", "62": "Pas-de-Calais", "63": "Puy-de-Dôme",
    "64": "Pyrénées-Atlantiques", "65": "Hautes-Pyrénées", "66": "Pyrénées-Orientales",
    "67": "Bas-Rhin", "68": "Haut-Rhin", "69": "Rhône", "70": "Haute-Saône",
    "71": "Saône-et-Loire", "72": "Sarthe", "73": "Savoie", "74": "Haute-Savoie", "75": "Paris",
    "76": "Seine-Maritime", "77": "Seine-et-Marne", "78": "Yvelines", "79": "Deux-Sèvres",
    "80": "Somme", "81": "Tarn", "82": "Tarn-et-Garonne", "83": "Var", "84": "Vaucluse",
    "85": "Vendée", "86": "Vienne", "87": "Haute-Vienne", "88": "Vosges", "89": "Yonne",
    "90": "Territoire de Belfort", "91": "Essonne", "92": "Hauts-de-Seine",
    "93": "Seine-Saint-Denis", "94": "Val-de-Marne", "95": "Val-d'Oise", "971": "Guadeloupe",
    "972": "Martinique", "973": "Guyane", "974": "La Réunion", "975": "Saint-Pierre-et-Miquelon",
    "976": "Mayotte",
}
# fmt: on

_REGION_BY_KEY = {re.sub(r"[^a-z]", "", fold(name)): name for name in (*REGIONS, NATIONAL)}
_REGION_BY_KEY["reunion"] = "La Réunion"
_REGION_BY_KEY["france"] = NATIONAL
_REGION_BY_KEY["national"] = NATIONAL
_REGION_ENDING = re.compile(
    r"(?:^|[-:,(]\s*|\blot\s+(?:n\W*o?\s*)?\d+\s+)("  # dashes are spaces once folded
    + "|".join(r"[^a-z]+".join(re.findall("[a-z]+", fold(name))) for name in REGIONS)
    + r")\s*(?:\(\s*\w{2,3}\s*\))?\s*\)?[.\s]*$"
)
_CODE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(97[1-6]|2[AaBb]|[0-9]{2})(?![0-9A-Za-z])")


def region_key(name: str) -> str:
    return re.sub(r"[^a-z]", "", fold(name))


def canonical_region(name: str) -> str | None:
    """The official spelling of a region name written loosely, or None."""
    return _REGION_BY_KEY.get(region_key(name))


def canonical_department(code: str) -> str | None:
    """``"2a"`` -> ``"2A"``, ``"5"`` -> ``"05"``; None when not a French department code."""
    code = code.strip().upper()
    if code.isdigit() and len(code) == 1:
        code = "0" + code
    return code if code in DEPARTMENT_REGION else None


def region_ending(title: str) -> str | None:
    """The region a lot's title ends with, as a place: "Lot 2 – Bretagne", "Île-de-France".

    Only a region standing alone or after a dash, colon or comma counts, so "Animation de la
    réunion" names no place."""
    found = _REGION_ENDING.search(fold(title))
    return _REGION_BY_KEY.get(region_key(found.group(1))) if found else None


_DEPARTMENT_BY_KEY = {region_key(name): code for code, name in DEPARTMENT_NAMES.items()}


#: names of parts of France that are neither a region nor a department, as calls write them:
#: overseas, the Paris area, the big quarters, and the regions before 2016 (still used)
AREA_NAMES: tuple[str, ...] = (
    *("Outre-mer", "DROM", "DOM", "DOM-TOM", "DROM-COM", "Antilles", "Antilles-Guyane"),
    *("IDF", "PACA", "Paris", "petite couronne", "grande couronne", "métropole"),
    *("France métropolitaine", "Grand Ouest", "Grand Sud", "Grand Nord", "Grand Sud-Ouest"),
    *("Grand Sud-Est", "Grand Nord-Est", "Grand Nord-Ouest", "Grand Centre"),
    *("Alsace", "Aquitaine", "Auvergne", "Basse-Normandie", "Haute-Normandie", "Bourgogne"),
    *("Champagne-Ardenne", "Franche-Comté", "Languedoc-Roussillon", "Limousin", "Lorraine"),
    *("Midi-Pyrénées", "Nord-Pas-de-Calais", "Picardie", "Poitou-Charentes", "Rhône-Alpes"),
    *("Centre", "Nouvelle-Calédonie", "Polynésie française", "Saint-Pierre-et-Miquelon"),
)
_AREA_KEYS = frozenset(region_key(name) for name in AREA_NAMES)


def names_a_place(text: str) -> bool:
    """Whether ``text`` is, whole, a region, a department (code or name), a NUTS code, a
    named part of France or the whole country: « Bretagne », « 35 », « Finistère »,
    « FRH03 », « Outre-mer », « Rhône-Alpes », « France entière »."""
    if canonical_department(text) is not None or nuts_region(text) is not None:
        return True
    key = region_key(text)
    return bool(key) and (key in _REGION_BY_KEY or key in _DEPARTMENT_BY_KEY or key in _AREA_KEYS)


def describe_departments() -> str:
    return "01 to 19, 2A, 2B, 21 to 95, 971 to 976"


@lru_cache(maxsize=4096)
def read_place(place: str) -> tuple[str | None, str | None]:
    """(region, department) read from one place string; (None, None) when unknown."""
    region = canonical_region(place) or nuts_region(place)
    if region is not None:
        return region, None
    code = canonical_department(place)
    if code is None:
        found = _CODE_IN_TEXT.search(place)
        code = canonical_department(found.group(1)) if found else None
    if code is not None:
        return DEPARTMENT_REGION[code], code
    return None, None
