"""A real SMTP server on loopback for the tests (aiosmtpd), that can refuse on demand.

aiosmtpd cannot bind port 0: ``free_port`` asks the system for a free port first. The
server records every message it accepts; set ``refuse_rcpt`` (per address or for all) or
``refuse_data`` to a reply such as "451 4.3.0 try later" or "550 5.1.1 no such user".
"""

from __future__ import annotations

import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return cast(EmailMessage, message_from_bytes(self.data, policy=policy.default))


@dataclass
class Handler:
    """Accepts, records, or refuses what it is told to."""

    received: list[Received] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(default_factory=dict)
    refuse_all_rcpt: str = ""
    refuse_data: str = ""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        reply = self.refuse_all_rcpt or self.refuse_rcpt.get(address, "")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return self.refuse_data
        data = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(data)))
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]


class Authenticator:
    def __init__(self, username: str, password: str) -> None:
        self.expected = (username.encode(), password.encode())

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == self.expected
        return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    handler: Handler
    port: int
    controller: Controller | None = None

    def start(self, **options: Any) -> SmtpServer:
        # aiosmtpd waits 5 s for its thread by default: short on a loaded machine
        options.setdefault("ready_timeout", 60)
        self.controller = Controller(self.handler, hostname=HOST, port=self.port, **options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def smtp_server(handler: Handler | None = None, **options: Any) -> Iterator[SmtpServer]:
    """A started server on a free loopback port; stopped on exit, even if a test stopped it.
    The port is free when chosen; another process may take it before the bind: then another."""
    for attempt in range(5):
        try:
            server = SmtpServer(handler or Handler(), free_port()).start(**options)
            break
        except OSError:
            if attempt == 4:
                raise
    else:  # pragma: no cover
        raise AssertionError("unreachable")
    try:
        yield server
    finally:
        server.stop()


def self_signed(folder: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting it) for 127.0.0.1, made with openssl."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    return server, client
