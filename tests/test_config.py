"""Configuration: defaults, the starter file, and each error explained with its key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from scrapers.boamp import BoampOptions
from tests.conftest import ROOT, write_config
from watcher.config import load_config, validate_file
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
    assert "# Timeout of one request." in text  # help texts are written as comments


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
    assert "no configuration file" in str(caught.value)
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
