"""The ``[mail]`` and ``[schedule]`` sections of the configuration, and ``NotifySettings``:
what the notify stage needs from the whole configuration, resolved once.

Every field has a default, so a file without these sections is valid: mail is then written as
``.eml`` files in the data directory's ``outbox`` folder. The SMTP password is never read from
the file, only from ``OPCO_WATCH_SMTP_PASSWORD``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from watcher.classify.profile import Profile, checked_region
from watcher.config_types import ConfigPath, EmailStr, empty_list
from watcher.errors import ConfigError
from watcher.links import LinkSettings, link_settings, served_links

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

PASSWORD_ENV = "OPCO_WATCH_SMTP_PASSWORD"
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class Route(_Section):
    """An extra routing rule: the relevant calls it selects also go to ``recipient``."""

    recipient: EmailStr = Field(description="Who receives the calls this rule selects.")
    opcos: list[str] = Field(
        default_factory=empty_list,
        description='OPCOs whose calls are selected (e.g. "AKTO", "Atlas"; another spelling, '
        'such as "OPCO ATLAS", names the same OPCO); empty = any.',
    )
    buyers: list[str] = Field(
        default_factory=empty_list,
        description="Words of the buyer's name (case and accents ignored); empty = any buyer.",
    )
    regions: list[str] = Field(
        default_factory=empty_list,
        description='Regions of the call (official names, e.g. "Bretagne"); empty = anywhere.',
    )
    domains: list[str] = Field(
        default_factory=empty_list,
        description="Domains of the profile the call must match; empty = any domain. "
        "A rule with no criterion receives every relevant call.",
    )

    @field_validator("opcos")
    @classmethod
    def _opcos(cls, values: list[str]) -> list[str]:
        if not values:
            return []
        from watcher.notify.opco import canonical_opco, opco_names  # a route naming OPCOs only

        found = []
        for value in values:
            name = canonical_opco(value)
            if name is None:
                raise ValueError(f"unknown OPCO {value!r}; known: {', '.join(opco_names())}")
            found.append(name)
        return found

    @field_validator("regions")
    @classmethod
    def _regions(cls, values: list[str]) -> list[str]:
        return [checked_region(value) for value in values]


class MailConfig(_Section):
    smtp_host: str = Field(
        "", description="SMTP server; empty = write each email as an .eml file in the outbox."
    )
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port (587 STARTTLS, 465 SSL).")
    security: Literal["starttls", "ssl", "none"] = Field(
        "starttls", description="Encryption: starttls, ssl (implicit TLS) or none."
    )
    allow_plaintext_login: bool = Field(
        False,
        description="Allow a login with security = none (the password travels in clear); "
        "only for a server on this machine (localhost).",
    )
    username: str = Field(
        "",
        description="SMTP login; its password is read from OPCO_WATCH_SMTP_PASSWORD. "
        "Empty = no login.",
    )
    timeout_seconds: float = Field(30.0, gt=0, le=600, description="Timeout of the SMTP dialog.")
    sender: EmailStr | None = Field(
        None, description="From address of every email; unset = organisation.contact_email."
    )
    default_recipient: EmailStr | None = Field(
        None,
        description="Who gets the relevant calls no domain owner or route claims, and the "
        "full digest; unset = organisation.contact_email.",
    )
    admin_recipient: EmailStr | None = Field(
        None, description="Who is told when a source breaks; unset = the default recipient."
    )
    digest_recipients: list[EmailStr] = Field(
        default_factory=empty_list,
        description="Who receives the full weekly digest; empty = the default recipient. "
        "Domain owners and route recipients get their own calls.",
    )
    admin_after_failures: int = Field(
        3, ge=1, le=100, description="Consecutive failures of a source before the admin is told."
    )
    outbox_dir: ConfigPath = Field(
        Path("outbox"), description="Folder of the .eml files (relative to the data directory)."
    )
    templates_dir: ConfigPath | None = Field(
        None,
        description="Folder of your own email templates, overriding the shipped ones "
        "(relative to this file); unset = shipped templates only.",
    )
    routes: list[Route] = Field(
        default_factory=empty_list, description="Extra routing rules ([[mail.routes]])."
    )

    @field_validator("username")
    @classmethod
    def _no_password_in_clear(cls, value: str, info: ValidationInfo) -> str:
        if not value or info.data.get("security") != "none":
            return value
        if not info.data.get("allow_plaintext_login"):
            raise ValueError(
                "with security = none the SMTP password would travel in clear; use starttls "
                "or ssl (or, for a relay on this machine only, allow_plaintext_login = true)"
            )
        if not is_loopback(str(info.data.get("smtp_host", ""))):
            raise ValueError(
                "allow_plaintext_login is only for a server on this machine (localhost, "
                "127.0.0.1, ::1): use starttls or ssl with this server"
            )
        return value

    @property
    def plaintext_login(self) -> bool:
        """A login over an unencrypted connection (allowed to loopback only)."""
        return bool(self.username) and self.security == "none"


def is_loopback(host: str) -> bool:
    if host.strip().lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False


class ScheduleConfig(_Section):
    digest_day: Weekday = Field("mon", description="Day of the weekly digest (mon ... sun).")
    digest_time: str = Field("08:00", description="Time of the digest, Europe/Paris (HH:MM).")
    reminders_time: str = Field(
        "07:30", description="Time of the daily deadline reminders, Europe/Paris (HH:MM)."
    )
    reminder_days: list[int] = Field(
        default_factory=lambda: [7, 2],
        description='Days before the deadline of a call marked "go" when a reminder is sent.',
    )
    send_interval_seconds: int = Field(
        60, ge=5, le=3600, description="Seconds between two passes of the outbox sender."
    )
    jitter_seconds: int = Field(
        60, ge=0, le=3600, description="Random delay added to each poll, spreading the load."
    )
    misfire_grace_seconds: int = Field(
        3600, ge=1, le=86400, description="How late a missed job may still run (seconds)."
    )

    @field_validator("digest_time", "reminders_time")
    @classmethod
    def _time(cls, value: str) -> str:
        if not _TIME.match(value.strip()):
            raise ValueError(f"{value!r} is not a time like 08:00")
        hours, minutes = value.strip().split(":")
        return f"{int(hours):02d}:{minutes}"

    @field_validator("reminder_days")
    @classmethod
    def _days(cls, values: list[int]) -> list[int]:
        if any(not 0 <= day <= 60 for day in values):
            raise ValueError("reminder days must be within 0..60")
        return sorted(set(values), reverse=True)

    @staticmethod
    def hour_minute(value: str) -> tuple[int, int]:
        hours, minutes = value.split(":")
        return int(hours), int(minutes)


@dataclass(frozen=True)
class NotifySettings:
    """The mail and schedule sections with what they borrow from the rest of the config."""

    mail: MailConfig
    schedule: ScheduleConfig
    profile: Profile
    data_dir: Path
    contact: str
    base_dir: Path = Path(".")
    organisation: str = ""
    #: the console's address and the one-click links' lifetime ([web])
    links: LinkSettings = field(default_factory=LinkSettings)

    @property
    def sender(self) -> str:
        return str(self.mail.sender or self.contact)

    @property
    def default_recipient(self) -> str:
        return str(self.mail.default_recipient or self.contact)

    @property
    def admin_recipient(self) -> str:
        return str(self.mail.admin_recipient or self.default_recipient)

    @property
    def digest_recipients(self) -> tuple[str, ...]:
        return tuple(str(a) for a in self.mail.digest_recipients) or (self.default_recipient,)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / self.mail.outbox_dir

    @property
    def templates_dir(self) -> Path | None:
        folder = self.mail.templates_dir
        return (self.base_dir / folder).expanduser().resolve() if folder else None

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID."""
        return self.sender.rpartition("@")[2] or "opco-watch.invalid"


def settings_of(config: Any) -> NotifySettings:
    """``NotifySettings`` from a ``Config`` (or returned as is)."""
    if isinstance(config, NotifySettings):
        return config
    return NotifySettings(
        mail=getattr(config, "mail", None) or MailConfig(),
        schedule=getattr(config, "schedule", None) or ScheduleConfig(),
        profile=config.profile,
        data_dir=config.data_dir,
        contact=str(config.organisation.contact_email),
        base_dir=config.base_dir,
        organisation=config.organisation.name,
        links=link_settings(config),
    )


def served(settings: NotifySettings, conn: Connection) -> NotifySettings:
    """``settings`` whose links lead to the console as last served (``web.public_url`` unset)."""
    links = served_links(conn, settings.links)
    return settings if links == settings.links else replace(settings, links=links)


def smtp_password(mail: MailConfig) -> str | None:
    """The password for ``mail.username``; a ConfigError when a login needs one and none is set."""
    if not mail.username:
        return None
    password = os.environ.get(PASSWORD_ENV, "")
    if not password:
        raise ConfigError(
            f"an SMTP login is configured but {PASSWORD_ENV} is not set",
            key="mail.username",
            hint=f"export {PASSWORD_ENV}=... before starting opco-watch, "
            "or remove mail.username if the server needs no login",
        )
    return password


def mail_problems(config: Any) -> list[ConfigError]:
    """What ``config check`` should also report: routes naming unknown domains, a login
    without its password."""
    settings = settings_of(config)
    return mail_section_problems(settings.mail, settings.profile)


def mail_section_problems(mail: MailConfig, profile: Profile) -> list[ConfigError]:
    known = {d.name.casefold() for d in profile.domains}
    problems = [
        ConfigError(
            f"domain {name!r} is not a domain of the profile",
            key=f"mail.routes.{index}.domains",
            hint=f"known domains: {', '.join(d.name for d in profile.domains) or 'none'}",
        )
        for index, route in enumerate(mail.routes)
        for name in route.domains
        if name.casefold() not in known
    ]
    if mail.smtp_host:
        try:
            smtp_password(mail)
        except ConfigError as error:
            problems.append(error)
    return problems
