"""The ``list`` table without rich's layout cost: fixed-width columns computed once.

rich lays a table out cell by cell (measure every cell, wrap every cell, render segments):
about 0.8 ms a row, most of a second for ``list -n 1000``. This writes the same table — the
same columns, the same box, bold headers, coloured scores — with the column widths computed
once from the longest cells and each cell wrapped on its spaces (a word longer than its
column is folded, nothing is cut). Every string from the web is ``clean``ed first (no control
character, no escape sequence) and written as is: nothing is ever read as markup. The only
escape sequences written are the colours, taken from the console (none when it has none).

Cells whose characters are not all one column wide (East Asian letters, combining accents)
need rich's measure of the screen: such a table is left to rich (``fits`` says False).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

#: the narrowest title column worth this layout; a narrower screen is left to rich
MIN_FLEX = 12


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    right: bool = False  # justified right (numbers)
    max_width: int | None = None  # wrapped beyond this
    flex: bool = False  # takes the width left (one column)


@dataclass(frozen=True, slots=True)
class Cell:
    text: str  # already cleaned, on one line
    style: str = ""  # a rich style name ("green"), for the colours only


def fits(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> bool:
    """Whether this layout can draw the table in ``width`` columns (else use rich)."""
    if any(cell_len(c.text) != len(c.text) for row in rows for c in row):
        return False
    natural = _natural(columns, rows)
    fixed = sum(natural[c.header] for c in columns if not c.flex)
    return width - _frame(columns) - fixed >= MIN_FLEX


def render(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, console: Console
) -> Iterator[str]:
    """The table's lines (each with its newline), header first."""
    widths = _widths(columns, rows, width)
    bold = _colours(console, "bold")
    yield _rule("┏", "━", "┳", "┓", widths)
    header = [(c.header, "bold") for c in columns]
    yield from _cell_lines(columns, widths, header, "┃", {"bold": bold})
    yield _rule("┡", "━", "╇", "┩", widths)
    styles = {s: _colours(console, s) for s in {c.style for row in rows for c in row} if s}
    for row in rows:
        yield from _cell_lines(columns, widths, [(c.text, c.style) for c in row], "│", styles)
    yield _rule("└", "─", "┴", "┘", widths)


def _frame(columns: Sequence[Column]) -> int:
    """Border and padding: "│ " before each cell, " " after it, and the last "│"."""
    return 3 * len(columns) + 1


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> dict[str, int]:
    """Each column's width: its longest cell or header, within its ``max_width``."""
    out: dict[str, int] = {}
    for index, column in enumerate(columns):
        longest = max([len(column.header), *(len(row[index].text) for row in rows)])
        out[column.header] = min(longest, column.max_width or longest)
    return out


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> list[int]:
    natural = _natural(columns, rows)
    fixed = sum(natural[c.header] for c in columns if not c.flex)
    room = max(MIN_FLEX, width - _frame(columns) - fixed)
    return [min(natural[c.header], room) if c.flex else natural[c.header] for c in columns]


def _rule(left: str, line: str, cross: str, right: str, widths: list[int]) -> str:
    return left + cross.join(line * (w + 2) for w in widths) + right + "\n"


def _cell_lines(
    columns: Sequence[Column],
    widths: list[int],
    cells: list[tuple[str, str]],
    bar: str,
    styles: dict[str, tuple[str, str]],
) -> Iterator[str]:
    wrapped = [wrap(text, w) for (text, _), w in zip(cells, widths, strict=True)]
    for number in range(max(len(lines) for lines in wrapped)):
        parts = []
        for column, w, lines, (_, style) in zip(columns, widths, wrapped, cells, strict=True):
            piece = lines[number] if number < len(lines) else ""
            padded = piece.rjust(w) if column.right else piece.ljust(w)
            start, end = styles.get(style, ("", ""))
            parts.append(f"{start} {padded} {end}" if start else f" {padded} ")
        yield bar + bar.join(parts) + bar + "\n"


def wrap(text: str, width: int) -> list[str]:
    """``text`` (one line, single spaces) in lines of at most ``width`` characters, broken at
    spaces; a longer word is folded across lines."""
    if len(text) <= width:
        return [text]
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        while len(word) > width:  # fold what cannot fit on any line
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:width])
            word = word[width:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def _colours(console: Console, style: str) -> tuple[str, str]:
    """The escape sequences that start and end ``style`` on this console ("" without colour),
    as rich itself writes them."""
    with console.capture() as captured:
        console.print(Text("x", style=style), end="", soft_wrap=True)
    start, _, end = captured.get().partition("x")
    return start, end
