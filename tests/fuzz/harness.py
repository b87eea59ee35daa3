"""The fuzzing harness shared by the test suite (small budget) and ``make fuzz`` (large).

``inputs(target)`` is the hypothesis strategy of a target's inputs: one of its seeds with edits
drawn on top (structure edits for JSON, text edits, byte edits for binary documents).
``exercise`` runs one input and raises ``Crash`` for anything but a declared error. Crashes
found by ``make fuzz`` are saved under ``tests/fuzz/crashes/<target>/`` and replayed by the test
suite as regression examples.
"""

from __future__ import annotations

import hashlib
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from tests.fuzz.mutate import api_edits, byte_edits, text_edits
from tests.fuzz.targets import DECLARED, InternalError, Target

CRASHES = Path(__file__).resolve().parent / "crashes"


class Crash(AssertionError):
    """An input made a target raise something else than a declared error."""


def inputs(target: Target) -> st.SearchStrategy[str | bytes]:
    seeds = target.seeds()
    if not seeds:
        raise LookupError(f"fuzz target {target.name} has no seed")
    if target.kind == "bytes":
        return st.sampled_from(seeds).flatmap(lambda s: byte_edits(s))  # type: ignore[arg-type]
    if target.kind == "json":
        return st.sampled_from(seeds).flatmap(lambda s: api_edits(s))  # type: ignore[arg-type]
    return st.sampled_from(seeds).flatmap(lambda s: text_edits(s))  # type: ignore[arg-type]


def exercise(target: Target, value: str | bytes) -> None:
    """Run one input; a declared error is a pass, anything else a ``Crash``."""
    try:
        target.run(value)
    except DECLARED:
        return
    except Exception as error:
        raise Crash(f"{target.name}: {type(error).__name__}: {error}") from error


@dataclass
class Tally:
    """What a large run found for one target."""

    inputs: int = 0
    crashes: int = 0
    distinct: dict[str, str | bytes] = field(default_factory=dict)

    def record(self, value: str | bytes, crash: Crash) -> None:
        self.crashes += 1
        cause = crash.__cause__ or crash
        frame = traceback.extract_tb(cause.__traceback__)[-1] if cause.__traceback__ else None
        if isinstance(cause, InternalError) or frame is None:  # the reader's own error, named
            where = str(cause).split(": ", 1)[-1][:120]
        else:
            where = f"{type(cause).__name__}@{frame.filename}:{frame.lineno}"
        self.distinct.setdefault(where, value)


def save_crash(target: Target, value: str | bytes) -> Path:
    """Keep a crashing input as a regression example (replayed by tests/test_fuzz.py)."""
    data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    folder = CRASHES / target.name
    folder.mkdir(parents=True, exist_ok=True)
    file = (
        folder
        / f"{hashlib.sha256(data).hexdigest()[:16]}.{'bin' if isinstance(value, bytes) else 'txt'}"
    )
    file.write_bytes(data)
    return file


def saved_crashes() -> list[tuple[str, Path]]:
    """(target name, file) of every kept regression example."""
    if not CRASHES.is_dir():
        return []
    return sorted((f.parent.name, f) for f in CRASHES.glob("*/*") if f.is_file())


def load_crash(file: Path) -> str | bytes:
    data = file.read_bytes()
    return data if file.suffix == ".bin" else data.decode("utf-8", "surrogatepass")
