"""A call's deadlines when its lots close on other days than the call.

A notice may give each lot its own deadline (TED's ``deadline-receipt-tender-date-lot``: lot 2
closing a week after lot 1). The rules, everywhere a deadline is told or acted on:

- **the call's deadline** is ``Tender.deadline`` (the corrigendum's, else the latest a call
  gives; a TED notice's is its earliest lot's). Lists sort by it, grouping matches on it.
- **a lot's deadline** in force is the last corrigendum's that gives one for that lot, else
  the latest a call gives (the same rule as the call's). Lots are matched by number, else by
  title.
- a lot whose deadline differs from the call's is **told beside it**, with one wording
  (``words``): « jeudi 31 décembre 2026 à 12h00 — lot 2 : jeudi 7 janvier 2027 à
  12h00 »; when every lot closes with the call, nothing is added.
- every countdown (the list, the console, alerts, digests, ``show``, drafts) goes by the
  **earliest deadline at this instant or later**, else the last (``Deadlines.countdown``):
  lot 2's from the minute lot 1 closes, « dépassée » from the minute the last one has; its
  « J-5 » counts Paris days. Reminders and calendar events exist for **each distinct
  deadline**, labelled with its lots.
- a call is **still answerable** until its **last** deadline (``last``, ``open_until``,
  ``passed``; in SQL ``watcher.store.spans``): lot 2 can still be answered once lot 1 has
  closed. What is acted on by date (a list's order, the console's « échéance » filter) goes
  by the earliest deadline not passed (``ahead``).
- documents must be valid on the **deadline being answered** (``answered_by``): the
  countdown's for a draft (lot 2's once lot 1 has closed; with ``--lot``, that lot's), the
  earliest not passed on its day for a verdict (as the classifier's Qualiopi check).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from watcher import fr
from watcher.fr import NBSP
from watcher.models import DIGITS, PARIS, Lot, Notice, NoticeKind, Tender, in_force


@dataclass(frozen=True, slots=True)
class Moment:
    """One distinct deadline of a call: when, and which lots close then ("" for the call's
    own, which covers every lot not named elsewhere)."""

    at: datetime
    lots: str = ""
    #: for the call's own deadline when some lots close apart: the lots closing with it
    #: (« lot 1 »), which a reminder, a calendar event or a table row names
    with_call: str = ""

    @property
    def label(self) -> str:
        """« lot 2 : » before a lot's date, "" before the call's."""
        return f"{self.lots}{NBSP}: " if self.lots else ""

    @property
    def named(self) -> str:
        """The lots this deadline is for (« lot 2 », « lot 1 » for the call's), or ""."""
        return self.lots or self.with_call


@dataclass(frozen=True, slots=True)
class Deadlines:
    """The call's deadline first, then each other day some lots close, in time order."""

    moments: tuple[Moment, ...] = ()

    @property
    def last(self) -> datetime | None:
        """Until when some lot can still be answered."""
        return max((m.at for m in self.moments), default=None)

    @property
    def first(self) -> datetime | None:
        return min((m.at for m in self.moments), default=None)

    @property
    def split(self) -> bool:
        """Whether some lot closes on another day than the call."""
        return len(self.moments) > 1

    def soonest(self, now: datetime) -> Moment | None:
        """The earliest deadline at ``now`` or later (``ahead``), else the last: what a list
        ordered by the instant counts down to (lot 2's from the minute lot 1 closes)."""
        at = ahead([m.at for m in self.moments], now) or self.last
        return next((m for m in self.moments if m.at == at), None)

    def countdown(self, now: datetime) -> Countdown | None:
        """What every countdown says at ``now`` (None: no deadline): to ``soonest``."""
        moment = self.soonest(now)
        return None if moment is None else Countdown(moment, now)

    def passed(self, now: datetime) -> bool:
        return passed(self.last, now)

    def answered_by(self, now: datetime) -> datetime | None:
        """The deadline an answer made at ``now`` is for (``soonest``): the one a document
        must still be valid on (a draft's blockers, attachments and checklist)."""
        moment = self.soonest(now)
        return None if moment is None else moment.at

    def answered_by_day(self, today: date) -> datetime | None:
        """``answered_by`` for a verdict, which is made by the Paris date (the classifier's
        Qualiopi rule): the earliest deadline not passed on ``today``, else the call's."""
        open_on = [m.at for m in self.moments if m.at.astimezone(PARIS).date() >= today]
        return min(open_on, default=self.first)

    def between(self, start: datetime, end: datetime) -> tuple[Moment, ...]:
        return tuple(m for m in self.moments if start <= m.at < end)


def open_until(tender: Tender) -> datetime | None:
    """Until when the call can be answered: its last deadline, a lot's closing after the
    call's included (None: no deadline known)."""
    return of(tender).last


def passed(last: datetime | None, now: datetime) -> bool:
    """Whether a call whose last deadline is ``last`` can no longer be answered at ``now``
    (without a deadline, it can)."""
    return last is not None and last < now


@dataclass(frozen=True, slots=True)
class Countdown:
    """A countdown to ``moment`` at ``now``: passed by the instant, days by the Paris date."""

    moment: Moment
    now: datetime

    @property
    def passed(self) -> bool:
        return self.moment.at < self.now

    @property
    def days(self) -> int:
        """Paris days from ``now`` to the deadline (0: today, even once it has passed)."""
        return paris_days(self.moment.at, self.now)

    @property
    def words(self) -> str:
        """« J-5 », « aujourd'hui », « dépassée » (``countdown``)."""
        return countdown(self.moment.at, self.now)


def countdown(at: datetime, now: datetime) -> str:
    """Days left before a deadline, as bid teams write it: « J-5 », « aujourd'hui » (Paris
    days), « dépassée » from the minute it has passed (at 14h00, one of 12h00 today is)."""
    if at < now:
        return "dépassée"
    days = paris_days(at, now)
    return f"J-{days}" if days > 0 else "aujourd'hui"


def paris_days(at: datetime, now: datetime) -> int:
    """Days from ``now``'s Paris date to ``at``'s (negative for a day gone by)."""
    return (at.astimezone(PARIS).date() - now.astimezone(PARIS).date()).days


def ahead(moments: Sequence[datetime], now: datetime) -> datetime | None:
    """The earliest of ``moments`` at ``now`` or later (None when all have passed)."""
    return min((at for at in moments if at >= now), default=None)


def of(tender: Tender) -> Deadlines:
    """The tender's deadlines: the call's, then the lots' that differ from it."""
    return of_parts(tender.deadline, lot_deadlines(tender.notices))


def of_notice(notice: Notice) -> Deadlines:
    """One notice's deadlines (a draft's ``tender_notice``: the deadlines in force)."""
    return of_parts(notice.deadline, lot_deadlines([notice]))


def of_parts(call: datetime | None, lots: dict[str, datetime]) -> Deadlines:
    """The call's deadline (else its lots' earliest), then the lots' that differ from it."""
    call = call or min(lots.values(), default=None)
    if call is None:
        return Deadlines()
    others: dict[datetime, list[str]] = {}
    for key, at in lots.items():
        if at != call:
            others.setdefault(at, []).append(key)
    moments = [Moment(at, _lots_words(keys)) for at, keys in sorted(others.items())]
    same = [key for key, at in lots.items() if at == call]
    return Deadlines((Moment(call, with_call=_lots_words(same) if moments else ""), *moments))


def lot_deadlines(notices: Iterable[Notice]) -> dict[str, datetime]:
    """Per lot (« lot 2 », or the lot's title when it has no number), its deadline in force:
    the call's rule (``models.in_force``) over what each notice gives the lot."""
    given: dict[str, list[tuple[NoticeKind, datetime]]] = {}
    for notice in notices:
        for lot in notice.lots:
            if lot.deadline is not None:
                given.setdefault(lot_name(lot), []).append((notice.kind, lot.deadline))
    return {key: at for key, pairs in given.items() if (at := in_force(pairs)) is not None}


def by_lot(lots: Iterable[Lot]) -> dict[str, datetime]:
    """Per lot name, the last deadline ``lots`` give it (lots without one left out)."""
    return {lot_name(lot): lot.deadline for lot in lots if lot.deadline is not None}


def lot_name(lot: Lot) -> str:
    """« lot 2 » (a number as published: « 2 », « Lot 2 », « LOT-0002 »), else its title."""
    number = lot.ordinal
    if number is not None:
        return f"lot {number}"
    return f"lot {lot.number}" if lot.number else f"lot «{NBSP}{lot.title}{NBSP}»"


def _lots_words(keys: list[str]) -> str:
    """« lot 2 », « lots 2 et 3 », « lots 2, 3 et 5 » ("" for none)."""
    if len(keys) <= 1:
        return keys[0] if keys else ""
    names = [k.removeprefix("lot ") for k in sorted(keys, key=_number_first)]
    return f"lots {', '.join(names[:-1])} et {names[-1]}"


def _number_first(key: str) -> tuple[int, str]:
    digits = DIGITS.fullmatch(key.removeprefix("lot "))
    return (int(digits[0]), "") if digits else (10**9, key)


def words(told: Deadlines, when: Callable[[datetime], str] = fr.long_datetime) -> str:
    """« jeudi 31 décembre 2026 à 12h00 — lot 2 : jeudi 7 janvier 2027 à 12h00 » ("" when
    there is no deadline): what every email, digest, command and draft says (``when`` words
    each date: a table's « 31/12/2026 12:00 »)."""
    return " — ".join(moment_words(m, when) for m in told.moments)


def around(
    told: Deadlines, counted: Moment, when: Callable[[datetime], str] = fr.long_datetime
) -> tuple[str, str]:
    """``words`` cut right after the deadline a countdown counts to, so that the countdown
    stands beside its own date: (« jeudi 31 décembre 2026 à 12h00 — lot 2 : jeudi 7 janvier
    2027 à 12h00 », "") for lot 2's, (« jeudi 31 décembre 2026 à 12h00 », « — lot 2 : … »)
    for the call's."""
    index = told.moments.index(counted)
    head = " — ".join(moment_words(m, when) for m in told.moments[: index + 1])
    tail = "".join(f" — {moment_words(m, when)}" for m in told.moments[index + 1 :])
    return head, tail


def counted_words(told: Deadlines, now: datetime) -> str:
    """``words`` with the countdown at ``now`` beside the date it counts to: « jeudi 31
    décembre 2026 à 12h00 (J-3) — lot 2 : jeudi 28 janvier 2027 à 12h00 »."""
    countdown = told.countdown(now)
    if countdown is None:
        return ""
    head, tail = around(told, countdown.moment)
    return f"{head} ({countdown.words}){tail}"


def moment_words(moment: Moment, when: Callable[[datetime], str] = fr.long_datetime) -> str:
    """One deadline with its lots: « lot 2 : jeudi 7 janvier 2027 à 12h00 »."""
    return f"{moment.label}{when(moment.at)}"


def named_words(moment: Moment) -> str:
    """One deadline with the lots it is for, the call's too when lots close apart: « lot 1 :
    jeudi 31 décembre 2026 à 12h00 » (a reminder, a calendar event, a table row)."""
    prefix = f"{moment.named}{NBSP}: " if moment.named else ""
    return f"{prefix}{fr.long_datetime(moment.at)}"
