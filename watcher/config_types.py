"""Field types shared by the sections of the configuration (``watcher.config``,
``watcher.notify.settings``, ``responses.settings``): values a file may hold that the
operating system would refuse later are refused when the file is read, with the key."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

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
