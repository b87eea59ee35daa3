"""robots.txt rules read as RFC 9309 says: the most specific rule wins.

``urllib.robotparser`` applies the first rule that matches, in file order. WordPress's default
robots.txt (the one most OPCO sites serve) reads::

    User-agent: *
    Disallow: /wp-admin/
    Allow: /wp-admin/admin-ajax.php

which every crawler that follows RFC 9309 §2.2.2 (the longest matching path wins, ``Allow`` on
a tie) reads as "admin-ajax.php allowed", and the standard parser as "blocked". OPCO 2i lists
its calls through ``admin-ajax.php``: this parser reads the rules the RFC's way.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote, urlparse, urlunparse
from urllib.robotparser import RobotFileParser


class Robots(RobotFileParser):
    """A ``RobotFileParser`` whose ``can_fetch`` takes the most specific matching rule."""

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


__all__ = ["Robots"]
