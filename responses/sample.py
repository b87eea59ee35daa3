"""A sample call and organisation: the context ``opco-watch templates check`` renders every
template against, and the figures of ``bench/draft.py``.

The context comes from the real assembly (``draft.plan_draft``), so a template that renders
here reads only names the drafts provide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from responses.context import DraftInputs
from responses.draft import plan_draft
from responses.matching import select_lots
from responses.settings import load_example
from responses.vault import Vault
from watcher.classify.profile import load_example_profile
from watcher.models import PARIS, Lot, Notice

SAMPLE_DAY = date(2026, 3, 2)
#: the sample's instant: 9h00 Paris on SAMPLE_DAY
SAMPLE_NOW = datetime.combine(SAMPLE_DAY, time(9), PARIS)


@dataclass(frozen=True)
class SampleOrganisation:
    name: str = "Exemple Formation & Conseil"
    siret: str = "12345678900012"
    nda: str = "53350912335"
    contact_email: str = "contact@exemple-formation.fr"


def sample_notice(day: date = SAMPLE_DAY, *, lots: int = 2) -> Notice:
    """A call of AKTO with ``lots`` geographic lots, due three weeks after ``day``."""
    regions = ("Bretagne (35)", "Pays de la Loire (44)", "Normandie (14)", "Île-de-France (75)")
    return Notice(
        source="boamp",
        ref=f"26-{lots:02d}123",
        title="Actions collectives : manager une équipe de proximité et SST",
        url="https://www.boamp.fr/pages/avis/?q=idweb:26-12345",
        buyer="AKTO",
        published=day - timedelta(days=7),
        deadline=datetime.combine(day + timedelta(days=21), time(12), tzinfo=PARIS),
        summary="Formations de managers de proximité et de sauveteurs secouristes du travail "
        "pour les entreprises adhérentes, en présentiel, 40 sessions prévisionnelles.",
        procedure="Procédure adaptée (MAPA)",
        estimated_value=Decimal("180000"),
        lots=tuple(
            Lot(
                title=f"Sessions en {regions[i % len(regions)].split(' (')[0]}",
                number=str(i + 1),
                places=(regions[i % len(regions)],),
                estimated_value=Decimal("15000"),
            )
            for i in range(lots)
        ),
        platform_url="https://www.marches-publics.info/",
    )


def sample_inputs(notice: Notice | None = None, vault_dir: Path | None = None) -> DraftInputs:
    """Inputs from the shipped examples; the vault reads ``vault_dir`` (none: files absent)."""
    documents, settings = load_example()
    notice = notice or sample_notice()
    base = vault_dir or Path("/nonexistent/opco-watch-sample")
    return DraftInputs(
        notice=notice,
        organisation=SampleOrganisation(),
        profile=load_example_profile(),
        settings=settings,
        vault=Vault.load(documents, base),
        now=SAMPLE_NOW,
        lots=select_lots(notice, None),
    )


def sample_context() -> dict[str, Any]:
    """The context of the sample call; ``lot`` is its first lot (as in a DC2)."""
    context = plan_draft(sample_inputs()).context
    return {**context, "lot": context["lots"][0]}
