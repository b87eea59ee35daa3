"""The commented starter file written by ``opco-watch init``, and the README settings table.

Both are generated from the models of ``watcher.config`` so the help texts live in one place.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, get_origin

import tomli_w
from pydantic import BaseModel

from responses.settings import DocumentsConfig, ResponsesConfig
from responses.settings import example_toml as responses_example
from scrapers.registry import SOURCES
from watcher.classify.profile import Profile
from watcher.config import (
    FetchConfig,
    OrganisationConfig,
    SourceConfig,
    StoreConfig,
    model_of,
)
from watcher.notify.settings import MailConfig, ScheduleConfig
from watcher.webconfig import WebConfig

SECTIONS: tuple[tuple[str, type[BaseModel]], ...] = (
    ("organisation", OrganisationConfig),
    ("fetch", FetchConfig),
    ("store", StoreConfig),
    ("web", WebConfig),
)

HEADER = """\
# opco-watch configuration.
# Every setting below shows its default; change what you need and run `opco-watch config check`.
# Secrets are never written here: the SMTP password is read from OPCO_WATCH_SMTP_PASSWORD.
"""


def starter_toml() -> str:
    parts = [HEADER]
    for name, model in SECTIONS:
        parts.append(_section(name, model, model()))
    for name in SOURCES:  # from the registry's lines: no scraper is imported
        title = f"{name}: {SOURCES.description(name)}"
        parts.append(_section(f"sources.{name}", SourceConfig, SourceConfig(), title=title))
        options = SOURCES.options(name)
        parts[-1] += _fields(options, options())
    parts.append(example_profile())
    parts.append(responses_example(commented=True))
    parts.append(example_notify())
    return "\n".join(parts)


def write_starter(path: Path, *, force: bool = False) -> None:
    if path.exists() and not force:
        raise FileExistsError(path)
    path.write_text(starter_toml(), encoding="utf-8")


def example_profile() -> str:
    """The realistic example organisation profile shipped with the classifier."""
    return resources.files("watcher.classify").joinpath("example_profile.toml").read_text("utf-8")


def example_notify() -> str:
    """The commented [mail] and [schedule] sections."""
    return resources.files("watcher.notify").joinpath("example.toml").read_text("utf-8")


def settings_table() -> str:
    """A Markdown table of every setting: key, default, help."""
    rows = ["| setting | default | what it does |", "|---|---|---|"]
    for name, model in SECTIONS:
        rows += _rows(name, model)
    rows += _rows("sources.NAME", SourceConfig)
    for name, cls in SOURCES.items():
        rows += _rows(f"sources.{name}", cls.Options)
    rows += _rows("profile", Profile)
    rows += _rows("documents", DocumentsConfig)
    rows += _rows("responses", ResponsesConfig)
    rows += _rows("mail", MailConfig)
    rows += _rows("schedule", ScheduleConfig)
    return "\n".join(rows)


def _section(name: str, model: type[BaseModel], value: BaseModel, title: str = "") -> str:
    head = f"# {title}\n" if title else ""
    return f"{head}[{name}]\n" + _fields(model, value)


def _fields(model: type[BaseModel], value: BaseModel) -> str:
    lines = []
    for key, field in model.model_fields.items():
        if field.exclude:
            continue
        lines.append(f"# {field.description}")
        lines.append(_toml_line(key, getattr(value, key)))
    return "\n".join(lines) + "\n"


def _rows(prefix: str, model: type[BaseModel]) -> list[str]:
    """One row per setting; nested tables and arrays of tables are walked (``key[]``)."""
    rows = []
    for key, field in model.model_fields.items():
        if field.exclude:
            continue
        nested = model_of(field.annotation)
        if nested is not None:
            suffix = "[]" if get_origin(field.annotation) is list else ""
            rows += _rows(f"{prefix}.{key}{suffix}", nested)
            continue
        default = (
            "" if field.is_required() else _inline(field.get_default(call_default_factory=True))
        )
        rows.append(f"| `{prefix}.{key}` | `{default}` | {field.description} |".replace("``", ""))
    return rows


def _inline(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _toml_value(value).replace("|", "\\|")


def _toml_line(key: str, value: Any) -> str:
    return f"{key} = {_toml_value(value)}"


def _toml_value(value: Any) -> str:
    plain = str(value) if isinstance(value, Path) else value
    return tomli_w.dumps({"v": plain}).strip().removeprefix("v = ")


def sources_table() -> str:
    """A Markdown table of the registered sources (kept in the README, checked by a test)."""
    rows = ["| source | what it watches | kind | hosts |", "|---|---|---|---|"]
    for name, cls in SOURCES.items():
        hosts = ", ".join(cls.hosts)
        rows.append(f"| `{name}` | {cls.description()} | {cls.platform} | {hosts} |")
    return "\n".join(rows)


def refresh_readme(readme: Path) -> None:
    """Rewrite the settings and sources tables of the README from the code."""
    text = readme.read_text("utf-8")
    for table in (settings_table(), sources_table()):
        header = table.split("\n", 1)[0]
        start = text.index(header)
        end = text.find("\n\n", start)
        text = text[:start] + table + (text[end:] if end >= 0 else "\n")
    readme.write_text(text, "utf-8")


if __name__ == "__main__":  # developers: python -m watcher.starter README.md
    import sys

    refresh_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
