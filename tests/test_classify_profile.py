"""The profile: validation messages, defaults, and the shipped example."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest
from pydantic import ValidationError

from watcher.classify import Profile, example_profile_toml, load_example_profile
from watcher.classify.profile import Course, Domain, Qualiopi


def error(data: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        Profile.model_validate(data)
    return str(caught.value)


def test_empty_profile_is_valid_with_defaults() -> None:
    profile = Profile.model_validate({})
    assert profile.min_lead_days == 10 and profile.min_score == 50
    assert not profile.qualiopi.configured and profile.domains == []


def test_example_profile_is_a_valid_profile_section() -> None:
    data = tomllib.loads(example_profile_toml())
    assert set(data) == {"profile"}
    profile = load_example_profile()
    assert len(profile.domains) >= 4 and len(profile.catalogue) >= 3
    assert profile.qualiopi.configured and "actions de formation" in profile.qualiopi.categories
    assert all(domain.owner for domain in profile.domains)


def test_unknown_region_lists_the_valid_ones() -> None:
    message = error({"regions": ["Bretagn"]})
    assert "unknown region 'Bretagn'" in message
    assert (
        "Bretagne" in message and "Provence-Alpes-Côte d'Azur" in message and "Mayotte" in message
    )


def test_region_names_are_read_loosely_and_stored_officially() -> None:
    profile = Profile(regions=["ile de france", "PROVENCE ALPES COTE D'AZUR", "Réunion"])
    assert profile.regions == ["Île-de-France", "Provence-Alpes-Côte d'Azur", "La Réunion"]


def test_department_codes() -> None:
    assert Profile(departments=["5", "2a", "974"]).departments == ["05", "2A", "974"]
    message = error({"departments": ["20"]})
    assert "unknown department code '20'" in message and "2A, 2B" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"qualiopi": {"categories": ["CFA"]}}, "'actions de formation', 'bilans de compétences'"),
        ({"qualiopi": {"expires_on": "bientôt"}}, "expires_on"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
        ({"domains": [{"name": "Langues"}]}, "needs at least one phrase or CPV code"),
        ({"domains": [{"name": "L", "phrases": ["de la"]}]}, "has no content word"),
        ({"domains": [{"name": "L", "cpv": ["8058"]}]}, "is not 8 digits"),
        ({"domains": [{"name": "L", "phrases": ["FLE"], "owner": "sofia"}]}, "email"),
        (
            {"domains": [{"name": "L", "phrases": ["x1"]}, {"name": "l", "cpv": ["80580000"]}]},
            "unique",
        ),
        ({"catalogue": [{"title": "Excel", "modality": "online"}]}, "'présentiel', 'distanciel'"),
        ({"catalogue": [{"title": "Excel", "certification": "ABC1"}]}, "RNCP12345 or RS1234"),
        ({"catalogue": [{"title": "Excel", "duration_hours": 0}]}, "greater than 0"),
        ({"min_score": 120}, "less than or equal to 100"),
        ({"min_lead_days": -1}, "greater than or equal to 0"),
    ],
)
def test_validation_messages(data: dict[str, Any], expected: str) -> None:
    assert expected in error(data)


def test_values_are_normalised() -> None:
    course = Course(title="Excel", certification="rncp 35635")
    domain = Domain(name="Langues", phrases=[" anglais "], cpv=["80580000-3"])
    assert course.certification == "RNCP35635"
    assert domain.phrases == ["anglais"] and domain.cpv == ["80580000"]
    assert Qualiopi(categories=["VAE", "VAE"]).categories == ["VAE"]


def test_every_field_has_a_description() -> None:
    for model in (Profile, Domain, Course, Qualiopi):
        for name, info in model.model_fields.items():
            assert info.description, f"{model.__name__}.{name} has no help text"
