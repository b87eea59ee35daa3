"""Context assembly: one dict of plain values (str, list, dict, None) for every template.

Text from the web (title, summary, lots, buyer) and from the configuration enters here as
**data**, cleaned of control characters (``wording.line`` / ``wording.block``) and never
concatenated into template source. Missing identity fields print ``MISSING`` and add an
"À COMPLÉTER" block saying where to fill them. ``CONTEXT_DOC`` documents the top-level names
(the template linter checks templates against it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from responses import matching, wording
from responses.sections import build_sections, quality_map
from responses.settings import DocumentKind, ResponsesConfig, Trainer
from responses.skeleton import INDICATORS, MISSING, TODO_MARKER, todo
from responses.vault import DocumentStatus, Vault
from scrapers.registry import source_label
from watcher import deadlines, nuts
from watcher.classify.profile import Course, Profile
from watcher.fr import amount, estimate, long_date, long_datetime, of_name
from watcher.models import PARIS, Lot, Match, Notice
from watcher.notify.opco import buyer_shown

CONTEXT_DOC: dict[str, str] = {
    "organisation": "name, legal_form, siret, nda, nda_sentence, address, representative, "
    "representative_title, email, phone, website, key_figures[], sites[], turnover[] "
    "(year, amount), regions, departments",
    "qualiopi": "number, certifier, categories, valid_until, issued, known (bool)",
    "call": 'title, short_title, buyer, of_buyer ("d\'AKTO"), reference, url, platform_url, '
    "source (its name: BOAMP), published, deadline, deadline_note, deadline_told, summary, "
    "procedure, estimated_value, cpv, places (regions named, not NUTS codes), answer_scope",
    "lots": "the lots answered: key, label, title, description, places, estimated_value, "
    "deadline, coverage, courses[]",
    "lot": "the lot of this DC2 (or the one chosen with --lot); None when not per lot",
    "programme": "one block per lot (or one for the whole call): label, courses[], todos[]",
    "courses": "catalogue courses proposed: title, description, duration, modality, "
    "certification, fit",
    "trainers": "trainers who fit: name, role, skills, cv",
    "references": "client references of the vault whose file is there (titles)",
    "referent": "disability referent: name, contact, known (bool)",
    "environment": "environmental commitments, a list of paragraphs",
    "sections": "the mémoire sections by key: number, title, indicators[] (number, title), "
    "indicators_text, todos[] (title, text)",
    "quality_map": "section -> Qualiopi indicators: section, indicators",
    "checklist": "stages[] (title, pieces[]: label, status, status_label, symbol, detail), "
    "pieces[], deadline (its countdown beside its date), counts, problems, checked_on",
    "verdict": "the classifier's verdict, or None: score, domains, reasons[], blockers[]",
    "generated_on": "the day of the draft, in French",
    "marker": f'the marker of passages to write: "{TODO_MARKER}"',
}


class Organisation(Protocol):
    """What a draft reads of ``[organisation]`` (``watcher.config.OrganisationConfig``)."""

    @property
    def name(self) -> str: ...
    @property
    def siret(self) -> str: ...
    @property
    def nda(self) -> str: ...
    @property
    def contact_email(self) -> str: ...


@dataclass(frozen=True)
class DraftInputs:
    """Everything a draft is made from."""

    notice: Notice
    organisation: Organisation
    profile: Profile
    settings: ResponsesConfig
    vault: Vault
    #: when the draft is made: its countdown goes by the instant (``deadlines.Countdown``)
    now: datetime
    lots: list[tuple[int, Lot]] = field(default_factory=list)
    chosen_lot: bool = False
    match: Match | None = None

    @property
    def today(self) -> date:
        """The Paris day of ``now``: what documents are valid on, the date a draft bears."""
        return self.now.astimezone(PARIS).date()


@dataclass(frozen=True)
class Selection:
    """What of the organisation fits the call: courses per block, all courses, trainers."""

    blocks: list[tuple[str, list[matching.RankedCourse]]]
    courses: list[Course]
    trainers: list[Trainer]


def select(inputs: DraftInputs) -> Selection:
    blocks = _ranked_blocks(inputs)
    courses = _distinct_courses(found for _label, found in blocks)
    domains = inputs.match.domains if inputs.match else ()
    text = inputs.notice.text()
    trainers = matching.fitting_trainers(inputs.settings.trainers, text, domains, courses)
    return Selection(blocks, courses, trainers)


def build_context(inputs: DraftInputs, selection: Selection) -> dict[str, Any]:
    """The whole context except ``checklist`` (set by the draft once files are planned)."""
    settings, courses = inputs.settings, selection.courses
    programme = [_block(label, found) for label, found in selection.blocks]
    lots = [
        _lot(inputs, i, lot, block["courses"])
        for (i, lot), block in zip(inputs.lots, programme, strict=False)
    ]
    context: dict[str, Any] = {
        "organisation": _organisation(inputs),
        "qualiopi": _qualiopi(inputs),
        "call": _call(inputs),
        "lots": lots,
        "lot": lots[0] if inputs.chosen_lot or len(lots) == 1 else None,
        "programme": programme,
        "courses": [_course(c) for c in courses],
        "trainers": [_trainer(inputs, t) for t in selection.trainers],
        "references": _references(inputs.vault),
        "referent": _referent(settings),
        "environment": wording.paragraphs(settings.environment),
        "generated_on": long_date(inputs.today),
        "verdict": _verdict(inputs.match),
        "marker": TODO_MARKER,
        "checklist": None,
    }
    certifying = any(c.certification for c in courses)
    declared = [wording.line(t.name) for t in settings.trainers]
    context["sections"] = build_sections(context, declared, certifying)
    context["quality_map"] = quality_map(context["sections"])
    return context


# --------------------------------------------------------------------------------- identity


def _or_missing(value: str) -> str:
    return wording.line(value) or MISSING


def _organisation(inputs: DraftInputs) -> dict[str, Any]:
    org, settings, profile = inputs.organisation, inputs.settings, inputs.profile
    nda = _group(org.nda, (2, 2, 5, 2))
    return {
        "name": _or_missing(org.name),
        "legal_form": _or_missing(settings.legal_form),
        "siret": _or_missing(_group(org.siret, (3, 3, 3, 5))),
        "nda": _or_missing(nda),
        "nda_sentence": f"Déclaration d'activité enregistrée sous le numéro {nda}. Cet "
        "enregistrement ne vaut pas agrément de l'État."
        if nda
        else MISSING,
        "address": _or_missing(settings.address),
        "representative": _or_missing(settings.representative_name),
        "representative_title": _or_missing(settings.representative_title),
        "email": _or_missing(str(org.contact_email)),
        "phone": _or_missing(settings.phone),
        "website": wording.line(settings.website),
        "key_figures": [wording.line(f) for f in settings.key_figures],
        "sites": [wording.line(s) for s in settings.sites],
        "turnover": [
            {"year": str(t.year), "amount": amount(Decimal(str(t.amount)))}
            for t in sorted(settings.turnover, key=lambda t: t.year)
        ],
        "regions": ", ".join(profile.regions) or "France entière (aucune restriction déclarée)",
        "departments": ", ".join(profile.departments),
    }


def _group(digits: str, sizes: tuple[int, ...]) -> str:
    """'12345678900012' -> '123 456 789 00012' when the length fits, else unchanged."""
    if len(digits) != sum(sizes):
        return digits
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    return " ".join(parts)


def _qualiopi(inputs: DraftInputs) -> dict[str, Any]:
    """From the vault's certificate when declared, else from ``[profile.qualiopi]``."""
    state = inputs.vault.best(DocumentKind.QUALIOPI, inputs.today)
    item = state.document.item if state.document else None
    profile = inputs.profile.qualiopi
    until = item.valid_until if item else profile.expires_on
    number = (item.number if item else "") or profile.certificate_number
    categories = (item.categories if item else []) or profile.categories
    return {
        "number": _or_missing(number),
        "certifier": _or_missing((item.certifier if item else "") or profile.certifier),
        "categories": list(categories),
        "categories_text": ", ".join(categories) or MISSING,
        "valid_until": long_date(until) if until else MISSING,
        "issued": long_date(item.issued) if item and item.issued else "",
        "known": bool(number),
        "valid": state.status in (DocumentStatus.VALID, DocumentStatus.EXPIRING),
    }


# --------------------------------------------------------------------------------- the call


def _reference(notice: Notice) -> str:
    ref = notice.ref if not notice.ref.startswith(("http://", "https://")) else ""
    return wording.line(ref or notice.folder_id) or "non communiquée"


def _deadline_note(notice: Notice, now: datetime) -> str:
    """« dans 5 jours » (Paris days), to what every countdown counts to at ``now``: the
    earliest deadline not passed (a lot's, once the call's has: ``Deadlines.countdown``)."""
    countdown = deadlines.of_notice(notice).countdown(now)
    if countdown is None:
        return ""
    left = countdown.days
    if countdown.passed:
        # the list's word on the day itself (« depuis 0 jour » says nothing)
        return f"dépassée depuis {-left} jour{'s' if left < -1 else ''}" if left < 0 else "dépassée"
    return "aujourd'hui" if left == 0 else f"dans {left} jour{'s' if left > 1 else ''}"


def _deadline_told(notice: Notice, now: datetime) -> str:
    """``_deadline`` with ``_deadline_note`` beside the date it counts to: « lundi 2 mars
    2026 à 12h00 (dépassée) — lot 2 : lundi 30 mars 2026 à 12h00 (dans 28 jours) »."""
    told = deadlines.of_notice(notice)
    countdown = told.countdown(now)
    if countdown is None:
        return _deadline(notice)
    head, tail = deadlines.around(told, countdown.moment)
    return f"{head} ({_deadline_note(notice, now)}){tail}"


def _deadline(notice: Notice) -> str:
    """The call's deadline, and its lots' that differ: « … — lot 2 : … »."""
    if notice.deadline is not None:
        return deadlines.words(deadlines.of_notice(notice))
    raw = wording.line(notice.deadline_text)
    return (
        f"non communiquée (texte publié\u00a0: «\u00a0{raw}\u00a0»)" if raw else "non communiquée"
    )


def _call(inputs: DraftInputs) -> dict[str, Any]:
    notice = inputs.notice
    title = wording.line(notice.title)
    return {
        "title": title,
        "short_title": wording.shorten(title),
        # its OPCO's one name when the notice only spells it otherwise ("OPCO ATLAS")
        "buyer": _or_missing(buyer_shown(notice.buyer)),
        # "d'AKTO", "de Constructys": the buyer after « de », elided before a vowel
        "of_buyer": of_name(_or_missing(buyer_shown(notice.buyer))),
        "reference": _reference(notice),
        "url": wording.line(notice.url),
        "platform_url": _http(notice.platform_url),
        "source": source_label(notice.source),  # "BOAMP", not its id "boamp"
        "published": long_date(notice.published) if notice.published else "",
        "deadline": _deadline(notice),
        "deadline_note": _deadline_note(notice, inputs.now),
        # both in one: the note beside the date it counts to (what the .md files say)
        "deadline_told": _deadline_told(notice, inputs.now),
        "summary": wording.block(notice.summary or notice.body[:3000]),
        "procedure": wording.line(notice.procedure),
        "estimated_value": estimate(notice.estimated_value, notice.estimated_value_max),
        "cpv": ", ".join(notice.cpv),
        "places": _places(notice.places),
        "answer_scope": _scope(inputs),
    }


def _places(places: Iterable[str]) -> str:
    """The places, each once, a NUTS code said as its region (« Bretagne », not « FRH »), as
    an email says them (``nuts.places_named``)."""
    return ", ".join(nuts.places_named(wording.line(p) for p in places))


def _http(url: str) -> str:
    """Only web addresses (a "javascript:" link must never reach the HTML checklist)."""
    cleaned = wording.line(url)
    return cleaned if cleaned.startswith(("http://", "https://")) else ""


def _scope(inputs: DraftInputs) -> str:
    total = len(inputs.notice.lots)
    if not total:
        return "le marché dans son ensemble (pas d'allotissement)"
    if len(inputs.lots) == total and not inputs.chosen_lot:
        return f"tous les lots ({total})" if total > 1 else "le lot unique"
    (i, lot) = inputs.lots[0]
    return f"le {matching.lot_label(lot, i).lower()}\u00a0: {wording.line(lot.title)}"


def _lot(
    inputs: DraftInputs, index: int, lot: Lot, courses: list[dict[str, str]]
) -> dict[str, Any]:
    places = _places(lot.places)
    return {
        "key": matching.lot_key(lot, index),
        "label": matching.lot_label(lot, index),
        "title": wording.line(lot.title),
        "description": wording.block(lot.description),
        "places": places or "non précisé",
        "estimated_value": estimate(lot.estimated_value, lot.estimated_value_max),
        "deadline": long_datetime(lot.deadline) if lot.deadline else "",
        "coverage": matching.coverage(lot.places, inputs.profile),
        "courses": courses,
    }


# ------------------------------------------------------------------------ programme, people


def _ranked_blocks(inputs: DraftInputs) -> list[tuple[str, list[matching.RankedCourse]]]:
    """(label, fitting courses) per lot answered, or one pair for a call without lots."""
    notice, catalogue = inputs.notice, inputs.profile.catalogue
    if not inputs.lots:
        return [("Ensemble de la prestation", matching.rank_courses(catalogue, notice.text()))]
    head = f"{notice.title}\n{notice.summary}"
    return [
        (
            f"{matching.lot_label(lot, i)} — {wording.line(lot.title)}",
            _lot_courses(inputs, head, lot),
        )
        for i, lot in inputs.lots
    ]


def _lot_courses(inputs: DraftInputs, head: str, lot: Lot) -> list[matching.RankedCourse]:
    """Courses named by the lot itself; for a lot whose title says only where (a geographic
    lot), by the call and the lot. A thematic lot the catalogue lacks gets none (« Programme
    à rédiger »), not the call's other subjects."""
    catalogue = inputs.profile.catalogue
    own = matching.rank_courses(catalogue, lot.title, lot.description)
    if own or not matching.says_only_where(lot):
        return own
    return matching.rank_courses(catalogue, head, lot.title, lot.description)


def _block(label: str, found: list[matching.RankedCourse]) -> dict[str, Any]:
    todos = [] if found else [todo("Programme à rédiger", PROGRAMME_TODO)]
    return {
        "label": label,
        "courses": [_course(r.course, r.similarity) for r in found],
        "todos": todos,
    }


PROGRAMME_TODO = (
    "Aucun module du catalogue ne correspond clairement\u00a0: rédigez le programme (objectifs, "
    "contenus, durée, modalités, public) à partir du CCTP."
)


def _distinct_courses(blocks: Iterable[list[matching.RankedCourse]]) -> list[Course]:
    seen: dict[str, Course] = {}
    for found in blocks:
        for ranked in found:
            seen.setdefault(ranked.course.title, ranked.course)
    return list(seen.values())


def _course(course: Course, similarity: float | None = None) -> dict[str, str]:
    return {
        "title": wording.line(course.title),
        "description": wording.line(course.description),
        "duration": wording.duration(course.duration_hours),
        "modality": wording.modality(course.modality),
        "certification": course.certification or "",
        "fit": wording.percent(similarity) if similarity is not None else "",
    }


def _trainer(inputs: DraftInputs, trainer: Trainer) -> dict[str, str]:
    return {
        "name": wording.line(trainer.name),
        "role": wording.line(trainer.role),
        "skills": ", ".join(wording.line(s) for s in trainer.skills),
        "cv": _cv_status(inputs, trainer),
    }


def _cv_status(inputs: DraftInputs, trainer: Trainer) -> str:
    if trainer.cv is None:
        return "CV non déclaré"
    document = inputs.vault.find_file(trainer.cv)
    if document is not None:
        return "CV joint" if document.exists else "CV introuvable"
    return "CV joint" if (inputs.vault.folder / trainer.cv).is_file() else "CV introuvable"


def _references(vault: Vault) -> list[str]:
    documents = vault.of_kind(DocumentKind.REFERENCE)
    return [wording.line(d.title) for d in documents if d.exists]


def _referent(settings: ResponsesConfig) -> dict[str, Any]:
    referent = settings.disability_referent
    return {
        "name": _or_missing(referent.name),
        "contact": _or_missing(referent.contact),
        "known": bool(referent.name.strip()),
    }


def _verdict(match: Match | None) -> dict[str, Any] | None:
    if match is None:
        return None
    return {
        "score": str(match.score),
        "relevant": match.relevant,
        "domains": ", ".join(match.domains),
        "reasons": [wording.line(r) for r in match.reasons],
        "blockers": [wording.line(b) for b in match.blockers],
    }


__all__ = [
    "CONTEXT_DOC",
    "INDICATORS",
    "MISSING",
    "TODO_MARKER",
    "DraftInputs",
    "Selection",
    "build_context",
    "select",
]
