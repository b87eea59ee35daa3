"""Every error opco-watch raises on purpose.

    OpcoWatchError                  base: a message a person can act on
    ├── ConfigError                 bad or missing configuration (key, what to do)
    ├── FetchError                  a source could not be fetched (source, url, reason)
    │   └── RateLimited             the site asked to come back later (until)
    ├── ParseError                  a page could not be understood (source, url)
    │   └── LayoutChanged           a declared selector matched the wrong number of nodes
    ├── StoreError                  the database refused or is unreadable
    ├── NotifyError                 mail could not be rendered or sent
    └── DraftError                  a response draft could not be produced

    SkipNotice                      control flow: a parser drops one row, not an error

The CLI catches ``OpcoWatchError`` and prints ``str(error)``: never a traceback.
"""

from __future__ import annotations

from datetime import datetime


class OpcoWatchError(Exception):
    """Base class: ``str(error)`` is the whole user-facing message."""

    #: short machine-readable category, used in source health and exit codes
    kind: str = "error"


class ConfigError(OpcoWatchError):
    """The configuration is wrong; ``key`` is the dotted path of the culprit."""

    kind = "config"

    def __init__(self, message: str, *, key: str | None = None, hint: str | None = None) -> None:
        self.key = key
        self.hint = hint
        text = f"{key}: {message}" if key else message
        if hint:
            text = f"{text}\n  -> {hint}"
        super().__init__(text)


class FetchError(OpcoWatchError):
    """A URL could not be fetched. ``reason`` is a short phrase ("site unreachable", "HTTP 500")."""

    kind = "fetch"

    def __init__(self, source: str, url: str, reason: str, *, status: int | None = None) -> None:
        self.source = source
        self.url = url
        self.reason = reason
        self.status = status
        super().__init__(f"[{source}] {reason}: {url}")


class RateLimited(FetchError):
    """The site answered 429 or 503 with a Retry-After too long to wait: come back ``until``
    (a timezone-aware datetime)."""

    kind = "rate-limited"

    def __init__(
        self, source: str, url: str, reason: str, *, until: datetime, status: int | None = None
    ) -> None:
        self.until = until
        super().__init__(source, url, reason, status=status)


class ParseError(OpcoWatchError):
    """A page was fetched but could not be understood."""

    kind = "parse"

    def __init__(self, source: str, message: str, *, url: str | None = None) -> None:
        self.source = source
        self.url = url
        where = f" ({url})" if url else ""
        super().__init__(f"[{source}] {message}{where}")


class LayoutChanged(ParseError):
    """A declared selector found a number of nodes outside its cardinality bounds."""

    kind = "layout"

    def __init__(
        self, source: str, selector: str, found: int, *, expected: str, url: str | None = None
    ) -> None:
        self.selector = selector
        self.found = found
        self.expected = expected
        super().__init__(
            source,
            f"layout changed: selector {selector} found {found} (expected {expected})",
            url=url,
        )


class StoreError(OpcoWatchError):
    """The database could not be opened, migrated or written."""

    kind = "store"


class NotifyError(OpcoWatchError):
    """An email could not be rendered or handed to the mail server."""

    kind = "notify"


class DraftError(OpcoWatchError):
    """A response draft could not be produced."""

    kind = "draft"


class SkipNotice(Exception):
    """Raised by a row parser to drop one row on purpose (an ad, a header row)."""
