"""Matching: the organisation's profile and an explainable classifier of calls for tenders.

Stage 1 asks whether a notice is a call a training organisation can answer at all
(``relevance.py``, vocabulary in ``vocabulary.py``); stage 2 scores its fit to the profile
(``scoring.py``); blockers are listed whatever the score (``blockers.py``). ``Classifier`` puts
them together; ``learn.py`` moves the verdict with the users' judgements (``crossval.py``
measures it).

The names below load with their module on first use (PEP 562): reading the configuration's
``[profile]`` (``watcher.classify.profile``) does not import the classifier (issue 12).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcher.classify.batch import BatchStats, classify_jsonl, verdict_json
    from watcher.classify.classifier import Classifier, Verdict
    from watcher.classify.crossval import CrossValidation, cross_validate
    from watcher.classify.document import Document, RecordError, from_notice, from_record
    from watcher.classify.evaluate import (
        EvalReport,
        baseline_relevant,
        evaluate_jsonl,
        format_report,
        label_topics,
    )
    from watcher.classify.learn import Learner, train
    from watcher.classify.profile import (
        QUALIOPI_CATEGORIES,
        Course,
        Domain,
        Profile,
        Qualiopi,
        example_profile_toml,
        load_example_profile,
    )
    from watcher.classify.text import fold, stem, stems

#: each public name -> the module that defines it
_MODULES = {
    **dict.fromkeys(("BatchStats", "classify_jsonl", "verdict_json"), "batch"),
    **dict.fromkeys(("Classifier", "Verdict"), "classifier"),
    **dict.fromkeys(("CrossValidation", "cross_validate"), "crossval"),
    **dict.fromkeys(("Document", "RecordError", "from_notice", "from_record"), "document"),
    **dict.fromkeys(
        ("EvalReport", "baseline_relevant", "evaluate_jsonl", "format_report", "label_topics"),
        "evaluate",
    ),
    **dict.fromkeys(("Learner", "train"), "learn"),
    **dict.fromkeys(("QUALIOPI_CATEGORIES", "Course", "Domain", "Profile", "Qualiopi"), "profile"),
    **dict.fromkeys(("example_profile_toml", "load_example_profile"), "profile"),
    **dict.fromkeys(("fold", "stem", "stems"), "text"),
}

__all__ = [
    "QUALIOPI_CATEGORIES",
    "BatchStats",
    "Classifier",
    "Course",
    "CrossValidation",
    "Document",
    "Domain",
    "EvalReport",
    "Learner",
    "Profile",
    "Qualiopi",
    "RecordError",
    "Verdict",
    "baseline_relevant",
    "classify_jsonl",
    "cross_validate",
    "evaluate_jsonl",
    "example_profile_toml",
    "fold",
    "format_report",
    "from_notice",
    "from_record",
    "label_topics",
    "load_example_profile",
    "stem",
    "stems",
    "train",
    "verdict_json",
]


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (then kept in the package)."""
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
