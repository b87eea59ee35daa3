"""robots.txt rules read as RFC 9309 says: the most specific rule wins; an unreachable file
forbids everything.

``urllib.robotparser`` applies the first rule that matches, in file order. WordPress's default
robots.txt (the one most OPCO sites serve) reads::

    User-agent: *
    Disallow: /wp-admin/
    Allow: /wp-admin/admin-ajax.php

which every crawler that follows RFC 9309 §2.2.2 (the longest matching path wins, ``Allow`` on
a tie) reads as "admin-ajax.php allowed", and the standard parser as "blocked". OPCO 2i lists
its calls through ``admin-ajax.php``: this parser reads the rules the RFC's way.

What an answer means (§2.3.1): a 2xx gives the rules; a 4xx means no rules (allow all); a 5xx
or no answer at all (timeout, refused connection, reset) means the file is *unreachable*, and
the crawler must assume complete disallow (§2.3.1.4) — unless it kept a copy (§2.4), which
stands in while the file is unreachable, here for up to ``STALE_LONGEST`` after it was read.
A host refused that way is refused for the rest of the poll and asked again at the next one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlparse, urlunparse
from urllib.robotparser import RobotFileParser

from watcher.robots_memory import RobotsCopy

log = logging.getLogger(__name__)

#: RFC 9309 §2.3.1.4's example: robots.txt unreachable for 30 days, a copy is no longer trusted
STALE_LONGEST = timedelta(days=30)
BLOCKED = "blocked by robots.txt"


class Robots(RobotFileParser):
    """A ``RobotFileParser`` whose ``can_fetch`` takes the most specific matching rule."""

    #: why the URLs these rules refuse are not fetched (the reason a source's health shows)
    refusal = BLOCKED

    def can_fetch(self, useragent: str, url: str) -> bool:
        state: Any = self  # the parser's attributes, which typeshed does not declare
        if state.disallow_all:
            return False
        if state.allow_all:
            return True
        if not state.last_checked:  # never read: like the standard parser, allow nothing
            return False
        parts = urlparse(unquote(url))
        path = quote(urlunparse(("", "", parts.path, parts.params, parts.query, parts.fragment)))
        for entry in state.entries:
            if entry.applies_to(useragent):
                return _allowed(entry, path or "/")
        default = state.default_entry
        return _allowed(default, path or "/") if default is not None else True


def _allowed(entry: Any, path: str) -> bool:
    """The allowance of the longest rule that matches ``path`` (Allow wins a tie)."""
    best: Any = None
    for rule in entry.rulelines:
        if not rule.applies_to(path):
            continue
        if (
            best is None
            or len(rule.path) > len(best.path)
            or (len(rule.path) == len(best.path) and rule.allowance)
        ):
            best = rule
    return True if best is None else bool(best.allowance)


def rules_of(url: str, copy: RobotsCopy) -> Robots | None:
    """The rules of a robots.txt answer: None (allow all) for a 4xx (§2.3.1.3)."""
    if not 200 <= copy.status < 300:
        return None
    rules = Robots(url)  # RFC 9309's longest match, not the first
    rules.parse(copy.body.splitlines())
    return rules


def refusing_all(url: str, why: str) -> Robots:
    """Rules that refuse every URL of the host, saying ``why``."""
    rules = Robots(url)
    state: Any = rules
    state.disallow_all = True
    rules.refusal = why
    return rules


def when_unreachable(
    source: str, url: str, reason: str, kept: RobotsCopy | None, now: datetime
) -> Robots | None:
    """The rules to obey while ``url`` (a robots.txt) is unreachable for ``reason`` ("HTTP
    503", "timed out"): the copy kept if it was read less than ``STALE_LONGEST`` ago, else
    complete disallow (RFC 9309 §2.3.1.4)."""
    if kept is not None and now - kept.fetched_at <= STALE_LONGEST:
        log.warning(
            "[%s] robots.txt unavailable (%s), using the copy kept: %s", source, reason, url
        )
        return rules_of(url, kept)
    why = (
        f"robots.txt unreachable ({reason}) and no recent copy kept: every page of the host "
        "is disallowed (RFC 9309), asked again at the next poll"
    )
    log.warning("[%s] %s: %s", source, why, url)
    return refusing_all(url, why)


def refusal(rules: RobotFileParser) -> str:
    """Why ``rules`` refused a URL."""
    return rules.refusal if isinstance(rules, Robots) else BLOCKED


__all__ = ["STALE_LONGEST", "Robots", "refusal", "refusing_all", "rules_of", "when_unreachable"]
