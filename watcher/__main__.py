"""``python -m watcher`` is the ``opco-watch`` command."""

from watcher.cli import main

main(prog_name="opco-watch")
