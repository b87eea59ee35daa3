"""The config loader raises only ``ConfigError``, whatever the bytes (property-based).

Seeds: the starter file of ``opco-watch init`` and the shipped examples (documents, responses,
mail with every commented setting switched on). Inputs are derived from them two ways:

- structure: one node of the parsed seed (a table, a list, a value, at any depth) replaced by
  another TOML value (a list where a table belongs, a number where text belongs, a table where
  a list belongs, deep nesting, huge numbers and strings, NUL characters in paths...);
- bytes: the seed's bytes cut, spliced, or with bytes inserted or flipped (non-UTF-8 files,
  broken syntax).

Each input goes through ``config_from_bytes`` (what every command loads) and ``check_config``
(what ``opco-watch config check`` prints). A small budget runs in ``make test``;
``FUZZ_EXAMPLES=N`` sets another (a fuzzing run).
"""

from __future__ import annotations

import os
import re
import tempfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from responses.settings import example_toml
from watcher.config import Config, config_from_bytes, parse_toml
from watcher.config_check import check_config_bytes
from watcher.errors import ConfigError
from watcher.starter import example_notify, starter_toml

BUDGET = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=BUDGET,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
#: a folder of its own for relative paths (documents, templates): never the repository;
#: removed when the test process ends
_FOLDER = tempfile.TemporaryDirectory(prefix="opco-watch-config-fuzz-")
BASE = Path(_FOLDER.name)


def uncommented(text: str) -> str:
    """The example with its commented settings switched on (``# key = value`` lines)."""
    setting = re.compile(r"^# ?((?:\[\[?[\w.-]+\]\]?)|(?:[\w-]+ = .+))$")
    return "\n".join(setting.sub(r"\1", line) for line in text.splitlines()) + "\n"


SEEDS = [
    starter_toml(),
    starter_toml().replace(example_toml(commented=True), example_toml()),  # documents declared
    uncommented(example_notify()),
    '[organisation]\nname = "OF"\ncontact_email = "veille@of.fr"\n'
    "[sources.akto]\nenabled = false\n",
]
TREES = [parse_toml(seed.encode()) for seed in SEEDS]


def check(data: bytes) -> None:
    """The property: a Config or a ConfigError from the loader; only ConfigErrors (with a
    message) from the check."""
    try:
        assert isinstance(config_from_bytes(data, base_dir=BASE), Config)
    except ConfigError as error:
        assert str(error).strip()
    report = check_config_bytes(data, base_dir=BASE)
    for problem in [*report.errors, *report.warnings]:
        assert isinstance(problem, ConfigError) and str(problem).strip()


# -- structure-level mutations -----------------------------------------------------------------

SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", "\x00", "../../../../etc/hostname", "/nonexistent", "a" * 5000]),
    st.dates(min_value=date(1, 1, 1)),
    st.times(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=4),
    ),
    max_leaves=12,
)


def paths(tree: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every node of a parsed TOML document, as the keys and indexes leading to it."""
    found = [here] if here else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += paths(value, (*here, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += paths(value, (*here, index))
    return found


def replaced(tree: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, dict):
        return {**tree, head: replaced(tree[head], rest, value)}
    copy = list(tree)
    copy[head] = replaced(copy[head], rest, value)
    return copy


def nested(depth: int, leaf: Any) -> Any:
    for level in range(depth):
        leaf = [leaf] if level % 2 else {"x": leaf}
    return leaf


@st.composite
def mutated_trees(draw: st.DrawFn) -> bytes:
    tree = draw(st.sampled_from(TREES))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(tree)))
        value = draw(st.one_of(VALUES, st.builds(nested, st.integers(50, 400), SCALARS)))
        tree = replaced(tree, path, value)
    try:
        return tomli_w.dumps(tree).encode()
    except (ValueError, TypeError, RecursionError):  # not writable as TOML (e.g. nested lists
        return repr(tree).encode()[:20_000]  # of tables): their bytes are a fine input too


@FUZZ
@given(mutated_trees())
@example(b'[sources]\nakto = ["a"]\n')
@example(b"sources = [1, 2]\n")
@example(b'[[organisation]]\nname = "x"\n')
@example(b"[organisation]\nname = 5\n")
@example(b"[documents]\nitems = { kind = 'nda' }\n")
@example(b"[profile]\ndomains = 'Management'\n")
@example(b'[sources.akto]\nkind = ["wordpress"]\n')
@example(b'[sources.bomap]\nkind = ["wordpress"]\n')
@example(b"a = " + b"[" * 2000 + b"]" * 2000 + b"\n")
@example(b"[store]\ndata_dir = " + b"9" * 5000 + b"\n")
@example(b'[documents]\nfolder = "docs\\u0000"\n')
def test_any_structure_gives_a_config_or_config_errors(data: bytes) -> None:
    check(data)


# -- byte-level mutations ----------------------------------------------------------------------


@st.composite
def mutated_bytes(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)).encode())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "insert", "flip", "splice"]))
        if action == "cut":
            del data[at : at + draw(st.integers(1, 200))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif action == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        else:
            start = draw(st.integers(0, len(data)))
            data[at:at] = data[start : start + draw(st.integers(1, 400))]
    return bytes(data)


@FUZZ
@given(mutated_bytes())
@example(b"\xff\xfe[\x00o\x00r\x00g\x00]\x00")  # UTF-16, as some Windows editors save
@example('[organisation]\nname = "Café"\n'.encode("latin-1"))
@example(b"\xef\xbb\xbf[organisation]\nname = 'OF'\n")
def test_any_bytes_give_a_config_or_config_errors(data: bytes) -> None:
    check(data)


def test_the_seeds_are_valid_configurations() -> None:
    for seed in SEEDS:
        config_from_bytes(seed.encode(), base_dir=BASE)
