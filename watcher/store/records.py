"""What the store hands back, and the conversions between a ``Notice`` and its row."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from watcher.models import Notice
from watcher.store.search_forms import searchable


@dataclass(frozen=True, slots=True)
class StoredNotice:
    """A notice as stored: its row id, the notice, and when it was seen and last changed."""

    id: int
    notice: Notice
    first_seen: datetime
    last_seen: datetime
    last_changed: datetime
    tender_id: int | None

    @property
    def key(self) -> str:
        return self.notice.key


@dataclass(frozen=True, slots=True)
class NoticeChange:
    """One change of a notice: field name -> (old, new) as JSON values."""

    key: str
    changed_at: datetime
    fields: dict[str, tuple[Any, Any]]


#: polls in a row with failed detail pages before ``opco-watch sources`` shows them
DETAILS_FAILING_AFTER = 2


@dataclass(frozen=True, slots=True)
class SourceState:
    """The health of one source. ``last_error*`` describe the latest failure, even after
    a recovery; ``total_items`` is the number of notices stored for the source."""

    source: str
    last_run: datetime | None
    last_success: datetime | None
    consecutive_failures: int
    last_error_kind: str | None
    last_error: str | None
    items_seen_last: int
    new_last: int
    changed_last: int
    total_items: int
    on_fallback: bool
    #: the site asked (Retry-After) not to be polled before this moment
    deferred_until: datetime | None = None
    #: detail pages that failed in the last poll, and the number of polls in a row with some
    detail_failures: int = 0
    detail_failure_polls: int = 0
    last_detail_error: str | None = None
    #: records of the last successful poll that could not be read (wrong shape), left out
    skipped_last: int = 0

    @property
    def details_failing(self) -> bool:
        """Detail pages keep failing: worth showing (one failed page is retried next poll)."""
        return self.detail_failures > 0 and self.detail_failure_polls >= DETAILS_FAILING_AFTER


@dataclass(frozen=True, slots=True)
class UpsertResult:
    """What an upsert found: new notices, changed ones with the changed field names, and
    the number of notices that were the same."""

    new: list[Notice]
    changed: list[tuple[Notice, tuple[str, ...]]]
    same: int

    @property
    def total(self) -> int:
        return len(self.new) + len(self.changed) + self.same


@dataclass(frozen=True, slots=True)
class Prepared:
    """A notice with its canonical JSON computed once: the text is both the stored
    ``data`` and the input of the fingerprint."""

    notice: Notice
    blob: str
    fingerprint: str

    @classmethod
    def of(cls, notice: Notice) -> Prepared:
        blob = canonical_json(notice)
        digest = hashlib.blake2b(blob.encode(), digest_size=16).hexdigest()
        return cls(notice, blob, digest)

    def data(self) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.blob)
        return result

    def columns(self) -> dict[str, Any]:
        """The content columns of the notices table (timestamps and ids excluded)."""
        n = self.notice
        return {
            "source": n.source,
            "ref": n.ref,
            "title": n.title,
            "buyer": n.buyer,
            "url": n.url,
            "kind": n.kind.value,
            "published": n.published,
            "deadline": n.deadline,
            "folder_id": n.folder_id,
            "fingerprint": self.fingerprint,
            "search_text": searchable(fold("\n".join((n.title, n.buyer, n.summary)))),
            "data": self.blob,
        }


def canonical_json(notice: Notice) -> str:
    """The text ``Notice.fingerprint()`` hashes, stored as the notice's ``data``."""
    return notice.canonical_json()


def notice_from_data(blob: str) -> Notice:
    return Notice.from_json(json.loads(blob))


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Top-level fields whose JSON values differ, in the notice's field order."""
    names = sorted(old.keys() | new.keys(), key=lambda name: _ORDER.get(name, len(_ORDER)))
    return {n: (old.get(n), new.get(n)) for n in names if old.get(n) != new.get(n)}


_ORDER = {f.name: i for i, f in enumerate(fields(Notice))}


def fold(text: str) -> str:
    """Lower-cased, accent-stripped text, for accent- and case-insensitive search. Letters
    outside Latin script are dropped: this text only serves ``list --text`` (and decomposing
    then encoding to ASCII in C is ten times faster than a translation table)."""
    lowered = text.lower()
    if lowered.isascii():
        return lowered
    lowered = lowered.replace("œ", "oe").replace("æ", "ae")
    return unicodedata.normalize("NFKD", lowered).encode("ascii", "ignore").decode("ascii")


def like_escape(text: str) -> str:
    """Escape LIKE wildcards; use with ``escape="\\\\"``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
