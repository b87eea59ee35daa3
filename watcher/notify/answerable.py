"""Whether a user can still answer a call, and if not, why: what the digest counts.

A call is **to answer** when it is open (not closed, not awarded or cancelled), its deadline
has not passed (its last one, when lots close on other days: ``watcher.deadlines``), nothing
blocks it (the classifier's blockers: region not served, Qualiopi category missing, deadline
too close...) and nobody set it aside (no-go, won, lost). Every other relevant call is listed
apart with the reason, in French.
"""

from __future__ import annotations

from datetime import datetime

from watcher import deadlines
from watcher.fr import NBSP
from watcher.models import NoticeKind, Tender
from watcher.notify.context import STATUS_LABELS
from watcher.notify.queries import Judged
from watcher.pertinence import DROPPED, IN_PROGRESS

#: statuses a user gives a call they will not (or no longer) answer
SET_ASIDE = ("no-go", "won", "lost")
#: the kinds of reason, in the order the digest counts them
REASONS = ("closed", "set_aside", "passed", "blocked")


def set_aside_reason(judged: Judged, now: datetime) -> tuple[str, str] | None:
    """(kind, French words) of why the call cannot be answered, or None when it can."""
    tender = judged.tender
    closing = _closing(tender)
    if closing:
        return "closed", closing
    if tender.status in SET_ASIDE:
        return "set_aside", f"marqué «{NBSP}{STATUS_LABELS[tender.status]}{NBSP}»"
    passed = _passed(deadlines.of(tender), now)
    if passed:
        return "passed", passed
    blockers = judged.match.blockers if judged.match is not None else ()
    if blockers:
        return "blocked", f"bloqué{NBSP}: " + f"{NBSP}; ".join(blockers)
    return None


def followed(judged: Judged, now: datetime) -> bool:
    """A call whose deadline the team follows — the digest's « dates limites » and the
    calendar alike: being answered (go, offer submitted), or relevant and answerable, or
    answerable but for its deadline having passed (the calendar keeps the last 30 days).
    A blocked, awarded or set-aside call is not followed unless someone marked it go."""
    status = judged.tender.status
    if status in DROPPED:
        return False
    if status in IN_PROGRESS:
        return True
    reason = set_aside_reason(judged, now)
    return judged.relevant and (reason is None or reason[0] == "passed")


def _passed(told: deadlines.Deadlines, now: datetime) -> str:
    """Words for a call whose every deadline has passed (its lots' too: one still open can be
    answered), else ""."""
    if not told.passed(now):
        return ""
    if not told.split:
        return f"date limite dépassée ({deadlines.words(told)})"
    latest = max(told.moments, key=lambda m: m.at)
    return f"dates limites dépassées (la dernière{NBSP}: {deadlines.moment_words(latest)})"


def _closing(tender: Tender) -> str:
    kinds = {n.kind for n in tender.notices}
    if NoticeKind.CANCELLATION in kinds:
        return "annulé par l'acheteur"
    if NoticeKind.AWARD in kinds:
        return f"attribué à {tender.winner}" if tender.winner else "attribué"
    return "consultation close" if tender.closed else ""
