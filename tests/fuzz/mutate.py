"""Hypothesis strategies that mutate saved pages: text edits for any page, structure edits for
JSON answers (a value replaced by one of another type, a key dropped, a list where an object
was, inside the JSON strings BOAMP nests too).

Edits are drawn as small plans (where, what, how long) and applied to a seed, so that a 20 kB
page costs a few draws, not the generation of 20 kB of text. Places and choices come from a
``random.Random`` that hypothesis seeds (``st.randoms(use_true_random=True)``: a seed drawn,
then a real generator): uniform over the page, where hypothesis's own integers would favour
its start and its boundaries.
"""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import strategies as st

#: pieces that break parsers: markup, entities, control characters, numbers and dates at their
#: limits, JSON and XML syntax, the wordings our readers look for
TOKENS = (
    "<",
    ">",
    "&",
    "&amp;",
    "&#0;",
    "&#x1F600;",
    "&lt;script&gt;",
    "<script>alert(1)</script>",
    '"',
    "'",
    "\x00",
    "\x0b",
    "\x1f",
    "\u202e",
    "\ufeff",
    "\n",
    "\r\n",
    " ",
    "\t",
    "<main>",
    "</main>",
    "<div>",
    "</div>",
    '<a href="javascript:alert(1)">',
    "</a>",
    '<a href="../../etc/passwd.pdf">x</a>',
    "<table>",
    "<tr>",
    '<td class="AW_Table_Ligne0">',
    "<h3>",
    "<p>",
    "<br>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    '<?xml version="1.0"?>',
    "<?xml version='1.0' encoding='ISO-8859-1'?>",
    '<!DOCTYPE x [<!ENTITY a "aaaa">]>',
    "&a;",
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "null",
    "true",
    "[]",
    "{}",
    '""',
    "-1",
    "0",
    "1e309",
    "99999999999999999999",
    "NaN",
    "-0",
    "0.00",
    "2026-02-16T12:00:00+00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-12:00",
    "2026-13-45T25:61:00+72:05",
    "31/12/9999",
    "00/00/0000",
    "29/02/2026",
    "1er",
    "midi",
    "à 12h00",
    "à 99h99",
    "Date limite de réponse le ",
    "Lot 2 : ",
    "Lot n°",
    "➔",
    "Publié le ",
    "Date limite de dépôt des plis :",
    "fourchette",
    "valeurBasse",
    "Consultation 2026-1",
)


@st.composite
def text_edits(draw: st.DrawFn, seed: str) -> str:
    """``seed`` with 1 to 8 edits: insert, delete, replace, duplicate or truncate."""
    rnd = draw(st.randoms(use_true_random=True))
    text = seed
    for _ in range(rnd.randint(1, 8)):
        if not text:
            text = rnd.choice(TOKENS)
            continue
        at = rnd.randrange(len(text))
        size = rnd.randint(0, 64)
        piece = rnd.choice(TOKENS) if rnd.random() < 0.7 else draw(st.text(max_size=12))
        kind = rnd.choice(("insert", "insert", "delete", "replace", "duplicate", "truncate"))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + size :]
        elif kind == "replace":
            text = text[:at] + piece + text[at + size :]
        elif kind == "duplicate":
            text = text[:at] + text[at : at + size] * rnd.randint(2, 5) + text[at:]
        else:
            text = text[: max(at, len(text) // 2)]
    return text


#: JSON values of every type, including the awkward ones
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(TOKENS)
    | st.text(max_size=16)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def json_edits(draw: st.DrawFn, seed: str) -> str:
    """``seed`` (a JSON document) with 1 to 6 of its values replaced, dropped or wrapped,
    JSON strings that hold JSON documents (BOAMP's gestion, donnees) edited inside too; then
    now and then a text edit on the result."""
    rnd = draw(st.randoms(use_true_random=True))
    document = json.loads(seed)
    for _ in range(rnd.randint(1, 6)):
        document = _edit_somewhere(draw, rnd, document)
    text = json.dumps(document, ensure_ascii=False, allow_nan=True)
    return draw(text_edits(text)) if rnd.random() < 0.1 else text


def _edit_somewhere(draw: st.DrawFn, rnd: random.Random, document: Any) -> Any:
    places = list(_places(document, ()))
    return _edit_at(draw, rnd, document, rnd.choice(places))


def _places(node: Any, path: tuple[Any, ...], depth: int = 0) -> Any:
    yield path
    if depth > 12:
        return
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*path, key), depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node[:20]):
            yield from _places(value, (*path, index), depth + 1)
    elif isinstance(node, str) and node[:1] in "{[":
        try:
            inner = json.loads(node)
        except ValueError:
            return
        for sub in _places(inner, (), depth + 1):
            yield (*path, ("json", sub))


def _edit_at(draw: st.DrawFn, rnd: random.Random, node: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        kind = rnd.choice(("value", "value", "wrap", "drop", "empty"))
        if kind == "wrap":
            return [node] if rnd.random() < 0.5 else {"x": node}
        if kind == "drop":
            return None
        if kind == "empty":
            return type(node)() if isinstance(node, dict | list | str) else None
        return draw(JSON_VALUES)
    head, rest = path[0], path[1:]
    if isinstance(head, tuple):  # inside a JSON string
        inner = _edit_at(draw, rnd, json.loads(node), head[1])
        return json.dumps(inner, ensure_ascii=False, allow_nan=True)
    copy: Any = dict(node) if isinstance(node, dict) else list(node)
    edited = _edit_at(draw, rnd, copy[head], rest)
    if edited is None and isinstance(copy, dict) and not rest and rnd.random() < 0.5:
        del copy[head]
    else:
        copy[head] = edited
    return copy


@st.composite
def api_edits(draw: st.DrawFn, seed: str) -> str:
    """Mostly structure edits (text edits rarely give JSON the parser reads past its envelope),
    sometimes text edits."""
    if draw(st.randoms(use_true_random=True)).random() < 0.85:
        return draw(json_edits(seed))
    return draw(text_edits(seed))


@st.composite
def byte_edits(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` (a binary document) with a few bytes flipped, cut or repeated."""
    rnd = draw(st.randoms(use_true_random=True))
    data = bytearray(seed)
    for _ in range(rnd.randint(1, 8)):
        if not data:
            break
        at = rnd.randrange(len(data))
        kind = rnd.choice(("flip", "cut", "repeat", "insert"))
        if kind == "flip":
            data[at] = rnd.randrange(256)
        elif kind == "cut":
            del data[at : at + rnd.randint(1, 256)]
        elif kind == "repeat":
            data[at:at] = data[at : at + rnd.randint(1, 64)] * rnd.randint(2, 8)
        else:
            data[at:at] = rnd.choice(TOKENS).encode("utf-8")
    return bytes(data)
