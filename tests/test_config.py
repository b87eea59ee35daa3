"""Configuration: defaults, the starter file, and each error explained with its key."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from responses.settings import example_toml
from scrapers.boamp import BoampOptions
from tests.conftest import ROOT, write_config
from watcher.cli import main
from watcher.config import load_config, validate_file
from watcher.config_check import check_config
from watcher.errors import ConfigError
from watcher.starter import settings_table, sources_table, starter_toml


def problems(tmp_path: Path, extra: str) -> list[str]:
    return [str(p) for p in validate_file(write_config(tmp_path, extra))]


def test_minimal_file_is_valid_and_layered_over_defaults(config_file: Path) -> None:
    config = load_config(config_file)
    assert config.organisation.name == "Test OF"
    assert config.fetch.timeout_seconds == 5
    assert config.fetch.per_host == 4  # default kept
    assert config.enabled_sources()[0] == "boamp" and "akto" in config.enabled_sources()
    assert config.data_dir == (config_file.parent / "data").resolve()


def test_user_agent_carries_the_contact_address(config_file: Path) -> None:
    settings = load_config(config_file).fetch_settings()
    assert "veille@test-of.fr" in settings.user_agent
    assert settings.user_agent.startswith("opco-watch/")


def test_starter_file_is_valid_toml_and_a_valid_config(tmp_path: Path) -> None:
    text = starter_toml()
    tomllib.loads(text)
    file = tmp_path / "opco-watch.toml"
    file.write_text(text, encoding="utf-8")
    assert validate_file(file) == []
    assert "# Longest wait for a connection or for the next bytes." in text  # help as comments


def test_unknown_key_suggests_the_right_one(tmp_path: Path) -> None:
    found = problems(tmp_path, "[store]\ndata_dri = 'x'\n")
    assert found == ["store.data_dri: unknown key\n  -> did you mean 'data_dir'?"]


def test_unknown_section_lists_known_keys(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, "[zzz]\na = 1\n")
    assert found.startswith("zzz: unknown key")
    assert "organisation" in found


def test_wrong_type_says_what_is_expected(tmp_path: Path) -> None:
    found = problems(tmp_path, "[sources.boamp]\nenabled = 'oui'\n")
    assert found == ["sources.boamp.enabled: must be true or false (got 'oui')"]


def test_bad_email_address(tmp_path: Path) -> None:
    file = tmp_path / "opco-watch.toml"
    file.write_text('[organisation]\ncontact_email = "veille-at-test"\n', encoding="utf-8")
    (found,) = [str(p) for p in validate_file(file)]
    assert found.startswith("organisation.contact_email: ")
    assert "email address" in found


def test_unknown_source_suggests_a_close_name(tmp_path: Path) -> None:
    found = problems(tmp_path, "[sources.bomap]\nenabled = true\n")
    assert found == ["sources.bomap: unknown source 'bomap'\n  -> did you mean 'boamp'?"]


def test_source_options_are_validated(tmp_path: Path) -> None:
    found = problems(tmp_path, "[sources.boamp]\nlookback_days = 0\nbuyer = ['AKTO']\n")
    assert any(p.startswith("sources.boamp.lookback_days:") for p in found)
    assert "sources.boamp.buyer: unknown key\n  -> did you mean 'buyers'?" in found


def test_source_options_reach_the_source(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, "[sources.boamp]\nbuyers = ['AKTO']\n"))
    options = config.source_options("boamp")
    assert isinstance(options, BoampOptions) and options.buyers == ["AKTO"]


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "absent.toml")
    assert "aucun fichier de configuration" in str(caught.value)
    assert "opco-watch init" in str(caught.value)


def test_invalid_toml_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "opco-watch.toml"
    file.write_text("[fetch]\ntimeout_seconds = = 3\n", encoding="utf-8")
    (found,) = [str(p) for p in validate_file(file)]
    assert "is not valid TOML" in found and "line 2" in found


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    file = write_config(tmp_path, "[store]\nfoo = 1\n[sources.akto]\nenabled = 'x'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(file)
    assert "2 problem(s)" in str(caught.value)
    assert "store.foo" in str(caught.value) and "sources.akto.enabled" in str(caught.value)


def test_readme_settings_table_is_up_to_date() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert settings_table() in readme, "README settings table is stale: paste settings_table()"


def test_readme_sources_table_is_up_to_date() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert sources_table() in readme, "README sources table is stale: paste sources_table()"


# -------------------------------------------------------------------- config check: one pass


def check(tmp_path: Path, extra: str = "") -> tuple[list[str], list[str]]:
    report = check_config(write_config(tmp_path, extra))
    return [str(e) for e in report.errors], [str(w) for w in report.warnings]


ESCAPE = "../" * 16 + "etc/hostname"  # climbs to the root from any temporary folder
DOCUMENTS = """
[documents]
folder = "pieces"
[[documents.items]]
kind = "kbis"
file = "kbis.pdf"
[[documents.items]]
kind = "nda"
file = "absent.pdf"
[[documents.items]]
kind = "urssaf"
file = "ESCAPE"
[[documents.items]]
kind = "fiscale"
file = "lien.pdf"
[[responses.trainers]]
name = "Claire"
cv = "../cv-hors-dossier.pdf"
"""


def test_check_finds_missing_and_escaping_documents(tmp_path: Path) -> None:
    (tmp_path / "pieces").mkdir()
    (tmp_path / "pieces" / "kbis.pdf").write_bytes(b"%PDF")
    (tmp_path / "cv-hors-dossier.pdf").write_bytes(b"%PDF")
    (tmp_path / "secret.txt").write_text("hors du dossier")
    (tmp_path / "pieces" / "lien.pdf").symlink_to(tmp_path / "secret.txt")
    errors, _ = check(tmp_path, DOCUMENTS.replace("ESCAPE", ESCAPE))
    folder = (tmp_path / "pieces").resolve()
    assert errors == [
        f"documents.items.1.file: file not found: {folder / 'absent.pdf'}\n"
        f"  -> put the file in {folder} or correct its name",
        f"documents.items.2.file: '{ESCAPE}' is outside the documents folder "
        f"{folder} (it leads to /etc/hostname)\n"
        "  -> copy the file into the documents folder and name it relative to it",
        f"documents.items.3.file: 'lien.pdf' is outside the documents folder {folder} "
        f"(it leads to {(tmp_path / 'secret.txt').resolve()})\n"
        "  -> copy the file into the documents folder and name it relative to it",
        f"responses.trainers.0.cv: '../cv-hors-dossier.pdf' is outside the documents folder "
        f"{folder} (it leads to {(tmp_path / 'cv-hors-dossier.pdf').resolve()})\n"
        "  -> copy the file into the documents folder and name it relative to it",
    ]
    assert check_config(tmp_path / "opco-watch.toml").config is None


def test_check_finds_a_missing_documents_folder_and_template_folders(tmp_path: Path) -> None:
    extra = (
        '[documents]\nfolder = "absent"\n[[documents.items]]\nkind = "kbis"\nfile = "k.pdf"\n'
        '[responses]\ntemplates_folder = "/nonexistent"\n'
        '[mail]\ntemplates_dir = "/nonexistent"\n'
    )
    errors, _ = check(tmp_path, extra)
    assert [e.split(":")[0] for e in errors] == [
        "documents.folder",
        "responses.templates_folder",
        "mail.templates_dir",
    ]
    assert errors[0].startswith(f"documents.folder: folder {(tmp_path / 'absent').resolve()} ")
    assert errors[2] == (
        "mail.templates_dir: folder /nonexistent does not exist\n"
        "  -> create it with your templates, or remove the setting to use the shipped ones"
    )


def test_no_documents_declared_needs_no_documents_folder(tmp_path: Path) -> None:
    assert check(tmp_path) == ([], [])


def test_check_reports_every_problem_in_one_pass(tmp_path: Path) -> None:
    extra = (
        "[store]\nfoo = 1\n"  # a schema error...
        '[mail]\ntemplates_dir = "/nonexistent"\n'  # ...does not hide the other sections'
        '[[mail.routes]]\nrecipient = "ouest@of.fr"\ndomains = ["Cuisine"]\n'
        '[[profile.domains]]\nname = "Management"\nphrases = ["management"]\n'
        'owner = "claire.martin@exemple-formation.fr"\n'
    )
    errors, warnings = check(tmp_path, extra)
    assert [e.split(":")[0] for e in errors] == [
        "store.foo",
        "mail.templates_dir",
        "mail.routes.0.domains",
    ]
    assert warnings == [
        "profile.domains.0.owner: 'claire.martin@exemple-formation.fr' is an example address "
        "from `opco-watch init`\n"
        "  -> write a real address: mail to an example address is refused over SMTP"
    ]


def test_the_starter_file_is_valid_but_warns_on_each_example_value(tmp_path: Path) -> None:
    file = tmp_path / "opco-watch.toml"
    file.write_text(starter_toml(), encoding="utf-8")
    report = check_config(file)
    assert report.errors == [] and report.config is not None
    keys = [w.key for w in report.warnings]
    assert keys == [
        "organisation.name",
        "organisation.contact_email",
        "profile.qualiopi.certificate_number",
        "profile.qualiopi.certifier",
        *(f"profile.domains.{i}.owner" for i in range(5)),
    ]
    # with the example documents and responses switched on, more made-up values show
    file.write_text(starter_toml().replace(example_toml(commented=True), example_toml()), "utf-8")
    more = {w.key for w in check_config(file).warnings} - set(keys)
    assert more == {
        "documents.items.0.number",
        "documents.items.0.certifier",
        "responses.address",
        "responses.phone",
        "responses.website",
        "responses.disability_referent.contact",
    }


def test_a_postal_or_web_example_address_gets_the_hint_of_a_printed_value(
    tmp_path: Path,
) -> None:
    """Only an email address is refused by mail; the example postal address and website are
    printed in drafts, so the hint is to write the organisation's own."""
    file = tmp_path / "opco-watch.toml"
    file.write_text(starter_toml().replace(example_toml(commented=True), example_toml()), "utf-8")
    hints = {w.key: w.hint for w in check_config(file).warnings}
    printed = "write your organisation's own value: drafts and mail would print this one"
    assert hints["responses.address"] == printed and hints["responses.website"] == printed
    assert hints["organisation.contact_email"].startswith("write a real address")


def test_an_example_default_left_unset_is_a_warning(tmp_path: Path) -> None:
    file = tmp_path / "opco-watch.toml"
    file.write_text('[organisation]\nsiret = "123 456 789 00012"\n', encoding="utf-8")
    assert [str(w) for w in check_config(file).warnings] == [
        "organisation.siret: '123 456 789 00012' is the example SIRET from `opco-watch init`\n"
        "  -> write your organisation's own value: drafts and mail would print this one",
        "organisation.name: not set: its default 'Mon organisme de formation' is the example "
        "organisation name from `opco-watch init`\n"
        "  -> write your organisation's own value: drafts and mail would print this one",
        "organisation.contact_email: not set: its default 'veille@example.org' is an example "
        "address from `opco-watch init`\n"
        "  -> write a real address: mail to an example address is refused over SMTP",
    ]


def test_cli_config_check_prints_errors_and_warnings_and_exits_2(tmp_path: Path) -> None:
    file = write_config(tmp_path, '[mail]\ntemplates_dir = "[/nope]"\nsender = "a@example.org"\n')
    result = CliRunner().invoke(main, ["--config", str(file), "config", "check"])
    assert result.exit_code == 2
    # said as the console's Réglages page says it (watcher.check_words)
    assert "✗ mail.templates_dir\u00a0: le dossier " in result.output and "[/nope]" in result.output
    said = "! mail.sender\u00a0: «\u00a0a@example.org\u00a0» est une adresse e-mail d'exemple"
    assert said in result.output
    file.write_text(file.read_text().replace('templates_dir = "[/nope]"\n', ""), "utf-8")
    result = CliRunner().invoke(main, ["--config", str(file), "config", "check"])
    assert result.exit_code == 0 and "est valide, 1\u00a0avertissement" in result.output


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            '[organisation]\nname = "Café"\n'.encode("latin-1"),
            "is not UTF-8 text: byte 0xe9 on line 2",
        ),
        (b"sources = [1, 2]\n", "sources: must be a table, like [section] (got [1, 2])"),
        (b'[[organisation]]\nname = "x"\n', "organisation: must be a table, like [section]"),
        (b"[organisation]\nname = 5\n", "organisation.name: must be text in quotes (got 5)"),
        (b"[documents]\nitems = { kind = 'nda' }\n", "documents.items: must be a list"),
        (b'[sources.akto]\nkind = ["x"]\n', "sources.akto.kind: must be text in quotes"),
        (b"[profile]\nregions = " + b"[" * 2000 + b"]" * 2000, "nested too deeply (from line 2)"),
        (b"[fetch]\nretries = " + b"9" * 5000, "cannot be read: a number has too many digits"),
        (b'[store]\ndata_dir = "d\\u0000"\n', "store.data_dir: a path cannot hold a NUL character"),
        (b"[fetch]\nretries = " + b"9" * 40, "fetch.retries: must be at most 10 (got a very large"),
    ],
)
def test_hostile_files_give_one_message_with_the_key(
    tmp_path: Path, data: bytes, message: str
) -> None:
    file = tmp_path / "opco-watch.toml"
    file.write_bytes(data)
    found = "\n".join(str(p) for p in validate_file(file))
    assert message in found
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(file)
