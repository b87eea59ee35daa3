"""A source's failure in French, for what people read (console, digest, the terminal's
``poll`` and ``sources`` tables).

The store keeps a failure as the logs say it, in English ("site unreachable: https://…",
``watcher.isolation.error_words``). The
fetch layer's phrases are a closed set (``watcher.fetch``, ``watcher.fetch_helpers``,
``watcher.robots``): each is translated here; anything else (a parser's own message) is shown
as it was written.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from watcher.fr import NBSP

#: (English phrase at the start of a failure, French) — groups are carried over
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(english), french)
    for english, french in (
        (r"^site unreachable", "site injoignable"),
        (r"^timed out", "pas de réponse à temps"),
        (r"^rate limited \(HTTP 429\)", "trop de demandes (HTTP 429)"),
        (r"^HTTP (\d{3}) without Location", r"HTTP \1 sans adresse de redirection"),
        (r"^more than (\d+) redirects", r"plus de \1 redirections"),
        (r"^response larger than (\d+) bytes", r"réponse de plus de \1 octets"),
        (r"^request failed \((.*)\)", r"la requête a échoué (\1)"),
        (r"^unsupported URL scheme (.*)", r"adresse d'un type non pris en charge (\1)"),
        (r"^blocked by robots\.txt", "refusé par le robots.txt du site"),
        (
            r"^no complete answer within (.*?) \(fetch\.request_deadline_seconds\)",
            r"pas de réponse complète en \1 (fetch.request_deadline_seconds)",
        ),
    )
)
_ROBOTS_UNREACHABLE = re.compile(
    r"^robots\.txt unreachable \((.*?)\) and no recent copy kept: every page of the host is "
    r"disallowed \(RFC 9309\), asked again at the next poll"
)
_ROBOTS_FRENCH = (
    "robots.txt illisible ({reason}) et aucune copie récente\u00a0: aucune page du site n'est "
    "lue (RFC 9309), nouvel essai au prochain passage"
)
_WAIT = re.compile(r", the site asks to wait (\d+) (s|min|h|days)\b")
_UNITS = {"s": "s", "min": "min", "h": "h", "days": "jours"}
_STATUS = re.compile(r"^HTTP (\d{3})")
#: the 4xx a source answers most, in French; others keep their number alone
_STATUS_WORDS = {
    401: "accès refusé (identification demandée)",
    403: "accès refusé",
    404: "page introuvable",
    410: "page supprimée",
}


def in_french(failure: str) -> str:
    """``failure`` (as the health table keeps it) in French: « site injoignable : https://… »;
    text the fetch layer did not write is left as it is."""
    words = failure.strip()
    robots = _ROBOTS_UNREACHABLE.match(words)
    if robots:  # its reason is a failure of its own: « robots.txt illisible (site injoignable) »
        rest = words[robots.end() :]
        return _french_colon(_ROBOTS_FRENCH.format(reason=in_french(robots[1])) + rest)
    for english, french in _PHRASES:
        if english.search(words):
            words = english.sub(french, words, count=1)
            break
    else:
        words = _STATUS.sub(_status_words, _without_phrase(words), count=1)
    words = _WAIT.sub(lambda m: f", le site demande d'attendre {m[1]} {_UNITS[m[2]]}", words)
    return _french_colon(words)


def _status_words(found: re.Match[str]) -> str:
    status = int(found[1])
    meaning = _STATUS_WORDS.get(status)
    if meaning is None and 500 <= status < 600:
        meaning = "erreur du site"
    return f"HTTP {status} ({meaning})" if meaning else f"HTTP {status}"


def _without_phrase(words: str) -> str:
    """« HTTP 404 not found: … » -> « HTTP 404: … » (``status_reason``'s English phrase)."""
    found = _STATUS.match(words)
    if found is None:
        return words
    try:
        phrase = " " + HTTPStatus(int(found[1])).phrase.lower()
    except ValueError:
        return words
    rest = words[found.end() :]
    return found[0] + rest[len(phrase) :] if rest.startswith(phrase) else words


def _french_colon(words: str) -> str:
    """« raison : adresse »: the colon before the URL gets its non-breaking space."""
    return re.sub(r"(?<=\S): (?=https?://)", f"{NBSP}: ", words, count=1)
