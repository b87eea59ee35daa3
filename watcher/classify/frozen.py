"""Frozen slotted dataclasses built fast, for the few the classifier makes per notice.

A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``, and setting
its slots through their descriptors (``Cls.__dict__[name].__set__``) is one C call per field:
either costs several times the fields' values. ``draft_of(cls)`` is instead a plain class with
the same slots: a draft is filled in by ordinary attribute stores, then given ``cls`` as its
class, which Python allows between classes of the same slots and base (``__class__``
assignment). The object is ``cls``'s from then on, frozen, before anyone else sees it.
"""

from __future__ import annotations

from typing import Any


def draft_of(cls: type) -> Any:
    """A mutable class with the slots of the frozen slotted dataclass ``cls`` (typed ``Any``:
    a draft's fields are stored as on ``cls``, then ``draft.__class__ = cls``)."""
    slots = cls.__dict__.get("__slots__")
    if slots is None or cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__} is not a slotted class of its own")
    return type(f"_{cls.__name__}Draft", (), {"__slots__": tuple(slots)})
