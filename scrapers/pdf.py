"""The text of a PDF call (L'Opcommerce publishes its calls as PDF files), read with bounds.

The body size is already bounded by the fetch layer (``fetch.max_body_mb``); here only the
first ``max_pages`` pages are read and the text is cut at ``max_chars``, so a 300-page annex
costs no more than its first pages. A small file can still cost a lot: 100 kB of Flate
unpacks into 70 MB of text operators, which pypdf parses for seconds in hundreds of MB. So
the reading happens in a child process (``python -m scrapers.pdf``) limited to
``CPU_SECONDS`` of CPU and ``MEMORY_MB`` of address space, and waited for at most
``WALL_SECONDS``: a file past a limit costs that much and no more, in another process.

A file that is not a PDF, is encrypted, cannot be read or costs too much raises
``PdfUnreadable``: the caller keeps what the listing said.
"""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pypdf import PdfReader

MAX_PAGES = 10
MAX_CHARS = 100_000
#: the "%PDF-" header may follow some junk, within the first kilobyte (PDF 1.7, annex H)
HEADER_WINDOW = 1024
#: the child's limits; a real call of ten pages reads in a fraction of a second, in ~40 MB
CPU_SECONDS = 5
MEMORY_MB = 256
WALL_SECONDS = 30.0


class PdfUnreadable(ValueError):
    """The bytes are not a PDF whose text can be read (within the limits)."""


def pdf_text(
    content: bytes,
    *,
    max_pages: int = MAX_PAGES,
    max_chars: int = MAX_CHARS,
    cpu_seconds: int = CPU_SECONDS,
    memory_mb: int = MEMORY_MB,
) -> str:
    """The text of the first ``max_pages`` pages, one line per text line, at most
    ``max_chars``; read in a child process within ``cpu_seconds`` and ``memory_mb``."""
    if b"%PDF-" not in content[:HEADER_WINDOW]:
        raise PdfUnreadable("not a PDF file")
    limits = [str(n) for n in (max_pages, max_chars, cpu_seconds, memory_mb)]
    command = [sys.executable, "-m", "scrapers.pdf", *limits]
    try:
        done = subprocess.run(command, input=content, capture_output=True, timeout=WALL_SECONDS)
    except subprocess.TimeoutExpired as error:
        raise PdfUnreadable(f"PDF too costly to read (over {WALL_SECONDS:g} s)") from error
    return _answer(done, cpu_seconds, memory_mb)


def _answer(done: subprocess.CompletedProcess[bytes], cpu_seconds: int, memory_mb: int) -> str:
    """The child's text, or the reason it gave none."""
    if done.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
        raise PdfUnreadable(f"PDF too costly to read (over {cpu_seconds} s of CPU)")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        words = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise PdfUnreadable(
            f"PDF reader failed (exit {done.returncode}: {words[0][:200]})"
        ) from None
    if "error" in answer:
        error = str(answer["error"])
        if error == "MemoryError":
            raise PdfUnreadable(f"PDF too large to read (over {memory_mb} MB of memory)")
        raise PdfUnreadable(error)
    return str(answer["text"])


def read_text(content: bytes, max_pages: int = MAX_PAGES, max_chars: int = MAX_CHARS) -> str:
    """The reading itself, in this process: what the child runs (no limits of its own)."""
    if b"%PDF-" not in content[:HEADER_WINDOW]:
        raise PdfUnreadable("not a PDF file")
    from pypdf import PdfReader  # here: 0.1 s of import no command that reads no PDF should pay

    try:
        reader = PdfReader(BytesIO(content), strict=False)
        _unlock(reader)
        text = _pages_text(reader, max_pages, max_chars)
    except (PdfUnreadable, MemoryError):
        raise
    # pypdf fails on damaged files with many exception types (struct, zlib, KeyError…): the
    # file comes from the web, so any failure to read it means "unreadable", not a bug here
    except Exception as error:
        raise PdfUnreadable(f"damaged PDF ({type(error).__name__}: {error})") from error
    return text[:max_chars]


def _unlock(reader: PdfReader) -> None:
    """Files "protected" with an empty user password open as is; others cannot be read."""
    if reader.is_encrypted and not reader.decrypt(""):
        raise PdfUnreadable("encrypted PDF")


def _pages_text(reader: PdfReader, max_pages: int, max_chars: int) -> str:
    parts: list[str] = []
    size = 0
    for index in range(min(len(reader.pages), max_pages)):
        part = reader.pages[index].extract_text() or ""
        parts.append(part)
        size += len(part)
        if size >= max_chars:
            break
    return "\n".join(parts)


def _child(argv: list[str]) -> int:
    """``python -m scrapers.pdf MAX_PAGES MAX_CHARS CPU_SECONDS MEMORY_MB``: the PDF on
    standard input, ``{"text": …}`` or ``{"error": …}`` as JSON on standard output."""
    max_pages, max_chars, cpu_seconds, memory_mb = (int(value) for value in argv)
    # the soft limit sends SIGXCPU (the end of the child), the hard one a second later SIGKILL
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    content = sys.stdin.buffer.read()
    try:
        answer = {"text": read_text(content, max_pages, max_chars)}
    except PdfUnreadable as error:
        answer = {"error": str(error)}
    except MemoryError:
        answer = {"error": "MemoryError"}
    sys.stdout.write(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
