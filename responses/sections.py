"""The mémoire sections of the context: for each section of the skeleton, the Qualiopi
indicators that apply to the organisation, and its "À COMPLÉTER" blocks: those the skeleton
always asks for, plus those due to missing data (identity, key figures, trainers, CVs,
disability referent, environmental commitments)."""

from __future__ import annotations

from typing import Any

from responses.skeleton import MISSING, SECTIONS, Section, applicable, todo


def build_sections(
    context: dict[str, Any], declared_trainers: list[str], certifying: bool
) -> dict[str, Any]:
    """The ``sections`` entry: per section, its applicable indicators and its todos."""
    categories = set(context["qualiopi"]["categories"])
    extra = _conditional_todos(context, declared_trainers)
    return {s.key: _section(s, categories, certifying, extra.get(s.key, [])) for s in SECTIONS}


def _section(
    section: Section, categories: set[str], certifying: bool, extra: list[dict[str, str]]
) -> dict[str, Any]:
    found = applicable(section.indicators, categories, certifying)
    return {
        "number": str(section.number),
        "title": section.title,
        "indicators": [{"number": str(i.number), "title": i.title} for i in found],
        "indicators_text": "; ".join(f"{i.number} ({i.title})" for i in found),
        "todos": [*extra, *(todo(title, text) for title, text in section.todo)],
    }


def quality_map(sections: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "section": f"{s['number']}. {s['title']}",
            "indicators": ", ".join(i["number"] for i in s["indicators"]),
        }
        for s in sections.values()
        if s["indicators"]
    ]


def _conditional_todos(context: dict[str, Any], declared: list[str]) -> dict[str, list[Any]]:
    todos: dict[str, list[Any]] = {
        "presentation": _identity_todos(context),
        "equipe": _team_todos(context, declared),
    }
    if not context["referent"]["known"]:
        todos["handicap"] = [todo("Référent handicap", REFERENT_TODO)]
    if not context["environment"]:
        todos["environnement"] = [todo("Engagements environnementaux", ENVIRONMENT_TODO)]
    return todos


#: who fills in what a draft lacks: the bid staff read the draft, the admin the settings
BY_ADMIN = "votre administrateur les renseigne dans les réglages"
FIGURES_TODO = (
    "Ajoutez quelques chiffres\u00a0: stagiaires formés, taux de satisfaction, ancienneté, "
    "implantations (votre administrateur peut les renseigner dans les réglages, rubrique "
    "réponses)."
)
REFERENT_TODO = (
    "Nommez le référent handicap et donnez ses coordonnées (votre administrateur peut les "
    "renseigner dans les réglages, rubrique réponses)."
)
ENVIRONMENT_TODO = (
    "Décrivez vos engagements environnementaux appliqués à ce marché\u00a0: déplacements, supports "
    "dématérialisés, choix des lieux, sobriété numérique. Depuis la loi Climat et résilience, "
    "les acheteurs doivent retenir au moins un critère environnemental (votre administrateur "
    "peut les décrire une fois pour toutes dans les réglages, rubrique réponses)."
)
#: what a draft's identity lacks, in plain French, and where the admin fills it in
_IDENTITY_KEYS = {
    "legal_form": ("forme juridique", "réponses"),
    "siret": ("SIRET", "organisation"),
    "nda": ("numéro de déclaration d'activité", "organisation"),
    "address": ("adresse", "réponses"),
    "representative": ("représentant", "réponses"),
    "phone": ("téléphone", "réponses"),
}


def _identity_todos(context: dict[str, Any]) -> list[dict[str, str]]:
    org, qualiopi = context["organisation"], context["qualiopi"]
    missing = [entry for key, entry in _IDENTITY_KEYS.items() if org[key] == MISSING]
    if not qualiopi["known"]:
        missing.append(("certificat Qualiopi", "pièces"))
    todos = []
    if missing:
        todos.append(todo("Identité incomplète", identity_missing(missing)))
    if not org["key_figures"]:
        todos.append(todo("Chiffres clés", FIGURES_TODO))
    return todos


def identity_missing(missing: list[tuple[str, str]]) -> str:
    """« Il manque : SIRET, … — votre administrateur les renseigne dans les réglages
    (organisation) »: what is missing, in plain French, and where the admin fills it in."""
    what = ", ".join(label for label, _ in missing)
    where = ", ".join(dict.fromkeys(section for _, section in missing))
    return f"Il manque\u00a0: {what} — {BY_ADMIN} ({where})."


def _team_todos(context: dict[str, Any], declared_names: list[str]) -> list[dict[str, str]]:
    if context["trainers"]:
        return [
            todo("CV manquant", f"Joignez le CV de {t['name']} ({t['cv']}).")
            for t in context["trainers"]
            if t["cv"] != "CV joint"
        ]
    declared = ", ".join(declared_names)
    hint = f" Formateurs déclarés\u00a0: {declared}." if declared else ""
    return [
        todo(
            "Formateurs mobilisés",
            "Aucun formateur déclaré ne correspond clairement à cette consultation\u00a0: "
            "présentez les intervenants (expérience du public visé, diplômes, CV)." + hint,
        )
    ]
