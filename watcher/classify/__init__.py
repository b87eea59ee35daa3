"""Matching: the organisation's profile and an explainable classifier of calls for tenders.

Stage 1 asks whether a notice is a call a training organisation can answer at all
(``relevance.py``, vocabulary in ``vocabulary.py``); stage 2 scores its fit to the profile
(``scoring.py``); blockers are listed whatever the score (``blockers.py``). ``Classifier`` puts
them together; ``learn.py`` refines the verdict with the users' judgements.
"""

from typing import Any

from watcher.classify.batch import BatchStats, classify_jsonl, verdict_json
from watcher.classify.classifier import Classifier, Verdict
from watcher.classify.document import Document, RecordError, from_notice, from_record
from watcher.classify.evaluate import (
    EvalReport,
    baseline_relevant,
    evaluate_jsonl,
    format_report,
    label_topics,
)
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

# learn.py pulls in scikit-learn (about a second to import): loaded on first use only, so
# that every CLI command (and the config loader, which reads the profile) starts fast
_LAZY = {
    "MIN_PER_CLASS",
    "CrossValidation",
    "LearnedModel",
    "cross_validate",
    "cross_validate_profile",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from watcher.classify import learn

        return getattr(learn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MIN_PER_CLASS",
    "QUALIOPI_CATEGORIES",
    "BatchStats",
    "Classifier",
    "Course",
    "CrossValidation",
    "Document",
    "Domain",
    "EvalReport",
    "LearnedModel",
    "Profile",
    "Qualiopi",
    "RecordError",
    "Verdict",
    "baseline_relevant",
    "classify_jsonl",
    "cross_validate",
    "cross_validate_profile",
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
    "verdict_json",
]
