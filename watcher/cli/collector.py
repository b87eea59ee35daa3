"""The garbage collector while a command starts (issue 12).

A command's start-up imports its libraries and builds its configuration: some 100,000
objects that live as long as the process. Python's cyclic collector scans young objects every
700 allocations, so it walks them over and over while they are built — about a tenth of a
command's start-up CPU, for no garbage found. When ``opco-watch`` runs as a program, the
collector is therefore paused from the start until the configuration is loaded; then what
start-up built is frozen (never scanned again: ``gc.freeze``) and the collector runs as usual
for the command's own work (a poll, ``run``, ``serve``). A command called in process (tests,
``CliRunner``) leaves the collector alone.
"""

from __future__ import annotations

import gc

_paused = False


def pause() -> None:
    """Stop automatic collections until ``resume`` (a no-op if they are already off)."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    """Start-up is over: freeze what it built and collect as usual again (only if ``pause``
    stopped the collector; called again, or without ``pause``, it does nothing)."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
