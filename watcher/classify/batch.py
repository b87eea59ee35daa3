"""``opco-watch classify``: JSONL notices in, JSONL verdicts out, one line at a time.

Memory stays flat whatever the input size: a line is read, classified, written and forgotten.
A bad line (invalid JSON, not an object, a field of the wrong type) is reported through
``on_error(line_number, message)`` and skipped; the run goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO

from watcher.classify.classifier import Classifier
from watcher.classify.document import RecordError, from_record
from watcher.models import Match

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchStats:
    """Lines read (blank lines excepted), verdicts written, lines skipped."""

    read: int
    written: int
    skipped: int


def verdict_json(record_id: Any, match: Match) -> dict[str, Any]:
    return {
        "id": record_id,
        "relevant": match.relevant,
        "score": match.score,
        "domains": list(match.domains),
        "reasons": list(match.reasons),
        "blockers": list(match.blockers),
    }


def require_utf8(line: str) -> None:
    """Refuse a line whose bytes were not UTF-8: read with ``errors="surrogateescape"``, such
    bytes come through as lone surrogates, so one bad line is skipped, not the whole file."""
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        raise UnicodeError("not valid UTF-8 text") from None


def classify_jsonl(
    classifier: Classifier,
    input: TextIO,
    output: TextIO,
    *,
    today: date,
    on_error: Callable[[int, str], None],
) -> BatchStats:
    read = written = 0
    for line_no, line in enumerate(input, start=1):
        if not line.strip():
            continue
        read += 1
        try:
            require_utf8(line)
            record = json.loads(line)
            doc = from_record(record)
        except json.JSONDecodeError as error:
            on_error(line_no, f"invalid JSON: {error.msg} (column {error.colno})")
            continue
        except (RecordError, UnicodeError) as error:
            on_error(line_no, str(error))
            continue
        match = classifier.assess(doc, today=today).match
        output.write(json.dumps(verdict_json(record.get("id"), match), ensure_ascii=False) + "\n")
        written += 1
    log.info("classified %d notices, skipped %d bad lines", written, read - written)
    return BatchStats(read, written, read - written)
