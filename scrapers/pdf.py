"""The text of a PDF call (L'Opcommerce publishes its calls as PDF files), read with bounds.

The body size is already bounded by the fetch layer (``fetch.max_body_mb``); here only the
first ``max_pages`` pages are read and the text is cut at ``max_chars``, so a 300-page annex
costs no more than its first pages. A file that is not a PDF, is encrypted or cannot be read
raises ``PdfUnreadable``: the caller keeps what the listing said.
"""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader

MAX_PAGES = 10
MAX_CHARS = 100_000
#: the "%PDF-" header may follow some junk, within the first kilobyte (PDF 1.7, annex H)
HEADER_WINDOW = 1024


class PdfUnreadable(ValueError):
    """The bytes are not a PDF whose text can be read."""


def pdf_text(content: bytes, *, max_pages: int = MAX_PAGES, max_chars: int = MAX_CHARS) -> str:
    """The text of the first ``max_pages`` pages, one line per text line, at most ``max_chars``."""
    if b"%PDF-" not in content[:HEADER_WINDOW]:
        raise PdfUnreadable("not a PDF file")
    try:
        reader = PdfReader(BytesIO(content), strict=False)
        _unlock(reader)
        text = _pages_text(reader, max_pages, max_chars)
    except PdfUnreadable:
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
