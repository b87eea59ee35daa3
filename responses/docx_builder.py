"""A small python-docx writer for docxtpl templates (used by ``build_templates.py``).

docxtpl reads Jinja tags only when each sits in one run of one paragraph, and its block tags
(``{%p ... %}``, ``{%tr ... %}``) in a paragraph or table row of their own: every method here
writes a tag as a single run, so Word's run splitting never enters. Saved files are
reproducible: fixed document properties and fixed timestamps in the zip.

The documents are French ones: A4 with 2.5 cm margins, the language fr-FR in the document
defaults, every style, every run and the settings (Word and LibreOffice spell-check them as
French), and French names for the styles Word shows by their own name (custom styles such as
"Titre 1 Car", "À compléter"). Built-in styles keep their built-in names ("heading 1"): Word
and LibreOffice show those in the user's language ("Titre 1"), and renaming them would make
them custom styles, lost to the navigation pane and the table of contents.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

TODO_STYLE = "À compléter"
NOTE_STYLE = "Indicateurs"
LANGUAGE = "fr-FR"
PAGE_WIDTH, PAGE_HEIGHT = Cm(21), Cm(29.7)  # A4
MARGIN, HEADER_DISTANCE = Cm(2.5), Cm(1.25)
#: the custom styles of python-docx's default template, named as a French Word names them
FRENCH_NAMES = {
    "Header Char": "En-tête Car",
    "Footer Char": "Pied de page Car",
    "Title Char": "Titre Car",
    "Subtitle Char": "Sous-titre Car",
    "Body Text Char": "Corps de texte Car",
    "Body Text 2 Char": "Corps de texte 2 Car",
    "Body Text 3 Char": "Corps de texte 3 Car",
    "Macro Text Char": "Texte de macro Car",
    "Quote Char": "Citation Car",
    "Intense Quote Char": "Citation intense Car",
    **{f"Heading {n} Char": f"Titre {n} Car" for n in range(1, 10)},
}
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
        _a4(self.doc)
        _base_styles(self.doc)
        _todo_style(self.doc)
        _note_style(self.doc)
        _french(self.doc)
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
        self.p(f"Indicateurs Qualiopi\u00a0: {{{{ sections.{key}.indicators_text }}}}", NOTE_STYLE)
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
        _french_runs(self.doc)
        buffer = io.BytesIO()
        self.doc.save(buffer)
        path.write_bytes(_fixed_zip(buffer.getvalue()))


def _a4(doc: Document) -> None:
    for section in doc.sections:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin = section.bottom_margin = MARGIN
        section.left_margin = section.right_margin = MARGIN
        section.header_distance = section.footer_distance = HEADER_DISTANCE
        section.gutter = Cm(0)


def _base_styles(doc: Document) -> None:
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(10.5)
    normal.paragraph_format.space_after = Pt(6)


def _french(doc: Document) -> None:
    """fr-FR in the document defaults, the settings and every style; French custom names."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    run_defaults = defaults.find(qn("w:rPrDefault")) if defaults is not None else None
    if run_defaults is not None:
        _set_language(run_defaults.find(qn("w:rPr")))
    for style in styles.findall(qn("w:style")):
        name = style.find(qn("w:name"))
        if name is not None and name.get(qn("w:val")) in FRENCH_NAMES:
            name.set(qn("w:val"), FRENCH_NAMES[name.get(qn("w:val"))])
        if style.get(qn("w:type")) != "numbering":
            _set_language(_style_rpr(style))
    for rel_id, rel in list(doc.part.rels.items()):  # Word 2010's copy of the styles, en-US
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rel_id)
    theme = doc.settings.element.find(qn("w:themeFontLang"))
    if theme is not None:
        theme.attrib.clear()
        theme.set(qn("w:val"), LANGUAGE)


def _style_rpr(style: Any) -> Any:
    rpr = style.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        table_parts = [qn("w:tblPr"), qn("w:trPr"), qn("w:tcPr"), qn("w:tblStylePr")]
        later = next((c for c in style if c.tag in table_parts), None)
        if later is not None:
            later.addprevious(rpr)
        else:
            style.append(rpr)
    return rpr


def _set_language(rpr: Any) -> None:
    """``<w:lang w:val="fr-FR" w:eastAsia="fr-FR" w:bidi="ar-SA"/>`` in its schema place."""
    if rpr is None:
        return
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        after = [qn(t) for t in ("w:eastAsianLayout", "w:specVanish", "w:oMath")]
        later = next((c for c in rpr if c.tag in after), None)
        if later is not None:
            later.addprevious(language)
        else:
            rpr.append(language)
    language.set(qn("w:val"), LANGUAGE)
    language.set(qn("w:eastAsia"), LANGUAGE)
    language.set(qn("w:bidi"), "ar-SA")  # the language of right-to-left text, as Word writes


def _french_runs(doc: Document) -> None:
    """Every run of the body, headers and footers says it is French."""
    parts = [doc.element.body]
    for section in doc.sections:
        own = (h for h in (section.header, section.footer) if not h.is_linked_to_previous)
        parts += [h._element for h in own]  # asking a linked one would create it
    for part in parts:
        for run in part.iter(qn("w:r")):
            _set_language(run.get_or_add_rPr())


def _todo_style(doc: Document) -> None:
    style = doc.styles.add_style(TODO_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.style_id = "Acompleter"  # ASCII, as Word's own identifiers
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
    properties.language = LANGUAGE


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed timestamps, so a rebuild gives identical bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
