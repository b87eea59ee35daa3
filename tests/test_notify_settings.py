"""The [mail] and [schedule] sections: defaults, validation, the commented example."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from tests.notify_data import settings
from watcher.errors import ConfigError
from watcher.notify.settings import (
    PASSWORD_ENV,
    MailConfig,
    Route,
    ScheduleConfig,
    mail_problems,
    smtp_password,
)


def example() -> dict[str, dict[str, object]]:
    text = resources.files("watcher.notify").joinpath("example.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_absent_sections_validate_to_eml_files() -> None:
    mail, schedule = MailConfig(), ScheduleConfig()
    assert mail.smtp_host == "" and mail.routes == [] and schedule.digest_day == "mon"
    assert schedule.reminder_days == [7, 2]


@pytest.mark.parametrize("model", [MailConfig, ScheduleConfig, Route])
def test_every_field_is_described(model: type[BaseModel]) -> None:
    assert all(field.description for field in model.model_fields.values())


def test_the_example_validates_and_shows_every_setting() -> None:
    raw = example()
    assert MailConfig.model_validate(raw["mail"]) == MailConfig()
    assert ScheduleConfig.model_validate(raw["schedule"]) == ScheduleConfig()
    text = resources.files("watcher.notify").joinpath("example.toml").read_text("utf-8")
    for model in (MailConfig, ScheduleConfig, Route):
        missing = [k for k in model.model_fields if f"{k} =" not in text and f".{k}]]" not in text]
        assert not missing, f"{model.__name__}: {missing}"


@pytest.mark.parametrize(
    ("model", "values", "message"),
    [
        (MailConfig, {"smtp_hots": "x"}, "Extra inputs are not permitted"),
        (MailConfig, {"security": "tls"}, "'starttls', 'ssl' or 'none'"),
        (MailConfig, {"sender": "veille-at-of"}, "valid email address"),
        (ScheduleConfig, {"digest_time": "8h"}, "not a time like 08:00"),
        (ScheduleConfig, {"digest_day": "lundi"}, "'mon', 'tue'"),
        (ScheduleConfig, {"reminder_days": [90]}, "within 0..60"),
    ],
)
def test_bad_values_are_refused(
    model: type[BaseModel], values: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        model.model_validate(values)


def test_times_are_normalised() -> None:
    assert ScheduleConfig(digest_time="8:05").digest_time == "08:05"


def test_a_login_needs_the_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    mail = MailConfig(smtp_host="smtp.of.fr", username="veille")
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(ConfigError) as caught:
        smtp_password(mail)
    assert str(caught.value).startswith(
        f"mail.username: an SMTP login is configured but {PASSWORD_ENV}"
    )
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    assert smtp_password(mail) == "s3cret" and smtp_password(MailConfig()) is None


def test_mail_problems_name_unknown_domains_and_a_missing_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    config = settings(
        tmp_path,
        smtp_host="smtp.of.fr",
        username="veille",
        routes=[Route(recipient="x@of.fr", domains=["Langues", "Cuisine"])],
    )
    problems = [str(p) for p in mail_problems(config)]
    assert problems[0].startswith("mail.routes.0.domains: domain 'Cuisine' is not a domain")
    assert "known domains: Management, Langues, Bureautique" in problems[0]
    assert problems[1].startswith("mail.username:") and len(problems) == 2
