"""The ``list`` table without rich's layout cost: fixed-width columns computed once.

rich lays a table out cell by cell (measure every cell, wrap every cell, render segments):
about 0.8 ms a row, most of a second for ``list -n 1000``. This writes the same table — the
same columns, the same box, bold headers, coloured scores — with the column widths computed
once from the longest cells — and, when they do not fit the screen, narrowed the way rich
narrows them — and each cell wrapped on its spaces (a word longer than its column is
folded, nothing is cut). Every string from the web is ``clean``ed first (no control
character, no escape sequence) and written as is: nothing is ever read as markup. The only
escape sequences written are the colours, taken from the console (none when it has none).

Cells whose characters are not all one column wide (East Asian letters, combining accents)
need rich's measure of the screen, and a screen too narrow for the columns that do not
wrap needs rich's last resort: such a table is left to rich (``fits`` says False).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    right: bool = False  # justified right (numbers)
    max_width: int | None = None  # wrapped beyond this
    no_wrap: bool = False  # never narrowed: the screen must hold it


@dataclass(frozen=True, slots=True)
class Cell:
    text: str  # already cleaned: one line, or lines the cell keeps ("\n" between them)
    style: str = ""  # a rich style name ("green"), for the colours only


def fits(columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int) -> bool:
    """Whether this layout can draw the table in ``width`` columns (else use rich)."""
    if any(cell_len(c.text) != len(c.text) - c.text.count("\n") for row in rows for c in row):
        return False
    return _widths(columns, rows, width) is not None


def render(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int, console: Console
) -> Iterator[str]:
    """The table's lines (each with its newline), header first."""
    widths = _widths(columns, rows, width)
    assert widths is not None, "render a table that fits"
    bold = _colours(console, "bold")
    yield _rule("┏", "━", "┳", "┓", widths)
    header = [(c.header, "bold") for c in columns]
    yield from _cell_lines(columns, widths, header, "┃", {"bold": bold}, bottom=True)
    yield _rule("┡", "━", "╇", "┩", widths)
    styles = {s: _colours(console, s) for s in {c.style for row in rows for c in row} if s}
    for row in rows:
        yield from _cell_lines(columns, widths, [(c.text, c.style) for c in row], "│", styles)
    yield _rule("└", "─", "┴", "┘", widths)


def _natural(columns: Sequence[Column], rows: Sequence[Sequence[Cell]]) -> list[int]:
    """Each column's width: its longest cell or header, within its ``max_width``."""
    out = []
    for index, column in enumerate(columns):
        longest = max([len(column.header), *(_longest_line(row[index].text) for row in rows)])
        out.append(min(longest, column.max_width or longest))
    return out


def _longest_line(text: str) -> int:
    return max(map(len, text.split("\n"))) if "\n" in text else len(text)


def _widths(
    columns: Sequence[Column], rows: Sequence[Sequence[Cell]], width: int
) -> list[int] | None:
    """The widths of the cells' text, as rich would choose them; None when only rich's last
    resort (narrowing the columns that do not wrap) would fit them in ``width``."""
    widths = _natural(columns, rows)
    room = width - 3 * len(columns) - 1  # "│ " before each cell, " " after it, a last "│"
    if sum(widths) > room:
        widths = _collapse(widths, [not c.no_wrap for c in columns], room)
    return widths if sum(widths) <= room and min(widths) > 0 else None


def _collapse(widths: list[int], wrapable: list[bool], room: int) -> list[int]:
    """rich's ``Table._collapse_widths``: narrow the widest wrapping columns, together, to the
    next widest, until the table fits or no wrapping column is wider than another."""
    excess = sum(widths) - room
    while excess > 0:
        widest = max(w for w, wraps in zip(widths, wrapable, strict=True) if wraps)
        second = max(
            (w if wraps and w != widest else 0) for w, wraps in zip(widths, wrapable, strict=True)
        )
        ratios = [int(w == widest and wraps) for w, wraps in zip(widths, wrapable, strict=True)]
        if not any(ratios) or widest == second:
            break
        widths = _ratio_reduce(excess, ratios, [min(excess, widest - second)] * len(widths), widths)
        excess = sum(widths) - room
    return widths


def _ratio_reduce(
    total: int, ratios: list[int], maximums: list[int], values: list[int]
) -> list[int]:
    """rich's ``ratio_reduce``: take ``total`` from ``values`` in proportion to ``ratios``."""
    ratios = [ratio if most else 0 for ratio, most in zip(ratios, maximums, strict=True)]
    total_ratio, remaining, out = sum(ratios), total, []
    for ratio, most, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            taken = min(most, round(ratio * remaining / total_ratio))
            out.append(value - taken)
            remaining -= taken
            total_ratio -= ratio
        else:
            out.append(value)
    return out


def _rule(left: str, line: str, cross: str, right: str, widths: list[int]) -> str:
    return left + cross.join(line * (w + 2) for w in widths) + right + "\n"


def _cell_lines(
    columns: Sequence[Column],
    widths: list[int],
    cells: list[tuple[str, str]],
    bar: str,
    styles: dict[str, tuple[str, str]],
    *,
    bottom: bool = False,
) -> Iterator[str]:
    """One row's lines; its cells at the top (headers: at the bottom, as rich puts them)."""
    wrapped = [
        [piece for line in text.split("\n") for piece in wrap(line, w)]
        if "\n" in text
        else wrap(text, w)
        for (text, _), w in zip(cells, widths, strict=True)
    ]
    height = max(len(lines) for lines in wrapped)
    if bottom:
        wrapped = [[""] * (height - len(lines)) + lines for lines in wrapped]
    for number in range(height):
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
