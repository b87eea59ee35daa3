"""New versions of the vault's documents, uploaded from the console.

A new version replaces the file the configuration declares (same name, same extension), the
old one is kept in ``<documents folder>/.versions/`` with its date, and the dates given with
the upload (issued, expires) are written to ``.versions/manifest.json``, which the vault
reads over the configured dates: the renewed URSSAF attestation counts at once, for the
console, the CLI, the verdicts and the drafts alike. Every path is resolved inside the
folder; the uploaded file's own name is never used.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

from watcher.errors import OpcoWatchError
from watcher.fr import NBSP

VERSIONS = ".versions"
MANIFEST = "manifest.json"
#: how the first bytes of a file of each extension look
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".odt": (b"PK\x03\x04",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}


class UploadError(OpcoWatchError):
    """An upload refused, with the reason in French."""


@dataclass(frozen=True, slots=True)
class Version:
    file: str
    kept_as: str
    at: datetime


def inside(folder: Path, relative: Path | str) -> Path:
    """``folder / relative`` resolved, refusing anything that leaves the folder."""
    root = folder.resolve()
    target = (root / relative).resolve()
    if target == root or root not in target.parents:
        raise UploadError(f"«\u00a0{relative}\u00a0» sort du dossier des pièces")
    return target


def check_sent_type(filename: str | None, types: list[str]) -> None:
    """The sent file's own extension, told apart from the declared one: « virus.exe » is
    refused for its type, not for not looking like the declared PDF."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix and suffix not in types:
        accepted = ", ".join(types)
        raise UploadError(
            f"les fichiers {suffix} ne sont pas acceptés (acceptés{NBSP}: {accepted})"
        )


def check_upload(declared: Path, data: bytes, *, max_bytes: int, types: list[str]) -> None:
    suffix = declared.suffix.lower()
    if suffix not in types:
        raise UploadError(
            f"le type {suffix or '(sans extension)'} n'est pas accepté ({', '.join(types)})"
        )
    if not data:
        raise UploadError("le fichier est vide")
    if len(data) > max_bytes:
        raise UploadError(f"le fichier dépasse {max_bytes // 1_000_000} Mo")
    signatures = SIGNATURES.get(suffix)
    if signatures and not data.startswith(signatures):
        raise UploadError(f"le contenu n'est pas celui d'un fichier {suffix}")


def save_version(
    folder: Path,
    declared: Path,
    data: bytes,
    *,
    issued: date | None,
    expires: date | None,
    by: str,
    now: datetime | None = None,
) -> Version:
    """Keep the current file under .versions/, write ``data`` in its place, record the dates."""
    now = now or datetime.now(UTC)
    target = inside(folder, declared)
    mode = _shared_mode(target)
    versions = inside(folder, VERSIONS)
    versions.mkdir(parents=True, exist_ok=True)
    kept = ""
    if target.exists():
        stamp = now.strftime("%Y%m%d-%H%M%S")
        relative = target.relative_to(folder.resolve())
        name = "--".join(relative.with_suffix("").parts) + f"--{stamp}{target.suffix}"
        os.replace(target, versions / name)
        kept = name
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
        os.fchmod(out.fileno(), mode)  # not mkstemp's 0600: readable as its neighbours
    os.replace(temp, target)
    _remember(folder, str(declared), issued, expires, by, now, kept)
    return Version(str(declared), kept, now)


def _shared_mode(target: Path) -> int:
    """The mode of the folder's other documents (0644 less the umask when there are none)."""
    folder = target.parent
    others = sorted(
        p
        for p in (folder.iterdir() if folder.is_dir() else ())
        if p.is_file() and p != target and not p.name.startswith(".")
    )
    return others[0].stat().st_mode & 0o777 if others else 0o644 & ~_umask()


def _umask() -> int:
    """The process's umask, read without setting it (``os.umask`` would change it for every
    thread of the server meanwhile); 022 where /proc does not tell."""
    try:
        status = Path("/proc/self/status").read_text("ascii")
    except OSError:
        return 0o022
    found = [line.split()[1] for line in status.splitlines() if line.startswith("Umask:")]
    return int(found[0], 8) if found else 0o022


def _remember(
    folder: Path,
    file: str,
    issued: date | None,
    expires: date | None,
    by: str,
    at: datetime,
    kept: str,
) -> None:
    manifest = read_manifest(folder)
    entry = manifest.setdefault(file, {"history": []})
    entry["issued"] = issued.isoformat() if issued else None
    entry["expires"] = expires.isoformat() if expires else None
    entry["history"].append({"at": at.isoformat(), "by": by, "kept_as": kept})
    path = inside(folder, Path(VERSIONS) / MANIFEST)
    temp = path.with_name(MANIFEST + ".partial")
    temp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), "utf-8")
    os.replace(temp, path)


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / VERSIONS / MANIFEST
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def uploaded_dates(folder: Path, file: str) -> tuple[date | None, date | None] | None:
    """(issued, expires) given with the latest upload of ``file``, or None if never uploaded."""
    entry = read_manifest(folder).get(file)
    if not isinstance(entry, dict):
        return None
    try:
        return _date(entry.get("issued")), _date(entry.get("expires"))
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def history(folder: Path, file: str) -> list[dict[str, Any]]:
    entry = read_manifest(folder).get(file)
    found = entry.get("history", []) if isinstance(entry, dict) else []
    return [h for h in found if isinstance(h, dict)]
