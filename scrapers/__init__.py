"""The sources: one module each (listed by ``scrapers.registry``), and what they share.

Beautiful Soup imports soupsieve, its CSS engine, as it is imported itself; soupsieve compiles
its grammar then (about 0.05 s of CPU in every process that parses a page). The readers match
their selectors without it (``scrapers.plaincss``) but for a few (``>``, ``:has()``…): until
one of those is used, ``soupsieve`` is a stand-in (``_Deferred``) that imports the real module
at its first use — any attribute read, written or deleted, from any thread — and passes it on.
A module that imports soupsieve afterwards gets the real one. The stand-in is put in place as
Beautiful Soup is imported (``_BeforeBeautifulSoup``): a process that never parses a page has
neither.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from typing import Any

_LOADING = threading.RLock()


class _Deferred(types.ModuleType):
    """A module imported at its first use (see the package's docstring)."""

    def __getattr__(self, name: str) -> Any:  # only for what the stand-in does not hold
        return getattr(_real(self.__name__), name)

    def __setattr__(self, name: str, value: Any) -> None:  # a test's monkeypatch, say
        setattr(_real(self.__name__), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(_real(self.__name__), name)


def _real(name: str) -> types.ModuleType:
    """The real module ``name``, imported once, the stand-in out of ``sys.modules``."""
    with _LOADING:
        if isinstance(sys.modules.get(name), _Deferred):
            del sys.modules[name]
        return importlib.import_module(name)


def defer(name: str) -> None:
    """``import name`` gives a stand-in until the module is used (unless already imported)."""
    if name not in sys.modules:
        sys.modules[name] = _Deferred(name)


class _BeforeBeautifulSoup:
    """A finder asked first about every module imported: at ``bs4``, soupsieve is deferred
    and the finder leaves (it finds nothing itself, the usual finders import bs4)."""

    @classmethod
    def find_spec(cls, name: str, path: object = None, target: object = None) -> None:
        if name == "bs4":
            if cls in sys.meta_path:
                sys.meta_path.remove(cls)
            defer("soupsieve")


if "bs4" not in sys.modules:
    sys.meta_path.insert(0, _BeforeBeautifulSoup)
