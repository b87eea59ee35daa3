"""``opco-watch templates check``: lint every response template in use.

For each template (the user's override when there is one, else the shipped one):

- Jinja syntax (for a .docx, after docxtpl's own clean-up of Word's XML);
- variables not in the documented context (``context.CONTEXT_DOC``);
- for a .docx, tags split by Word across runs: a delimiter cut in two (``{`` | ``{``), which
  docxtpl cannot read, is an error; a tag spread over several runs is a warning (docxtpl
  merges them, but retyping it in one go is safer); a tag left open in its paragraph is an
  error;
- a render against the sample context (a .docx is saved and re-opened with python-docx).

Files of the user's folder that are no template opco-watch uses are reported as warnings.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError, meta
from lxml import etree

from responses.context import CONTEXT_DOC
from responses.render import (
    TEMPLATE_NAMES,
    Templates,
    docx_environment,
    markdown_context,
    text_environment,
)
from responses.sample import sample_context
from watcher.errors import DraftError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes)\.xml$")
_OPEN = {"{{": "}}", "{%": "%}", "{#": "#}"}


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    template: str
    message: str
    level: str = "error"

    def __str__(self) -> str:
        return f"{self.template}: {self.level}: {self.message}"


def templates_in_use(folder: Path | None) -> list[tuple[str, Path, bool]]:
    """(name, file, is the user's override) for every template a draft uses."""
    templates = Templates(folder)
    return [(n, templates.path(n), templates.is_override(n)) for n in TEMPLATE_NAMES]


def check_templates(folder: Path | None = None) -> list[TemplateProblem]:
    """Every problem of the templates in use (``folder``: the user's templates, if any)."""
    try:
        in_use = templates_in_use(folder)
    except DraftError as error:
        return [TemplateProblem(str(folder), str(error))]
    context = sample_context()
    problems = [p for name, path, _ in in_use for p in check_one(name, path, folder, context)]
    return problems + _strangers(folder)


def check_one(
    name: str, path: Path, folder: Path | None, context: dict[str, Any]
) -> list[TemplateProblem]:
    if name.endswith(".docx"):
        return _check_docx(path, context)
    return _check_text(name, path, folder, context)


def _strangers(folder: Path | None) -> list[TemplateProblem]:
    if folder is None:
        return []
    known = ", ".join(TEMPLATE_NAMES)
    return [
        TemplateProblem(str(f), f"not a template opco-watch uses (names: {known})", "warning")
        for f in sorted(folder.iterdir())
        if f.is_file() and f.name not in TEMPLATE_NAMES and not f.name.startswith(("~$", "."))
    ]


def _undeclared(where: str, names: set[str]) -> list[TemplateProblem]:
    known = ", ".join(CONTEXT_DOC)
    return [
        TemplateProblem(where, f"undeclared variable '{n}' (the context has: {known})")
        for n in sorted(names - set(CONTEXT_DOC))
    ]


# ------------------------------------------------------------------------------------- text


def _check_text(
    name: str, path: Path, folder: Path | None, context: dict[str, Any]
) -> list[TemplateProblem]:
    html = name.endswith(".html.j2")
    env = text_environment(folder, html=html)
    where = str(path)
    try:
        ast = env.parse(path.read_text("utf-8"))
    except TemplateSyntaxError as error:
        return [TemplateProblem(where, f"line {error.lineno}: {error.message}")]
    problems = _undeclared(where, meta.find_undeclared_variables(ast) - set(env.globals))
    if not problems:
        problems += _render_text(env, name, where, context if html else markdown_context(context))
    return problems


def _render_text(env: Any, name: str, where: str, context: Any) -> list[TemplateProblem]:
    try:
        env.get_template(name).render(context)
    except Exception as error:  # whatever a template does wrong, report it
        return [TemplateProblem(where, f"sample render failed: {type(error).__name__}: {error}")]
    return []


# ------------------------------------------------------------------------------------- docx


def _check_docx(path: Path, context: dict[str, Any]) -> list[TemplateProblem]:
    where = str(path)
    try:
        parts = _xml_parts(path)
    except (OSError, zipfile.BadZipFile, KeyError) as error:
        return [TemplateProblem(where, f"not a readable .docx file: {error}")]
    problems = [p for part, xml in parts.items() for p in _split_tags(where, part, xml)]
    if any(p.level == "error" for p in problems):
        return problems
    problems += _docx_syntax(where, path)
    if not any(p.level == "error" for p in problems):
        problems += _render_docx(where, path, context)
    return problems


def _xml_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if _PARTS.match(n)]
        if "word/document.xml" not in names:
            raise KeyError("word/document.xml is missing")
        return {n: archive.read(n) for n in names}


def _split_tags(where: str, part: str, xml: bytes) -> list[TemplateProblem]:
    root = etree.fromstring(xml)
    problems: list[TemplateProblem] = []
    for n, paragraph in enumerate(root.iter(f"{W}p"), start=1):
        runs = ["".join(t.text or "" for t in run.iter(f"{W}t")) for run in paragraph.iter(f"{W}r")]
        problems += _paragraph_tags(f"{where} ({part}, paragraph {n})", runs)
    return problems


def _paragraph_tags(where: str, runs: list[str]) -> list[TemplateProblem]:
    """Problems of the tags of one paragraph, given the text of each of its runs."""
    text = "".join(runs)
    owner = [i for i, run in enumerate(runs) for _ in run]  # char index -> run index
    problems, start = [], 0
    while (found := _next_open(text, start)) is not None:
        closer = text.find(_OPEN[text[found : found + 2]], found + 2)
        if closer < 0:
            opened = text[found : found + 40]
            problems.append(TemplateProblem(where, f"tag not closed in its paragraph: {opened!r}"))
            break
        end = closer + 2
        problems += _tag_runs(where, text[found:end], owner[found:end])
        start = end
    return problems


def _next_open(text: str, start: int) -> int | None:
    found = [i for i in (text.find(o, start) for o in _OPEN) if i >= 0]
    return min(found) if found else None


def _tag_runs(where: str, tag: str, owners: list[int]) -> list[TemplateProblem]:
    if owners[0] != owners[1] or owners[-2] != owners[-1]:
        message = f"tag split by Word inside a delimiter: {tag!r}; retype it in one go"
        return [TemplateProblem(where, message)]
    if len(set(owners)) > 1:
        message = f"tag spread over {len(set(owners))} runs: {tag!r}; retype it in one go"
        return [TemplateProblem(where, message, "warning")]
    return []


def _docx_syntax(where: str, path: Path) -> list[TemplateProblem]:
    template = DocxTemplate(str(path))
    env, document = docx_environment(), docx.Document(str(path))
    names: set[str] = set()
    sources = [template.xml_to_string(document.element.body)]
    sources += [template.get_part_xml(part) for _, part in _headers_footers(template)]
    for source in sources:
        xml = re.sub(r"<w:p([ >])", r"\n<w:p\1", template.patch_xml(source))
        try:
            names |= meta.find_undeclared_variables(env.parse(xml))
        except TemplateSyntaxError as error:
            near = _line_text(xml, error.lineno)
            return [TemplateProblem(where, f"{error.message} (near « {near} »)")]
    return _undeclared(where, names - set(env.globals))


def _headers_footers(template: DocxTemplate) -> list[tuple[str, Any]]:
    template.init_docx()
    return [
        pair
        for uri in (template.HEADER_URI, template.FOOTER_URI)
        for pair in template.get_headers_footers(uri)
    ]


def _line_text(xml: str, lineno: int) -> str:
    lines = xml.splitlines()
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    return re.sub(r"<[^>]+>", "", line)[:80]


def _render_docx(where: str, path: Path, context: dict[str, Any]) -> list[TemplateProblem]:
    buffer = io.BytesIO()
    try:
        template = DocxTemplate(str(path))
        template.render(dict(context), jinja_env=docx_environment(), autoescape=True)
        template.save(buffer)
        buffer.seek(0)
        docx.Document(buffer)
    except Exception as error:  # whatever a template does wrong, report it
        return [TemplateProblem(where, f"sample render failed: {type(error).__name__}: {error}")]
    return []
