"""Text from the web made harmless to store, print and mail: no control characters, no
terminal escape sequences.

A scraped title may carry ``ESC ] 0;… BEL`` (sets a terminal's window title), ``ESC [2J``
(clears the screen), NULs, 8-bit C1 controls or bidi overrides (text that reads differently
from what it says). The pipeline passes every notice through ``clean_notice`` once, just
before the store, so none of it reaches the database, the terminal, a text email or a
calendar. Multi-line fields (summary, body, lot descriptions) keep their line breaks and
tabs; references and URLs get their control characters percent-encoded (a key or a link
keeps its identity); every other field becomes one line. Text without anything suspect is
returned as is (the same object), so clean notices keep their fingerprints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any
from urllib.parse import quote

from watcher.models import Lot, Notice

#: the fields that may hold several lines (everything else is one line)
MULTILINE = frozenset({"summary", "body", "description"})
#: references and links: encoded, not stripped
LINKS = frozenset({"ref", "url", "documents", "platform_url", "related_refs"})
#: the title of a notice whose title was nothing but control sequences
NO_TITLE = "(titre illisible)"

_ESCAPE_SEQUENCES = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]?                          # CSI: ESC [ params intermediates final
    | \x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?   # OSC, DCS, SOS, PM, APC ... BEL or ST
    | \x1b[ -/]*[0-~]?                                  # every other escape (nF, Fp, Fe, Fs)
    """,
    re.VERBOSE,
)
#: anything that makes a text worth cleaning (the fast path looks for these only)
_SUSPECT_BLOCK = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SUSPECT_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
#: line breaks of every kind (CR LF, CR, VT, FF, U+2028/2029)
_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\u2028\u2029]")
#: what is left once sequences and breaks are handled: C0 but tab and LF, DEL, C1, bidi
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: C1 code points are almost always Windows-1252 bytes read as Latin-1 by a site or a
#: parser ("main-d\x9cuvre", "l\x92offre"): they become the character meant (œ, ’), which
#: also disarms 8-bit CSI (\x9b -> ›); the five bytes Windows-1252 leaves undefined go
_C1 = {code: bytes([code]).decode("cp1252", errors="ignore") or None for code in range(0x80, 0xA0)}


def clean_block(text: str) -> str:
    """Text that may hold several lines: line breaks become ``\\n``, tabs stay, the rest goes."""
    if not _SUSPECT_BLOCK.search(text):
        return text
    text = _BREAKS.sub("\n", _ESCAPE_SEQUENCES.sub("", text).translate(_C1))
    return _CONTROLS.sub("", text)


def clean_line(text: str) -> str:
    """Text meant as one line (a title, a buyer): also line breaks and tabs become spaces."""
    if not _SUSPECT_LINE.search(text):
        return text
    text = _BREAKS.sub(" ", _ESCAPE_SEQUENCES.sub("", text).translate(_C1))
    text = _CONTROLS.sub("", text.replace("\n", " ").replace("\t", " "))
    return " ".join(text.split())


def clean_link(text: str) -> str:
    """A reference or URL with its control characters percent-encoded."""
    if not _SUSPECT_LINE.search(text):
        return text
    return _SUSPECT_LINE.sub(lambda found: quote(found.group(), safe=""), text)


def clean_notice(notice: Notice) -> Notice:
    """The notice with every text field cleaned; the same object when nothing needed it."""
    if not _suspect(notice, _NOTICE_TEXT) and not any(
        _suspect(lot, _LOT_TEXT) for lot in notice.lots
    ):
        return notice  # the common case, in one search per kind of field
    changes = _cleaned_fields(notice, _NOTICE_TEXT)
    if changes.get("title") == "":
        changes["title"] = NO_TITLE
    lots = tuple(_clean_lot(lot) for lot in notice.lots)
    if any(new is not old for new, old in zip(lots, notice.lots, strict=True)):
        changes["lots"] = lots
    return notice.with_changes(**changes) if changes else notice


@dataclass(frozen=True, slots=True)
class _TextFields:
    """The text fields of a dataclass: one-line strings, multi-line strings, tuples of text."""

    lines: tuple[str, ...]
    blocks: tuple[str, ...]
    tuples: tuple[str, ...]

    @classmethod
    def of(cls, kind: type) -> _TextFields:
        names = {f.name: str(f.type) for f in fields(kind)}
        text = [name for name, hint in names.items() if hint in ("str", "str | None")]
        return cls(
            tuple(name for name in text if name not in MULTILINE),
            tuple(name for name in text if name in MULTILINE),
            tuple(name for name, hint in names.items() if hint == "tuple[str, ...]"),
        )


def _suspect(item: Notice | Lot, text: _TextFields) -> bool:
    lines = [getattr(item, name) or "" for name in text.lines]
    for name in text.tuples:
        lines.extend(getattr(item, name))
    if _SUSPECT_LINE.search(" ".join(lines)):
        return True
    return bool(_SUSPECT_BLOCK.search(" ".join(getattr(item, name) for name in text.blocks)))


def _clean_lot(lot: Lot) -> Lot:
    changes = _cleaned_fields(lot, _LOT_TEXT)
    return replace(lot, **changes) if changes else lot


def _cleaned_fields(item: Notice | Lot, text: _TextFields) -> dict[str, Any]:
    """field name -> cleaned value, for the text fields (and tuples of text) that changed."""
    changes: dict[str, Any] = {}
    for name in (*text.lines, *text.blocks):
        value = getattr(item, name)
        cleaned = _cleaner(name)(value) if value else value
        if cleaned != value:
            changes[name] = cleaned
    for name in text.tuples:
        values = getattr(item, name)
        clean = _cleaner(name)
        cleaned_values = tuple(clean(v) for v in values)
        if cleaned_values != values:
            changes[name] = cleaned_values
    return changes


def _cleaner(name: str) -> Any:
    if name in LINKS:
        return clean_link
    return clean_block if name in MULTILINE else clean_line


_NOTICE_TEXT = _TextFields.of(Notice)
_LOT_TEXT = _TextFields.of(Lot)
