"""The demo's drafting step: a vault of labelled demonstration documents, dated relative to
the demo day (the draft itself is written as every call's: ``watcher.call_draft``).

The documents are one-page PDFs that say "DOCUMENT DE DEMONSTRATION" and nothing else; their
dates make every status visible: the URSSAF attestation ends about 11 days after the demo day
(expiring for a call due later: not copied), the Kbis is older than 3 months (a note), the
Qualiopi certificate is in its surveillance-audit window (a note), the rest is valid.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import tomli_w

from responses.settings import DocumentItem, DocumentsConfig, example_toml, load_example

#: days before the demo day each example document was issued (None: keep undated)
AGES = {
    "qualiopi": 600,
    "nda": 2400,
    "urssaf": 170,
    "fiscale": 40,
    "kbis": 120,
    "rc_pro": 60,
    "bpf": 300,
}


def demo_documents(today: date) -> DocumentsConfig:
    """The example ``[documents]`` with issue dates relative to ``today``."""
    example, _settings = load_example()
    items = [_shifted(item, today) for item in example.items]
    return example.model_copy(update={"items": items})


def _shifted(item: DocumentItem, today: date) -> DocumentItem:
    age = AGES.get(item.kind.value)
    if age is None:
        return item
    issued = today - timedelta(days=age)
    expires = issued + timedelta(days=365) if item.expires else None
    return item.model_copy(update={"issued": issued, "expires": expires})


DEMO_SETTINGS_HEADER = """\
# The demo's evidence vault (dated relative to the demo day; the files are the demo's labelled
# PDFs under documents/) and what its drafts need: the console and `opco-watch documents`
# read the same documents as the demo's draft step.
"""


def declare_demo_vault(config_file: Path, today: date) -> DocumentsConfig:
    """Declare the demo's ``[documents]`` and ``[responses]`` in the starter file written at
    ``config_file`` (in place of their commented example) and write the documents' files."""
    documents = demo_documents(today)
    declared = DEMO_SETTINGS_HEADER + tomli_w.dumps(
        {
            "documents": _plain(documents.model_dump(exclude_none=True)),
            "responses": _plain(load_example()[1].model_dump(exclude_none=True)),
        }
    )
    text = config_file.read_text("utf-8")
    commented = example_toml(commented=True)
    text = text.replace(commented, declared) if commented in text else text + "\n" + declared
    config_file.write_text(text, encoding="utf-8")
    write_demo_files(documents, config_file.parent / documents.folder)
    return documents


def _plain(value: Any) -> Any:
    """A model dump TOML can write: paths as text, enumerations as their values."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def write_demo_files(section: DocumentsConfig, folder: Path) -> list[Path]:
    """One labelled one-page PDF per document of ``section``, under ``folder``."""
    written = []
    for item in section.items:
        path = folder / item.file
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(demo_pdf(f"DOCUMENT DE DEMONSTRATION - {item.title or item.kind.value}"))
        written.append(path)
    return written


def demo_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing ``text`` (ASCII; accents are dropped)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    safe = ascii_text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    stream = f"BT /F1 14 Tf 56 780 Td ({safe}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_from_objects(objects)


def pdf_from_objects(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (numbered from 1, the first the catalogue) with its xref."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
