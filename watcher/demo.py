"""The offline demo's data: bundled snapshots of the sources, their date tokens filled in, served
by a local HTTP server on 127.0.0.1 (the fetch layer's mirror points the sources at it). The
demo command itself is ``watcher/cli/demo.py``; tests serve the same snapshots.

A demo's store remembers it is one, and the day its snapshots were dated from
(``mark_demo``): whatever polls it later (the console's « interroger maintenant » after a
plain ``serve``, ``poll``, ``run``) polls those snapshots again (``demo_mirror``), never the
real sites.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from watcher import fr
from watcher.models import PARIS

if TYPE_CHECKING:
    from watcher.devserver import DevServer
    from watcher.store import Store

DATA = resources.files("watcher") / "demo_data"
TOKEN = re.compile(
    r"@(DATE|DATETIME|WALLCLOCK|LOCAL|PARISDATE|PARISTIME|FRDATE|FRWORDS|FRLONG)"
    r"([+-]\d+)(?:T(\d{2}):(\d{2}))?@"
)
CONTENT_TYPES = {
    ".json": "application/json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".pdf": "application/pdf",
}
BINARY = {".pdf"}


@contextmanager
def snapshot_server(day: date) -> Iterator[DevServer]:
    """A DevServer serving every bundled snapshot, dates made relative to ``day``."""
    from watcher.devserver import DevServer  # not loaded by every poll asking if it is a demo's

    routes = json.loads((DATA / "routes.json").read_text("utf-8"))["routes"]
    with DevServer() as server:
        for path, name in routes:
            body = _snapshot(name, day)
            server.add(path, body, content_type=_content_type(name), last_modified=_midnight(day))
        yield server


#: the ``jobs_state`` row of a demo's store: the day its snapshots are dated from
DEMO_DAY = "demo.day"


def mark_demo(store: Store, day: date) -> None:
    """Mark ``store`` as a demo's, whose snapshots are dated from ``day``."""
    from watcher.notify import jobs

    with store.transaction(write=True) as conn:
        jobs.put(conn, DEMO_DAY, day.isoformat(), datetime.now(PARIS))


def demo_day(store: Store) -> date | None:
    """The day of a demo's snapshots, None for a store that is no demo's."""
    from watcher.notify import jobs

    with store.transaction() as conn:
        found = jobs.get(conn, DEMO_DAY)
    return date.fromisoformat(found) if found else None


@contextmanager
def demo_mirror(store: Store, mirror: str | None) -> Iterator[str | None]:
    """The mirror to poll through: ``mirror`` when given; for a demo's store, its snapshots
    served on loopback for the time of the poll; else None (the real sites)."""
    day = demo_day(store) if mirror is None else None
    if day is None:
        yield mirror
        return
    with snapshot_server(day) as server:
        yield server.base_url


def fill_dates(text: str, day: date) -> str:
    """Replace the date tokens of a snapshot (see demo_data/PROVENANCE.md)."""

    def replace(match: re.Match[str]) -> str:
        kind, offset, hours, minutes = match.groups()
        target = day + timedelta(days=int(offset))
        clock = time(int(hours or 12), int(minutes or 0))
        return _FORMATS[kind](target, clock)

    return TOKEN.sub(replace, text)


def _paris(day: date, clock: time) -> str:
    return datetime.combine(day, clock, tzinfo=PARIS).isoformat()


_FORMATS: dict[str, Callable[[date, time], str]] = {
    "DATE": lambda day, _: day.isoformat(),
    "FRDATE": lambda day, _: day.strftime("%d/%m/%Y"),
    "FRWORDS": lambda day, _: (
        f"{fr.DAYS[day.weekday()]} {day.day} {fr.MONTHS[day.month - 1]}".upper()
    ),
    "FRLONG": lambda day, _: f"{day.day} {fr.MONTHS[day.month - 1]} {day.year}",
    "DATETIME": _paris,
    # BOAMP's datelimitereponse: the Paris wall clock labelled UTC
    "WALLCLOCK": lambda day, clock: f"{datetime.combine(day, clock).isoformat()}+00:00",
    "LOCAL": lambda day, clock: datetime.combine(day, clock).isoformat(),  # no offset
    # TED's split fields: the day, and the time, each with the offset Paris has then
    "PARISDATE": lambda day, clock: day.isoformat() + _paris(day, clock)[19:],
    "PARISTIME": lambda day, clock: _paris(day, clock)[11:],
}


def _snapshot(name: str, day: date) -> bytes | str:
    """A snapshot's body: text with its date tokens filled, binary files (PDF) as they are."""
    if Path(name).suffix in BINARY:
        # latin-1 maps each byte to one character: the tokens are filled, the rest is
        # byte-exact (the PDFs use tokens that keep their length, so offsets stay valid)
        return fill_dates((DATA / name).read_bytes().decode("latin-1"), day).encode("latin-1")
    return fill_dates((DATA / name).read_text("utf-8"), day)


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "text/html; charset=utf-8")


def _midnight(day: date) -> float:
    return datetime.combine(day, time(), tzinfo=PARIS).timestamp()
