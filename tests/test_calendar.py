"""The .ics event of a deadline: it starts at the deadline instant, says the time in its
title, rings twice before, and names the call by its number with its link."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests.notify_data import T0, notice, poll, settings
from watcher.models import PARIS
from watcher.notify.calendar import calendar_ics
from watcher.notify.settings import NotifySettings
from watcher.store import Store

WINTER = datetime(2026, 3, 20, 12, 0, tzinfo=PARIS)  # 11:00 UTC
SUMMER = datetime(2026, 7, 3, 16, 30, tzinfo=PARIS)  # 14:30 UTC
HOSTILE = "Formation management \x1b]0;pwned\x07\x1b[2J\x9b31m fin"


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


def events(tmp_path: Path, config: NotifySettings) -> dict[str, Any]:
    with Store.open(tmp_path / "db.sqlite") as store:
        calls = [
            notice("W1", "Formation management hiver", deadline=WINTER),
            notice("S1", "Formation management été", deadline=SUMMER),
            notice("H1", HOSTILE, deadline=WINTER + timedelta(days=1)),
        ]
        poll(store, calls, config)
        feed = Calendar.from_ical(calendar_ics(store, config, T0))
    return {str(e["uid"]): e for e in feed.walk("VEVENT")}


def test_the_event_is_the_deadline_instant_with_the_time_in_its_title(
    tmp_path: Path, config: NotifySettings
) -> None:
    found = events(tmp_path, config)
    winter, summer = found["tender-1@of.fr"], found["tender-2@of.fr"]
    assert winter.decoded("dtstart") == WINTER and "dtend" not in winter
    assert winter["dtstart"].to_ical() == b"20260320T110000Z"
    assert summer["dtstart"].to_ical() == b"20260703T143000Z"
    assert str(winter["summary"]).startswith("12h00 — Date limite\u00a0: AKTO — ")
    assert str(summer["summary"]) == "16h30 — Date limite\u00a0: AKTO — Formation management été"


def test_two_alarms_and_the_call_number_with_its_link(
    tmp_path: Path, config: NotifySettings
) -> None:
    event = events(tmp_path, config)["tender-1@of.fr"]
    alarms = event.walk("VALARM")
    assert [a.decoded("trigger") for a in alarms] == [-timedelta(days=2), -timedelta(hours=2)]
    assert [str(a["description"]) for a in alarms] == [
        "Date limite dans 2 jours (12h00)",
        "Date limite dans 2 heures (12h00)",
    ]
    description = str(event["description"])
    assert description.startswith("Appel n°\u00a01 — statut\u00a0: nouveau\n")
    assert "Date limite\u00a0: vendredi 20 mars 2026 à 12h00" in description
    assert "Avis sur AKTO\u00a0: https://www.akto.fr/ao/W1" in description
    assert "opco-watch show 1" in description
    assert str(event["url"]) == "https://www.akto.fr/ao/W1"


def test_control_characters_from_the_web_never_reach_the_file(
    tmp_path: Path, config: NotifySettings
) -> None:
    event = events(tmp_path, config)["tender-3@of.fr"]
    summary = str(event["summary"])
    assert summary == "12h00 — Date limite\u00a0: AKTO — Formation management ]0;pwned[2J31m fin"
    with Store.open(tmp_path / "db.sqlite") as store:
        raw = calendar_ics(store, config, T0)
    assert not any(byte < 0x20 and byte not in b"\r\n" for byte in raw)
    assert "\x9b" not in raw.decode("utf-8")
