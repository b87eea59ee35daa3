"""The fetch layer's pure helpers: canonical URLs, the demo mirror's URL mapping, words for
a failed status, Retry-After, and decoding a body the way browsers do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import parse_qsl, urlencode, urlsplit

LATIN_1_NAMES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii"})


def with_params(url: str, params: Mapping[str, str | int] | None) -> str:
    """``url`` with ``params`` merged into its query, sorted: one canonical URL per request."""
    if not params:
        return url
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    pairs += [(key, str(value)) for key, value in params.items()]
    return parts._replace(query=urlencode(sorted(pairs))).geturl()


def to_wire(url: str, mirror: str | None) -> str:
    """Where ``url`` is really fetched: itself, or ``MIRROR/HOST/PATH?Q``."""
    if not mirror:
        return url
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path or '/'}{query}"


def from_wire(url: str, mirror: str | None, scheme: str) -> str:
    """The logical URL of ``url``: a URL on the mirror maps back to ``scheme://HOST/PATH?Q``."""
    prefix = f"{mirror.rstrip('/')}/" if mirror else None
    if prefix is None or not url.startswith(prefix):
        return url
    return f"{scheme}://{url[len(prefix) :]}"


def conditional(etag: str | None, last_modified: str | None) -> dict[str, str]:
    headers = {"If-None-Match": etag} if etag else {}
    return headers | ({"If-Modified-Since": last_modified} if last_modified else {})


def status_reason(status: int) -> str:
    """A short phrase for a failed status: "HTTP 500", "rate limited (HTTP 429)", "HTTP 404 not
    found"."""
    if status == 429:
        return "rate limited (HTTP 429)"
    if 400 <= status < 500:
        try:
            return f"HTTP {status} {HTTPStatus(status).phrase.lower()}"
        except ValueError:
            pass
    return f"HTTP {status}"


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), None if absent."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def decode(body: bytes, content_type: str) -> str:
    """The charset from Content-Type, else UTF-8, else Windows-1252 (French sites that do not
    declare theirs are almost always one of the two)."""
    charset = _charset(content_type)
    if charset and charset.lower().replace("_", "-") in LATIN_1_NAMES:
        charset = "cp1252"  # as browsers do (WHATWG): "latin-1" pages use cp1252's ’ œ …
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass  # an unknown charset name: fall back as if none was given
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def duration(seconds: float) -> str:
    """ "45 s", "20 min", "3 h", "2 days": how long a site asked us to stay away."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86_400:.0f} days"
