"""What `opco-watch config check` finds, in French for the Réglages page and the terminal.

The check's messages are the admin's CLI text, in English, built from a few fixed wordings
(``watcher.config_check``, ``watcher.notify.settings``); each is recognised here by its wording
and said again in French, keeping the values it names. A message this table does not know (a
validation error of a value, for instance) is shown as it is, marked as English for screen
readers. tests/test_web_review.py checks every wording the check produces on a starter file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from watcher.errors import ConfigError
from watcher.fr import NBSP

#: the example values' meanings (``watcher.examples``), in French
MEANINGS = {
    "the example SIRET": "le SIRET d'exemple",
    "the example NDA": "le numéro de déclaration d'activité d'exemple",
    "the example Qualiopi certificate number": "le numéro de certificat Qualiopi d'exemple",
    "the example certification body": "l'organisme certificateur d'exemple",
    "the example organisation name": "le nom d'organisme d'exemple",
    "the example phone number": "le numéro de téléphone d'exemple",
    "the example address": "l'adresse postale d'exemple",
    "an example address": "une adresse e-mail d'exemple",
    "an example web address": "une adresse web d'exemple",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem as the page shows it."""

    key: str
    message: str
    hint: str
    warning: bool
    #: False when the wording is not known: shown in English, as the CLI says it
    french: bool = True


def quoted(value: str) -> str:
    """A value as the check showed it (Python's repr of a string) between « »."""
    text = value.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return f"«{NBSP}{text}{NBSP}»"


def _example(found: re.Match[str]) -> str:
    meaning = MEANINGS.get(found["meaning"], found["meaning"])
    value = quoted(found["value"])
    if found["unset"]:
        return f"non renseigné{NBSP}: sa valeur par défaut {value} est {meaning} d'opco-watch init"
    return f"{value} est {meaning} d'opco-watch init"


#: (English wording of the message, its French rendering)
MESSAGES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(
            r"^(?P<unset>not set: its default )?(?P<value>.+) is (?P<meaning>.+) "
            r"from `opco-watch init`$"
        ),
        _example,
    ),
    (
        re.compile(r"^folder (?P<path>.+) does not exist$"),
        lambda m: f"le dossier {m['path']} n'existe pas",
    ),
    (
        re.compile(r"^folder (?P<path>.+) is not a folder$"),
        lambda m: f"{m['path']} n'est pas un dossier",
    ),
    (
        re.compile(
            r"^(?P<name>.+) is outside the documents folder (?P<folder>.+?)"
            r"(?: \(it leads to (?P<path>.+)\))?$"
        ),
        lambda m: (
            f"{quoted(m['name'])} est en dehors du dossier des documents {m['folder']}"
            + (f" (il mène à {m['path']})" if m["path"] else "")
        ),
    ),
    (
        re.compile(r"^file not found: (?P<path>.+)$"),
        lambda m: f"fichier introuvable{NBSP}: {m['path']}",
    ),
    (
        re.compile(r"^domain (?P<name>.+) is not a domain of the profile$"),
        lambda m: f"le domaine {quoted(m['name'])} n'est pas un domaine du profil",
    ),
    (
        re.compile(r"^an SMTP login is configured but (?P<env>\S+) is not set$"),
        lambda m: f"un identifiant SMTP est configuré mais {m['env']} n'est pas défini",
    ),
)

HINTS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"^write a real address: mail to an example address is refused over SMTP$"),
        lambda m: (
            f"écrivez une vraie adresse{NBSP}: un envoi SMTP vers une adresse d'exemple est refusé"
        ),
    ),
    (
        re.compile(r"^write your organisation's own value: drafts and mail would print this one$"),
        lambda m: (
            f"écrivez la valeur de votre organisme{NBSP}: les brouillons et les e-mails "
            "imprimeraient celle-ci"
        ),
    ),
    (
        re.compile(r"^create it and put the documents there, or set the folder that holds them$"),
        lambda m: "créez-le et mettez-y les documents, ou indiquez le dossier qui les contient",
    ),
    (
        re.compile(
            r"^create it with your templates, or remove the setting to use the shipped ones$"
        ),
        lambda m: (
            "créez-le avec vos modèles, ou retirez ce réglage pour utiliser les modèles fournis"
        ),
    ),
    (
        re.compile(r"^copy the file into the documents folder and name it relative to it$"),
        lambda m: "copiez le fichier dans le dossier des documents et nommez-le par rapport à lui",
    ),
    (
        re.compile(r"^put the file in (?P<folder>.+) or correct its name$"),
        lambda m: f"mettez le fichier dans {m['folder']} ou corrigez son nom",
    ),
    (
        re.compile(r"^known domains: (?P<names>.+)$"),
        lambda m: f"domaines connus{NBSP}: " + ("aucun" if m["names"] == "none" else m["names"]),
    ),
    (
        re.compile(
            r"^export (?P<env>\S+)=\.\.\. before starting opco-watch, "
            r"or remove mail\.username if the server needs no login$"
        ),
        lambda m: (
            f"exportez {m['env']}=… avant de lancer opco-watch, ou retirez mail.username "
            "si le serveur ne demande pas d'identifiant"
        ),
    ),
)


def finding(problem: ConfigError, *, warning: bool = False) -> Finding:
    """``problem`` in French when its wording is known, else as the CLI says it."""
    key = problem.key or ""
    lines = str(problem).split("\n  -> ")
    message = lines[0].removeprefix(f"{key}: ") if key else lines[0]
    hint = problem.hint or ""
    said = _translated(MESSAGES, message)
    if said is None:
        return Finding(key, message, hint, warning, french=False)
    return Finding(key, said, _translated(HINTS, hint) or hint, warning)


def _translated(
    table: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...], text: str
) -> str | None:
    for pattern, render in table:
        found = pattern.match(text)
        if found:
            return render(found)
    return None
