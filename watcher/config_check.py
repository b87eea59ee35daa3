"""``opco-watch config check``: every problem of the configuration, in one pass.

Errors: what ``watcher.config`` refuses (unknown keys, wrong types, bad values), then what only
the disk can tell: a documents folder, a document file or a templates folder that does not
exist, a document that resolves outside the documents folder (``..``, an absolute name, a
symbolic link pointing elsewhere), routes naming unknown domains, an SMTP login without its
password. Sections that are valid on their own are checked even when another one is not.

Warnings: the made-up values of ``opco-watch init`` still in use (example addresses, SIRET,
certificate...): nothing breaks, but mail to them is refused over SMTP and drafts would print
them. Each problem carries its key and what to do; nothing here raises but ``ConfigError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from responses.settings import DocumentsConfig, ResponsesConfig
from watcher.classify.profile import Profile
from watcher.config import Config, checked_config, parse_toml, read_bytes, shown
from watcher.errors import ConfigError
from watcher.examples import EMAIL_MEANING, example_meaning
from watcher.notify.settings import MailConfig, mail_section_problems

#: the sections checked on their own when the whole file does not validate
SECTIONS = tuple(name for name in Config.model_fields if name not in ("sources", "base_dir"))


@dataclass
class ConfigReport:
    """What ``config check`` prints: errors (exit 2), warnings, and the config when valid."""

    errors: list[ConfigError] = field(default_factory=list)
    warnings: list[ConfigError] = field(default_factory=list)
    config: Config | None = None


def check_config(file: Path) -> ConfigReport:
    try:
        data = read_bytes(file)
    except ConfigError as error:
        return ConfigReport([error])
    return check_config_bytes(data, base_dir=file.parent, name=str(file))


def check_config_bytes(data: bytes, *, base_dir: Path, name: str = "the file") -> ConfigReport:
    try:
        raw = parse_toml(data, name)
    except ConfigError as error:
        return ConfigReport([error])
    config, errors = checked_config(raw, base_dir)
    config = None if errors else config
    sections = _valid_sections(raw, config)
    errors += file_problems(sections, base_dir)
    mail, profile = sections.get("mail"), sections.get("profile")
    if isinstance(mail, MailConfig) and isinstance(profile, Profile):
        errors += mail_section_problems(mail, profile)
    return ConfigReport(errors, example_warnings(raw, sections), config if not errors else None)


def _valid_sections(raw: dict[str, Any], config: Config | None) -> dict[str, BaseModel]:
    if config is not None:
        return {name: getattr(config, name) for name in SECTIONS}
    found = {}
    for name in SECTIONS:
        model = Config.model_fields[name].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        try:
            found[name] = model.model_validate(raw.get(name, {}))
        except (ValidationError, RecursionError):
            continue  # already reported by validate_raw
    return found


# ------------------------------------------------------------------------------------ files


def file_problems(sections: dict[str, BaseModel], base_dir: Path) -> list[ConfigError]:
    """Folders and files the configuration names that are not where it says."""
    problems: list[ConfigError] = []
    documents, responses = sections.get("documents"), sections.get("responses")
    folder = None
    if isinstance(documents, DocumentsConfig):
        folder, found = _documents_problems(documents, base_dir)
        problems += found
    if isinstance(responses, ResponsesConfig):
        problems += _folder_problem(
            responses.templates_folder, "responses.templates_folder", base_dir
        )
        if folder is not None:
            problems += _cv_problems(responses, folder)
    mail = sections.get("mail")
    if isinstance(mail, MailConfig):
        problems += _folder_problem(mail.templates_dir, "mail.templates_dir", base_dir)
    return problems


def _documents_problems(
    documents: DocumentsConfig, base_dir: Path
) -> tuple[Path | None, list[ConfigError]]:
    """(the folder when it exists, the problems of the folder and of each document)."""
    folder = _resolved(base_dir / documents.folder)
    if not documents.items and "folder" not in documents.model_fields_set:
        return (folder if folder is not None and _is_dir(folder) else None), []
    if folder is None or not _is_dir(folder):
        return None, [
            ConfigError(
                f"folder {folder or documents.folder} does not exist",
                key="documents.folder",
                hint="create it and put the documents there, or set the folder that holds them",
            )
        ]
    problems = [
        problem
        for index, item in enumerate(documents.items)
        if (problem := _file_problem(folder, item.file, f"documents.items.{index}.file"))
    ]
    return folder, problems


def _cv_problems(responses: ResponsesConfig, folder: Path) -> list[ConfigError]:
    return [
        problem
        for index, trainer in enumerate(responses.trainers)
        if trainer.cv is not None
        and (problem := _file_problem(folder, trainer.cv, f"responses.trainers.{index}.cv"))
    ]


def _file_problem(folder: Path, name: Path, key: str) -> ConfigError | None:
    path = _resolved(folder / name)
    if path is None or not path.is_relative_to(folder):
        return ConfigError(
            f"{shown(str(name))} is outside the documents folder {folder}"
            + (f" (it leads to {path})" if path is not None else ""),
            key=key,
            hint="copy the file into the documents folder and name it relative to it",
        )
    if not _is_file(path):
        return ConfigError(
            f"file not found: {path}",
            key=key,
            hint=f"put the file in {folder} or correct its name",
        )
    return None


def _folder_problem(folder: Path | None, key: str, base_dir: Path) -> list[ConfigError]:
    if folder is None:
        return []
    path = _resolved(base_dir / folder)
    if path is not None and _is_dir(path):
        return []
    state = "is not a folder" if path is not None and _exists(path) else "does not exist"
    return [
        ConfigError(
            f"folder {path or folder} {state}",
            key=key,
            hint="create it with your templates, or remove the setting to use the shipped ones",
        )
    ]


def _resolved(path: Path) -> Path | None:
    """The absolute path, links followed; None when the system cannot say (too long...)."""
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


# --------------------------------------------------------------------------------- examples


def example_warnings(raw: dict[str, Any], sections: dict[str, BaseModel]) -> list[ConfigError]:
    """The example values written in the file, and the example defaults it leaves in use."""
    warnings = [
        _example(key, value, meaning)
        for key, value in _strings(raw)
        if (meaning := example_meaning(value))
    ]
    for name, section in sections.items():
        for key, info in type(section).model_fields.items():
            default = getattr(section, key)
            meaning = example_meaning(default) if isinstance(default, str) else None
            if meaning and key not in section.model_fields_set and not info.exclude:
                warnings.append(_example(f"{name}.{key}", default, meaning, unset=True))
    return warnings


def _example(key: str, value: str, meaning: str, *, unset: bool = False) -> ConfigError:
    said = f"not set: its default {shown(value)}" if unset else shown(value)
    hint = (  # only an email address is refused by mail: a postal or web one is printed
        "write a real address: mail to an example address is refused over SMTP"
        if meaning == EMAIL_MEANING
        else "write your organisation's own value: drafts and mail would print this one"
    )
    return ConfigError(f"{said} is {meaning} from `opco-watch init`", key=key, hint=hint)


def _strings(tree: Any) -> Iterator[tuple[str, str]]:
    """(dotted key, text) of every string in a parsed file, at any depth (no recursion)."""
    stack: list[tuple[str, Any]] = [("", tree)]
    while stack:
        key, node = stack.pop()
        if isinstance(node, str):
            yield key, node
        elif isinstance(node, dict):
            stack += [(_join(key, k), v) for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(_join(key, i), v) for i, v in reversed(list(enumerate(node)))]


def _join(key: str, part: object) -> str:
    return f"{key}.{part}" if key else str(part)
