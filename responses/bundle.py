"""``dossier.zip``: the drafts plus copies of the valid documents, under safe names.

Only documents valid on the deadline day are copied (an expiring one would be stale when the
buyer opens it), and of the CVs only those of the trainers proposed for this call; only files
inside the documents folder, links followed (never ``../../etc/hostname`` or a link to it).
Names in the archive are ASCII slugs (``pieces/certificat-qualiopi.pdf``), unique, never
absolute and never climbing out with ``..``.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from responses.settings import DocumentKind, Trainer
from responses.vault import DocumentStatus, Vault, VaultDocument, inside, is_file, resolved
from responses.wording import safe_name, safe_suffix
from watcher.errors import DraftError
from watcher.models import PARIS

ATTACHMENTS_FOLDER = "pieces"
_SAFE_ARCNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?$")


@dataclass(frozen=True, slots=True)
class Attachment:
    source: Path
    arcname: str
    title: str


def plan_attachments(
    vault: Vault, trainers: Iterable[Trainer], today: date, deadline: datetime | None
) -> list[Attachment]:
    """The documents to copy, in vault order, each with its unique safe name."""
    cv_paths = {resolved(vault.folder / t.cv) for t in trainers if t.cv is not None}
    cv_paths = {path for path in cv_paths if inside(vault.folder, path)}
    chosen = [
        d
        for d in vault.documents
        if d.status(today, deadline) == DocumentStatus.VALID
        and (d.kind != DocumentKind.CV or d.path in cv_paths)
    ]
    extra = _undeclared_cvs(vault, cv_paths)
    used: set[str] = set()
    pairs = [*_pairs(chosen), *extra]
    for path, _ in pairs:  # the vault refuses them already: never copy a file from elsewhere
        if not inside(vault.folder, resolved(path)):
            raise DraftError(f"refusing to copy {path}: it is outside {vault.folder}")
    return [_attachment(path, title, used) for path, title in pairs]


def _pairs(documents: list[VaultDocument]) -> list[tuple[Path, str]]:
    return [(d.path, d.title) for d in documents]


def _undeclared_cvs(vault: Vault, cv_paths: set[Path]) -> list[tuple[Path, str]]:
    """CV files named in [[responses.trainers]] but not declared in the vault."""
    declared = {d.path for d in vault.documents}
    return [(p, f"CV {p.stem}") for p in sorted(cv_paths - declared) if is_file(p)]


def _attachment(path: Path, title: str, used: set[str]) -> Attachment:
    stem = safe_name(title, size=80)
    name, n = stem, 1
    while name in used:
        n += 1
        name = f"{stem}-{n}"
    used.add(name)
    return Attachment(path, f"{ATTACHMENTS_FOLDER}/{name}{safe_suffix(path.name)}", title)


def write_zip(target: Path, drafts: Iterable[Path], attachments: Iterable[Attachment]) -> Path:
    """Write the archive; raises DraftError when a document cannot be read."""
    entries = [(p, p.name) for p in drafts] + [(a.source, a.arcname) for a in attachments]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for source, arcname in entries:
            _add(archive, source, arcname)
    return target


def _add(archive: zipfile.ZipFile, source: Path, arcname: str) -> None:
    if not _SAFE_ARCNAME.match(arcname) or ".." in arcname:
        raise DraftError(f"unsafe name in the archive: {arcname!r}")
    try:
        info = zipfile.ZipInfo.from_file(source, arcname)
        info.date_time = paris_time(source.stat().st_mtime)
        info.compress_type = archive.compression
        with source.open("rb") as data, archive.open(info, "w") as entry:
            shutil.copyfileobj(data, entry)
    except OSError as error:
        raise DraftError(f"cannot copy {source} into the archive: {error.strerror}") from None


def paris_time(timestamp: float) -> tuple[int, int, int, int, int, int]:
    """A zip entry's time: zip has no time zone, and the console shows Paris time."""
    moment = datetime.fromtimestamp(timestamp, UTC).astimezone(PARIS)
    return (
        max(moment.year, 1980),
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
    )
