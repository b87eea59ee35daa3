"""Security plumbing of the console: response headers, login rate limiting, CSRF checks.

- Every response carries a CSP without inline script (the console ships no JavaScript),
  X-Frame-Options, Referrer-Policy (a one-click token in a URL never leaks to another site),
  X-Content-Type-Options, and ``Cache-Control: no-store`` on pages.
- Logins: at most ``PER_EMAIL`` failures per address and ``PER_CLIENT`` per client address in
  ``WINDOW`` seconds; then 429 until the oldest failure leaves the window.
"""

from __future__ import annotations

import hmac
import re
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"x-content-type-options", b"nosniff"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Adds the security headers to every HTTP response (pages, files, errors)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in HEADERS if n not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


class BodyLimit:
    """Refuses a request body larger than ``limit`` bytes with 413, declared or streamed."""

    def __init__(self, app: ASGIApp, limit: int, max_mb: float = 0.0) -> None:
        self.app = app
        self.limit = limit
        #: the limit users are told (web.upload_max_mb; ``limit`` adds the form around it)
        self.max_mb = max_mb or limit / 1_000_000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(scope, send, self.max_mb)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise TooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except TooLarge:
            await _too_large(scope, send, self.max_mb)


class TooLarge(Exception):
    pass


async def _too_large(scope: Scope, send: Send, max_mb: float) -> None:
    """The console's error page, in French, with the limit in Mo and a link back."""
    from watcher import fr
    from watcher.web.render import environment

    root = scope.get("root_path", "")
    path = str(scope.get("path", ""))
    back = (
        (f"{root}/pieces", "Retour aux pièces")
        if path.startswith(f"{root}/pieces")
        else (f"{root}/appels", "Retour aux appels")
    )
    limit = fr.megabytes(max_mb)
    context = {
        "root": root,
        "user": None,
        "csrf": "",
        "open_mode": False,
        "path": path,
        "flash": "",
        "title": "Fichier trop volumineux",
        "message": f"Le fichier envoyé dépasse la limite de {limit}. Choisissez un fichier "
        f"plus petit (un PDF compressé, par exemple) et déposez-le de nouveau.",
        "back": back,
    }
    body = environment().get_template("error.html").render(context).encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), *HEADERS]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def same_token(expected: str, given: str | None) -> bool:
    return bool(expected) and given is not None and hmac.compare_digest(expected, given)


class LoginLimiter:
    """Failed logins per email and per client address, over a sliding window."""

    PER_EMAIL = 5
    PER_CLIENT = 20
    WINDOW = 15 * 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.WINDOW:
            times.popleft()
        return times

    def wait(self, email: str, client: str) -> int:
        """Seconds until a login for (email, client) may be tried again; 0 = now."""
        now = self._clock()
        with self._lock:
            waits = [
                self._wait(self._recent(key, now), limit, now)
                for key, limit in ((f"e:{email}", self.PER_EMAIL), (f"c:{client}", self.PER_CLIENT))
            ]
        return max(waits)

    def _wait(self, times: deque[float], limit: int, now: float) -> int:
        if len(times) < limit:
            return 0
        return max(1, int(times[0] + self.WINDOW - now) + 1)

    def failed(self, email: str, client: str) -> None:
        now = self._clock()
        with self._lock:
            for key in (f"e:{email}", f"c:{client}"):
                self._recent(key, now).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"e:{email}", None)


#: a number in a path or a query: ASCII digits only (``"²".isdigit()`` is true), no more than
#: a 64-bit store integer holds (SQLite raises on a larger one)
_NUMBER = re.compile(r"[0-9]{1,18}")


def url_number(text: str) -> int | None:
    """``text`` as a call, account, document or page number; None if it is not one."""
    return int(text) if _NUMBER.fullmatch(text) else None
