"""CLI commands of the matching: ``classify``, ``eval``, ``feedback``."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TextIO

import click

from watcher.cli.common import EXIT_PARTIAL, err, friendly, load, out, the_call
from watcher.cli.safe import clean, text
from watcher.fr import NBSP, number_sign, plural
from watcher.store import Store

if TYPE_CHECKING:  # the classifier loads in the commands that classify (not in feedback)
    from watcher.classify import Classifier
    from watcher.config import Config


def build_classifier(cfg: Config) -> Classifier:
    """The profile's classifier, refined by the users' judgements when there are enough."""
    from watcher.classify import Classifier
    from watcher.judging import classifier_for

    if not cfg.data_dir.exists() and not cfg.store.database_url:
        return Classifier(cfg.profile)
    with Store.open(cfg.database) as store:
        return classifier_for(cfg, store)


@click.command("classify")
@click.option(
    "--input",
    "source",
    type=click.File("r", encoding="utf-8", errors="surrogateescape"),
    required=True,
    help="Notices, one JSON object a line ('-' for stdin).",
)
@click.option(
    "--output",
    "target",
    type=click.File("w", encoding="utf-8", lazy=False),  # a bad path: a usage error at once
    default="-",
    help="Verdicts, one JSON object a line (default: stdout).",
)
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Judge deadlines as of this day.")
@click.pass_context
@friendly
def classify_command(
    ctx: click.Context, source: TextIO, target: TextIO, today: datetime | None
) -> None:
    """Classify notices in bulk: id, relevant, score, domains, reasons, blockers."""
    from watcher.classify import classify_jsonl

    cfg = load(ctx, required=False)
    day = today.date() if today else date.today()

    def report(number: int, message: str) -> None:
        err.print(clean(f"line {number}: {message} (skipped)"))

    stats = classify_jsonl(build_classifier(cfg), source, target, today=day, on_error=report)
    err.print(
        f"{stats.read} read, {stats.written} verdicts written, {stats.skipped} skipped",
        highlight=False,
    )
    if stats.skipped:
        sys.exit(EXIT_PARTIAL)


@click.command("eval")
@click.option(
    "--input",
    "source",
    type=click.File("r", encoding="utf-8", errors="surrogateescape"),
    required=True,
    help="Labelled notices (label_training, domain), one JSON object a line.",
)
@click.pass_context
@friendly
def eval_command(ctx: click.Context, source: TextIO) -> None:
    """Measure the classifier on labelled notices, beside a naive baseline."""
    from watcher.classify import Classifier, evaluate_jsonl, format_report

    cfg = load(ctx, required=False)
    click.echo(format_report(evaluate_jsonl(Classifier(cfg.profile), source)))


@click.command("feedback")
@click.argument("ident")
@click.argument("judgement", type=click.Choice(["relevant", "irrelevant"]))
@click.option("--note", default="", help="Why, in a few words.")
@click.pass_context
@friendly
def feedback_command(ctx: click.Context, ident: str, judgement: str, note: str) -> None:
    """Record whether a call was relevant: the classifier learns from these.

    IDENT is the call's number (as in the emails), or one of its notices (key or reference).
    The judgement is kept on the call's main notice (its initial notice)."""
    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        tender = the_call(store, ident)
        store.add_feedback(
            tender.main.key, judgement == "relevant", at=datetime.now(UTC), note=note
        )
        count = len(store.feedback())
    verdict = "pertinent" if judgement == "relevant" else "non pertinent"
    call = f"{number_sign(tender.id)} «{NBSP}{tender.title[:80]}{NBSP}»"
    words = f"Enregistré{NBSP}: l'appel {call} est jugé {verdict}."
    total = f"{plural(count, 'jugement')} en tout."
    out.print(text(f"{words} {total}"), soft_wrap=True)
