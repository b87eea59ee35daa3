"""Plain CSS selectors matched without soupsieve (``PlainSelector``), as soupsieve matches
them in an HTML document parsed by lxml: the same elements, in the same (document) order.

A plain selector is a list of compound selectors joined by descendant combinators
(``main .posts-list``, ``main article, main .entry-content, main``). A compound is an optional
tag name, then classes, ids, attribute selectors (``[href]``, ``[rel=next]``, ``[href$=".pdf"
i]``, with ``=``, ``~=``, ``^=``, ``$=``, ``*=``, ``|=``) and ``:not(<compound>, …)``. Names are
ASCII identifiers; a quoted value holds no backslash. Anything else (``>``, ``:has()``, escapes,
namespaces…) is not plain: ``PlainSelector.parse`` gives None and soupsieve reads it.

soupsieve's HTML rules followed here: tag and attribute names without ASCII case, classes and
ids with it; a multi-valued attribute (``class``, ``rel``…, a list in Beautiful Soup) is joined
by one space before its value is compared; the attributes of the HTML standard's list
(``rel``, ``type``, ``lang``…) compare values without ASCII case unless the selector says ``s``;
``^=``, ``$=``, ``*=`` with an empty value and ``~=`` with an empty or spaced value match
nothing. Not followed: the contents of a ``<template>``, which soupsieve leaves out of the
document (no saved page has one).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bs4 import BeautifulSoup, Tag

_WS = frozenset(" \t\n\r\f")  # CSS white space, soupsieve's split of words in a value
_IDENT = re.compile(r"-?[A-Za-z_][A-Za-z0-9_-]*")
_CLASS_WORDS = re.compile(r"[^ \t\r\n\f]+")  # soupsieve's split of a class attribute
_VALUE_WORDS = re.compile(r"[ \t\r\n\f]")
_ASCII_LOWER = {code: code + 32 for code in range(ord("A"), ord("Z") + 1)}
_OPERATORS = ("~=", "^=", "$=", "*=", "|=", "=")

#: attributes whose values HTML documents match without ASCII case
#: (https://html.spec.whatwg.org/multipage/semantics-other.html#case-sensitivity-of-selectors)
HTML_CASE_INSENSITIVE = frozenset(
    (
        "accept", "accept-charset", "align", "alink", "axis", "bgcolor", "charset", "checked",
        "clear", "codetype", "color", "compact", "declare", "defer", "dir", "direction",
        "disabled", "enctype", "face", "frame", "hreflang", "http-equiv", "lang", "language",
        "link", "media", "method", "multiple", "nohref", "noresize", "noshade", "nowrap",
        "readonly", "rel", "rev", "rules", "scope", "scrolling", "selected", "shape", "target",
        "text", "type", "valign", "valuetype", "vlink",
    )
)  # fmt: skip


def ascii_lower(text: str) -> str:
    return text.lower() if text.isascii() else text.translate(_ASCII_LOWER)


def attribute(tag: Tag, name: str) -> Any:
    """An attribute's value by its lower-case name without ASCII case, None when the tag has
    none (Beautiful Soup stores a value set to None as ""). lxml gives names in lower case:
    looked up directly first."""
    attrs = tag.attrs
    value = attrs.get(name)
    if value is None and attrs:
        value = next((v for k, v in attrs.items() if ascii_lower(k) == name), None)
    return value


def _word_in(word: str, text: str) -> bool:
    return word in _VALUE_WORDS.split(text)


#: how a value is compared, by operator: (the selector's value, the element's value) -> bool
_COMPARE: dict[str, Callable[[str, str], bool]] = {
    "=": lambda want, have: have == want,
    "~=": lambda want, have: bool(want) and _WS.isdisjoint(want) and _word_in(want, have),
    "^=": lambda want, have: bool(want) and have.startswith(want),
    "$=": lambda want, have: bool(want) and have.endswith(want),
    "*=": lambda want, have: bool(want) and want in have,
    "|=": lambda want, have: have == want or have.startswith(want + "-"),
}


class _Attribute:
    """``[name]`` or ``[name <operator> value]``, with or without ASCII case."""

    __slots__ = ("compare", "ignore_case", "name", "value")

    def __init__(self, name: str, operator: str | None, value: str, ignore_case: bool) -> None:
        self.name, self.ignore_case = name, ignore_case
        self.value = ascii_lower(value) if ignore_case else value
        self.compare = _COMPARE[operator] if operator else None

    def matches(self, tag: Tag) -> bool:
        have = attribute(tag, self.name)
        if have is None:
            return False
        if self.compare is None:
            return True
        text = have if isinstance(have, str) else " ".join(have)
        return self.compare(self.value, ascii_lower(text) if self.ignore_case else text)


class Compound:
    """One compound selector: a tag name, classes, ids, attributes, ``:not()`` lists."""

    __slots__ = ("attrs", "classes", "ids", "name", "nots")

    def __init__(
        self,
        name: str | None,
        classes: tuple[str, ...] = (),
        ids: tuple[str, ...] = (),
        attrs: tuple[_Attribute, ...] = (),
        nots: tuple[tuple[Compound, ...], ...] = (),
    ) -> None:
        self.name, self.classes, self.ids, self.attrs, self.nots = name, classes, ids, attrs, nots

    @property
    def bare(self) -> bool:
        """Only a tag name."""
        return self.name is not None and not (self.classes or self.ids or self.attrs or self.nots)

    def matches(self, tag: Tag) -> bool:
        if self.name is not None and ascii_lower(tag.name) != self.name:
            return False
        if self.classes:
            have = attribute(tag, "class")
            if have is None:
                return False
            listed = _CLASS_WORDS.findall(have) if isinstance(have, str) else have
            if any(c not in listed for c in self.classes):
                return False
        if self.ids and any(attribute(tag, "id") != ident for ident in self.ids):
            return False
        if self.attrs and not all(a.matches(tag) for a in self.attrs):
            return False
        return not self.nots or not any(any(c.matches(tag) for c in n) for n in self.nots)


Chain = tuple[Compound, ...]


class _Unsupported(Exception):
    """The selector is not a plain one (soupsieve reads it)."""


class _Scanner:
    """A plain selector list read left to right, quotes included (a ``,`` or ``]`` inside a
    quoted value is part of it)."""

    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def take(self, literal: str) -> bool:
        if self.text.startswith(literal, self.at):
            self.at += len(literal)
            return True
        return False

    def expect(self, literal: str) -> None:
        if not self.take(literal):
            raise _Unsupported

    def spaces(self) -> bool:
        start = self.at
        while self.at < len(self.text) and self.text[self.at] in _WS:
            self.at += 1
        return self.at > start

    def ident(self) -> str:
        found = _IDENT.match(self.text, self.at)
        if found is None:
            raise _Unsupported
        self.at = found.end()
        return found.group()

    def selector_list(self) -> tuple[Chain, ...]:
        chains = []
        self.spaces()
        while True:
            chains.append(self.chain())
            if not self.peek():
                return tuple(chains)
            self.expect(",")
            self.spaces()

    def chain(self) -> Chain:
        compounds = [self.compound()]
        while self.spaces() and self.peek() not in ("", ","):
            compounds.append(self.compound())
        return tuple(compounds)

    def compound(self) -> Compound:
        name = ascii_lower(self.ident()) if _IDENT.match(self.text, self.at) else None
        classes: list[str] = []
        ids: list[str] = []
        attrs: list[_Attribute] = []
        nots: list[tuple[Compound, ...]] = []
        while True:
            if self.take("."):
                classes.append(self.ident())
            elif self.take("#"):
                ids.append(self.ident())
            elif self.take("["):
                attrs.append(self.attribute())
            elif self.text[self.at : self.at + 5].lower() == ":not(":
                self.at += 5
                nots.append(self.not_list())
            else:
                break
        if name is None and not (classes or ids or attrs or nots):
            raise _Unsupported
        return Compound(name, tuple(classes), tuple(ids), tuple(attrs), tuple(nots))

    def not_list(self) -> tuple[Compound, ...]:
        self.spaces()
        listed = [self.compound()]
        self.spaces()
        while self.take(","):
            self.spaces()
            listed.append(self.compound())
            self.spaces()
        self.expect(")")
        return tuple(listed)

    def attribute(self) -> _Attribute:
        self.spaces()
        name = ascii_lower(self.ident())
        self.spaces()
        if self.take("]"):
            return _Attribute(name, None, "", False)
        operator = next((op for op in _OPERATORS if self.take(op)), None)
        if operator is None:
            raise _Unsupported
        self.spaces()
        value = self.value()
        self.spaces()
        flag = self.peek().lower()
        if flag in ("i", "s"):
            self.at += 1
            self.spaces()
        self.expect("]")
        ignore_case = flag == "i" if flag in ("i", "s") else name in HTML_CASE_INSENSITIVE
        return _Attribute(name, operator, value, ignore_case)

    def value(self) -> str:
        quote = self.peek()
        if quote not in ('"', "'"):
            return self.ident()
        end = self.text.find(quote, self.at + 1)
        if end < 0:
            raise _Unsupported
        value = self.text[self.at + 1 : end]
        if any(c in value for c in "\\\r\n\f\x00"):  # escapes, or what CSS reads as U+FFFD
            raise _Unsupported
        self.at = end + 1
        return value


def parse_chains(css: str) -> tuple[Chain, ...] | None:
    """The chains of a plain selector list, None when it is not one."""
    try:
        return _Scanner(css).selector_list()
    except _Unsupported:
        return None


def chain_matches(chain: Chain, tag: Tag) -> bool:
    """The last compound matches ``tag``, the others its ancestors in order (descendant
    combinators only: the nearest matching ancestor is always a right choice). The document
    itself is no element: never an ancestor."""
    if not chain[-1].matches(tag):
        return False
    wanted = len(chain) - 2
    parent = tag.parent
    while wanted >= 0 and parent is not None and not isinstance(parent, BeautifulSoup):
        if chain[wanted].matches(parent):
            wanted -= 1
        parent = parent.parent
    return wanted < 0


class PlainSelector:
    """A plain selector list (see the module), matched without soupsieve's generic machinery:
    the same elements in the same (document) order, several times faster, and nothing to
    compile at start-up."""

    __slots__ = ("chains",)

    def __init__(self, chains: tuple[Chain, ...]) -> None:
        self.chains = chains

    @classmethod
    def parse(cls, css: str) -> PlainSelector | None:
        chains = parse_chains(css)
        return cls(chains) if chains is not None else None

    def match(self, tag: Tag) -> bool:
        return any(chain_matches(chain, tag) for chain in self.chains)

    def select(self, node: Tag, limit: int = 0) -> list[Tag]:
        found = []
        for element in node.descendants:
            if isinstance(element, Tag) and self.match(element):
                found.append(element)
                if len(found) == limit:
                    break
        return found

    def select_one(self, node: Tag) -> Tag | None:
        found = self.select(node, 1)
        return found[0] if found else None
