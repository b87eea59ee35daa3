"""A hostile PDF (100 kB of Flate unpacking into 70 MB of text operators) costs its bounded
share in a child process, never the event loop's time or memory: a generated bomb, read
alone, then inside a real poll served on loopback next to another source."""

from __future__ import annotations

import asyncio
import re
import resource
import zlib
from pathlib import Path

import pytest

from responses.demo import pdf_from_objects
from scrapers.opcommerce import Opcommerce
from scrapers.pdf import PdfUnreadable, pdf_text
from tests.conftest import PAGE_DAY, write_config
from watcher.config import load_config
from watcher.devserver import DevServer
from watcher.fetch import Fetcher
from watcher.models import Notice
from watcher.pipeline import RunContext, build_sources, run_once
from watcher.store import Store

OPCOMMERCE_PDF = (
    "/www.lopcommerce.com/wp-content/uploads/2026/02/AAP-2026-POEC-vendeur-conseil-HDF.pdf"
)


def bomb(megabytes: int = 70) -> bytes:
    """One page whose Flate content stream unpacks into ``megabytes`` of ``(A) Tj``."""
    operator = b"(A) Tj "
    stream = b"BT /F1 11 Tf 56 790 Td " + operator * (megabytes * 1_000_000 // len(operator))
    packed = zlib.compress(stream + b"ET", 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_from_objects(objects)


@pytest.fixture(scope="module")
def the_bomb() -> bytes:
    content = bomb()
    assert len(content) < 250_000  # small on the wire: the body limit does not stop it
    return content


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def test_a_pdf_bomb_is_refused_by_its_memory_limit_in_a_child(the_bomb: bytes) -> None:
    before, own = children_cpu(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # a CPU bound it cannot reach first (pypdf 7 spends about 7 s of CPU to fill 256 MB here)
    with pytest.raises(PdfUnreadable, match=r"PDF too large to read \(over 256 MB of memory\)"):
        pdf_text(the_bomb, cpu_seconds=120)
    assert children_cpu() > before  # the work was a child's
    # this process did not unpack it (the 70 MB stream alone would show in its peak)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - own < 50_000


def test_a_pdf_bomb_is_refused_by_its_cpu_limit_in_a_child(the_bomb: bytes) -> None:
    with pytest.raises(PdfUnreadable, match=r"PDF too costly to read \(over 1 s of CPU\)"):
        pdf_text(the_bomb, cpu_seconds=1, memory_mb=4096)


class Watched(Opcommerce):
    """L'Opcommerce, counting the event loop's turns while each PDF is read."""

    def __init__(self, ticks: list[int]) -> None:
        super().__init__()
        self.ticks, self.during = ticks, []

    def parse_detail_bytes(self, content: bytes, notice: Notice) -> Notice:
        start = self.ticks[0]
        try:
            return super().parse_detail_bytes(content, notice)
        finally:
            self.during.append(self.ticks[0] - start)


def test_a_pdf_bomb_in_a_poll_is_a_detail_failure_and_the_loop_keeps_turning(
    tmp_path: Path, demo_server: DevServer, the_bomb: bytes
) -> None:
    demo_server.add(OPCOMMERCE_PDF, the_bomb, content_type="application/pdf")
    config = load_config(write_config(tmp_path))
    ticks = [0]
    watched = Watched(ticks)

    async def heartbeat(done: asyncio.Event) -> None:
        while not done.is_set():
            ticks[0] += 1
            await asyncio.sleep(0.001)

    async def scenario() -> list[object]:
        with Store.open(config.database) as store:
            async with Fetcher(config.fetch_settings(mirror=demo_server.base_url)) as fetcher:
                ctx = RunContext(store=store, fetcher=fetcher, today=PAGE_DAY)
                done = asyncio.Event()
                beat = asyncio.create_task(heartbeat(done))
                sources = [watched, *build_sources(config, ["akto"])]
                reports = await run_once(sources, ctx)
                done.set()
                await beat
                return list(reports)

    opcommerce, akto = asyncio.run(scenario())
    assert akto.ok and akto.new == 4  # type: ignore[attr-defined]
    assert opcommerce.ok and opcommerce.new == 4 and opcommerce.detail_failures == 1  # type: ignore[attr-defined]
    assert len(watched.during) == 3 and min(watched.during) > 0  # read off the event loop
    with Store.open(config.database) as store:
        state = store.source_state("opcommerce")
    assert state is not None and state.detail_failures == 1
    # whichever of the default bounds the machine reaches first (memory, or CPU under load)
    url = "https://www.lopcommerce.com" + OPCOMMERCE_PDF.removeprefix("/www.lopcommerce.com")
    assert re.fullmatch(
        r"PDF call unreadable: PDF too (large|costly) to read "
        r"\(over (256 MB of memory|5 s of CPU)\) \(" + re.escape(url) + r"\)",
        state.last_detail_error or "",
    ), state.last_detail_error
