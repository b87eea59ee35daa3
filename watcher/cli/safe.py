"""Text from the web on a terminal: never markup, never a control sequence.

Titles, buyers, references, URLs and error messages come from sites that anyone can write
to. On a terminal they could clear the screen (``ESC [2J``), set the window title or a
hyperlink (OSC ``ESC ] … BEL``), or break rich's markup (``[/nope]`` raises, ``[link=…]``
renders a link). The ingestion strips control characters already; the display does not rely
on it: every string shown passes through ``clean`` and reaches rich as a ``Text`` (never
parsed as markup), and the consoles themselves are built with markup off (``common.py``).
``--json`` output stays lossless: ``dumps`` writes the same data with the characters a
terminal would act on escaped as ``\\uXXXX``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # rich loads with the first Text: a --json command never needs it (issue 12)
    from rich.text import Text

#: whole escape sequences first (their payload goes with them), 7-bit and 8-bit forms
_SEQUENCES = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]?            # CSI: ESC [ params intermediates final
    | \x9b[0-?]*[ -/]*[@-~]?              # CSI, 8-bit
    | \x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)  # OSC, DCS, SOS, PM, APC ... BEL or ST
    | [\x90\x98\x9d\x9e\x9f][^\x07\x1b\x9c]*(?:\x07|\x9c)  # the same, 8-bit
    | \x1b[ -/]*[0-~]?                    # any other escape (charset, keypad, reset...)
    """,
    re.VERBOSE | re.DOTALL,
)
#: what is left: C0 controls (tab and newline aside), DEL, C1 controls, and the invisible
#: bidirectional overrides that make a terminal show text in another order than it reads
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: what ``one_line`` folds into one space (line breaks, runs of spaces), never a no-break space
_LINE_SPACE = re.compile("[ \n\r\f\v\u2028\u2029\x85]+")
#: characters json.dumps leaves raw that a terminal may act on
_JSON_RAW = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def clean(value: object, *, one_line: bool = False) -> str:
    """``value`` as text without escape sequences or control characters (tabs become spaces;
    with ``one_line``, line breaks too)."""
    text = _CONTROLS.sub("", _SEQUENCES.sub("", str(value))).replace("\t", " ")
    # ASCII whitespace only: the no-break spaces of French typography (« n° 12 ») stay
    return _LINE_SPACE.sub(" ", text).strip(" ") if one_line else text


def text(value: object, style: str = "", *, one_line: bool = False) -> Text:
    """A rich ``Text`` of cleaned data: shown as written, never read as markup."""
    from rich.text import Text

    return Text(clean(value, one_line=one_line), style=style)


def line(*parts: str | Text | tuple[str, str]) -> Text:
    """One line from parts: ``(words, style)`` pairs are the program's own labels, anything
    else is data (cleaned)."""
    from rich.text import Text

    out = Text()
    for part in parts:
        if isinstance(part, tuple):
            out.append(part[0], style=part[1])
        elif isinstance(part, Text):
            out.append_text(part)
        else:
            out.append(clean(part))
    return out


def dumps(data: Any) -> str:
    """JSON for scripts: the exact data, with terminal-active characters escaped."""
    raw = json.dumps(data, ensure_ascii=False, indent=2)
    return _JSON_RAW.sub(lambda found: f"\\u{ord(found.group()):04x}", raw)


def dumps_array(items: Iterable[Any]) -> Iterator[str]:
    """``dumps(list(items))`` in pieces, one item at a time (the same bytes once joined): an
    array of any length is written as it is read, never held whole."""
    opened = False
    for item in items:
        body = "\n".join("  " + part for part in dumps(item).split("\n"))
        yield (",\n" if opened else "[\n") + body
        opened = True
    yield "\n]" if opened else "[]"
