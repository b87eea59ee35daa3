"""Text helpers for drafts: cleaning text from the web, Markdown escaping, French wording of
durations and modalities, safe file names.

Cleaning happens once, when the context is assembled: characters XML 1.0 forbids (and that
docxtpl would turn into structure: ``\\a`` new paragraph, ``\\f`` page break, ``\\t`` tab) are
removed, so every value is plain text. Escaping happens at rendering: XML by docxtpl's
autoescape, HTML by Jinja's, Markdown by ``markdown_escape`` (the Markdown environment's
``finalize``), so a template never has to remember a filter.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

#: control characters (XML 1.0 forbids them; docxtpl reads \a \t \f as layout) and non-characters
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0]+")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#~])")
_ENTITY = re.compile(r"&(?=#?\w+;)")
_LINE_START = re.compile(r"^(\s*)([-+=]|\d+(?=[.)]))", re.MULTILINE)

MODALITIES = {
    "présentiel": "en présentiel",
    "distanciel": "à distance (FOAD)",
    "mixte": "mixte (présentiel et distanciel)",
    "afest": "en situation de travail (AFEST)",
}
HOURS_PER_DAY = 7


def line(text: str | None) -> str:
    """One line of plain text: forbidden characters dropped, whitespace collapsed."""
    if not text:
        return ""
    return " ".join(_FORBIDDEN.sub(" ", text.replace("\t", " ")).split())


def block(text: str | None) -> str:
    """Multi-line plain text: lines kept (at most one blank line in a row), spaces collapsed."""
    if not text:
        return ""
    lines = _FORBIDDEN.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    cleaned = [_SPACES.sub(" ", piece).strip() for piece in lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(cleaned)).strip()


def paragraphs(text: str | None) -> list[str]:
    """Paragraphs separated by blank lines, each on one line."""
    return [line(p) for p in block(text).split("\n\n") if p.strip()]


def shorten(text: str, size: int = 90) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def markdown_escape(value: Any) -> str:
    """Every value printed in a Markdown template: Markdown and HTML syntax made literal
    (``<b>`` stays visible text, ``*`` is no emphasis, ``|`` does not split a table cell)."""
    if value is None:
        return ""
    text = _MARKDOWN.sub(r"\\\1", str(value))
    text = _ENTITY.sub("&amp;", text)
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    """'- x' -> '\\- x' (no bullet); '12. x' -> '12\\. x' (no numbered list)."""
    indent, marker = match.groups()
    return f"{indent}\\{marker}" if not marker.isdigit() else f"{indent}{marker}\\"


def duration(hours: float | None) -> str:
    """'14 h (2 jours)', '10,5 h', or 'durée à préciser'."""
    if hours is None:
        return "durée à préciser"
    text = f"{hours:g}".replace(".", ",") + " h"
    days = hours / HOURS_PER_DAY
    if days.is_integer():
        text += f" ({days:g} jour{'s' if days > 1 else ''})"
    return text


def modality(value: str) -> str:
    return MODALITIES.get(value, value)


def percent(value: float) -> str:
    return f"{round(100 * value)} %"


def safe_name(text: str, *, fallback: str = "document", size: int = 60) -> str:
    """ASCII, lower case, letters, digits and hyphens only: 'Lot n°3 — Île' -> 'lot-n-3-ile'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > size:  # cut at a word boundary when there is one
        cut = slug[: size + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:size]
    return slug.strip("-") or fallback


def safe_suffix(name: str) -> str:
    """The extension of a file name, made safe ('.PDF' -> '.pdf'; none or odd -> '')."""
    match = re.search(r"\.([A-Za-z0-9]{1,8})$", name)
    return f".{match.group(1).lower()}" if match else ""
