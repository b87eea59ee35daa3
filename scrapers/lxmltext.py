"""A detail page's text read with lxml alone, exactly as our Beautiful Soup readers read it
(``html_soup`` with the lxml builder, then ``get_text(" ")``, ``text_lines``, ``a[href]``).

Beautiful Soup builds its tree in Python, one call per tag and string: about 0.8 ms for a 2 kB
detail page, against 0.02 ms for lxml's own tree, and a poll reads a detail page per new call.
A reader that needs only a region's text, lines and links reads them here instead:

- the same parser (libxml2's HTML parser, ``recover``), fed the same 512-character
  chunks, after the same preparation (``base.prepare_markup``), so the tree is the one
  Beautiful Soup's builder was given;
- the same strings: Beautiful Soup files text under ``script``, ``style``, ``template``,
  ``rt`` and ``rp`` (its "string containers") apart from text, and comments and processing
  instructions too; ``get_text`` and ``text_lines`` skip them all;
- as in a tree built with a ``SoupStrainer`` (``only``), ancestors above the kept element are
  not there to hide its text;
- a page nested deeper than libxml2 builds trees (``TooDeep``) is left to Beautiful Soup.

One known difference: a ``<!DOCTYPE>`` written inside the page's body splits a string in
Beautiful Soup's tree (``get_text(" ")`` puts a space there) while libxml2 drops it and joins
the two strings, so such a page's body text may join two words; its lines are the same.

``tests/test_lxmltext.py`` holds each reading to Beautiful Soup's on the saved pages and on
hostile variants.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypeAlias

from lxml import etree

#: Beautiful Soup's ``LXMLTreeBuilder.CHUNK_SIZE``: libxml2's push parser gets the same pieces
CHUNK = 512
#: tags whose text Beautiful Soup keeps as Script, Stylesheet, TemplateString or ruby text
HIDDEN = frozenset({"script", "style", "template", "rt", "rp"})

#: libxml2 builds a tree at most 2048 elements deep (with ``huge_tree``; 256 without) and
#: silently drops the rest of the page; Beautiful Soup's builder, fed parser events, has no
#: such bound. A tree this deep may have lost part of its page.
MAX_DEPTH = 2_000

#: an ``lxml.etree._Element`` (lxml ships no type hints)
Element: TypeAlias = Any


class TooDeep(Exception):
    """lxml's tree may miss part of this page: read it with Beautiful Soup."""


def parse(markup: str) -> Element | None:
    """The page's tree (``markup`` prepared by ``base.prepare_markup``); None when libxml2
    finds no element at all (Beautiful Soup's tree would be empty). Raises ``TooDeep``."""
    parser = etree.HTMLParser(recover=True, huge_tree=True)
    for start in range(0, len(markup), CHUNK):
        parser.feed(markup[start : start + CHUNK])
    try:
        root: Element | None = parser.close()
    except etree.XMLSyntaxError:  # nothing but text or white space: no document
        return None
    # each level takes a "<": a page with fewer cannot be that deep (most pages: no walk)
    if root is not None and markup.count("<") >= MAX_DEPTH and _deeper_than(root, MAX_DEPTH):
        raise TooDeep(f"a page nested {MAX_DEPTH} elements deep or more")
    return root


def _deeper_than(root: Element, bound: int) -> bool:
    depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth >= bound:
            return True
    return False


def first(root: Element | None, tag: str) -> Element | None:
    """The first ``tag`` element in document order."""
    if root is None:
        return None
    return next(root.iter(tag), None)


def strings(node: Element) -> Iterator[str]:
    """The strings ``node.get_text()`` joins: text and tails in document order, none under a
    hidden tag, none of a comment or processing instruction (their tails are text)."""
    for kind, value in _walk(node):
        if kind is _TEXT:
            yield value


def text_lines(node: Element, blocks: frozenset[str]) -> str:
    """``opco_common.text_lines``: one line per block element, table cells apart."""
    return text_and_lines(node, blocks)[1]


def text_and_lines(node: Element, blocks: frozenset[str]) -> tuple[str, str]:
    """``node.get_text(" ")`` and ``text_lines``, in one walk."""
    found, parts = [], []
    for kind, value in _walk(node):
        if kind is _TEXT:
            found.append(value)
            parts.append(value)
        elif value in blocks:
            parts.append("\n")
        elif value in ("td", "th"):
            parts.append(" ")
    lines = (" ".join(line.replace("\xa0", " ").split()) for line in "".join(parts).split("\n"))
    return " ".join(found), "\n".join(line for line in lines if line)


def hrefs(node: Element) -> Iterator[str]:
    """The ``href`` of every ``a[href]`` under ``node``, in document order."""
    for link in node.iter("a"):
        href = link.get("href")
        if href is not None and link is not node:
            yield href


_TEXT, _TAG = object(), object()


def _walk(node: Element) -> Iterator[tuple[object, str]]:
    """(``_TEXT``, a string) and (``_TAG``, a descendant's name at its start), in document
    order; a stack, not recursion, whatever the page's depth. Each entry: the element's
    children still to read, whether its text is hidden, and the tail to give after them."""
    if node.text:
        yield _TEXT, node.text
    stack: list[tuple[Iterator[Element], bool, str]] = [(iter(node), False, "")]
    while stack:
        children, hidden, _ = top = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if top[2]:
                yield _TEXT, top[2]
            continue
        tag = child.tag
        tail = "" if hidden else child.tail or ""
        if isinstance(tag, str):  # an element (comments and PIs have a function as tag)
            yield _TAG, tag
            inner = hidden or tag in HIDDEN
            if child.text and not inner:
                yield _TEXT, child.text
            stack.append((iter(child), inner, tail))
        elif tail:
            yield _TEXT, tail
