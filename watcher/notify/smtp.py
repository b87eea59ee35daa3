"""The SMTP transport (smtplib): STARTTLS, implicit TLS or plain, optional login.

One connection serves a whole pass of the sender. Replies are sorted into what the sender
needs: a 5xx on a recipient or on the content is permanent for that message; a 4xx is
temporary; an unreachable server, a TLS or login failure stops the pass (``TransportDown``).
The sender's ``on_data`` runs between the accepted recipients and the DATA command.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any, NoReturn

from watcher.examples import is_example_address
from watcher.notify.settings import MailConfig, is_loopback
from watcher.notify.transport import (
    OnData,
    PermanentFailure,
    SendFailure,
    TemporaryFailure,
    TransportDown,
)

log = logging.getLogger(__name__)


class _Smtp(smtplib.SMTP):
    """smtplib's client, calling ``before_data`` once the recipients were accepted."""

    before_data: OnData | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        _before_data(self)
        return super().data(msg)


class _SmtpSsl(smtplib.SMTP_SSL):
    before_data: OnData | None = None

    def data(self, msg: Any) -> tuple[int, bytes]:
        _before_data(self)
        return super().data(msg)


def _before_data(client: _Smtp | _SmtpSsl) -> None:
    hook, client.before_data = client.before_data, None
    if hook is None:
        return
    try:
        hook()
    except BaseException:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.rset()  # the message is not sent: the connection serves the next one
        raise


class SmtpTransport:
    name = "smtp"

    def __init__(
        self, mail: MailConfig, password: str | None, *, context: ssl.SSLContext | None = None
    ) -> None:
        self.mail = mail
        self.password = password
        self.context = context or ssl.create_default_context()
        self._client: _Smtp | _SmtpSsl | None = None

    @property
    def where(self) -> str:
        return f"{self.mail.smtp_host}:{self.mail.smtp_port}"

    def send(self, message: EmailMessage, on_data: OnData | None = None) -> None:
        made_up = [a for a in recipients(message) if is_example_address(a)]
        if made_up:  # the starter's example people: a real server would try to reach them
            raise PermanentFailure(
                f"not sent: {', '.join(made_up)} is an example address from `opco-watch init`;"
                " put real addresses in the configuration (the profile's domain owners, [mail])"
            )
        client = self._client or self._connect()
        client.before_data = on_data
        try:
            client.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self._lost(error)
        except smtplib.SMTPException as error:  # a subclass of OSError: before it
            raise _failure(error) from error
        except OSError as error:
            self._lost(error)
        finally:
            client.before_data = None

    def _lost(self, error: OSError) -> NoReturn:
        self.close()
        raise TransportDown(f"connection to {self.where} lost: {error}") from error

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _connect(self) -> _Smtp | _SmtpSsl:
        try:
            client = self._open()
        except smtplib.SMTPAuthenticationError as error:
            raise TransportDown(
                f"{self.where} refused the login of {self.mail.username!r} "
                f"({_reply(error)}); check mail.username and OPCO_WATCH_SMTP_PASSWORD"
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransportDown(f"cannot use the SMTP server {self.where}: {error}") from error
        self._client = client
        log.debug("connected to %s (%s)", self.where, self.mail.security)
        return client

    def _open(self) -> _Smtp | _SmtpSsl:
        host, port, timeout = self.mail.smtp_host, self.mail.smtp_port, self.mail.timeout_seconds
        if self.mail.security == "ssl":
            client: _Smtp | _SmtpSsl = _SmtpSsl(host, port, timeout=timeout, context=self.context)
        else:
            client = _Smtp(host, port, timeout=timeout)
        try:
            if self.mail.security == "starttls":
                client.starttls(context=self.context)
            if self.mail.username:
                _refuse_password_in_clear(self.mail)
                client.login(self.mail.username, self.password or "")
        except BaseException:
            client.close()
            raise
        return client


def recipients(message: EmailMessage) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


def _refuse_password_in_clear(mail: MailConfig) -> None:
    """The settings refuse it already; this guards a MailConfig built another way."""
    if mail.security == "none" and not (mail.allow_plaintext_login and is_loopback(mail.smtp_host)):
        raise smtplib.SMTPException(
            "refusing to send the SMTP password in clear (security = none); use starttls or ssl"
        )


def _failure(error: smtplib.SMTPException) -> SendFailure:
    """The kind of failure an SMTP error means for the message being sent."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        words = "; ".join(f"{addr}: {_reply_of(c, m)}" for addr, (c, m) in error.recipients.items())
        permanent = bool(codes) and all(code >= 500 for code in codes)
        return (PermanentFailure if permanent else TemporaryFailure)(f"recipient refused: {words}")
    if isinstance(error, smtplib.SMTPSenderRefused):
        return TransportDown(f"sender {error.sender} refused ({_reply(error)}); check mail.sender")
    if isinstance(error, smtplib.SMTPResponseException):
        kind = PermanentFailure if error.smtp_code >= 500 else TemporaryFailure
        return kind(f"message refused ({_reply(error)})")
    return TemporaryFailure(f"SMTP error: {error}")


def _reply(error: smtplib.SMTPResponseException) -> str:
    return _reply_of(error.smtp_code, error.smtp_error)


def _reply_of(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}".strip()
