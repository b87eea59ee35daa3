"""How a message leaves: the ``Transport`` protocol, its three kinds of failure, and the
choice between SMTP and ``.eml`` files from the configuration."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import Protocol

from watcher.errors import ConfigError
from watcher.examples import is_example_address
from watcher.notify.settings import NotifySettings, smtp_password


class SendFailure(Exception):
    """A message was not accepted. ``permanent``: retrying cannot help (5xx refusal)."""

    permanent = False

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TemporaryFailure(SendFailure):
    """This message was refused for now (4xx): try it again later."""


class PermanentFailure(SendFailure):
    """This message was refused for good (5xx on its recipient or content)."""

    permanent = True


class TransportDown(SendFailure):
    """The server cannot be used at all (unreachable, TLS, login): stop this pass."""


OnData = Callable[[], None]


class Transport(Protocol):
    """Hands one message over; returns once it was accepted, raises ``SendFailure`` else.
    ``on_data`` is called once, just before the message itself goes out (after the server
    accepted its recipients); if it raises, the message is not sent."""

    name: str

    def send(self, message: EmailMessage, on_data: OnData | None = None) -> None: ...

    def close(self) -> None: ...


def open_transport(settings: NotifySettings) -> Transport:
    """SMTP when ``mail.smtp_host`` is set, else ``.eml`` files in the outbox folder.

    Raises ``ConfigError`` when a login is configured without its password, or when mail
    would be sent over SMTP from an example address."""
    if not settings.mail.smtp_host:
        from watcher.notify.eml import EmlTransport

        return EmlTransport(settings.outbox_dir)
    from watcher.notify.smtp import SmtpTransport

    if is_example_address(settings.sender):
        raise ConfigError(
            f"the sender {settings.sender} is an example address from `opco-watch init`",
            key="mail.sender" if settings.mail.sender else "organisation.contact_email",
            hint="set the address mail is sent from before sending over SMTP",
        )
    return SmtpTransport(settings.mail, smtp_password(settings.mail))
