"""No input from the web crashes a parser: every parse entry point, the date parser and the
fallback extractor, fuzzed with mutations of the saved pages and real captures.

A small, deterministic budget per target here (``FUZZ_EXAMPLES``, a few seconds each); the
large one is ``make fuzz`` (``python -m tests.fuzz``), which also keeps every crash it finds
under ``tests/fuzz/crashes/`` — replayed below as regression examples.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.harness import exercise, inputs, load_crash, saved_crashes
from tests.fuzz.targets import TARGETS

#: examples per target in the test suite; the dates are cheaper: they get more
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SMALL = settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same inputs on every run: a failure here is reproducible
    database=None,  # nothing written into the checkout
    deadline=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_raises_only_declared_errors(name: str) -> None:
    target = TARGETS[name]
    if not target.seeds():
        pytest.skip(f"{name}: no seed here (real fixtures absent)")
    examples = EXAMPLES * 5 if target.weight < 0.5 else EXAMPLES

    @settings(SMALL, max_examples=examples)
    @given(value=st.data())
    def fuzz(value: st.DataObject) -> None:
        exercise(target, value.draw(inputs(target)))

    fuzz()


@pytest.mark.parametrize(
    ("name", "file"), saved_crashes(), ids=[f"{n}-{f.stem}" for n, f in saved_crashes()]
)
def test_kept_crash_is_fixed(name: str, file: Path) -> None:
    """Every crash ``make fuzz`` found stays fixed."""
    exercise(TARGETS[name], load_crash(file))


def test_every_parse_entry_point_is_a_target() -> None:
    from scrapers.base import HtmlSource
    from scrapers.registry import PLATFORMS, SOURCES

    listing = set(SOURCES) | {"wordpress", "rss", "marches-publics.info"}
    assert listing <= set(TARGETS), listing - set(TARGETS)
    assert set(PLATFORMS) <= set(TARGETS)
    details = {n for n, c in SOURCES.items() if issubclass(c, HtmlSource)}
    with_details = {
        n for n in details if SOURCES[n].parse_detail_soup is not HtmlSource.parse_detail_soup
    }
    assert {f"{n}-detail" for n in with_details} - {"opcommerce-detail"} <= set(TARGETS)
    assert {"boamp-xml", "opcommerce-pdf", "fallback", "dates", "find-deadline"} <= set(TARGETS)
