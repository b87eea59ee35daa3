"""Partial reads never erase good data: one notice completed by another, field by field.

Two cases use it. The generic fallback extractor read a call that the source's own parser
stored: the stored notice wins, the fallback only fills its empty fields (``fill_empty(stored,
found)``). A call whose detail page failed is known from its listing only: the listing wins,
the stored notice fills what only the detail page gives (``fill_empty(listing, stored)``), so a
broken detail page does not wipe the body and documents read earlier.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from watcher.models import Notice

#: fields read together: a deadline with its wording, an estimate with its high bound
PAIRS = (("deadline", "deadline_text"), ("estimated_value", "estimated_value_max"))
#: the provenance flag is the base notice's, never borrowed
OWN = ("via_fallback",)
GROUPS: tuple[tuple[str, ...], ...] = (
    *PAIRS,
    *(
        (f.name,)
        for f in fields(Notice)
        if f.name not in OWN and not any(f.name in pair for pair in PAIRS)
    ),
)


def fill_empty(base: Notice, other: Notice) -> Notice:
    """``base`` with each empty field taken from ``other``; every field ``base`` fills is kept.
    A pair goes together: a deadline ``other`` read comes with its wording, replacing a
    wording of ``base`` that gave no date ("voir le règlement de consultation")."""
    changes: dict[str, Any] = {}
    for group in GROUPS:
        lead = group[0]
        if len(group) > 1 and not filled(getattr(base, lead)) and filled(getattr(other, lead)):
            changes.update((name, getattr(other, name)) for name in group)
            continue
        changes.update(
            (name, getattr(other, name))
            for name in group
            if not filled(getattr(base, name)) and filled(getattr(other, name))
        )
    return base.with_changes(**changes) if changes else base


def filled(value: Any) -> bool:
    return value not in (None, "", ())
