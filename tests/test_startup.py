"""Start-up (issue 12): ``opco-watch --help`` lists the commands without importing them, the
lazy registry's one-line helps are the commands' own, each command imports only what it uses
(real processes, ``sys.modules`` at exit), and the configuration reads the sources' lines
without importing a scraper."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from datetime import UTC, datetime
from importlib import import_module
from pathlib import Path
from typing import Any

import click
import pydantic
import pytest
from click.testing import CliRunner

from responses.sample import sample_notice
from scrapers.registry import PLATFORMS, SOURCES, Registry
from tests.conftest import write_config
from tests.test_responses_cli import DOCUMENTS
from watcher.cli import main
from watcher.cli.app import COMMANDS, LazyGroup
from watcher.config import config_from_bytes
from watcher.config_types import MAILBOX_NAMES, SPECIAL_USE_DOMAINS, EmailStr, plain_address
from watcher.store import Store

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


# ------------------------------------------------------------ each command imports what it uses

#: what no command below needs (on an empty database): the scrapers' parsers and fetcher, the
#: drafts' renderers, the calendar, PDFs, migrations tooling, machine learning
NOT_NEEDED = ("bs4", "soupsieve", "lxml", "httpx", "httpcore", "pygments", "docxtpl", "docx")
NOT_NEEDED += ("icalendar", "pypdf", "alembic", "mako", "sklearn", "apscheduler", "starlette")
NOT_NEEDED += ("jinja2", "scrapers.base", "sqlalchemy.dialects.postgresql")
#: the links' signer and the poll's progress line: no command below signs a link or polls
NOT_NEEDED += ("itsdangerous", "rich.progress")
#: the classifier and the drafts' checks: only a command that judges a call it found loads them
#: (``[profile]`` needs ``watcher.classify.profile`` alone)
CLASSIFIER: tuple[str, ...] = (
    "watcher.judging",
    "watcher.classify.classifier",
    "watcher.classify.relevance",
)
CLASSIFIER += ("watcher.classify.scoring", "watcher.classify.learn", "watcher.classify.batch")
NOT_NEEDED += (*CLASSIFIER, "watcher.classify.blockers", "responses.draft")
#: what checks an email address (with its international domain names): the starter file's
#: addresses are plain ones, checked without it
EMAIL = ("email_validator", "idna")
NOT_NEEDED += EMAIL
#: web text cleaned on its way into the store, robots.txt copies, the errors' French words:
#: for a poll, a source's failure shown
NOT_NEEDED += ("watcher.sanitise", "watcher.robots_memory", "watcher.failure_words")
#: no store either for these
NO_STORE = ("sqlalchemy", "watcher.store")
#: the outbox (alerts composed, messages queued): only for a command that sends or queues
OUTBOX = ("watcher.notify.queue", "watcher.notify.outbox", "watcher.notify.subjects")
SENDS = ("send", "reminders", "digest")
#: the grouping of notices into calls: only for a command that looks one call up
ONE_CALL = ("watcher.tenders", "watcher.activity")
LOOKS_ONE_UP = ("show", "status", "feedback", "draft")

#: prints the exit code and which of the modules asked for are loaded after `opco-watch ARGS`
COMMAND_PROBE = """
import json, sys
from watcher.cli import main
code = 0
try:
    main(args=sys.argv[1:], prog_name="opco-watch")
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": sorted(m for m in WATCHED if m in sys.modules)}))
"""

#: (arguments, its exit code on an empty database, what it may load of NOT_NEEDED, whether it
#: opens the store)
COMMAND_TABLE: tuple[tuple[tuple[str, ...], int, tuple[str, ...], bool], ...] = (
    (("list", "-n", "1"), 0, (), True),
    (("list", "--source", "akto", "--json"), 0, (), True),
    (("show", "1"), 4, (), True),
    (("sources", "--json"), 0, (), True),
    (("status", "1"), 4, (), True),
    (("feedback", "1", "relevant"), 4, (), True),
    (("documents", "--json"), 0, (), True),
    (("draft", "1"), 4, (), True),
    (("classify", "--input", "-"), 0, (*CLASSIFIER, "watcher.classify.blockers"), True),
    (("calendar", "-o", "-"), 0, ("icalendar",), True),
    (("send",), 0, (), True),
    (("reminders",), 0, (), True),
    (("digest", "--html", "digest.html"), 0, ("jinja2",), True),
    (("poll", "--source", "nosuch"), 2, (), False),
    (("config", "check"), 0, (), False),
    (("init", "--path", "starter.toml", "--force"), 0, (), False),
)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the starter configuration and its empty, migrated database."""
    folder = tmp_path_factory.mktemp("startup")
    for args in (("init", "--path", "opco-watch.toml"), ("sources",)):
        command = [sys.executable, "-m", "watcher", "--config", "opco-watch.toml", *args]
        subprocess.run(command, cwd=folder, capture_output=True, check=True)
    return folder


def command_loads(folder: Path, args: tuple[str, ...], watched: tuple[str, ...]) -> dict[str, Any]:
    code = f"WATCHED = {watched!r}\n{COMMAND_PROBE}"
    argv = [sys.executable, "-c", code, "--config", "opco-watch.toml", *args]
    done = subprocess.run(
        argv, cwd=folder, capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert done.stdout, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


@pytest.mark.parametrize(
    ("args", "code", "allowed", "store"),
    COMMAND_TABLE,
    ids=[" ".join(a) for a, *_ in COMMAND_TABLE],
)
def test_a_command_imports_only_what_it_uses(
    migrated: Path, args: tuple[str, ...], code: int, allowed: tuple[str, ...], store: bool
) -> None:
    """Each command loads its own libraries when it runs, not every command's (issue 12)."""
    watched = NOT_NEEDED + NO_STORE + ONE_CALL + OUTBOX + ("watcher.config",)
    found = command_loads(migrated, args, watched)
    assert found["code"] == code  # the command really ran (a config error would load less)
    assert "watcher.config" in found["loaded"]
    assert set(found["loaded"]) & set(NOT_NEEDED) <= set(allowed)
    if args[0] not in LOOKS_ONE_UP:
        assert not set(found["loaded"]) & set(ONE_CALL)
    if not store:
        assert not set(found["loaded"]) & set(NO_STORE)
    if args[0] not in SENDS:
        assert not set(found["loaded"]) & set(OUTBOX)


#: rich's console and tables, and the OPCOs' names (only a route naming OPCOs, or a call's
#: buyer shown, needs them)
RICH = ("rich.console", "rich.table", "rich.text")
PLAIN_OUTPUT = (("sources", "--json"), ("documents", "--json"), ("calendar", "-o", "-"))


@pytest.mark.parametrize("args", PLAIN_OUTPUT, ids=[" ".join(a) for a in PLAIN_OUTPUT])
def test_a_command_writing_no_table_never_imports_rich(
    migrated: Path, args: tuple[str, ...]
) -> None:
    """JSON or a calendar on stdout: the consoles are never built, rich is not imported."""
    found = command_loads(migrated, args, (*RICH, "watcher.notify.opco", "watcher.config"))
    assert found["code"] == 0
    assert "watcher.config" in found["loaded"]
    assert not set(found["loaded"]) & set(RICH)
    if args[0] != "calendar":  # its events name their buyer
        assert "watcher.notify.opco" not in found["loaded"]


def test_the_consoles_are_built_when_first_used() -> None:
    """``out`` and ``err`` are rich consoles once used: printing, options, ``with`` (rich's
    Live), an attribute set; stdout's console still ends the command on a closed pipe."""
    code = """
import io, sys
from watcher.cli import common
before = "rich.console" in sys.modules
common.out.print("bonjour")
from rich.console import Console
with common.err:
    common.err.print("erreur")
common.err.quiet = True
common.err.print("not shown")
print(before, isinstance(common.out.console, Console), common.out.width, common.err.console.quiet,
      type(common.out.console).on_broken_pipe is not Console.on_broken_pipe)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.splitlines() == ["bonjour", "False True 140 True True"], done.stderr
    assert done.stderr == "erreur\n"


def test_reading_the_configuration_imports_no_scraper(migrated: Path) -> None:
    """Source names, kinds and options are checked from the registry's lines."""
    code = """
import sys
from datetime import UTC, datetime
from scrapers.registry import PLATFORMS, SOURCES
from watcher.config import load_config
config = load_config("opco-watch.toml")
assert config.source_options("boamp").lookback_days == 30
scrapers = {e.target.partition(":")[0] for r in (SOURCES, PLATFORMS) for e in map(r.entry, r)}
heavy = {"bs4", "httpx", "lxml", "scrapers.base", *scrapers}
print(sorted(heavy & set(sys.modules)), len(scrapers))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=migrated, capture_output=True, text=True
    )
    assert done.stdout.strip() == "[] 16", done.stderr


@pytest.mark.parametrize("registry", [SOURCES, PLATFORMS], ids=["sources", "platforms"])
def test_registry_lines_are_their_classes(registry: Registry) -> None:
    """What the configuration and the listings read without importing a scraper is what the
    scraper's class says: its name, platform kind, description and settings."""
    for name, line in registry.lines.items():
        module, _, attribute = line.target.partition(":")
        cls = getattr(import_module(module), attribute)
        assert registry[name] is cls
        assert (cls.platform if registry is PLATFORMS else cls.name) == name
        assert (line.platform, line.description) == (cls.platform, cls.description())
        assert registry.options(name) is cls.Options
        assert getattr(import_module("scrapers.options"), line.options) is cls.Options
        assert (registry.description(name), registry.platform(name)) == (
            cls.description(),
            cls.platform,
        )


def test_a_class_added_at_run_time_is_a_source() -> None:
    """bench/opco_bench.py registers its sites' classes; the configuration accepts them."""
    cls = type("Extra", (SOURCES["akto"],), {"name": "extra-site", "__doc__": "Extra — a site."})
    SOURCES["extra-site"] = cls
    try:
        config = config_from_bytes(b"[sources.extra-site]\nenabled = false\n")
        assert config.source_class("extra-site") is cls
        assert config.source_description("extra-site") == "Extra — a site."
        assert "extra-site" in config.source_names()
        assert "extra-site" not in config.enabled_sources()
    finally:
        del SOURCES["extra-site"]
    assert list(SOURCES) == list(SOURCES.lines)


def test_help_imports_no_command_and_no_heavy_library() -> None:
    found = loaded_after("--help")
    assert found["heavy"] == []
    assert found["cli"] == ["watcher.cli.app", "watcher.cli.collector"]


def test_the_fetch_layer_leaves_httpx_s_command_line_client_out() -> None:
    """httpx imports its own command-line client (click, rich, pygments) when click is
    installed; a poll never runs it, so ``watcher.fetch`` keeps it out, and httpx (with the
    stub ``httpx.main`` it falls back to) works as before."""
    code = (
        "import sys, watcher.fetch, httpx\n"
        "names = ('pygments', 'rich.syntax', 'rich.progress')\n"
        "print(sorted(m for m in names if m in sys.modules))\n"
        "print(httpx.AsyncClient.__name__, callable(httpx.main))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[]", "AsyncClient True"]


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


def test_draft_loads_the_renderers_only_once_the_call_is_allowed(tmp_path: Path) -> None:
    """A refused draft (a required document expired) says why without loading docxtpl and
    jinja2; the draft written with --force loads them."""
    write_config(tmp_path, DOCUMENTS)
    (tmp_path / "documents").mkdir()
    for name in ("qualiopi.pdf", "urssaf.pdf"):
        (tmp_path / "documents" / name).write_bytes(b"%PDF-1.4")
    with Store.open(str(tmp_path / "data" / "opco-watch.db")) as store:
        store.upsert([sample_notice(datetime.now(UTC).date())], seen_at=datetime.now(UTC))
    renderers = ("docxtpl", "docx", "jinja2")
    refused = command_loads(tmp_path, ("draft", sample_notice().ref), renderers)
    assert refused == {"code": 2, "loaded": []}
    written = command_loads(tmp_path, ("draft", sample_notice().ref, "--force"), renderers)
    assert written == {"code": 0, "loaded": sorted(renderers)}


#: a configuration whose addresses email-validator alone judges (an international domain name)
INTERNATIONAL = (
    '[organisation]\ncontact_email = "veille@formation-société.fr"\n'
    '[[mail.routes]]\nrecipient = "bretagne@formation-société.fr"\nregions = ["Bretagne"]\n'
)


def test_email_validator_loads_for_an_address_that_is_not_plain(
    migrated: Path, tmp_path: Path
) -> None:
    """A command's help builds the configuration's models but validates no address; plain
    addresses (the starter file's) are validated without email-validator; an international
    one loads it."""
    helped = command_loads(migrated, ("status", "--help"), (*EMAIL, "watcher.config"))
    assert helped == {"code": 0, "loaded": ["watcher.config"]}
    checked = command_loads(migrated, ("sources", "--json"), (*EMAIL, "watcher.config"))
    assert checked == {"code": 0, "loaded": ["watcher.config"]}
    (tmp_path / "opco-watch.toml").write_text(INTERNATIONAL, encoding="utf-8")
    international = command_loads(tmp_path, ("sources", "--json"), EMAIL)
    assert international == {"code": 0, "loaded": list(EMAIL)}


def test_email_validator_is_checked_once_per_process(tmp_path: Path) -> None:
    """pydantic looks email-validator's version up in the installed packages' metadata for
    each field typed EmailStr; the configuration's address fields ask once."""
    (tmp_path / "opco-watch.toml").write_text(INTERNATIONAL, encoding="utf-8")
    code = """
import pydantic.networks as networks
asked = []
looked_up = networks.version
networks.version = lambda name: asked.append(name) or looked_up(name)
from watcher.cli import notify  # its TypeAdapter too
from watcher.config import load_config
load_config("opco-watch.toml")
print(asked.count("email-validator"))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.stdout.strip() == "1", done.stderr


def test_the_configuration_s_models_parse_no_signature_text(migrated: Path) -> None:
    """A builtin as a field's ``default_factory`` (``list``) makes pydantic tokenize its text
    signature for each field; the configuration's models are built without it."""
    code = """
import tokenize
calls = []
tokenizing = tokenize._tokenize
tokenize._tokenize = lambda *args, **kwargs: calls.append(1) or tokenizing(*args, **kwargs)
import scrapers.options
from watcher.config import load_config
load_config("opco-watch.toml")
print(len(calls))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=migrated, capture_output=True, text=True
    )
    assert done.stdout.strip() == "0", done.stderr


def addresses() -> list[str]:
    """Addresses near every edge of ``plain_address``: characters, case, dots, hyphens and
    Punycode, the top-level domain, reserved names, RFC 2142 mailboxes, lengths."""
    rng = random.Random(12)
    words = ["veille", "Claire.Martin", "a", "x_y", "a+b", "-a", "a-", "a..b", ".a", "a.", "é"]
    words += ["INFO", "Support", "postmaster", "a!b", "a b", '"a"', "A" * 64, "a" * 65]
    hosts = ["test-of.fr", "Test-OF.FR", "exemple-formation.fr", "ab--cd.fr", "xn--bcher-kva.de"]
    hosts += ["a-.fr", "-a.fr", "a..fr", "fr", "a.b", "a.c0m", "a.123", "x.test", "x.LOCAL"]
    hosts += ["localhost", "a.arpa", "a.onion", "a.invalid", "société.fr", "[127.0.0.1]"]
    hosts += ["a" * 63 + ".fr", "a" * 64 + ".fr", ".".join(["abcdefghi"] * 25) + ".fr"]
    found = [f"{w}@{h}" for w in words for h in hosts]
    found += ["", "@", "a@", "@a.fr", "a@b@c.fr", "Claire <claire@a.fr>", " a@b.fr", "a@b.fr\n"]
    found += ["a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".fr"]  # 254 characters, then 255
    found += ["a" * 64 + "@" + ".".join(["b" * 60] * 3) + ".frx"]
    for _ in range(3000):  # mostly plain characters, now and then another one
        local = "".join(rng.choice("aB9aB9._+-" * 9 + "é!<@ ") for _ in range(rng.randint(0, 8)))
        host = "".join(rng.choice("ab9ab9-." * 9 + "éB_") for _ in range(rng.randint(0, 8)))
        found.append(f"{local}@{host}.{rng.choice(['fr', 'Com', 'test', 'c0', 'x'])}")
    return found


def test_email_fields_check_as_pydantic_does() -> None:
    """The same verdicts and messages as pydantic's own EmailStr, for every address near the
    edges of the plain ones (checked without email-validator)."""
    ours, theirs = pydantic.TypeAdapter(EmailStr), pydantic.TypeAdapter(pydantic.EmailStr)
    plain = left = 0  # valid addresses checked here, and left to email-validator
    for address in addresses():
        try:
            expected = theirs.validate_python(address)
        except pydantic.ValidationError as error:
            with pytest.raises(pydantic.ValidationError) as raised:
                ours.validate_python(address)
            assert raised.value.errors() == error.errors(), address
        else:
            assert ours.validate_python(address) == expected, address
            plain, left = (plain + 1, left) if plain_address(address) else (plain, left + 1)
    assert plain > 400 and left > 100  # both sides of the edges are reached


def test_plain_addresses_follow_email_validator_s_lists() -> None:
    """``plain_address`` copies two of email-validator's lists: an upgrade that changes them
    shows here."""
    import email_validator
    from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

    assert set(CASE_INSENSITIVE_MAILBOX_NAMES) == MAILBOX_NAMES
    assert set(email_validator.SPECIAL_USE_DOMAIN_NAMES) == SPECIAL_USE_DOMAINS


# --------------------------------------------------------- the garbage collector while starting

#: runs `opco-watch ARGS` as the console script does (arguments from sys.argv, or given in
#: process with IN_PROCESS) and prints whether the collector ran while the command started,
#: once its configuration was loaded (the demo: when it began), and after the command
COLLECTOR_PROBE = """
import gc, json, sys
import watcher.cli.common as common
import watcher.cli.demo as demo
seen = {}
load = common.load
def spied(ctx, **kwargs):
    seen["starting"] = gc.isenabled()
    config = load(ctx, **kwargs)
    seen["working"], seen["frozen"] = gc.isenabled(), gc.get_freeze_count() > 0
    return config
def demo_spied(out, directory):
    seen["working"], seen["frozen"] = gc.isenabled(), gc.get_freeze_count() > 0
    return 0
common.load, demo.run_demo = spied, demo_spied
from watcher.cli import main
try:
    main(args=sys.argv[1:] if IN_PROCESS else None, prog_name="opco-watch")
except SystemExit:
    pass
seen["after"] = gc.isenabled()
print(json.dumps(seen))
"""


def collector_seen(folder: Path, args: tuple[str, ...], *, in_process: bool) -> dict[str, Any]:
    code = f"IN_PROCESS = {in_process!r}\n{COLLECTOR_PROBE}"
    argv = [sys.executable, "-c", code, "--config", "opco-watch.toml", *args]
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_collector_waits_for_the_configuration(migrated: Path) -> None:
    """Run as the program, a command starts with the collector paused; once its configuration
    is loaded, start-up's objects are frozen and the collector runs for the command's work."""
    seen = collector_seen(migrated, ("sources", "--json"), in_process=False)
    assert seen == {"starting": False, "working": True, "frozen": True, "after": True}


def test_the_demo_collects_once_it_begins(migrated: Path) -> None:
    """The demo builds its own configuration: the collector runs again before it begins."""
    seen = collector_seen(migrated, ("demo",), in_process=False)
    assert seen == {"working": True, "frozen": True, "after": True}


def test_a_command_in_process_leaves_the_collector_alone(migrated: Path) -> None:
    """Called with its arguments (tests, CliRunner), the group never pauses nor freezes."""
    seen = collector_seen(migrated, ("sources", "--json"), in_process=True)
    assert seen == {"starting": True, "working": True, "frozen": False, "after": True}


# --------------------------------------------------------------- the classify package, lazily


def test_the_profile_loads_without_the_classifier() -> None:
    """``watcher.classify``'s names load with their module on first use (issue 12)."""
    code = """
import sys
from watcher.classify.profile import Profile
import watcher.classify
print(sorted(m.rpartition(".")[2] for m in sys.modules if m.startswith("watcher.classify.")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "['cpv', 'geo', 'phrases', 'profile', 'text']", done.stderr


def test_every_name_of_the_classify_package_is_its_module_s() -> None:
    """Each public name is importable from the package and is the defining module's object;
    ``import *`` gives all of them; a wrong name is an AttributeError."""
    import watcher.classify as package

    for name in package.__all__:
        defining = import_module(f"watcher.classify.{package._MODULES[name]}")
        assert getattr(package, name) is getattr(defining, name)
        assert name in dir(package)
    assert set(package.__all__) == set(package._MODULES)
    namespace: dict[str, Any] = {}
    exec("from watcher.classify import *", namespace)
    assert set(package.__all__) <= set(namespace)
    with pytest.raises(AttributeError, match="nosuch"):
        package.nosuch  # noqa: B018
    assert import_module("watcher.classify.geo") is package.geo


# ----------------------------------------------------------- the configuration, validated once


def test_the_configuration_is_validated_once(
    migrated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loading (and checking) the file builds the models once, not once to find the problems
    and again to return the configuration."""
    from watcher import config as config_module
    from watcher import config_check

    built: list[Path] = []
    build = config_module.build_config

    def counted(base_dir: Path, raw: dict[str, Any]) -> config_module.Config:
        built.append(base_dir)
        return build(base_dir, raw)

    monkeypatch.setattr(config_module, "build_config", counted)
    monkeypatch.setattr(config_check, "build_config", counted, raising=False)
    file = migrated / "opco-watch.toml"
    assert config_module.load_config(file).base_dir == migrated
    assert len(built) == 1
    assert config_check.check_config(file).config is not None
    assert len(built) == 2
