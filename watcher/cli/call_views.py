"""How ``list`` and ``show`` present calls: rich tables for people (in French, every string
from the web through ``safe``), plain dicts for ``--json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from watcher import deadlines, fr
from watcher.calls import CallNotice, CallRow, CallView
from watcher.cli import long_table
from watcher.cli.safe import clean, line, text
from watcher.cli.views import short_datetime
from watcher.fr import NBSP
from watcher.models import PARIS, Match, NoticeKind, Tender
from watcher.notify.context import STATUS_LABELS, links, lot_labels, unique_places
from watcher.notify.opco import buyer_detail, canonical_opco

#: the columns of ``list``, for rich (``calls_table``) and for long tables (``long_table``)
CALL_COLUMNS = (
    long_table.Column("n°", right=True, no_wrap=True),
    long_table.Column("date limite", no_wrap=True),
    long_table.Column("OPCO / acheteur", max_width=18),
    long_table.Column("intitulé"),
    long_table.Column("score", right=True, no_wrap=True),
    long_table.Column("statut", max_width=16),
    long_table.Column("responsable", max_width=30),
)


def print_calls(console: Console, rows: list[CallRow], now: datetime) -> None:
    """The ``list`` table on ``console``: laid out once (``long_table``) when it can be,
    else by rich."""
    cells = [call_cells(row, now) for row in rows]
    width = console.width
    if not long_table.fits(CALL_COLUMNS, cells, width):
        console.print(_table(cells))
    else:
        write = console.file.write
        for drawn in long_table.render(CALL_COLUMNS, cells, width, console):
            write(drawn)
        console.file.flush()
    if any(row.judged.judged is not None for row in rows):
        console.print(text(JUDGED_NOTE))


def calls_table(rows: list[CallRow], now: datetime) -> Table:
    return _table([call_cells(row, now) for row in rows])


def _table(cells: list[list[long_table.Cell]]) -> Table:
    table = Table(show_lines=False)
    table.add_column("n°", justify="right", no_wrap=True)
    table.add_column("date limite", no_wrap=True)
    table.add_column("OPCO / acheteur", overflow="fold", max_width=18)
    table.add_column("intitulé", overflow="fold", ratio=1)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("statut", overflow="fold", max_width=16)
    table.add_column("responsable", overflow="fold", max_width=30)
    for row in cells:
        table.add_row(*(Text(cell.text, style=cell.style) for cell in row))
    return table


def call_cells(row: CallRow, now: datetime) -> list[long_table.Cell]:
    """``now``: the instant the rows were ordered at (``calls.iter_calls``)."""
    """A call's cells in ``list``: web text cleaned onto one line, never markup."""
    tender, match = row.tender, row.judged.match
    Cell = long_table.Cell
    return [
        Cell(str(tender.id)),
        Cell(_deadline_short(tender, now)),
        Cell(clean(buyer_name(tender), one_line=True)),
        Cell(clean(tender.title[:140], one_line=True)),
        _score(match, row.judged.judged),
        Cell(clean(status_words(tender), one_line=True)),
        Cell(clean(", ".join(row.owners), one_line=True)),
    ]


def _deadline_short(tender: Tender, now: datetime) -> str:
    deadline = tender.deadline
    if deadline is None:
        raw = tender.main.deadline_text
        return clean(f"? ({raw[:30]})" if raw else "—", one_line=True)
    told = deadlines.of(tender)
    # the deadline the list sorts by (lot 2's from the minute lot 1 closes)
    countdown = told.countdown(now)
    assert countdown is not None  # the call has a deadline
    # the call's date first, then each lot closing apart on its own lines (« lot 2 : », its
    # date): the column stays as narrow as without lots; the countdown beside its date
    lines = []
    for moment in told.moments:
        when = short_datetime(moment.at)
        if moment is countdown.moment:
            when = f"{when} {countdown.words}"
        if moment.lots:
            # a lot's title maybe: on one line, its no-break spaces kept (« lot « … » : »)
            lots = clean(moment.lots).replace("\n", " ")
            lines.append(f"{lots}{NBSP}:")
        lines.append(when)
    return "\n".join(lines)


#: under the table when a row shows a person's judgement instead of the verdict
JUDGED_NOTE = (
    "« jugé oui / non »\u00a0: l'avis d'une personne sur la pertinence, qui l'emporte sur "
    "le verdict du classifieur (les deux\u00a0: `opco-watch show N`)."
)


def _score(match: Match | None, judged: bool | None = None) -> long_table.Cell:
    """The score and what decides: a person's judgement when there is one (it wins over
    the verdict, as in ``--relevant``, the console and the digest), else the verdict."""
    score = "—" if match is None else str(match.score)
    if judged is not None:
        return long_table.Cell(f"{score} jugé {'oui' if judged else 'non'}", "bold")
    if match is None:
        return long_table.Cell("—")
    words = "go" if match.go else "bloqué" if match.relevant else "non"
    style = "green" if match.go else "yellow" if match.relevant else "dim"
    return long_table.Cell(f"{match.score} {words}", style)


def status_words(tender: Tender) -> str:
    """'nouveau', 'go'..., then what closed it: 'attribué', 'annulé'."""
    closed = fr.closed_words(tender)
    words = STATUS_LABELS.get(tender.status, tender.status)
    return f"{words} · {closed}" if closed else words


def buyer_name(tender: Tender) -> str:
    return canonical_opco(tender.buyer) or tender.buyer or "—"


# ------------------------------------------------------------------------------- one call


def call_panel(view: CallView, now: datetime) -> Panel:
    """``show``: the call at ``now`` (its countdown the list's)."""
    tender = view.tender
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, value in _facts(view, now):
        if value:
            grid.add_row(label, value if isinstance(value, Text) else text(value))
    parts: list[RenderableType] = [grid, Text(f"\nAvis de cet appel ({len(view.notices)})")]
    parts += [_notice_lines(member) for member in view.notices]
    if tender.main.summary:
        parts.append(text("\n" + tender.main.summary))
    parts += [line("Document : ", doc) for doc in tender.main.documents[:10]]
    title = line(("Appel n° ", "bold"), (str(tender.id), "bold"), " — ", tender.title[:90])
    return Panel(Group(*parts), title=title, title_align="left")


def _facts(view: CallView, now: datetime) -> list[tuple[str, str | Text]]:
    tender, main, verdict = view.tender, view.tender.main, view.verdict
    deadline = tender.deadline
    return [
        (
            "Numéro",
            f"{fr.number_sign(tender.id)} (celui des e-mails, de la synthèse, du calendrier)",
        ),
        ("Intitulé", tender.title),
        ("OPCO / acheteur", _buyer_words(tender)),
        ("Date limite", _deadline_words(tender, now) if deadline else main.deadline_text or "—"),
        ("Statut", _status_words(tender)),
        ("Responsable", ", ".join(view.owners) or "personne (aucun domaine ni règle ne le vise)"),
        ("Jugement", _judgement_words(view.judgement)),
        ("Verdict", _verdict_words(verdict)),
        ("Pourquoi", "\n".join(f"- {r}" for r in verdict.reasons) if verdict else ""),
        ("Points bloquants", "\n".join(f"- {b}" for b in verdict.blockers) if verdict else ""),
        ("Lots", "\n".join(lot_labels(tender.notices))),
        (fr.amount_label(main.kind), fr.estimate(main.estimated_value, main.estimated_value_max)),
        ("Procédure", main.procedure),
        ("CPV", ", ".join(dict.fromkeys(c for n in tender.notices for c in n.cpv))),
        ("Lieux", ", ".join(unique_places(tender.notices))),
        ("Liens", "\n".join(f"{link['label']} : {link['url']}" for link in links(tender.notices))),
    ]


def _buyer_words(tender: Tender) -> str:
    opco, detail = canonical_opco(tender.buyer), buyer_detail(tender.buyer)
    return f"{opco} ({detail})" if opco and detail else opco or tender.buyer


def _deadline_words(tender: Tender, now: datetime) -> str:
    return deadlines.counted_words(deadlines.of(tender), now)


def _status_words(tender: Tender) -> str:
    words = status_words(tender)
    return f"{words} — titulaire : {tender.winner}" if tender.winner else words


def _judgement_words(judgement: tuple[bool, str] | None) -> str:
    """A person's latest judgement, which wins over the verdict everywhere (console, digest,
    ``list --relevant``); "" (no row) when nobody judged the call."""
    if judgement is None:
        return ""
    relevant, author = judgement
    words = "pertinent" if relevant else "pas pertinent"
    by = f" par {author}" if author else ""
    return f"jugé {words}{by} — cet avis l'emporte sur le verdict"


def _verdict_words(verdict: Match | None) -> Text:
    if verdict is None:
        return Text("pas encore jugé")
    if verdict.go:
        words, style = "pertinent, rien ne bloque", "green"
    elif verdict.relevant:
        words, style = "pertinent, mais bloqué", "yellow"
    else:
        words, style = "non pertinent", "dim"
    domains = f" — domaines : {', '.join(verdict.domains)}" if verdict.domains else ""
    return line((f"{words} (score {verdict.score}/100)", style), domains)


def _notice_lines(member: CallNotice) -> Text:
    notice, stored = member.notice, member.stored
    published = f" — publié le {fr.long_date(notice.published)}" if notice.published else ""
    seen = stored.first_seen.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
    out = line(
        ("• ", "bold"),
        (fr.kind_label(notice.kind), "bold"),
        " — ",
        notice.key,
        published,
        f" — vu le {seen}",
    )
    if notice.kind != NoticeKind.CALL:
        out.append_text(line("\n  ", notice.title))
    out.append_text(line("\n  ", notice.url))
    for change in member.history:
        when = change.changed_at.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")
        out.append_text(line(("\n  modifié le ", "yellow"), (when, "yellow"), " : "))
        out.append_text(line(", ".join(change.fields)))
    return out


# ------------------------------------------------------------------------------------ JSON


def verdict_json(match: Match | None) -> dict[str, Any] | None:
    if match is None:
        return None
    return {
        "relevant": match.relevant,
        "go": match.go,
        "score": match.score,
        "domains": list(match.domains),
        "reasons": list(match.reasons),
        "blockers": list(match.blockers),
    }


def tender_json(tender: Tender) -> dict[str, Any]:
    """The call's summary; ``number`` is the call number of every command and email."""
    deadline = tender.deadline
    return {
        "number": tender.id,
        "key": tender.main.key,
        "title": tender.title,
        "buyer": tender.buyer,
        "opco": canonical_opco(tender.buyer) or "",
        "deadline": deadline.isoformat() if deadline else None,
        "deadline_text": tender.deadline_text,  # the wording of the date in force
        # the lots closing on other days than the call (``watcher.deadlines``)
        "lot_deadlines": [
            {"lots": m.lots, "deadline": m.at.isoformat()}
            for m in deadlines.of(tender).moments
            if m.lots
        ],
        "status": tender.status,
        "closed": tender.closed,
        "winner": tender.winner,
        "sources": list(dict.fromkeys(n.source for n in tender.notices)),
        "notice_keys": [n.key for n in tender.notices],
    }


def row_json(row: CallRow) -> dict[str, Any]:
    first_seen = row.judged.first_seen.isoformat()
    data = tender_json(row.tender) | {"first_seen": first_seen, "owners": list(row.owners)}
    judged = row.judged
    judgement = None if judged.judged is None else judgement_json(judged.judged, judged.judged_by)
    return data | {
        "verdict": verdict_json(judged.match),
        "judgement": judgement,
        "relevant": judged.relevant,  # the judgement first, else the verdict (``--relevant``)
    }


def judgement_json(relevant: bool, author: str) -> dict[str, Any]:
    return {"relevant": relevant, "author": author}


def call_json(view: CallView) -> dict[str, Any]:
    data = tender_json(view.tender) | {"owners": list(view.owners)}
    data["verdict"] = verdict_json(view.verdict)
    relevant, author = view.judgement or (None, "")
    data["judgement"] = None if relevant is None else judgement_json(relevant, author)
    data["notices"] = [_notice_json(member) for member in view.notices]
    return data


def _notice_json(member: CallNotice) -> dict[str, Any]:
    stored = member.stored
    return {
        "key": stored.key,
        **stored.notice.to_json(),
        "first_seen": stored.first_seen.isoformat(),
        "last_changed": stored.last_changed.isoformat(),
        "history": [_change_json(c.changed_at, c.fields) for c in member.history],
    }


def _change_json(at: datetime, fields: dict[str, Any]) -> dict[str, Any]:
    return {"changed_at": at.isoformat(), "fields": sorted(fields)}
