"""``opco-watch demo``: the whole product, offline, on bundled snapshots of the sources
(served by ``watcher.demo.snapshot_server``), into a fresh data directory."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path

from rich.console import Console

from responses.draft import entry_refusals
from scrapers.registry import source_label
from watcher.calls import CallFilter, list_calls, verdict_now
from watcher.cli import call_views, views
from watcher.cli.common import err
from watcher.cli.safe import line, text
from watcher.config import Config, load_config
from watcher.demo import mark_demo, snapshot_server
from watcher.devserver import DevServer
from watcher.errors import ConfigError
from watcher.failure_words import in_french
from watcher.fr import NBSP, noun, number_sign, plural
from watcher.judging import Judge
from watcher.models import PARIS, Match, Tender
from watcher.notify.routing import Router
from watcher.notify.settings import settings_of
from watcher.pipeline import SourceReport, poll
from watcher.starter import write_starter
from watcher.store import Store


def run_demo(console: Console, directory: Path | None = None, *, today: date | None = None) -> int:
    """Run the demo; returns the exit code (0 when both polls went as expected)."""
    from responses.demo import declare_demo_vault

    day = today or _today()
    with _workdir(console, directory) as workdir, snapshot_server(day) as server:
        config_file = workdir / "opco-watch.toml"
        write_starter(config_file, force=True)
        declare_demo_vault(config_file, day)  # the console sees the draft step's documents
        config = load_config(config_file)
        with Store.open(config.database) as store:  # whatever polls it later: the snapshots
            mark_demo(store, day)
        console.rule("opco-watch — démonstration hors ligne")
        console.print(
            text(
                f"Pages des sources (copies enregistrées) servies sur {server.base_url}"
                f"{NBSP}; données dans {config.data_dir}\n"
            ),
            soft_wrap=True,
        )
        first = _poll_step(
            console, f"1. Première interrogation{NBSP}: tout est nouveau", config, server
        )
        second = _poll_step(
            console, f"2. Deuxième interrogation{NBSP}: rien n'a changé", config, server
        )
        _show_calls(console, config, day)
        _explain_second_poll(console, second)
        best = _show_verdicts(console, config, day)
        _draft_step(console, config, day, best)
        week = _show_mail(console, config, best)
        _next_steps(console, config_file, best, week)
        shortfall = _shortfall(first, second)
        if shortfall is not None:
            words = f" la démonstration ne s'est pas déroulée comme prévu{NBSP}: {shortfall}"
            err.print(line((f"erreur{NBSP}:", "bold red"), words), soft_wrap=True)
            return 1
        return 0


def _today() -> date:
    return datetime.now(PARIS).date()


def _poll_step(
    console: Console, title: str, config: Config, server: DevServer
) -> list[SourceReport]:
    console.rule(title, align="left")
    with views.PollProgress(console) as progress:
        reports = poll(config, mirror=server.base_url, progress=progress.update)
    console.print(views.reports_table(reports))
    return reports


def _moment(day: date) -> datetime:
    """The demo's instant: now, or the start of the day it is given."""
    return datetime.combine(day, time.min, PARIS) if day != _today() else datetime.now(UTC)


def _show_calls(console: Console, config: Config, day: date) -> None:
    console.rule("3. Ce qui a été enregistré, un appel par ligne (`opco-watch list`)", align="left")
    router = Router(settings_of(config))
    with Store.open(config.database) as store:
        rows = list_calls(store, CallFilter(), now=datetime.now(UTC), router=router, limit=20)
    console.print(call_views.calls_table(rows, _moment(day)))


def _show_verdicts(console: Console, config: Config, day: date) -> tuple[Match, Tender] | None:
    """The verdict on each call, for the example profile of init; returns the best one."""
    console.rule("4. Les appels qui conviennent à l'organisme (`opco-watch show N`)", align="left")
    with Store.open(config.database) as store:
        every = list_calls(
            store,
            CallFilter(),
            now=datetime.now(UTC),
            router=Router(settings_of(config)),
            limit=None,
        )
        judge = Judge.from_config(config, store)
        verdicts = [(verdict_now(judge, row.tender, day), row.tender) for row in every]
    verdicts.sort(key=lambda pair: (-pair[0].score, pair[1].id))
    console.print(views.verdicts_table(verdicts))
    # the draft step checks as `draft` does, at this moment (the start of a given day)
    moment = _moment(day)
    answerable = [(m, t) for m, t in verdicts if not entry_refusals(t, m, moment)]
    return max(answerable, key=lambda pair: pair[0].score, default=None)


def _draft_step(
    console: Console, config: Config, day: date, best: tuple[Match, Tender] | None
) -> None:
    """Drafts the answer to the best call, with a vault of labelled demonstration documents."""
    from watcher.activity import cli_actor
    from watcher.call_draft import write_call_draft

    console.rule("5. Un projet de réponse au meilleur appel (`opco-watch draft N`)", align="left")
    if best is None:
        console.print(f"Aucun appel ouvert à une réponse{NBSP}: rien à rédiger.")
        return
    match, tender = best
    with Store.open(config.database) as store:  # recorded: the console offers its files
        result = write_call_draft(
            config, store, tender, now=_moment(day), match=match, actor=cli_actor(), overwrite=True
        )
    best_words = (
        f"Meilleur appel{NBSP}: {number_sign(tender.id)} «{NBSP}{tender.title}{NBSP}» "
        f"(score {match.score})"
    )
    console.print(text(best_words, one_line=True), soft_wrap=True)
    console.print(text(f"Dossier du projet{NBSP}: {result.folder}"), soft_wrap=True)
    for path in result.files:
        console.print(text(f"  {path.name}"))
    for warning in result.warnings:
        console.print(text(f"  ! {warning}"))


def _show_mail(console: Console, config: Config, best: tuple[Match, Tender] | None) -> str:
    """The alert emails (.eml files) and the weekly digest (HTML) of the demo; returns the
    digest's week (the current one: the demo's calls are all first seen today)."""
    from watcher.notify.demo import demo_mail_step

    console.rule("6. Les e-mails d'alerte et la synthèse hebdomadaire", align="left")
    with Store.open(config.database) as store:
        step = demo_mail_step(config, store, now=datetime.now(PARIS))
    for m in step.sent:
        console.print(text(f"  {m.recipient:<40} {m.subject}  ({plural(m.calls, 'appel')})"))
    written = "écrit" if len(step.sent) < 2 else "écrits"
    console.print(
        text(
            f"\n{plural(len(step.sent), 'e-mail')} {written} dans {step.outbox_dir}/ (un fichier "
            f".eml chacun, nommé d'après son Message-ID{NBSP}; ouvrez-les avec n'importe quel "
            "logiciel de messagerie)\n"
            f"Synthèse de la {step.week_words} ({plural(step.to_answer, 'appel')} à traiter, "
            f"{plural(step.set_aside, 'écarté')}) écrite dans {step.digest}"
        ),
        soft_wrap=True,
    )
    if best is not None:
        number = number_sign(best[1].id)
        console.print(
            f"Le meilleur appel est «{NBSP}{number}{NBSP}» dans son e-mail d'alerte et dans "
            "la synthèse."
        )
    return step.week


def _explain_second_poll(console: Console, second: list[SourceReport]) -> None:
    pages = sum(r.pages for r in second)
    unchanged = sum(r.not_modified for r in second)
    details, new = sum(r.details for r in second), sum(r.new for r in second)
    console.print(
        f"Deuxième interrogation{NBSP}: {plural(pages, 'page')} de liste "
        f"{noun(pages, 'demandée')}, dont {unchanged} {noun(unchanged, 'inchangée')} (réponse "
        f"304 Not Modified){NBSP}; {plural(details, 'page')} de détail "
        f"{noun(details, 'téléchargée')}{NBSP}; {plural(new, 'nouvel avis', 'nouveaux avis')}.",
        soft_wrap=True,
    )


def _next_steps(
    console: Console, config_file: Path, best: tuple[Match, Tender] | None, week: str
) -> None:
    command = f"opco-watch --config {config_file}"
    number = best[1].id if best is not None else 1
    digest = config_file.parent / "digest.html"
    lines = [
        f"serve      # la console, dans un navigateur{NBSP}: sa page /appels/{number}",
        "list --open",
        "list --relevant --json",
        f"show {number}",
        f"draft {number} --overwrite",
        f"feedback {number} relevant",
        f"status {number} go",
        "sources",
        f"digest --week {week} --html {digest}",  # the demo's week (default: last week)
        "calendar",
    ]
    console.print(
        text(
            f"\nÀ essayer ensuite{NBSP}:\n" + "".join(f"  {command} {words}\n" for words in lines)
        ),
        soft_wrap=True,
    )


def _shortfall(first: list[SourceReport], second: list[SourceReport]) -> str | None:
    """What went otherwise than the demo says (one line), or None."""
    failed = [r for r in first + second if not r.ok]
    if failed:
        return f"{NBSP}; ".join(
            f"la source {source_label(r.source)} est en échec{NBSP}: {in_french(r.error)}"
            for r in failed[:3]
        )
    if sum(r.new for r in first) == 0:
        return "la première interrogation n'a enregistré aucun nouvel appel"
    again = sum(r.new + r.changed for r in second)
    if again:
        changed = plural(again, "avis nouveau ou modifié", "avis nouveaux ou modifiés")
        return f"la deuxième interrogation a trouvé {changed} au lieu d'aucun"
    return None


#: written first into a demo's folder: a later ``demo --dir`` there knows it may rebuild it
MARKER = ".opco-watch-demo"
#: what a demo (and the "Try next" commands' own files) put in its folder; nothing else is
#: removed when it is rebuilt
DEMO_ENTRIES = ("data", "documents", "drafts", "digest.html", "opco-watch.toml")


@contextmanager
def _workdir(console: Console, directory: Path | None) -> Iterator[Path]:
    """The demo's folder, new or emptied of an earlier demo (said so): the demo tells the
    truth only about a fresh store. A folder of anything else is refused, untouched."""
    if directory is None:  # the demo's data must outlive the command so the user can explore it
        directory = Path(tempfile.mkdtemp(prefix="opco-watch-demo-"))
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        if not _holds_a_demo(directory):
            raise ConfigError(
                f"--dir{NBSP}: {directory} n'est pas vide et ne contient pas de démonstration "
                f"antérieure{NBSP}: choisissez un dossier nouveau ou vide"
            )
        _remove_demo(directory)
        console.print(
            text(
                f"{directory} contenait une démonstration antérieure{NBSP}: reconstruite à "
                "neuf (base de données, e-mails, synthèse, documents et projets de réponse "
                "remplacés)\n"
            ),
            soft_wrap=True,
        )
    (directory / MARKER).write_text("opco-watch demo folder\n", encoding="utf-8")
    yield directory


def _holds_a_demo(directory: Path) -> bool:
    """Made by ``opco-watch demo``: its marker, or (a demo of before the marker) the demo's
    settings in its configuration file."""
    from responses.demo import DEMO_SETTINGS_HEADER

    if (directory / MARKER).is_file():
        return True
    config_file = directory / "opco-watch.toml"
    try:
        return config_file.is_file() and DEMO_SETTINGS_HEADER in config_file.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False


def _remove_demo(directory: Path) -> None:
    for name in (*DEMO_ENTRIES, MARKER):
        path = directory / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
