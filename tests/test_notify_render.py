"""Compiled email templates kept between processes (Jinja's bytecode cache), and what must
not change with it: a changed template is compiled again, the sandbox still holds, and a
cache folder that cannot be made only costs the compile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jinja2.sandbox import SandboxedEnvironment

from watcher.errors import NotifyError
from watcher.notify import render


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    render.environment.cache_clear()
    yield home
    render.environment.cache_clear()


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "modeles" / "email"
    folder.mkdir(parents=True)
    (folder / "essai.txt.j2").write_text("Bonjour {{ nom }}\n", encoding="utf-8")
    return folder.parent


def as_new_process(monkeypatch: pytest.MonkeyPatch, compile_allowed: bool) -> None:
    """A fresh environment, as the next command has; compiling refused if not allowed."""
    render.environment.cache_clear()
    if not compile_allowed:

        def refuse(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("the template was compiled again")

        monkeypatch.setattr(SandboxedEnvironment, "compile", refuse)


def test_the_next_command_reads_the_compiled_template_instead_of_compiling_it(
    cache_home: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert render.render("email/essai.txt.j2", {"nom": "Claire"}, templates) == "Bonjour Claire\n"
    assert len(list(cache_home.glob("opco-watch/templates-*/*.cache"))) == 1
    as_new_process(monkeypatch, compile_allowed=False)
    assert render.render("email/essai.txt.j2", {"nom": "Sofia"}, templates) == "Bonjour Sofia\n"


def test_a_changed_template_is_compiled_again(
    cache_home: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    render.render("email/essai.txt.j2", {"nom": "Claire"}, templates)
    (templates / "email" / "essai.txt.j2").write_text("Salut {{ nom }}\n", encoding="utf-8")
    as_new_process(monkeypatch, compile_allowed=True)
    assert render.render("email/essai.txt.j2", {"nom": "Claire"}, templates) == "Salut Claire\n"


def test_a_kept_template_is_still_sandboxed(cache_home: Path, templates: Path) -> None:
    escape = "{{ nom.__class__.__mro__[1].__subclasses__() }}"
    (templates / "email" / "essai.txt.j2").write_text(escape, encoding="utf-8")
    for _ in range(2):  # compiled, then read from the cache by a fresh environment
        with pytest.raises(NotifyError, match="unsafe"):
            render.render("email/essai.txt.j2", {"nom": "Claire"}, templates)
        render.environment.cache_clear()
    assert len(list(cache_home.glob("opco-watch/templates-*/*.cache"))) == 1


def test_a_cache_folder_that_cannot_be_made_only_costs_the_compile(
    tmp_path: Path, templates: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    render.environment.cache_clear()
    try:
        assert render.render("email/essai.txt.j2", {"nom": "Claire"}, templates) == (
            "Bonjour Claire\n"
        )
        assert render.environment(templates).bytecode_cache is None
    finally:
        render.environment.cache_clear()
