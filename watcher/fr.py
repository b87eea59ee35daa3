"""French wording for users: dates ("lundi 2 mars 2026"), times ("à 12h00"), amounts
("12 000 € HT"), notice kinds. Independent of the system locale."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from watcher.models import PARIS, NoticeKind, Tender

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
KINDS = {
    NoticeKind.CALL: "avis de marché",
    NoticeKind.CORRIGENDUM: "rectificatif",
    NoticeKind.AWARD: "avis d'attribution",
    NoticeKind.CANCELLATION: "annulation",
}
NARROW_NBSP = "\u202f"  # French typography: thin non-breaking space between thousands
NBSP = "\u00a0"  # after « n° », before « : », inside « »


def long_date(day: date) -> str:
    """'lundi 2 mars 2026' ('1er' for the first of the month)."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{DAYS[day.weekday()]} {number} {MONTHS[day.month - 1]} {day.year}"


def long_datetime(moment: datetime) -> str:
    """'vendredi 6 mars 2026 à 12h00', in Paris time."""
    local = moment.astimezone(PARIS)
    return f"{long_date(local.date())} à {local.hour}h{local.minute:02d}"


def amount(value: Decimal | int | float, *, suffix: str = "€ HT") -> str:
    """'12 000 € HT'; cents only when there are some ('1 234,50 € HT')."""
    quantized = Decimal(value).quantize(Decimal("0.01"))
    units, cents = f"{quantized:,.2f}".split(".")
    text = units.replace(",", NARROW_NBSP)
    if cents != "00":
        text += f",{cents}"
    return f"{text} {suffix}".strip()


#: a low bound at or under this is a placeholder typed to fill the form ("1 €"), not a floor
_PLACEHOLDER_FLOOR = Decimal(1)


def estimate(low: Decimal | None, high: Decimal | None = None, *, suffix: str = "€ HT") -> str:
    """An estimated value as published: '75 000 € HT', 'jusqu'à 75 000 € HT' (a range whose
    floor is a placeholder, or no floor), 'entre 10 000 et 75 000 € HT'; '' when unknown."""
    if high is None or high == low:
        return amount(low, suffix=suffix) if low is not None else ""
    if low is None or low <= _PLACEHOLDER_FLOOR:
        return f"jusqu'à {amount(high, suffix=suffix)}"
    return f"entre {amount(low, suffix='')} et {amount(high, suffix=suffix)}"


def kind_label(kind: NoticeKind) -> str:
    return KINDS[kind]


def closed_words(tender: Tender) -> str:
    """What closed a call, as every page and command says it: « annulé », « attribué » (a
    notice of award; its winner is said beside it where known), « clôturé » (closed otherwise);
    "" for a call still open."""
    kinds = {notice.kind for notice in tender.notices}
    if NoticeKind.CANCELLATION in kinds:
        return "annulé"
    if NoticeKind.AWARD in kinds or tender.winner:
        return "attribué"
    return "clôturé" if tender.closed else ""


def amount_label(kind: NoticeKind) -> str:
    """What an amount is: an award notice states what was awarded, the others an estimate."""
    return "Montant attribué" if kind == NoticeKind.AWARD else "Montant estimé"


def week_span(monday: date) -> str:
    """'semaine 10, du lundi 2 au dimanche 8 mars 2026' for the ISO week starting ``monday``."""
    sunday = monday + timedelta(days=6)
    first = long_date(monday)
    if monday.year == sunday.year:  # drop what the Sunday repeats: the year, then the month
        first = first.rsplit(" ", 2 if monday.month == sunday.month else 1)[0]
    return f"semaine {monday.isocalendar().week}, du {first} au {long_date(sunday)}"


def megabytes(value: float) -> str:
    """'10 Mo', '2,5 Mo' (a size limit as users read it)."""
    number = f"{value:.1f}".removesuffix(".0").replace(".", ",")
    return f"{number}{NBSP}Mo"


def noun(count: int, one: str, several: str = "") -> str:
    """French agreement: singular up to 1 ('0 appel', '1 appel'), plural from 2 ('2 appels');
    ``several`` defaults to ``one`` + 's'."""
    return one if abs(count) < 2 else several or one + "s"


def plural(count: int, one: str, several: str = "") -> str:
    """'0 appel affiché', '2 changements', '15 minutes' (a non-breaking space between)."""
    return f"{count}{NBSP}{noun(count, one, several)}"


def number_sign(number: int | str) -> str:
    """'n° 12' with a non-breaking space: the number never starts a line on its own."""
    return f"n°{NBSP}{number}"


_ARTICLES = (("les ", "des "), ("le ", "du "), ("la ", "de la "), ("l'", "de l'"), ("l’", "de l’"))


def of_name(name: str) -> str:
    """'de' before a name, elided before a vowel: "d'AKTO", "d'Uniformation", "de
    Constructys"; contracted with an article: "du FAFCEA", "de l'OPCOMMERCE" (an h is left
    alone: whether it is mute cannot be told from the letters)."""
    text = name.strip()
    for article, contracted in _ARTICLES:
        if text[: len(article)].lower() == article and len(text) > len(article):
            return contracted + text[len(article) :]
    vowel = text[:1].lower() in "aeiouyàâäéèêëîïôöùûüœæ" and text != ""
    return f"d'{text}" if vowel else f"de {text}"


_POLL_EVENTS = {"start": "interrogation commencée", "done": "terminé", "failed": "échec"}
_PAGE_EVENT = re.compile(r"page (\d+): (\d+) items")


def poll_event(event: str) -> str:
    """A poll's progress event ("start", "page 2: 14 items") as the console and the
    terminal show it: « interrogation commencée », « page 2 : 14 avis »."""
    found = _PAGE_EVENT.fullmatch(event)
    if found:
        return f"page {found[1]}{NBSP}: {plural(int(found[2]), 'avis', 'avis')}"
    return _POLL_EVENTS.get(event, event)
