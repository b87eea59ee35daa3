"""What every CLI module shares: exit codes, consoles, error handling, config loading."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console

from watcher.config import Config, load_config
from watcher.errors import ConfigError, OpcoWatchError, StoreError

EXIT_PARTIAL, EXIT_CONFIG, EXIT_STORE, EXIT_NOT_FOUND, EXIT_ERROR = 1, 2, 3, 4, 5

# piped output gets a readable width rather than rich's 80 columns
out = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True)
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

    return wrapper  # type: ignore[return-value]


def fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    sys.exit(code)


def load(ctx: click.Context, *, required: bool = True) -> Config:
    """The configuration named by --config / $OPCO_WATCH_CONFIG / ./opco-watch.toml."""
    return load_config(ctx.find_root().obj, required=required)
