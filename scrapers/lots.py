"""Lot numbers as the buyer gave them.

Buyers number their lots in the lot's own name more often than in a field: BOAMP's FNSimple
lots read "Lot 2 : Finition" and "Lot 5 : Menuiserie" (a call re-run for two of its lots) or
"1- Prestations pour l'URSSAF de Rouen"; eForms and TED give a technical identifier
("LOT-0003") beside a name that may say "Lot 3 : …". The number a person reads on the notice is
the one kept; the lot's position is the last resort, for lots that are numbered nowhere.
"""

from __future__ import annotations

import re

from scrapers.base import clean_text

#: "Lot 2 : Finition", "Lot n°3 – Occitanie", "LOT 5_MENUISERIE", "Lot N° 12. Bretagne"
_LOT_WORD = re.compile(
    r"^lot\s*(?:n\s*[°ºo]\s*\.?|no\.?|numero|num\.?)?\s*(\d{1,3})(?!\d)\s*(?:[:.\-–—)_/]\s*|\s+|$)",
    re.IGNORECASE,
)
#: "1- Prestations…", "2) Bretagne", "3 – Occitanie": a bare number needs its separator
_BARE = re.compile(r"^(\d{1,3})\s*[-–—)]\s*(?=\S)")
#: eForms / TED technical identifiers: "LOT-0003", "LOT-3"
_TECHNICAL = re.compile(r"^lot-0*(\d{1,4})$", re.IGNORECASE)


def split_lot_title(text: str, *, bare_numbers: bool = True) -> tuple[str | None, str]:
    """(the number the title starts with, the title without it): "Lot 2 : Finition" ->
    ("2", "Finition"). ``bare_numbers`` also reads "1- Prestations…" (structured lot fields;
    free text lines starting with a number are not lots)."""
    cleaned = clean_text(text)
    for pattern in (_LOT_WORD, _BARE) if bare_numbers else (_LOT_WORD,):
        found = pattern.match(cleaned)
        if found:
            return found.group(1).lstrip("0") or "0", cleaned[found.end() :].strip(" .:-–—_")
    return None, cleaned


def technical_number(identifier: str) -> str | None:
    """ "LOT-0003" -> "3"; None for anything else."""
    found = _TECHNICAL.match(clean_text(identifier))
    return (found.group(1).lstrip("0") or "0") if found else None


def lot_number(stated: str, title: str, identifier: str, position: int) -> tuple[str, str]:
    """(number, title) of a lot: a number field as stated, else the number its title starts
    with (then dropped from the title), else its technical identifier's, else its position."""
    number, rest = split_lot_title(title)
    if stated:
        return stated, (rest or title) if number == stated else title
    if number is not None:
        return number, rest or f"Lot {number}"
    return technical_number(identifier) or identifier or str(position), title


__all__ = ["lot_number", "split_lot_title", "technical_number"]
