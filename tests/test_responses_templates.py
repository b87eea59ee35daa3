"""Templates: the shipped set is clean and up to date, the linter finds crafted problems, a user
override wins, user templates are sandboxed."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from docx.enum.section import WD_ORIENT
from lxml import etree

from responses.build_templates import build
from responses.demo import write_demo_files
from responses.docx_builder import FRENCH_NAMES, NOTE_STYLE, TODO_STYLE, DocxBuilder
from responses.draft import DraftResult, make_draft
from responses.render import DC1_DOCX, DC2_DOCX, MEMOIRE_DOCX, SHIPPED, TEMPLATE_NAMES
from responses.sample import SAMPLE_NOW, SampleOrganisation, sample_notice
from responses.settings import load_example
from responses.templates_check import TemplateProblem, check_templates, templates_in_use
from responses.vault import Vault
from watcher.classify.profile import load_example_profile
from watcher.errors import DraftError
from watcher.models import Notice


def messages(problems: list[TemplateProblem], level: str = "error") -> str:
    return "\n".join(str(p) for p in problems if p.level == level)


def docx_with_runs(path: Path, *paragraphs: list[str]) -> Path:
    """A .docx whose paragraphs are made of the given runs (as Word splits them)."""
    document = docx.Document()
    for runs in paragraphs:
        paragraph = document.add_paragraph()
        for text in runs:
            paragraph.add_run(text)
    document.save(str(path))
    return path


def test_every_shipped_template_passes_the_check() -> None:
    assert check_templates(None) == []
    assert {n for n, _, own in templates_in_use(None) if not own} == set(TEMPLATE_NAMES)


def test_shipped_docx_templates_are_what_the_generator_writes(tmp_path: Path) -> None:
    for path in build(tmp_path):
        shipped = SHIPPED / path.name
        assert path.read_bytes() == shipped.read_bytes(), (
            f"{shipped.name} is stale: run `python -m responses.build_templates`"
        )


# -------------------------------------------------------------------------------- the linter


def test_check_finds_syntax_errors_and_undeclared_variables(tmp_path: Path) -> None:
    (tmp_path / "memoire-technique.md.j2").write_text("# {{ call.title }}\n{% if lots %}\n")
    (tmp_path / "checklist.md.j2").write_text("{{ organization.name }} {{ call.title }}\n")
    (tmp_path / "checklist.html.j2").write_text("<p>{{ call.titel }}</p>\n")
    found = messages(check_templates(tmp_path))
    assert "memoire-technique.md.j2: error: line 2: Unexpected end of template" in found
    assert "checklist.md.j2: error: undeclared variable 'organization'" in found
    assert "checklist.html.j2: error: sample render failed: UndefinedError" in found
    assert "titel" in found


def test_check_finds_tags_split_by_word(tmp_path: Path) -> None:
    docx_with_runs(
        tmp_path / "DC1.docx",
        ["Objet : ", "{", "{ call.title }}"],  # delimiter cut in two: docxtpl cannot read it
        ["Acheteur : {{ call.", "buyer }}"],  # spread over two runs: docxtpl copes
        ["Référence : {{ call.reference"],  # never closed
    )
    problems = check_templates(tmp_path)
    errors, warnings = messages(problems), messages(problems, "warning")
    assert "paragraph 1): error: tag split by Word inside a delimiter: '{{ call.title }}'" in errors
    assert "paragraph 3): error: tag not closed in its paragraph: '{{ call.reference'" in errors
    assert "paragraph 2): warning: tag spread over 2 runs: '{{ call.buyer }}'" in warnings


def test_check_finds_docx_syntax_errors_and_undeclared_names(tmp_path: Path) -> None:
    docx_with_runs(tmp_path / "DC2.docx", ["{% if call.title %}"], ["ouvert"])
    docx_with_runs(tmp_path / "DC1.docx", ["{{ client.name }} {{ organisation.name }}"])
    found = messages(check_templates(tmp_path))
    assert "DC2.docx: error: Unexpected end of template" in found
    assert "DC1.docx: error: undeclared variable 'client'" in found


def test_check_reports_strangers_and_a_missing_folder(tmp_path: Path) -> None:
    (tmp_path / "memoire_technique.docx").write_bytes(b"")
    (tmp_path / "~$DC1.docx").write_bytes(b"")  # Word's lock file: ignored
    warnings = messages(check_templates(tmp_path), "warning")
    assert "memoire_technique.docx: warning: not a template opco-watch uses" in warnings
    assert "~$" not in warnings
    (missing,) = check_templates(tmp_path / "nope")
    assert "does not exist" in missing.message


def test_a_corrupt_docx_is_reported(tmp_path: Path) -> None:
    (tmp_path / "DC1.docx").write_bytes(b"not a zip")
    assert "not a readable .docx file" in messages(check_templates(tmp_path))


# ---------------------------------------------------------------------------- user overrides


Drafting = Callable[..., DraftResult]


@pytest.fixture
def drafting(tmp_path: Path) -> Drafting:
    """Drafts the sample call with the user templates of ``folder`` (None: shipped only)."""
    documents, settings = load_example()
    write_demo_files(documents, tmp_path / "config" / documents.folder)
    vault = Vault.load(documents, tmp_path / "config")

    def run(folder: Path | None, notice: Notice | None = None) -> DraftResult:
        return make_draft(
            notice or sample_notice(),
            organisation=SampleOrganisation(),
            profile=load_example_profile(),
            responses_settings=settings,
            vault=vault,
            out_dir=tmp_path / "out",
            now=SAMPLE_NOW,
            templates_folder=folder,
            overwrite=True,
        )

    return run


def test_a_user_override_wins_over_the_shipped_template(tmp_path: Path, drafting: Drafting) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "memoire-technique.md.j2").write_text("Notre mémoire pour {{ call.buyer }}\n")
    builder = DocxBuilder("DC1")
    builder.p("Notre DC1 : {{ organisation.name }}")
    builder.save(mine / "DC1.docx")
    result = drafting(mine)
    out = {p.name: p for p in result.files}
    assert out["memoire-technique.md"].read_text("utf-8") == "Notre mémoire pour AKTO\n"
    dc1 = [p.text for p in docx.Document(str(out["DC1.docx"])).paragraphs]
    assert dc1 == ["Notre DC1 : Exemple Formation & Conseil"]
    shipped_memoire = docx.Document(str(out["memoire-technique.docx"])).paragraphs
    assert shipped_memoire[0].text == "Mémoire technique"  # not overridden: the shipped one
    assert {n for n, _, own in templates_in_use(mine) if own} == {
        "memoire-technique.md.j2",
        "DC1.docx",
    }


@pytest.mark.parametrize(
    "source",
    [
        "{{ call.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ''.__class__.__base__.__subclasses__() }}",
    ],
)
def test_user_templates_are_sandboxed(tmp_path: Path, drafting: Drafting, source: str) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "checklist.md.j2").write_text(source)
    with pytest.raises(DraftError, match=r"checklist\.md\.j2.*(SecurityError|UndefinedError)"):
        drafting(mine)
    assert list((tmp_path / "out").iterdir()) == []  # nothing half-written


def test_a_user_docx_template_is_sandboxed_too(tmp_path: Path, drafting: Drafting) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    docx_with_runs(mine / "DC1.docx", ["{{ organisation.__class__.__mro__ }}"])
    with pytest.raises(DraftError, match=r"DC1\.docx.*(SecurityError|UndefinedError)"):
        drafting(mine)


def test_a_missing_templates_folder_is_a_clear_error(tmp_path: Path, drafting: Drafting) -> None:
    with pytest.raises(DraftError, match=r"templates folder .* does not exist"):
        drafting(tmp_path / "absent")


def test_web_text_is_never_a_template_even_in_user_templates(
    tmp_path: Path, drafting: Drafting
) -> None:
    from dataclasses import replace

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "checklist.html.j2").write_text("<h1>{{ call.title }}</h1>")
    title = "{% include 'opco-watch.toml' %}{{ lipsum() }}"
    result = drafting(mine, replace(sample_notice(), title=title))
    html = next(p for p in result.files if p.name == "checklist.html").read_text("utf-8")
    assert html == f"<h1>{title.replace(chr(39), '&#39;')}</h1>"


# ------------------------------------------------------- French documents: A4, fr-FR, names

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
PARTS = re.compile(r"^word/(document|styles|settings|footer\d*|header\d*)\.xml$")


def xml_parts(path: Path) -> dict[str, etree._Element]:
    with zipfile.ZipFile(path) as archive:
        return {n: etree.fromstring(archive.read(n)) for n in archive.namelist() if PARTS.match(n)}


def drafted_docx(drafting: Drafting) -> list[Path]:
    return [p for p in drafting(None).files if p.suffix == ".docx"]


def test_drafts_are_a4_with_french_margins(drafting: Drafting) -> None:
    files = drafted_docx(drafting)
    assert {p.name for p in files} >= {"memoire-technique.docx", "DC1.docx", "DC2-lot-1.docx"}
    for path in files:
        for section in docx.Document(str(path)).sections:
            size = (round(section.page_width.cm, 2), round(section.page_height.cm, 2))
            assert size == (21.0, 29.7), path.name
            margins = (section.top_margin, section.bottom_margin)
            margins += (section.left_margin, section.right_margin)
            assert {round(m.cm, 2) for m in margins} == {2.5}, path.name
            assert section.orientation == WD_ORIENT.PORTRAIT


def test_drafts_are_french_in_every_run_style_default_and_setting(drafting: Drafting) -> None:
    for path in drafted_docx(drafting):
        parts = xml_parts(path)
        runs = [r for name in parts for r in parts[name].iter(f"{W}r") if "styles" not in name]
        assert len(runs) > 20
        assert {_language(r.find(f"{W}rPr")) for r in runs} == {"fr-FR"}, path.name
        styles = parts["word/styles.xml"]
        default = styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr")
        assert _language(default) == "fr-FR"
        for style in styles.iter(f"{W}style"):
            if style.get(f"{W}type") != "numbering":
                assert _language(style.find(f"{W}rPr")) == "fr-FR", _name(style)
        theme = parts["word/settings.xml"].find(f"{W}themeFontLang")
        assert theme is not None and dict(theme.attrib) == {f"{W}val": "fr-FR"}
        with zipfile.ZipFile(path) as archive:
            xml = [archive.read(n) for n in archive.namelist() if n.endswith(".xml")]
        assert not [part for part in xml if b"en-US" in part], f"{path.name} still says en-US"
        assert docx.Document(str(path)).core_properties.language == "fr-FR"


def test_styles_word_shows_by_their_own_name_are_named_in_french(drafting: Drafting) -> None:
    for path in drafted_docx(drafting):
        styles = xml_parts(path)["word/styles.xml"].iter(f"{W}style")
        custom = {_name(s) for s in styles if s.get(f"{W}customStyle") == "1"}
        assert custom == {*FRENCH_NAMES.values(), TODO_STYLE, NOTE_STYLE}, path.name
        assert not [name for name in custom if "Char" in name or "Heading" in name]
        names = {s.name for s in docx.Document(str(path)).styles}
        assert {"Titre 1 Car", "Titre Car", "À compléter", "Indicateurs"} <= names
    assert FRENCH_NAMES["Heading 1 Char"] == "Titre 1 Car"


def test_the_shipped_templates_are_a4_and_french_too() -> None:
    for name in (DC1_DOCX, DC2_DOCX, MEMOIRE_DOCX):
        document = docx.Document(str(SHIPPED / name))
        section = document.sections[0]
        assert (round(section.page_width.cm, 2), round(section.page_height.cm, 2)) == (21.0, 29.7)
        with zipfile.ZipFile(SHIPPED / name) as archive:
            assert b"en-US" not in archive.read("word/styles.xml")


def _language(rpr: etree._Element | None) -> str | None:
    found = rpr.find(f"{W}lang") if rpr is not None else None
    return found.get(f"{W}val") if found is not None else None


def _name(style: etree._Element) -> str:
    name = style.find(f"{W}name")
    return name.get(f"{W}val", "") if name is not None else ""
