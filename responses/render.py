"""Rendering: template lookup (a user folder overrides the shipped templates by file name) and
the three safe renderers.

- ``.docx``: docxtpl with ``autoescape=True`` (``&``, ``<`` in values become XML entities);
- ``.md.j2``: every string of the context is Markdown-escaped beforehand
  (``wording.markdown_escape``), so macros and filters keep working;
- ``.html.j2``: Jinja HTML autoescape.

Every environment is a ``SandboxedEnvironment`` with ``StrictUndefined``: a user template
cannot reach Python internals, and a misspelt variable fails instead of printing nothing. Text
from the web only ever arrives as context values, never as template source. Each written
.docx is re-opened with python-docx, since docxtpl can save a broken file without raising.
"""

from __future__ import annotations

import io
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import docx
from docxtpl import DocxTemplate
from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, Template
from jinja2.sandbox import SandboxedEnvironment

import templates
from responses.wording import markdown_escape
from watcher.errors import DraftError

log = logging.getLogger(__name__)

SHIPPED = Path(templates.__file__).resolve().parent / "responses"
MEMOIRE_DOCX = "memoire-technique.docx"
MEMOIRE_MD = "memoire-technique.md.j2"
DC1_DOCX = "DC1.docx"
DC2_DOCX = "DC2.docx"
CHECKLIST_MD = "checklist.md.j2"
CHECKLIST_HTML = "checklist.html.j2"
TEMPLATE_NAMES = (MEMOIRE_DOCX, MEMOIRE_MD, DC1_DOCX, DC2_DOCX, CHECKLIST_MD, CHECKLIST_HTML)


class Templates:
    """The templates in use: ``user_folder`` (if any) first, then the shipped ones."""

    def __init__(self, user_folder: Path | None = None) -> None:
        if user_folder is not None and not user_folder.is_dir():
            raise DraftError(
                f"templates folder {user_folder} does not exist "
                "(check [responses] templates_folder)"
            )
        self.user_folder = user_folder

    def path(self, name: str) -> Path:
        """The file for ``name``: the user's override when present."""
        if self.user_folder is not None and (self.user_folder / name).is_file():
            return self.user_folder / name
        return SHIPPED / name

    def is_override(self, name: str) -> bool:
        return self.path(name).parent != SHIPPED

    def render_text(self, name: str, context: Mapping[str, Any]) -> str:
        """Render a Markdown (``.md.j2``) or HTML (``.html.j2``) template."""
        html = name.endswith(".html.j2")
        env = text_environment(self.user_folder, html=html)
        values = context if html else markdown_context(context)
        try:
            text = env.get_template(name).render(values)
        except Exception as error:  # a user template may fail in any way: say which and where
            raise self._error(name, error) from None
        return text if html else re.sub(r"\n{3,}", "\n\n", text)

    def render_docx(self, name: str, context: Mapping[str, Any], target: Path) -> Path:
        """Render a .docx template into ``target``, then check the file opens."""
        template = DocxTemplate(io.BytesIO(_read(self.path(name))))
        try:
            template.render(dict(context), jinja_env=docx_environment(), autoescape=True)
        except Exception as error:  # a user template may fail in any way: say which and where
            raise self._error(name, error) from None
        _stamp(template, context)
        template.save(target)
        verify_docx(target)
        return target

    def _error(self, name: str, error: Exception) -> DraftError:
        where = self.path(name)
        line = getattr(error, "lineno", None)
        at = f" line {line}" if line and not name.endswith(".docx") else ""
        return DraftError(
            f"template {where}{at}: {type(error).__name__}: {error}\n"
            "  -> run `opco-watch templates check` to see every problem"
        )


@lru_cache(maxsize=8)
def text_environment(user_folder: Path | None, *, html: bool) -> SandboxedEnvironment:
    folders = [str(SHIPPED)] if user_folder is None else [str(user_folder), str(SHIPPED)]
    return SandboxedEnvironment(
        loader=ChoiceLoader([FileSystemLoader(f) for f in folders]),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


class DocxEnvironment(SandboxedEnvironment):
    """The sandbox for .docx templates, remembering what it compiled: docxtpl compiles the
    document's whole XML on every render, the same XML for each DC2 of a 12-lot call. No
    loader, so a .docx template cannot include files."""

    CACHE_SIZE = 32

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True)
        self._compiled: OrderedDict[str, Template] = OrderedDict()

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        found = self._compiled.get(source)
        if found is None:
            found = self._compiled[source] = super().from_string(source)
            while len(self._compiled) > self.CACHE_SIZE:
                self._compiled.popitem(last=False)
        self._compiled.move_to_end(source)
        return found


_DOCX_ENV = DocxEnvironment()


def docx_environment() -> SandboxedEnvironment:
    """The shared .docx sandbox (autoescape on: docxtpl sets it again, to the same value)."""
    return _DOCX_ENV


def markdown_context(value: Any) -> Any:
    """A copy of the context with every string Markdown-escaped."""
    if isinstance(value, str):
        return markdown_escape(value)
    if isinstance(value, Mapping):
        return {k: markdown_context(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [markdown_context(v) for v in value]
    return value


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise DraftError(f"cannot read template {path}: {error.strerror}") from None


def _stamp(template: DocxTemplate, context: Mapping[str, Any]) -> None:
    """Document properties after rendering (python-docx escapes them; no Jinja runs here)."""
    properties = template.docx.core_properties
    call = context.get("call") or {}
    properties.subject = str(call.get("short_title", ""))
    properties.author = str((context.get("organisation") or {}).get("name", ""))
    properties.last_modified_by = "opco-watch"
    properties.created = properties.modified = datetime.now(UTC).replace(microsecond=0)
    properties.revision = 1


def verify_docx(path: Path) -> None:
    """Re-open a written .docx; DraftError when Word could not either."""
    try:
        docx.Document(str(path))
    except Exception as error:  # python-docx raises many kinds (zip, XML, key errors)
        raise DraftError(f"{path.name} was written but cannot be opened: {error}") from error
