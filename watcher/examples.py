"""The made-up values of the starter file and the examples, recognised wherever they end up.

``opco-watch init`` writes a working example (an organisation, domain owners, documents) so
that the demo runs; an admin who keeps them and configures SMTP would mail made-up people and
print a fake SIRET. ``config check`` warns on each such value it finds, and the SMTP transport
refuses to deliver to an example address (writing ``.eml`` files stays fine).
"""

from __future__ import annotations

import re

#: domains reserved for examples (RFC 2606) and the one of the shipped examples
EXAMPLE_DOMAIN = re.compile(
    r"(?:^|\.)(?:example\.(?:org|com|net)|exemple-formation\.fr|[^.]+\.(?:example|invalid))$",
    re.IGNORECASE,
)
#: values of the examples that a real organisation never has, and what they stand for
EXAMPLE_VALUES = {
    "12345678900012": "the example SIRET",
    "53350912335": "the example NDA",
    "FR-2024-QUA-01234": "the example Qualiopi certificate number",
    "Bureau Certif Ouest": "the example certification body",
    "Mon organisme de formation": "the example organisation name",
    "02 99 00 00 00": "the example phone number",
    "12 rue de Brest, 35000 Rennes": "the example address",
}
_URL_HOST = re.compile(r"^https?://([^/:?#]+)", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
#: the same values without their spaces ("123 456 789 00012" is the example SIRET too)
_BY_DIGITS = {_SPACES.sub("", value): meaning for value, meaning in EXAMPLE_VALUES.items()}


def is_example_address(address: str) -> bool:
    """``claire.martin@exemple-formation.fr``, ``veille@example.org``: not a real mailbox."""
    domain = address.strip().rstrip(">").rpartition("@")[2]
    return "@" in address and bool(EXAMPLE_DOMAIN.search(domain))


#: what ``example_meaning`` says of an example email address (the one mail refuses)
EMAIL_MEANING = "an example address"


def example_meaning(value: str) -> str | None:
    """What an example value stands for ("an example address"), or None for a real value."""
    text = value.strip()
    if is_example_address(text):
        return EMAIL_MEANING
    host = _URL_HOST.match(text)
    if host and EXAMPLE_DOMAIN.search(host[1]):
        return "an example web address"
    return _BY_DIGITS.get(_SPACES.sub("", text))
