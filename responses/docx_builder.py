"""A small python-docx writer for docxtpl templates (used by ``build_templates.py``).

docxtpl reads Jinja tags only when each sits in one run of one paragraph, and its block tags
(``{%p ... %}``, ``{%tr ... %}``) in a paragraph or table row of their own: every method here
writes a tag as a single run, so Word's run splitting never enters. Saved files are
reproducible: fixed document properties and fixed timestamps in the zip.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

TODO_STYLE = "À compléter"
NOTE_STYLE = "Indicateurs"
ORANGE, SHADE, GREY = "C55A11", "FFF2CC", "595959"
FIXED_TIME = datetime(2026, 1, 1, tzinfo=UTC)
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
LABEL_WIDTH, VALUE_WIDTH = Cm(5.5), Cm(10.5)
#: elements that follow w:pBdr / w:shd in a w:pPr (schema order)
_AFTER_SHADING = (
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


class DocxBuilder:
    def __init__(self, title: str) -> None:
        self.doc: Document = docx.Document()
        _base_styles(self.doc)
        _todo_style(self.doc)
        _note_style(self.doc)
        _properties(self.doc, title)

    def p(self, text: str = "", style: str | None = None, *, bold: bool = False) -> Paragraph:
        """A paragraph of one run (so a tag inside it stays whole)."""
        paragraph = self.doc.add_paragraph(style=style)
        if text:
            paragraph.add_run(text).bold = bold or None
        return paragraph

    def tag(self, tag: str) -> None:
        """A docxtpl paragraph tag, e.g. ``{%p if lots %}``: the paragraph is removed."""
        self.p(tag)

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(level=level).add_run(text)

    def section(self, key: str) -> None:
        """Numbered heading of a mémoire section and the Qualiopi indicators that back it."""
        self.heading(f"{{{{ sections.{key}.number }}}}. {{{{ sections.{key}.title }}}}")
        self.tag(f"{{%p if sections.{key}.indicators %}}")
        self.p(f"Indicateurs Qualiopi : {{{{ sections.{key}.indicators_text }}}}", NOTE_STYLE)
        self.tag("{%p endif %}")

    def todos(self, items: str, var: str = "todo") -> None:
        """The "À COMPLÉTER" blocks of a list of {title, text}: shaded, bordered, bold head."""
        self.tag(f"{{%p for {var} in {items} %}}")
        self.todo(f"{{{{ {var}.title }}}}", f"{{{{ {var}.text }}}}")
        self.tag("{%p endfor %}")

    def todo(self, title: str, text: str) -> None:
        """One "À COMPLÉTER" block: a bold head and the text, in one shaded, bordered box."""
        head = self.p(style=TODO_STYLE)
        head.paragraph_format.space_before = Pt(8)
        run = head.add_run(f"À COMPLÉTER — {title}")
        run.bold, run.font.color.rgb = True, RGBColor.from_string(ORANGE)
        self.p(text, TODO_STYLE).paragraph_format.space_after = Pt(8)

    def bullets(self, items: str, var: str = "item", text: str | None = None) -> None:
        """One bullet per item; ``text`` defaults to the item itself."""
        self.tag(f"{{%p for {var} in {items} %}}")
        self.p(text or f"{{{{ {var} }}}}", "List Bullet")
        self.tag("{%p endfor %}")

    def fields(self, rows: list[tuple[str, str]]) -> Table:
        """A two-column table: label (narrow, bold), value expression."""
        table = self.doc.add_table(rows=0, cols=2, style="Table Grid")
        table.autofit = False
        table.columns[0].width, table.columns[1].width = LABEL_WIDTH, VALUE_WIDTH
        for label, value in rows:
            cells = table.add_row().cells
            cells[0].paragraphs[0].add_run(label).bold = True
            cells[1].paragraphs[0].add_run(value)
            cells[0].width, cells[1].width = LABEL_WIDTH, VALUE_WIDTH
        return table

    def loop_table(self, headers: list[str], loop: str, cells: list[str]) -> Table:
        """A header row, then one row per item: ``{%tr for ... %}`` rows around the template."""
        table = self.doc.add_table(rows=1, cols=len(headers), style="Table Grid")
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            cell.paragraphs[0].add_run(header).bold = True
        for content in ([f"{{%tr for {loop} %}}"], cells, ["{%tr endfor %}"]):
            row = table.add_row().cells
            for cell, text in zip(row, content, strict=False):
                cell.paragraphs[0].add_run(text)
        return table

    def page_break(self) -> None:
        self.doc.add_page_break()

    def footer(self, text: str) -> None:
        """Footer text (rendered by docxtpl too) followed by the page number field."""
        paragraph = self.doc.sections[0].footer.paragraphs[0]
        paragraph.add_run(text + " — page ")
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        number = OxmlElement("w:t")
        number.text = "1"
        run.append(number)
        field.append(run)
        paragraph._p.append(field)

    def save(self, path: Path) -> None:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(_fixed_zip(buffer.getvalue()))


def _base_styles(doc: Document) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "fr-FR")
    normal.element.get_or_add_rPr().append(language)


def _todo_style(doc: Document) -> None:
    style = doc.styles.add_style(TODO_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        border = OxmlElement(f"w:{side}")
        for name, value in (("val", "single"), ("sz", "8"), ("space", "4"), ("color", ORANGE)):
            border.set(qn(f"w:{name}"), value)
        borders.append(border)
    shading = OxmlElement("w:shd")
    for name, value in (("val", "clear"), ("color", "auto"), ("fill", SHADE)):
        shading.set(qn(f"w:{name}"), value)
    ppr.insert_element_before(borders, "w:shd", *_AFTER_SHADING)
    ppr.insert_element_before(shading, *_AFTER_SHADING)
    style.paragraph_format.space_after = Pt(0)


def _note_style(doc: Document) -> None:
    style = doc.styles.add_style(NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.font.italic, style.font.size = True, Pt(9)
    style.font.color.rgb = RGBColor.from_string(GREY)


def _properties(doc: Document, title: str) -> None:
    """Fixed properties: docxtpl renders these as templates too, so no braces here."""
    properties = doc.core_properties
    properties.title, properties.author, properties.comments = title, "opco-watch", ""
    properties.subject = properties.keywords = properties.category = ""
    properties.last_modified_by = "opco-watch"
    properties.created = properties.modified = FIXED_TIME
    properties.last_printed = FIXED_TIME
    properties.revision = 1


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps, so a rebuild gives identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
