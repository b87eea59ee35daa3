"""Subjects, in French: "[opco-watch] 3 nouveaux appels d'offres — AKTO, Atlas".

Subjects are headers: text from the web is flattened to one short line (no CR/LF can reach
a header) before it is used.
"""

from __future__ import annotations

import re
from typing import Any

from watcher.fr import NBSP

PREFIX = "[opco-watch]"
MAX_NAMES = 3
NAME_CHARS = 40
_SPACE = re.compile(r"\s+")


def one_line(text: str, limit: int = 120) -> str:
    """Whitespace (CR, LF, tabs) collapsed; cut with an ellipsis past ``limit`` characters."""
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def buyers_label(calls: list[dict[str, Any]]) -> str:
    """'AKTO, Atlas' — OPCO names or buyers, at most three, then 'et N autres'."""
    names = list(dict.fromkeys(one_line(c["opco"] or c["buyer"], NAME_CHARS) for c in calls))
    shown = ", ".join(names[:MAX_NAMES])
    extra = len(names) - MAX_NAMES
    return f"{shown} et {extra} autre{'s' if extra > 1 else ''}" if extra > 0 else shown


def count_new(n: int) -> str:
    return "1 nouvel appel d'offres" if n == 1 else f"{n} nouveaux appels d'offres"


def count_updated(n: int, *, alone: bool) -> str:
    if alone:
        return "1 appel d'offres mis à jour" if n == 1 else f"{n} appels d'offres mis à jour"
    return f"{n} mis à jour"


def alert_subject(new: list[dict[str, Any]], updates: list[dict[str, Any]]) -> str:
    parts = [count_new(len(new))] if new else []
    if updates:
        parts.append(count_updated(len(updates), alone=not new))
    return f"{PREFIX} {', '.join(parts)} — {buyers_label(new + updates)}"


def admin_subject(source: str, recovered: bool) -> str:
    state = "fonctionne de nouveau" if recovered else "en échec"
    return f"{PREFIX} [admin] source {one_line(source, NAME_CHARS)} {state}"


def reminder_subject(countdown: str, title: str, lots: str = "") -> str:
    """« Rappel J-2 : titre », « Rappel J-2 (lot 2) : titre » for a lot closing apart."""
    which = f" ({lots})" if lots else ""
    return f"{PREFIX} Rappel {countdown}{which}{NBSP}: {one_line(title, 90)}"


def digest_subject(week_label: str, count: int) -> str:
    calls = f"{count} appels à traiter" if count > 1 else f"{count or 'aucun'} appel à traiter"
    return f"{PREFIX} Synthèse de la {week_label} — {calls}"
