"""What every CLI module shares: exit codes, consoles, error handling, config loading, the
call a user designates, output files."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

import click

from watcher.cli import collector
from watcher.cli.safe import clean, line
from watcher.errors import ConfigError, OpcoWatchError, StoreError
from watcher.fr import NBSP

if TYPE_CHECKING:  # each command imports the store and the configuration where it uses them
    from rich.console import Console

    from watcher.calls import Lookup
    from watcher.config import Config
    from watcher.models import Tender
    from watcher.store import Store

EXIT_PARTIAL, EXIT_CONFIG, EXIT_STORE, EXIT_NOT_FOUND, EXIT_ERROR = 1, 2, 3, 4, 5
#: the reader of stdout went away (``| head``): the shells' code for a process ended by SIGPIPE
EXIT_BROKEN_PIPE = 128 + 13


def stop_writing_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit does not fail again
    on the closed pipe (Python's documented way, see the ``signal`` module's notes on SIGPIPE)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class LazyConsole:
    """A rich ``Console`` built when first used: a command that prints nothing through rich
    (``--json``, a file written) never imports ``rich.console`` (issue 12). Every attribute
    is the console's."""

    def __init__(self, build: Callable[[], Console]) -> None:
        object.__setattr__(self, "_build", build)
        object.__setattr__(self, "_console", None)

    @property
    def console(self) -> Console:
        if self._console is None:
            object.__setattr__(self, "_console", self._build())
        return cast("Console", self._console)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.console, name, value)

    def __enter__(self) -> Console:  # ``with console:`` (rich's Live) is looked up on the type
        return self.console.__enter__()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.console.__exit__(kind, exc, tb)


# Markup off: a string printed is shown as written, whatever brackets it holds (data from the
# web reaches the consoles; our own styles are given as Text, see safe.line). Piped output
# gets a readable width rather than rich's 80 columns.
def _stdout_console() -> Console:
    from rich.console import Console

    class Output(Console):
        """stdout's console: a reader that goes away ends the command as ``friendly`` does."""

        def on_broken_pipe(self) -> None:
            self.quiet = True
            stop_writing_stdout()
            raise SystemExit(EXIT_BROKEN_PIPE)

    width = None if sys.stdout.isatty() else 140
    return Output(width=width, markup=False, emoji=False, highlight=False)


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, emoji=False, highlight=False)


out = cast("Console", LazyConsole(_stdout_console))
err = cast("Console", LazyConsole(_stderr_console))
F = TypeVar("F", bound=Callable[..., Any])


def friendly(func: F) -> F:
    """Turn every OpcoWatchError into its message and an exit code: never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as error:
            fail(str(error), EXIT_CONFIG)
        except StoreError as error:
            fail(str(error), EXIT_STORE)
        except OpcoWatchError as error:
            fail(str(error), EXIT_ERROR)
        except BrokenPipeError:  # `opco-watch list | head`: stop quietly, as cat or git do
            stop_writing_stdout()
            sys.exit(EXIT_BROKEN_PIPE)
        except OSError as error:  # a file the command had to read or write
            fail(os_error_words(error), EXIT_ERROR)

    return wrapper  # type: ignore[return-value]


def fail(message: str, code: int) -> NoReturn:
    err.print(line((f"erreur{NBSP}:", "bold red"), " ", message), soft_wrap=True)
    sys.exit(code)


def os_error_words(error: OSError) -> str:
    where = f"{error.filename}: " if error.filename else ""
    return f"{where}{error.strerror or error}"


def load(ctx: click.Context, *, required: bool = True) -> Config:
    """The configuration named by --config / $OPCO_WATCH_CONFIG / ./opco-watch.toml."""
    from watcher.config import load_config

    try:
        config = load_config(ctx.find_root().obj, required=required)
    except OSError as error:  # a folder, a file that cannot be read
        words = os_error_words(error)
        raise ConfigError(f"impossible de lire la configuration{NBSP}: {words}") from None
    collector.resume()  # start-up is over: the command's own work collects its garbage
    return config


def check_source_names(cfg: Config, names: tuple[str, ...]) -> None:
    known = cfg.source_names()
    for name in names:
        if name not in known:
            known_words = f"connues{NBSP}: {', '.join(known)}"
            raise ConfigError(f"source inconnue «{NBSP}{name}{NBSP}»", hint=known_words)


# ----------------------------------------------------------------------------------- calls


def the_call(store: Store, ident: str) -> Tender:
    """The call ``ident`` designates (number, notice key or reference), or exit 4 saying why:
    unknown, or which calls it could be."""
    from watcher.calls import resolve

    found = resolve(store, ident)
    if found.tender is None:
        fail(not_found_words(found), EXIT_NOT_FOUND)
    return found.tender


def not_found_words(found: Lookup) -> str:
    typed = clean(found.typed, one_line=True)
    if not found.candidates:
        return (
            f"aucun appel «{NBSP}{typed}{NBSP}»{NBSP}: donnez le numéro de l'appel (celui des "
            "e-mails, de la synthèse et de `opco-watch list`), la clé d'un avis "
            "(boamp:26-91551) ou sa référence (26-91551)"
        )
    if len(found.candidates) == 1:
        key = clean(found.candidates[0].key)
        return f"«{NBSP}{typed}{NBSP}» est l'avis {key}, pas encore rattaché à un appel"
    listed = f"{NBSP}; ".join(clean(c.describe(), one_line=True) for c in found.candidates)
    return (
        f"«{NBSP}{typed}{NBSP}» peut désigner plusieurs appels{NBSP}: {listed} (donnez le "
        "numéro de l'appel)"
    )


# ------------------------------------------------------------------------------ output files


def output_file(path: Path, option: str) -> Path:
    """A file the user asked us to write: its folder must exist (nothing is created), and it
    must not be a folder itself. A ConfigError (exit 2) otherwise."""
    if path.is_dir():
        raise ConfigError(
            f"{option}{NBSP}: {clean(path)} est un dossier{NBSP}; donnez un nom de fichier"
        )
    _existing_parent(path, option)
    return path


def output_folder(path: Path, option: str) -> Path:
    """A folder the user asked us to write into: it may be created, but only inside an
    existing folder (a typo never creates folders at the root); not an existing file."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{option}{NBSP}: {clean(path)} est un fichier, pas un dossier")
    if not path.exists():
        _existing_parent(path, option)
    return path


def _existing_parent(path: Path, option: str) -> None:
    folder = path.parent
    if not folder.is_dir():
        words = "n'est pas un dossier" if folder.exists() else "n'existe pas"
        raise ConfigError(f"{option}{NBSP}: le dossier {clean(folder)} {words}")


@contextmanager
def writing(path: Path, option: str) -> Iterator[None]:
    """Writing the user's ``path``: a refusal of the system (rights, full disk) is exit 2 with
    the reason, never a traceback."""
    try:
        yield
    except OSError as error:
        raise ConfigError(
            f"{option}{NBSP}: impossible d'écrire {clean(path)}{NBSP}: {os_error_words(error)}"
        ) from None
