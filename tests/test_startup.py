"""Start-up: ``opco-watch --help`` lists the commands without importing them (issue 12), and
the lazy registry's one-line helps are the commands' own."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import import_module

import click
import pytest
from click.testing import CliRunner

from watcher.cli import main
from watcher.cli.app import COMMANDS, LazyGroup

#: libraries only some commands need: the listing of the commands imports none of them
HEAVY = ("sqlalchemy", "httpx", "bs4", "alembic", "icalendar", "pypdf", "jinja2", "sklearn")
HEAVY += ("docxtpl", "starlette", "uvicorn", "pydantic", "scrapers", "responses")

#: prints which of HEAVY (and which project modules) are loaded after `opco-watch ARGS`
PROBE = """
import json, sys
from watcher.cli import main
try:
    main(args=sys.argv[1:], prog_name="opco-watch")
except SystemExit:
    pass
loaded = {name.split(".")[0] for name in sys.modules}
print(json.dumps({"heavy": sorted(loaded & set(HEAVY)),
                  "cli": sorted(m for m in sys.modules if m.startswith("watcher.cli."))}))
"""


def loaded_after(*args: str) -> dict[str, list[str]]:
    """What a real ``opco-watch ARGS`` process has imported when it is done."""
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_help_imports_no_command_and_no_heavy_library() -> None:
    found = loaded_after("--help")
    assert found["heavy"] == []
    assert found["cli"] == ["watcher.cli.app"]


def test_a_command_imports_only_its_own_module() -> None:
    found = loaded_after("status", "--help")
    assert "watcher.cli.notify" in found["cli"]
    assert not {"watcher.cli.web", "watcher.cli.db", "watcher.cli.responses"} & {*found["cli"]}


def test_help_lists_every_registered_command_with_its_own_help() -> None:
    listing = CliRunner().invoke(main, ["--help"], terminal_width=300).output
    for name in COMMANDS:
        command = real_command(name)
        assert f"  {name} " in listing
        assert command.get_short_help_str(300) in listing


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_registry_help_is_the_command_docstring_first_sentence(name: str) -> None:
    """The registry's text cannot drift from the command's docstring."""
    command = real_command(name)
    assert command.name == name
    assert COMMANDS[name][1] == command.get_short_help_str(10**6)


def test_help_listing_equals_the_eager_group_listing() -> None:
    """Shortened for a narrow terminal exactly as click does with the commands loaded."""
    eager = click.Group(main.name, params=main.params, help=main.help)
    for name in COMMANDS:
        eager.add_command(real_command(name), name)
    for width in (60, 80, 120):
        lazy_help = CliRunner().invoke(main, ["--help"], terminal_width=width).output
        eager_help = CliRunner().invoke(eager, ["--help"], terminal_width=width).output
        assert lazy_help.split("Commands:")[1] == eager_help.split("Commands:")[1]


def test_every_command_module_command_is_registered() -> None:
    """A command added to a CLI module but not to the registry would be unreachable."""
    modules = {COMMANDS[name][0].partition(":")[0] for name in COMMANDS}
    registered = {id(real_command(name)) for name in COMMANDS}
    for module in modules:
        for value in vars(import_module(module)).values():
            if isinstance(value, click.Command) and not _subcommand(value):
                assert id(value) in registered, f"{module}: {value.name} is not in COMMANDS"


def test_unknown_command_still_refused() -> None:
    result = CliRunner().invoke(main, ["nosuch"])
    assert result.exit_code == 2
    assert "No such command 'nosuch'" in result.output


def real_command(name: str) -> click.Command:
    module, _, attribute = COMMANDS[name][0].partition(":")
    command = getattr(import_module(module), attribute)
    assert isinstance(command, click.Command)
    return command


def _subcommand(command: click.Command) -> bool:
    """Registered through its group (``db init``, ``users add``...)."""
    groups = [real_command(name) for name in COMMANDS]
    return any(isinstance(g, click.Group) and command in g.commands.values() for g in groups)


def test_main_is_a_lazy_group() -> None:
    assert isinstance(main, LazyGroup)
