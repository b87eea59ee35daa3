"""The weekly digest: per recipient, key figures and a compact table of the week's calls
still to answer (open, deadline ahead, nothing blocking: ``answerable``), the relevant calls
set aside with why (awarded, cancelled, deadline passed, blocked, no-go), the deadlines of the
next 14 days, the calls in progress, the full cards of the calls to answer, counts per OPCO,
source health and a chart of the calls per OPCO over 8 weeks. Sent as an email (text and
HTML parts), or written as a standalone HTML file.

Domain owners and route recipients get the calls routed to them (or that they were alerted
of); ``mail.digest_recipients`` (default: the default recipient) get every call. Counts,
chart and health are the same for everyone. A digest is queued at most once per week and
recipient (its Message-ID is derived from both), and ``jobs_state`` keeps the last week
queued by the scheduler, so a restart neither repeats nor skips it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection

from scrapers.registry import source_label, source_order
from watcher import deadlines, fr
from watcher.links import LinkSettings, served_links
from watcher.models import PARIS, Match
from watcher.notify import chart, jobs, queries
from watcher.notify.answerable import REASONS, followed, set_aside_reason
from watcher.notify.context import STATUS_LABELS, tender_context
from watcher.notify.opco import OTHER_BUYERS, opco_label, opco_names
from watcher.notify.outbox import OutboxMessage, insert, message_id
from watcher.notify.queries import Judged
from watcher.notify.render import render
from watcher.notify.routing import Router, call_owners
from watcher.notify.settings import NotifySettings
from watcher.notify.subjects import digest_subject
from watcher.notify.week import Week, due_week
from watcher.pertinence import IN_PROGRESS
from watcher.store import SourceState, Store
from watcher.store.state import source_states

log = logging.getLogger(__name__)

CHART_WEEKS = 8
DEADLINE_DAYS = 14

STATE = "digest:last_week"
#: the newest week a digest was queued or written for: the console's Synthèse opens on it
LATEST = "digest:latest_week"


@dataclass
class DigestData:
    """Everything the digests of one week show, read once for every recipient."""

    week: Week
    now: datetime
    week_tenders: list[Judged]
    deadlines: list[Judged]
    in_progress: list[Judged]
    statuses: dict[str, int]
    chart: dict[str, Any]
    health: list[SourceState]
    routed: dict[int, set[str]] = field(default_factory=dict)
    #: the console's address as the store knows it (``watcher.links.served_links``)
    links: LinkSettings = field(default_factory=LinkSettings)

    @property
    def calls(self) -> list[Judged]:
        """The week's relevant calls a user can still answer, by deadline (soonest first,
        none last; then best first): the table a manager reads opens on its deadlines."""
        answerable = (j for j in self._relevant() if set_aside_reason(j, self.now) is None)
        return sorted(answerable, key=_by_deadline)

    @property
    def set_aside(self) -> list[tuple[Judged, str, str]]:
        """The week's relevant calls nobody can answer: (call, kind of reason, words)."""
        found = ((j, set_aside_reason(j, self.now)) for j in self._relevant())
        return [(j, *reason) for j, reason in found if reason is not None]

    def _relevant(self) -> list[Judged]:
        return sorted((j for j in self.week_tenders if j.relevant), key=_rank)


def _rank(judged: Judged) -> tuple[int, float, int]:
    deadline = judged.tender.deadline
    return (-judged.score, deadline.timestamp() if deadline else float("inf"), judged.tender.id)


def _by_deadline(judged: Judged) -> tuple[float, int, int]:
    deadline = judged.tender.deadline
    return (deadline.timestamp() if deadline else float("inf"), -judged.score, judged.tender.id)


def gather(store: Store, settings: NotifySettings, week: Week, now: datetime) -> DigestData:
    with store.transaction() as conn:
        data = DigestData(
            week=week,
            now=now,
            week_tenders=queries.load(conn, queries.first_seen_between(conn, week.start, week.end)),
            deadlines=_deadlines(conn, now),
            in_progress=queries.load(conn, queries.with_status(conn, IN_PROGRESS)),
            statuses=queries.status_counts(conn, week.shifted(1 - CHART_WEEKS).start, week.end),
            chart=weekly_chart(conn, week),
            health=source_states(conn),
            links=served_links(conn, settings.links),
        )
        data.routed = _routes(conn, data, Router(settings))
    return data


def _deadlines(conn: Connection, now: datetime) -> list[Judged]:
    """Calls in progress, and relevant calls still to answer, due in DEADLINE_DAYS days."""
    ids = queries.open_deadlines_between(conn, now, now + timedelta(days=DEADLINE_DAYS))
    return [j for j in queries.load(conn, ids) if followed(j, now)]


def _routes(conn: Connection, data: DigestData, router: Router) -> dict[int, set[str]]:
    shown = [*data.week_tenders, *data.deadlines, *data.in_progress]
    told = queries.alerted(conn, {j.tender.id for j in shown})
    return {
        j.tender.id: {
            *router.recipients(j.tender, j.match or Match(False, 0)),
            *told.get(j.tender.id, ()),
        }
        for j in shown
    }


def weekly_chart(conn: Connection, week: Week) -> dict[str, Any]:
    """Calls first seen per week and OPCO, over the CHART_WEEKS weeks ending with ``week``."""
    weeks = [week.shifted(k - CHART_WEEKS + 1) for k in range(CHART_WEEKS)]
    position = {w: i for i, w in enumerate(weeks)}
    counts: Counter[tuple[str, int]] = Counter()
    for buyer, seen in queries.buyers_seen_since(conn, weeks[0].start, week.end):
        counts[opco_label(buyer), position[Week.of(seen.astimezone(PARIS).date())]] += 1
    totals = _sum_by_name(counts)
    names = [n for n in (*opco_names(), OTHER_BUYERS) if totals[n]]
    names.sort(key=lambda n: (n == OTHER_BUYERS, -totals[n]))
    series = [{"name": n, "counts": [counts[n, i] for i in range(CHART_WEEKS)]} for n in names]
    return {"weeks": [f"S{w.number}" for w in weeks], "series": series}


def _sum_by_name(counts: Counter[tuple[str, int]]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for (name, _), n in counts.items():
        totals[name] += n
    return totals


# ----------------------------------------------------------------------------------- views


def view(data: DigestData, settings: NotifySettings, recipient: str | None) -> dict[str, Any]:
    """The template context of one recipient's digest (``None``: every call)."""
    today = data.now.astimezone(PARIS).date()
    owners = Router(settings).owners

    def routed(judged: Judged) -> bool:
        return recipient is None or recipient in data.routed[judged.tender.id]

    def mine(items: list[Judged]) -> list[dict[str, Any]]:
        return [_call(j, data.now, owners, data.links) for j in items if routed(j)]

    calls, in_progress = mine(data.calls), mine(data.in_progress)
    due = [
        row
        for j in data.deadlines
        if routed(j)
        for row in _deadline_rows(_call(j, data.now, owners, data.links), j, data.now)
    ]
    due.sort(key=lambda row: row["at"])
    aside = [
        {**_call(j, data.now, owners, data.links), "reason": kind, "why": words}
        for j, kind, words in data.set_aside
        if routed(j)
    ]
    health = [_health(s) for s in sorted(data.health, key=lambda s: source_order(s.source))]
    return {
        "organisation": settings.organisation,
        "recipient": recipient or "",
        # a personal digest lists the recipient's calls, but its follow-up counts, per-OPCO
        # table and chart count every call: their headings say so
        "team_wide": recipient is not None,
        "week": data.week.label,
        "week_words": data.week.words,
        "generated": fr.long_datetime(data.now),
        "as_of": fr.long_date(today),
        "past_note": past_note(data.week, today),
        "figures": figures(calls, aside, due, in_progress, health),
        "calls": calls,
        "set_aside": aside,
        "set_aside_groups": set_aside_groups(aside),
        "deadlines": due,
        "in_progress": in_progress,
        "statuses": [
            {"label": STATUS_LABELS[s], "count": data.statuses.get(s, 0)} for s in STATUS_LABELS
        ],
        "per_opco": per_opco(data.week_tenders, data.now),
        "chart": data.chart,
        "bars": chart.bars(data.chart),
        "legend": chart.legend(data.chart),
        "health": health,
        "deadline_days": DEADLINE_DAYS,
    }


def _call(
    judged: Judged, now: datetime, owners: dict[str, str], console: LinkSettings | None = None
) -> dict[str, Any]:
    """A call's card, with what the compact table adds: a short deadline and its owners."""
    context = tender_context(judged.tender, judged.match, now, console)
    domains = judged.match.domains if judged.match is not None else ()
    addresses = call_owners(judged.tender.owner, domains, owners)
    return {
        **context,
        "owner": ", ".join(addresses),
        # in the table, the name before the @ ("claire.martin"), the address on hover
        "owner_short": ", ".join(a.partition("@")[0] for a in addresses),
        # the whole date, year included ("vendredi 18 décembre 2026 à 16h00"): a digest is
        # read days later, and a call may close next year (the key keeps its old name for
        # the templates of mail.templates_dir)
        "deadline_short": context["deadline"] or "non précisée",
    }


def _deadline_rows(card: dict[str, Any], judged: Judged, now: datetime) -> list[dict[str, Any]]:
    """The « dates limites » rows of a call: one per deadline in the next DEADLINE_DAYS days,
    a lot closing apart named (« lot 2 : jeudi 7 janvier 2027 à 12h00 »)."""
    soon = deadlines.of(judged.tender).between(now, now + timedelta(days=DEADLINE_DAYS))
    return [
        {
            **card,
            "deadline": deadlines.named_words(m),
            # one date per row: its countdown follows it
            "deadline_counted": deadlines.named_words(m),
            "deadline_after": "",
            "countdown": deadlines.countdown(m.at, now),
            "at": m.at.timestamp(),
        }
        for m in soon
    ]


def past_note(week: Week, today: date) -> str:
    """For a week before the last full one, which parts are of that week and which of
    today ("" otherwise: the regular digest is read when it is sent)."""
    if week >= Week.of(today).shifted(-1):
        return ""
    return (
        f"Semaine passée\u00a0: les appels sont ceux relevés pendant la semaine {week.number}, "
        "mais ce qui peut encore y être répondu, les dates limites à venir, les appels en "
        "cours, leurs statuts et l'état des sources sont ceux d'aujourd'hui, "
        f"{fr.long_date(today)}."
    )


def figures(
    calls: list[dict[str, Any]],
    aside: list[dict[str, Any]],
    deadlines: list[dict[str, Any]],
    in_progress: list[dict[str, Any]],
    health: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The key figures at the top of the digest: {count, words, label} each, in French."""
    kinds = Counter(call["reason"] for call in aside)
    detail = ", ".join(
        f"{kinds[kind]} {noun(kinds[kind], *REASON_WORDS[kind])}" for kind in REASONS if kinds[kind]
    )
    failing = sum(1 for source in health if not source["ok"])
    return [
        figure(len(calls), "appel à traiter", "appels à traiter"),
        figure(len(deadlines), "date limite", "dates limites", f"dans les {DEADLINE_DAYS} jours"),
        figure(len(in_progress), "appel en cours", "appels en cours", "(go, offre déposée)"),
        figure(len(aside), "écarté", "écartés", f"({detail})" if detail else ""),
        figure(failing, "source en échec", "sources en échec"),
    ]


#: the set-aside calls under headings true of each call in them: (heading, kinds of reason)
SET_ASIDE_GROUPS = (
    ("Plus possible d'y répondre", ("closed", "passed")),
    ("Marqués no-go, gagnés ou perdus", ("set_aside",)),
    ("Encore ouverts, mais bloqués", ("blocked",)),
)


def set_aside_groups(aside: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The set-aside calls by heading (an open call outside the regions served is not one
    that « can no longer be answered »); empty groups left out."""
    groups = [
        {"title": title, "calls": [c for c in aside if c["reason"] in kinds]}
        for title, kinds in SET_ASIDE_GROUPS
    ]
    return [g for g in groups if g["calls"]]


#: how the figures name each kind of reason: (one, several)
REASON_WORDS = {
    "closed": ("attribué ou annulé", "attribués ou annulés"),
    "set_aside": ("marqué no-go, gagné ou perdu", "marqués no-go, gagnés ou perdus"),
    "passed": ("date limite dépassée", "dates limites dépassées"),
    "blocked": ("bloqué", "bloqués"),
}


def figure(count: int, one: str, several: str, more: str = "") -> dict[str, Any]:
    text = " ".join(part for part in (noun(count, one, several), more) if part)
    return {"count": count, "words": text, "label": f"{count} {text}"}


def noun(count: int, one: str, several: str) -> str:
    """French agreement: singular up to 1 ('0 appel', '1 appel'), plural from 2."""
    return one if count <= 1 else several


def per_opco(items: list[Judged], now: datetime) -> list[dict[str, Any]]:
    """Per buyer: the calls of the week, and how many of them are relevant and answerable."""
    calls = Counter(opco_label(j.tender.buyer) for j in items)
    answerable = Counter(
        opco_label(j.tender.buyer) for j in items if j.relevant and set_aside_reason(j, now) is None
    )
    order = sorted(calls, key=lambda n: (n == OTHER_BUYERS, -calls[n], n))
    return [{"name": n, "calls": calls[n], "to_answer": answerable[n]} for n in order]


def _health(state: SourceState) -> dict[str, Any]:
    if state.consecutive_failures:
        label = f"en échec ({state.consecutive_failures} de suite)"
    else:
        label = "extracteur de secours" if state.on_fallback else "OK"
    return {
        "source": state.source,
        "name": source_label(state.source),
        "label": label,
        "ok": label == "OK",
        "last_success": fr.long_datetime(state.last_success) if state.last_success else "jamais",
        "error": (state.last_error or "") if state.consecutive_failures else "",
    }


# ------------------------------------------------------------------------------- delivery


def recipients(settings: NotifySettings) -> dict[str, bool]:
    """address -> True for the full digest, False for the calls routed to them."""
    full = dict.fromkeys(settings.digest_recipients, True)
    routed = {a: False for a in Router(settings).everyone() if a not in full}
    if settings.mail.digest_recipients:  # explicit list: the default recipient is not added
        routed.pop(settings.default_recipient, None)
    return {**full, **routed}


def digest_message(
    data: DigestData, settings: NotifySettings, recipient: str, *, full: bool, unique: bool = False
) -> OutboxMessage:
    context = view(data, settings, None if full else recipient)
    parts = [data.week.label, recipient, *([data.now.isoformat()] if unique else [])]
    return OutboxMessage(
        message_id=message_id("digest", parts, settings.domain),
        kind="digest",
        recipient=recipient,
        subject=digest_subject(f"semaine {data.week.number}", len(context["calls"])),
        template="digest/digest",
        context={**context, "standalone": False},
        created_at=data.now,
    )


def enqueue_digest(
    store: Store,
    settings: NotifySettings,
    week: Week,
    now: datetime,
    *,
    to: str | None = None,
    record: bool = True,
) -> int:
    """Queue the week's digests (or one full digest to ``to``); returns how many were new.

    ``record``: remember the week as queued (never moving back), so the scheduler does not
    queue it again; ignored with ``to``."""
    data = gather(store, settings, week, now)
    chosen = {to: True} if to else recipients(settings)
    record = record and not to
    messages = [
        digest_message(data, settings, r, full=f, unique=bool(to)) for r, f in chosen.items()
    ]
    with store.transaction(write=True) as conn:
        queued = sum(insert(conn, m) for m in messages)
        if record:
            _advance(conn, STATE, week, now)
        _advance(conn, LATEST, week, now)
    log.info("digest %s: %d email(s) queued, %d call(s)", week.label, queued, len(data.calls))
    return queued


def scheduled_digest(store: Store, settings: NotifySettings, now: datetime) -> int | None:
    """The digest of the week due at ``now``, unless already queued; None when it was."""
    week = due_week(now, settings.schedule)
    with store.transaction() as conn:
        last = jobs.get(conn, STATE)
    if last is not None and last >= week.label:
        log.info("digest %s already queued; nothing to do", week.label)
        return None
    return enqueue_digest(store, settings, week, now)


def write_html(
    store: Store, settings: NotifySettings, week: Week, now: datetime, path: Path
) -> DigestData:
    """The full digest as a standalone HTML file (with the SVG chart)."""
    data = gather(store, settings, week, now)
    context = {**view(data, settings, None), "standalone": True}
    subject = digest_subject(f"semaine {week.number}", len(context["calls"]))
    html = render("digest/digest.html.j2", {**context, "subject": subject}, settings.templates_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    with store.transaction(write=True) as conn:
        _advance(conn, LATEST, week, now)
    return data


def _advance(conn: Connection, key: str, week: Week, now: datetime) -> None:
    """Keep under ``key`` the newest of the week stored there and ``week`` (never moving
    back): the last week queued (``STATE``), the newest a digest was made for (``LATEST``)."""
    stored = jobs.get(conn, key)
    if stored is None or stored < week.label:
        jobs.put(conn, key, week.label, now)


def default_week(store: Store, now: datetime) -> Week:
    """The week the console's Synthèse shows unless asked: the newest a digest was queued or
    written for (the demo's is the current week), and at least the last full week (the one
    the scheduled email reports on); never a week not begun."""
    this_week = Week.of(now.astimezone(PARIS).date())
    with store.transaction() as conn:
        latest = jobs.get(conn, LATEST)
    made = Week.parse(latest) if latest else None
    last = this_week.shifted(-1)
    return made if made is not None and last < made <= this_week else last
