"""ISO weeks ("2026-W10") in Paris time, and which week the scheduled digest is due for."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from watcher import fr
from watcher.errors import ConfigError
from watcher.models import PARIS
from watcher.notify.settings import ScheduleConfig

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, order=True, slots=True)
class Week:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Week:
        found = _ISO_WEEK.match(text.strip())
        try:
            if found is None:
                raise ValueError(text)
            return cls.of(date.fromisocalendar(int(found[1]), int(found[2]), 1))
        except ValueError:
            raise ConfigError(
                f"'{text}' is not an ISO week", hint="write it like 2026-W10"
            ) from None

    @classmethod
    def of(cls, day: date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def start(self) -> datetime:
        """Monday 00:00, Paris time."""
        return datetime.combine(self.monday, time(), tzinfo=PARIS)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.monday + timedelta(days=7), time(), tzinfo=PARIS)

    @property
    def words(self) -> str:
        """'semaine 10, du lundi 2 au dimanche 8 mars 2026'."""
        return fr.week_span(self.monday)

    def shifted(self, weeks: int) -> Week:
        return Week.of(self.monday + timedelta(weeks=weeks))


def last_slot(now: datetime, schedule: ScheduleConfig) -> datetime:
    """The latest scheduled digest time at or before ``now`` (Paris time)."""
    local = now.astimezone(PARIS)
    hour, minute = schedule.hour_minute(schedule.digest_time)
    back = (local.weekday() - WEEKDAYS.index(schedule.digest_day)) % 7
    day = local.date() - timedelta(days=back)
    slot = datetime.combine(day, time(hour, minute), tzinfo=PARIS)
    return slot if slot <= local else slot - timedelta(days=7)


def due_week(now: datetime, schedule: ScheduleConfig) -> Week:
    """The week the latest digest slot reports on: the last full week before the slot."""
    return Week.of(last_slot(now, schedule).date()).shifted(-1)
