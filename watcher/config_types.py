"""Field types shared by the sections of the configuration (``watcher.config``,
``watcher.notify.settings``, ``responses.settings``): values a file may hold that the
operating system would refuse later are refused when the file is read, with the key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import pydantic
from pydantic import AfterValidator, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema

#: longer than any path the operating system accepts
MAX_PATH_CHARS = 4096


def _usable_path(value: Path) -> Path:
    text = str(value)
    if "\x00" in text:
        raise ValueError("a path cannot hold a NUL character")
    if len(text) > MAX_PATH_CHARS:
        raise ValueError(f"a path of more than {MAX_PATH_CHARS} characters")
    return value


#: a file or folder name as written in the file (relative ones are resolved by the caller)
ConfigPath = Annotated[Path, AfterValidator(_usable_path)]


def empty_list() -> list[Any]:
    """A new empty list: ``Field(default_factory=empty_list)`` gives what
    ``default_factory=list`` gives, without pydantic parsing the builtin's text signature
    (``inspect``, ``tokenize``) for each field it builds: 0.2 ms a field, 3 ms the first, at
    every command's start-up (issue 12)."""
    return []


if TYPE_CHECKING:
    EmailStr = Annotated[str, ...]
else:

    class EmailStr(pydantic.EmailStr):
        """pydantic's ``EmailStr``, same checks and messages, but email-validator is imported
        (and its version read from the installed packages' metadata, once per process) when
        an address that is not plain (``plain_address``) is first validated, as pydantic's
        own check does then: not at every field of the type while the models are built, a
        few milliseconds each, nor at all for a configuration of plain addresses (issue 12)."""

        @classmethod
        def __get_pydantic_core_schema__(
            cls, _source: type[Any], _handler: GetCoreSchemaHandler
        ) -> CoreSchema:
            return core_schema.no_info_after_validator_function(
                cls._checked, core_schema.str_schema()
            )

        @classmethod
        def _checked(cls, value: str) -> str:
            plain = plain_address(value)
            return plain if plain is not None else str(cls._validate(value))


# An address as most are written needs none of email-validator's Unicode rules: importing it
# compiles patterns over every Unicode code point, 0.06 s of each command's start-up (issue 12).
# ``plain_address`` accepts only such addresses, and only as email-validator would (pydantic
# takes its normalized form); anything else (a refusal and its message included) is left to
# email-validator. tests/test_startup.py checks both lists against the library's own and the
# verdicts on a few thousand addresses.

#: dot-separated words of letters, digits, « _ + - »; host labels; a top-level domain of letters
_PLAIN = re.compile(
    r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)"
    r"@((?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]+)"
)
#: email-validator's CASE_INSENSITIVE_MAILBOX_NAMES (RFC 2142): lower-cased
MAILBOX_NAMES = frozenset(
    "info marketing sales support abuse noc security postmaster hostmaster usenet news "
    "webmaster www uucp ftp".split()
)
#: email-validator's SPECIAL_USE_DOMAIN_NAMES: refused (by email-validator, with its message)
SPECIAL_USE_DOMAINS = frozenset(("arpa", "invalid", "local", "localhost", "onion", "test"))
#: RFC 5321's longest address, local part, and label (email-validator's limits)
_ADDRESS_MAX, _LOCAL_MAX, _LABEL_MAX = 254, 64, 63


def plain_address(value: str) -> str | None:
    """``value`` as email-validator normalizes it (the domain in lower case, an RFC 2142
    mailbox name too) when it is a plain ASCII address that it accepts; None for any other
    text, valid or not: email-validator decides."""
    found = _PLAIN.fullmatch(value) if len(value) <= _ADDRESS_MAX else None
    if found is None:
        return None
    local, domain = found.group(1), found.group(2).lower()
    labels = domain.split(".")
    if len(local) > _LOCAL_MAX or "--" in domain or labels[-1] in SPECIAL_USE_DOMAINS:
        return None  # long local parts, R-LDH and Punycode labels, reserved names: its rules
    if any(len(label) > _LABEL_MAX for label in labels):
        return None
    if local.lower() in MAILBOX_NAMES:
        local = local.lower()
    return f"{local}@{domain}"


def email_address(value: str) -> str | None:
    """``value`` as an address, normalized as the configuration's (``EmailStr``), or None
    when it is not one: what a form takes where the configuration would take an address."""
    plain = plain_address(value)
    if plain is not None:
        return plain
    try:
        return str(pydantic.TypeAdapter(EmailStr).validate_python(value))
    except pydantic.ValidationError:
        return None
