"""Field types shared by the sections of the configuration (``watcher.config``,
``watcher.notify.settings``, ``responses.settings``): values a file may hold that the
operating system would refuse later are refused when the file is read, with the key."""

from __future__ import annotations

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
        an address is first validated, as pydantic's own check does then: not at every field
        of the type while the models are built, a few milliseconds each, nor at all for a
        command that validates no address (``init``) (issue 12)."""

        @classmethod
        def __get_pydantic_core_schema__(
            cls, _source: type[Any], _handler: GetCoreSchemaHandler
        ) -> CoreSchema:
            return core_schema.no_info_after_validator_function(
                cls._validate, core_schema.str_schema()
            )
