"""``opco-watch sources snapshot NAME``: save a source's live pages as dated fixtures.

When a site changes, one snapshot gives the new pages to write the fix against: the listing
pages (following pagination, bounded), the detail pages of the first few calls, and a
``manifest.json`` (URL, file, status, content type, time) plus a ``PROVENANCE.md`` that records
them as real captures. Like ``pipeline.py``, this module drives both the fetch layer and a
source's parser (to find the pagination and the detail pages); nothing else does.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from scrapers.base import Source
from watcher.config import Config
from watcher.errors import LayoutChanged
from watcher.fetch import Fetcher, Page, Request

MAX_LISTING_PAGES = 5


@dataclass(frozen=True, slots=True)
class Saved:
    url: str
    file: Path
    status: int
    content_type: str


def snapshot(
    config: Config, name: str, out: Path, *, details: int = 3, mirror: str | None = None
) -> list[Saved]:
    """Fetch and save a source's pages under ``out/NAME/YYYY-MM-DD/``; returns what was saved."""
    source = config.build_source(name)
    folder = out / name / date.today().isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    saved = asyncio.run(_capture(config, source, folder, details, mirror))
    _write_manifest(folder, name, saved)
    return saved


async def _capture(
    config: Config, source: Source, folder: Path, details: int, mirror: str | None
) -> list[Saved]:
    saved: list[Saved] = []
    async with Fetcher(config.fetch_settings(mirror=mirror)) as fetcher:
        queue = list(source.start_requests(date.today()))
        notices = []
        while queue and len(saved) < MAX_LISTING_PAGES:
            page = await _fetch(fetcher, source, queue.pop(0))
            saved.append(_save(folder, len(saved), page))
            try:
                parsed = source.parse(page.text, page.url)
            except LayoutChanged:
                continue  # the very case a snapshot is for: keep the page, nothing to follow
            notices += parsed.notices
            queue += parsed.next_requests
        for notice in notices[:details]:
            request = source.detail_request(notice)
            if request is not None:
                saved.append(_save(folder, len(saved), await _fetch(fetcher, source, request)))
    return saved


async def _fetch(fetcher: Fetcher, source: Source, request: Request) -> Page:
    return await fetcher.fetch(request, source=source.name, allowed_hosts=source.hosts)


def _save(folder: Path, index: int, page: Page) -> Saved:
    file = folder / f"{index:02d}-{_slug(page.url)}{_extension(page.content_type)}"
    file.write_bytes(page.content)
    return Saved(page.url, file, page.status, page.content_type)


def _write_manifest(folder: Path, name: str, saved: list[Saved]) -> None:
    at = datetime.now(UTC).isoformat(timespec="seconds")
    entries = [
        {
            "url": s.url,
            "file": s.file.name,
            "status": s.status,
            "content_type": s.content_type,
            "fetched_at": at,
        }
        for s in saved
    ]
    (folder / "manifest.json").write_text(json.dumps(entries, indent=1, ensure_ascii=False))
    rows = "\n".join(f"| `{s.file.name}` | real capture of {s.url} on {at} |" for s in saved)
    header = f"# {name} — snapshot\n\n| file | what it is |\n|---|---|\n"
    (folder / "PROVENANCE.md").write_text(header + rows + "\n", encoding="utf-8")


def _slug(url: str) -> str:
    path = re.sub(r"^https?://", "", url).split("?")[0]
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "page"


def _extension(content_type: str) -> str:
    for marker, extension in (("json", ".json"), ("xml", ".xml"), ("pdf", ".pdf")):
        if marker in content_type:
            return extension
    return ".html"
