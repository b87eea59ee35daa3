"""Benchmark of alerts and the digest (prints figures; never fails a build).

    .venv/bin/python bench/alerts.py [--matches 10000] [--recipients 20] [--notices 100000]
                                     [--runs 3]

alerts   queue (route, group, word in French, insert) then render (Jinja, MIME) the alert
         emails of ``--matches`` relevant calls spread over ``--recipients`` domain owners,
         as one poll: one email per recipient. The tenders are stored first (not timed).
digest   gather + queue + render the weekly digest (every recipient's) and write the
         standalone HTML file, over ``--notices`` stored notices (one tender each, spread
         over 52 weeks, 20 % relevant). Filling the store with ``Store.upsert`` batches is
         not timed.

Each phase runs ``--runs`` times on a fresh store; the median wall time is printed, then the
peak of the Python heap (tracemalloc) of one more, separate run (tracing slows it down).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from watcher.classify.profile import Domain, Profile
from watcher.models import PARIS, Lot, Match, Notice, Tender
from watcher.notify.digest import enqueue_digest, write_html
from watcher.notify.outbox import AlertItem, enqueue_alerts
from watcher.notify.sender import drain
from watcher.notify.settings import MailConfig, NotifySettings, ScheduleConfig
from watcher.notify.week import Week
from watcher.store import Store
from watcher.store.schema import matches, notices, tenders
from watcher.tenders import TenderEvent

NOW = datetime(2026, 3, 9, 8, 0, tzinfo=PARIS)
BUYERS = (
    *("AKTO", "Afdas", "OPCO ATLAS", "Constructys", "OPCO EP", "OPCO 2i", "OCAPIAT"),
    *("OPCO Mobilités", "OPCO Santé", "Uniformation", "L'Opcommerce", "Ville de Rennes"),
)
WORDS = (
    *("formation", "management", "bureautique", "anglais", "sécurité", "numérique"),
    *("accompagnement", "compétences", "prévention", "parcours", "salariés"),
)


class Discard:
    """A transport that builds nothing further: rendering is what is measured."""

    name = "discard"

    def __init__(self) -> None:
        self.count = 0

    def send(self, message: EmailMessage, on_data: object = None) -> None:
        self.count += 1

    def close(self) -> None:
        """Nothing to release."""


def settings(folder: Path, recipients: int) -> NotifySettings:
    domains = [
        Domain(name=f"Domaine {k}", phrases=[f"mot{k}"], owner=f"dev{k}@of.fr")
        for k in range(recipients)
    ]
    return NotifySettings(
        MailConfig(),
        ScheduleConfig(),
        Profile(domains=domains),
        folder,
        "veille@of.fr",
        organisation="OF Bench",
    )


def make_notice(i: int) -> Notice:
    rng = random.Random(i)
    title = " ".join(rng.choice(WORDS) for _ in range(8)) + f" n° {i}"
    return Notice(
        "bench",
        f"N{i}",
        title,
        f"https://bench.example.org/ao/{i}",
        buyer=BUYERS[i % len(BUYERS)],
        summary=title * 3,
        deadline=NOW + timedelta(days=rng.randint(-60, 60), hours=rng.randint(0, 8)),
        lots=tuple(
            Lot(f"Lot {k} {rng.choice(WORDS)}", str(k)) for k in range(1, rng.randint(1, 4))
        ),
        places=("Bretagne",),
        platform_url=f"https://plateforme.example.org/dce/{i}",
    )


def fill(store: Store, count: int, weeks: int, relevant_every: int) -> None:
    """``count`` notices, one tender each, first seen over ``weeks`` weeks, with verdicts."""
    per_week = -(-count // weeks)
    for week in range(weeks):
        seen = NOW - timedelta(weeks=weeks - week, days=-1)
        batch = [make_notice(i) for i in range(week * per_week, min(count, (week + 1) * per_week))]
        store.upsert(
            batch,
            seen_at=seen,
            in_transaction=lambda c, r, s=seen: _tenders(c, r.new, s, relevant_every),
        )


def _tenders(conn: sa.Connection, new: list[Notice], at: datetime, every: int) -> None:
    rows = [
        {
            "id": int(n.ref[1:]) + 1,
            "title": n.title,
            "buyer": n.buyer,
            "deadline": n.deadline,
            "status": "new",
            "closed": False,
            "winner": "",
            "created_at": at,
            "updated_at": at,
            "buyer_norm": "",
            "title_norm": "",
        }
        for n in new
    ]
    conn.execute(sa.insert(tenders), rows)
    conn.execute(
        sa.update(notices)
        .where(notices.c.key == sa.bindparam("k"))
        .values(tender_id=sa.bindparam("t")),
        [{"k": n.key, "t": int(n.ref[1:]) + 1} for n in new],
    )
    verdicts = [
        {
            "tender_id": r["id"],
            "relevant": r["id"] % every == 0,
            "score": r["id"] % 100,
            "domains": [f"Domaine {r['id'] % 20}"],
            "reasons": ["raison"],
            "blockers": [],
            "computed_at": at,
        }
        for r in rows
    ]
    conn.execute(sa.insert(matches), verdicts)


Figures = tuple[float, float, int, int]  # two timed phases (s), emails, traced peak (bytes)


class Phases:
    """Times two phases; with ``trace``, also the peak Python heap over both (tracemalloc)."""

    def __init__(self, trace: bool) -> None:
        self.trace = trace
        if trace:
            tracemalloc.start()
        self.marks = [time.perf_counter()]

    def mark(self) -> None:
        self.marks.append(time.perf_counter())

    def done(self, emails: int) -> Figures:
        self.mark()
        peak = tracemalloc.get_traced_memory()[1] if self.trace else 0
        if self.trace:
            tracemalloc.stop()
        first, second = (b - a for a, b in zip(self.marks, self.marks[1:], strict=False))
        return first, second, emails, peak


def alert_items(count: int, recipients: int) -> list[AlertItem]:
    def item(i: int, notice: Notice) -> AlertItem:
        reasons = ("« formation » dans le titre", "domaine : mot")
        match = Match(True, 50 + i % 50, (f"Domaine {i % recipients}",), reasons, ("délai court",))
        return AlertItem(Tender(i + 1, (notice,)), match, TenderEvent(i + 1, "new", notice.key))

    return [item(i, make_notice(i)) for i in range(count)]


def alerts_run(folder: Path, count: int, recipients: int, trace: bool) -> Figures:
    config = settings(folder, recipients)
    with Store.open(folder / "db.sqlite") as store:
        fill(store, count, 1, 1)
        items = alert_items(count, recipients)
        phases = Phases(trace)
        with store.transaction(write=True) as conn:
            queued = enqueue_alerts(conn, items, config=config, now=NOW)
        phases.mark()
        transport = Discard()
        drain(store, config, transport, clock=lambda: NOW)
        assert queued == transport.count == recipients, (queued, transport.count)
        return phases.done(queued)


def digest_run(folder: Path, count: int, recipients: int, trace: bool) -> Figures:
    config = settings(folder, recipients)
    week = Week.of(NOW.date()).shifted(-1)
    with Store.open(folder / "db.sqlite") as store:
        fill(store, count, 52, 5)
        phases = Phases(trace)
        queued = enqueue_digest(store, config, week, NOW)
        drain(store, config, Discard(), clock=lambda: NOW)
        phases.mark()
        write_html(store, config, week, NOW, folder / "digest.html")
        return phases.done(queued)


def measure(
    label: str, run: Callable[[Path, bool], Figures], runs: int, names: tuple[str, str]
) -> None:
    figures = []
    for trace in [False] * runs + [True]:
        with tempfile.TemporaryDirectory() as tmp:
            figures.append(run(Path(tmp), trace))
    timed, traced = figures[:-1], figures[-1]
    first, second = (statistics.median(f[k] for f in timed) for k in (0, 1))
    print(
        f"{label}: {names[0]} {first:.2f} s, {names[1]} {second:.2f} s, total "
        f"{first + second:.2f} s (median of {runs}); {traced[2]} email(s); peak traced heap "
        f"{traced[3] / 1e6:.1f} MB (separate run)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--matches", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=20)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"bench/alerts.py, {datetime.now(UTC):%Y-%m-%d} UTC, Python {sys.version.split()[0]}")
    alerts = f"alerts ({args.matches} matches, {args.recipients} recipients)"
    measure(
        alerts,
        lambda f, t: alerts_run(f, args.matches, args.recipients, t),
        args.runs,
        ("queue", "render"),
    )
    digest = f"digest ({args.notices} stored notices, {args.recipients} recipients + 1 full)"
    measure(
        digest,
        lambda f, t: digest_run(f, args.notices, args.recipients, t),
        args.runs,
        ("queue+render emails", "html file"),
    )


if __name__ == "__main__":
    main()
