"""The command line: a room of its own above the core (``watcher/`` minus ``cli/`` and ``web/``).

``app`` holds the ``opco-watch`` group; each sibling module holds the commands of one area.
Nothing in the core imports from here.
"""

from watcher.cli.app import main

__all__ = ["main"]
