"""httpx without its command-line client.

httpx imports its own CLI (click, rich and pygments: about 45 ms, a third of the fetch layer's
import) whenever click is installed, and falls back to a stub ``httpx.main`` when that import
fails; a crawler never runs it. None in ``sys.modules`` makes that import fail (importlib's
documented rule), unless something imported httpx's CLI before (then it is kept).
"""

from __future__ import annotations

import sys

sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

import httpx  # noqa: E402

__all__ = ["httpx"]
