"""A source's failure in French: each phrase the fetch layer writes, as its code writes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcher.errors import FetchError
from watcher.failure_words import in_french
from watcher.fetch_helpers import duration, status_reason
from watcher.isolation import error_words
from watcher.robots import BLOCKED, when_unreachable

URL = "https://www.akto.fr/appels-d-offres/"
#: what a robots.txt may fail with, in French
REASONS = (("site unreachable", "site injoignable"), ("timed out", "pas de réponse à temps"))


def stored(reason: str) -> str:
    """What the health table keeps for a fetch failure with ``reason``."""
    return error_words(FetchError("akto", URL, reason))


@pytest.mark.parametrize(
    ("reason", "french"),
    [
        ("site unreachable", "site injoignable"),
        ("timed out", "pas de réponse à temps"),
        (status_reason(404), "HTTP 404 (page introuvable)"),
        (status_reason(403), "HTTP 403 (accès refusé)"),
        (status_reason(503), "HTTP 503 (erreur du site)"),
        (status_reason(418), "HTTP 418"),
        (
            f"{status_reason(429)}, the site asks to wait {duration(1200)}",
            "trop de demandes (HTTP 429), le site demande d'attendre 20 min",
        ),
        (f"more than {5} redirects", "plus de 5 redirections"),
        ("response larger than 5000000 bytes", "réponse de plus de 5000000 octets"),
        (BLOCKED, "refusé par le robots.txt du site"),
    ],
)
def test_each_fetch_failure_reads_in_french(reason: str, french: str) -> None:
    assert in_french(stored(reason)) == f"{french}\u00a0: {URL}"


def test_an_unreachable_robots_txt_reads_in_french() -> None:
    for reason, french in (("HTTP 503", "HTTP 503 (erreur du site)"), *REASONS):
        rules = when_unreachable("akto", URL + "robots.txt", reason, None, datetime.now(UTC))
        assert rules is not None
        words = in_french(stored(rules.refusal))
        assert words.startswith(f"robots.txt illisible ({french}) et aucune copie récente\u00a0:")
        assert words.endswith(f"prochain passage\u00a0: {URL}")
        assert "unreachable" not in words and "disallowed" not in words


def test_a_message_the_fetch_layer_did_not_write_is_left_as_written() -> None:
    assert in_french("[akto] no call found on the listing") == "[akto] no call found on the listing"
    assert in_french("") == ""
