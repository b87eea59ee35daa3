"""The pipeline: fetch -> parse -> store, per source, each source isolated from the others.

This is the only module that calls across stages. A source that fails (site down, layout
changed, a poll past its deadline, a bug in its parser, a store that refuses its writes) is
recorded and reported, and the other sources complete (``watcher.isolation``). Every notice
is cleaned of control characters and terminal escapes (``watcher.sanitise``) on its way into
the store. HTTP validators (ETag, Last-Modified) are saved only after the notices of a page
are stored, so a crash between fetch and store can never hide a page behind a 304.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.engine import Connection

from scrapers.base import ParseResult, Skipped, Source
from scrapers.fallback import fallback_notices
from watcher import isolation, offload, tenders
from watcher.config import Config
from watcher.errors import LayoutChanged, OpcoWatchError, RateLimited
from watcher.fetch import Fetcher, Request
from watcher.isolation import error_words
from watcher.judging import Judge
from watcher.merging import fill_empty
from watcher.models import PARIS, Notice, Tender, tender_notice
from watcher.notify.admin import check_sources
from watcher.notify.outbox import AlertItem, enqueue_alerts
from watcher.notify.settings import settings_of
from watcher.runs import Progress, RunContext, SourceReport
from watcher.sanitise import clean_notice
from watcher.store import SourceState, Store, UpsertResult
from watcher.store.robots import StoreMemory
from watcher.tenders import TenderEvent

log = logging.getLogger(__name__)

#: a listing that drops to 0 items after this many is logged as a warning, not a failure: the
#: parser found the page's frame (else it raised LayoutChanged), so the page says no call is
#: open — which is normal (calls close, some OPCOs list none for weeks)
EMPTY_ALERT_AFTER = 3
__all__ = ["Progress", "RunContext", "SourceReport", "poll", "run_once", "run_source"]


@dataclass
class _Harvest:
    """The notices of one source's listings, and the validators to save once stored."""

    notices: dict[str, Notice] = field(default_factory=dict)
    validators: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    pages: int = 0
    not_modified: int = 0
    layout_error: LayoutChanged | None = None
    on_fallback: bool = False
    #: records of the listings that could not be read (ParseResult.unreadable)
    unreadable: list[Skipped] = field(default_factory=list)


async def run_once(sources: Iterable[Source], ctx: RunContext) -> list[SourceReport]:
    """Poll the sources concurrently; a failure in one never stops the others."""
    return list(await asyncio.gather(*(run_source(s, ctx) for s in sources)))


async def run_source(source: Source, ctx: RunContext) -> SourceReport:
    """Poll one source; never raises (see ``watcher.isolation``)."""
    return await isolation.run_source(source, ctx, _poll_source)


async def _poll_source(source: Source, ctx: RunContext, state: SourceState | None) -> SourceReport:
    previous = state.items_seen_last if state else 0
    harvest = await _harvest_listings(source, ctx)
    problem = _listing_problem(source, harvest, previous)
    known = ctx.store.listing_hashes(harvest.notices)
    fingerprints = {key: notice.fingerprint() for key, notice in harvest.notices.items()}
    todo = [n for k, n in harvest.notices.items() if known.get(k) != fingerprints[k]]
    unchanged = [k for k in harvest.notices if known.get(k) == fingerprints[k]]
    completed, hashes, failed = await _complete_details(source, todo, fingerprints, ctx)

    def save() -> SourceReport:
        return _save(
            source, ctx, harvest, problem, previous, (todo, unchanged, completed), hashes, failed
        )

    return await offload.store_work(ctx.store, save, label=source.name)


def _save(
    source: Source,
    ctx: RunContext,
    harvest: _Harvest,
    problem: OpcoWatchError | None,
    previous: int,
    read: tuple[list[Notice], list[str], list[Notice]],
    hashes: dict[str, str],
    failed: list[str],
) -> SourceReport:
    """Everything the poll of a source writes: its notices with their tenders, verdicts and
    alerts (one transaction), the unchanged ones' ``last_seen``, the validators, its health.
    Runs in the store's writer thread (``watcher.offload``), off the event loop."""
    todo, unchanged, completed = read
    seen_at = ctx.now()
    result, events = _store(completed, hashes, seen_at, ctx)
    ctx.store.touch(unchanged, seen_at)
    # a failed detail page, or a page read by the fallback, must not hide behind a 304 later
    # (not even one answered to the validators of an older, good read: they are forgotten)
    complete = len(hashes) == len(todo) and problem is None
    for url, etag, modified in harvest.validators:
        ctx.store.save_validators(url, *((etag, modified) if complete else (None, None)))
    report = SourceReport(
        source.name,
        problem is None,
        pages=harvest.pages,
        not_modified=harvest.not_modified,
        details=sum(1 for n in todo if source.detail_request(n)),
        items=len(harvest.notices),
        new=len(result.new),
        changed=len(result.changed),
        same=result.same + len(unchanged),
        skipped=len(harvest.unreadable),
        new_keys=tuple(n.key for n in result.new),
        events=tuple(events),
        detail_failures=len(failed),
    )
    # when every page answered 304, the health keeps the count of the last read
    listed = len(harvest.notices) if harvest.pages > harvest.not_modified else previous
    details = (len(failed), failed[0] if failed else "")
    return _record(source, harvest, report, listed, problem, ctx, seen_at, details)


def _store(
    completed: list[Notice], hashes: dict[str, str], seen_at: datetime, ctx: RunContext
) -> tuple[UpsertResult, list[TenderEvent]]:
    """Store the notices; group and judge them in the same transaction (both or neither)."""
    events: list[TenderEvent] = []

    def group_and_judge(conn: Connection, result: UpsertResult) -> None:
        stored = [*result.new, *(notice for notice, _ in result.changed)]
        events.extend(tenders.assign(conn, stored, at=seen_at, horizon=ctx.grouping_horizon))
        loaded = _judge(conn, events, ctx, seen_at)
        _alert(conn, events, ctx, seen_at, loaded)

    # the one door into the store: web text is cleaned here, once (listing hashes stay
    # those of the notices as parsed, so an unchanged listing is still recognised)
    cleaned = [clean_notice(notice) for notice in completed]
    result = ctx.store.upsert(
        cleaned, seen_at=seen_at, listing_hashes=hashes, in_transaction=group_and_judge
    )
    return result, events


def _record(
    source: Source,
    harvest: _Harvest,
    report: SourceReport,
    listed: int,
    problem: OpcoWatchError | None,
    ctx: RunContext,
    at: datetime,
    details: tuple[int, str],
) -> SourceReport:
    """Source health: a success, or a failure (layout changed, emptied listing) whose calls the
    fallback extractor may still have surfaced."""
    log.info(
        "[%s] %d items: %d new, %d changed", source.name, report.items, report.new, report.changed
    )
    if problem is None:
        ctx.store.record_success(
            source.name,
            at=at,
            items=listed,
            new=report.new,
            changed=report.changed,
            details=details,
            skipped=report.skipped,
        )
        return report
    words = error_words(problem)
    if harvest.on_fallback:
        words += f" — {report.items} candidate(s) kept by the fallback extractor"
    count = ctx.store.record_failure(
        source.name,
        at=at,
        error_kind=problem.kind,
        error=words,
        on_fallback=harvest.on_fallback,
        details=details,
    )
    log.warning("[%s] %s (%d in a row)", source.name, words, count)
    return replace(report, error=words, error_kind=problem.kind, consecutive_failures=count)


def _listing_problem(source: Source, harvest: _Harvest, before: int) -> OpcoWatchError | None:
    """A changed layout is a problem; a listing that went empty is not (its frame was there),
    but a drop from many calls to none is logged."""
    if harvest.layout_error is not None:
        return harvest.layout_error
    parsed = harvest.pages > harvest.not_modified
    if parsed and not harvest.notices and before >= EMPTY_ALERT_AFTER:
        log.warning(
            "[%s] listing now empty (%d items last time): the page says no call is open",
            source.name,
            before,
        )
    return None


async def _harvest_listings(source: Source, ctx: RunContext) -> _Harvest:
    """Fetch the listing pages (following pagination) and parse them."""
    harvest = _Harvest()
    queue = list(source.start_requests(ctx.today))
    while queue and harvest.pages < source.max_pages:
        request = queue.pop(0)
        key = request_key(request)
        validators = ctx.store.validators(key) if request.method == "GET" else (None, None)
        page = await ctx.fetcher.fetch(
            request, source=source.name, allowed_hosts=source.hosts, validators=validators
        )
        harvest.pages += 1
        if page.not_modified:
            harvest.not_modified += 1
            continue
        # a large page in a worker thread, so the other sources' requests go on meanwhile
        parsed = await offload.cpu_work(
            len(page.text), _parse_or_fall_back, source, page.text, page.url, harvest
        )
        for notice in parsed.notices:
            harvest.notices.setdefault(notice.key, notice)
        _log_skipped(source, parsed, harvest)
        queue.extend(parsed.next_requests)
        harvest.validators.append((key, page.etag, page.last_modified))
        ctx.say(source.name, f"page {harvest.pages}: {len(parsed.notices)} items")
    return harvest


def _log_skipped(source: Source, parsed: ParseResult, harvest: _Harvest) -> None:
    """Every record left out, with its source and reference; unreadable ones are counted."""
    for skip in parsed.skipped:
        level = logging.WARNING if skip.unreadable else logging.DEBUG
        log.log(level, "[%s] %s left out: %s", source.name, skip.ref, skip.reason)
    harvest.unreadable.extend(parsed.unreadable)


def _parse_or_fall_back(source: Source, text: str, url: str, harvest: _Harvest) -> ParseResult:
    """The source's parser; when its selectors no longer match, the generic extractor."""
    try:
        return source.parse(text, url)
    except LayoutChanged as error:
        harvest.layout_error = harvest.layout_error or error
        if source.platform == "api" or not text.lstrip().startswith("<"):
            return ParseResult([])
        found = fallback_notices(text, url, source.name)
        harvest.on_fallback = harvest.on_fallback or bool(found)
        buyer = source.description().split(" — ")[0]
        return ParseResult([n if n.buyer else n.with_changes(buyer=buyer) for n in found])


async def _complete_details(
    source: Source, notices: list[Notice], fingerprints: dict[str, str], ctx: RunContext
) -> tuple[list[Notice], dict[str, str], list[str]]:
    """Fetch the detail pages of new or changed notices, concurrently (capped per host).

    A notice whose detail page fails is stored from its listing, completed by what an earlier
    read stored (a broken detail page never wipes the body and documents), without a listing
    hash (and the listing's validators are not saved), so the next poll tries it again; the
    failures (in words) are counted in the source's health. A site that asks to be left alone
    (``RateLimited``) stops the remaining detail pages and the poll.
    """
    halt: list[RateLimited] = []
    results = await asyncio.gather(*(_with_detail(source, n, ctx, halt) for n in notices))
    if halt:
        raise halt[0]
    hashes = {
        listing.key: fingerprints[listing.key]
        for listing, (_, error) in zip(notices, results, strict=True)
        if error is None
    }
    failed = [error for _, error in results if error is not None]
    completed = [n if error is None else _with_stored(n, ctx.store) for n, error in results]
    return completed, hashes, failed


def _with_stored(listing: Notice, store: Store) -> Notice:
    stored = store.get_notice(listing.key)
    return fill_empty(listing, stored.notice) if stored is not None else listing


async def _with_detail(
    source: Source, notice: Notice, ctx: RunContext, halt: list[RateLimited]
) -> tuple[Notice, str | None]:
    """The notice completed from its detail page, and None; or as listed, and the error."""
    request = source.detail_request(notice)
    if request is None:
        return notice, None
    if halt:
        return notice, "not fetched: the site asked to wait"
    try:
        page = await ctx.fetcher.fetch(request, source=source.name, allowed_hosts=source.hosts)
        if source.binary_details:  # PDF: read in a bounded child process, off the event loop
            parsed = await asyncio.to_thread(source.parse_detail_bytes, page.content, notice)
            return parsed, None
        return await offload.cpu_work(len(page.text), source.parse_detail, page.text, notice), None
    except RateLimited as error:
        halt.append(error)
        return notice, error_words(error)
    except OpcoWatchError as error:
        log.warning("[%s] detail page skipped for %s: %s", source.name, notice.key, error)
        return notice, error_words(error)


def _judge(
    conn: Connection, events: list[TenderEvent], ctx: RunContext, at: datetime
) -> dict[int, Tender]:
    """Classify each tender that is new or changed, and keep the verdict; returns the
    tenders read (the alerts that follow in the transaction need the same)."""
    if ctx.judge is None:
        return {}
    verdicts = []
    # the batch's tenders in two statements (not two per tender)
    loaded = tenders.load_tenders(conn, (e.tender_id for e in events if e.kind != "merged"))
    for tender_id, tender in loaded.items():
        match = ctx.judge.judge(tender_notice(tender), today=ctx.today)
        verdicts.append((tender_id, match))
        ctx.verdicts[tender_id] = match
    tenders.save_matches(conn, verdicts, at=at)  # one statement for the batch
    return loaded


def _alert(
    conn: Connection,
    events: list[TenderEvent],
    ctx: RunContext,
    at: datetime,
    loaded: dict[int, Tender],
) -> None:
    """Queue the alert emails of this poll, in the notices' transaction (exactly once)."""
    if ctx.notify is None:
        return
    told = [e for e in events if e.kind != "merged" and e.tender_id in ctx.verdicts]
    missing = [e.tender_id for e in told if e.tender_id not in loaded]
    loaded = {**loaded, **tenders.load_tenders(conn, missing)} if missing else loaded
    items = [
        AlertItem(loaded[e.tender_id], ctx.verdicts[e.tender_id], e)
        for e in told
        if e.tender_id in loaded
    ]
    if items:
        enqueue_alerts(conn, items, config=ctx.notify, now=at)


def request_key(request: Request) -> str:
    """The URL a request stands for, with its query: the key of its HTTP validators."""
    if not request.params:
        return request.url
    sep = "&" if "?" in request.url else "?"
    return request.url + sep + urlencode(sorted((k, str(v)) for k, v in request.params.items()))


# ------------------------------------------------------------------------------- entry point


def build_sources(config: Config, names: Iterable[str] | None = None) -> list[Source]:
    chosen = list(names) if names else config.enabled_sources()
    return [config.build_source(name) for name in chosen]


def poll(
    config: Config,
    *,
    names: Iterable[str] | None = None,
    mirror: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> list[SourceReport]:
    """One poll of the chosen (default: enabled) sources into the configured store."""
    from watcher.demo import demo_mirror  # a demo's store polls its snapshots, never the web

    sources = build_sources(config, names)
    with Store.open(config.database) as store, demo_mirror(store, mirror) as mirror:
        judge = Judge.from_config(config, store)
        reports = asyncio.run(_poll_all(config, store, sources, mirror, progress, today, judge))
        isolation.raise_store_failures(reports)
        check_sources(store, settings_of(config), datetime.now(UTC))
        return reports


async def _poll_all(
    config: Config,
    store: Store,
    sources: list[Source],
    mirror: str | None,
    progress: Progress | None,
    today: date | None,
    judge: Judge,
) -> list[SourceReport]:
    memory = StoreMemory(store)  # robots.txt kept between polls (RFC 9309: up to 24 h)
    async with Fetcher(config.fetch_settings(mirror=mirror), robots_memory=memory) as fetcher:
        day = today or datetime.now(PARIS).date()
        ctx = RunContext(
            store=store,
            fetcher=fetcher,
            today=day,
            progress=progress,
            judge=judge,
            notify=settings_of(config),
            source_deadline=config.fetch.source_deadline_seconds,
            grouping_horizon=timedelta(days=config.store.grouping_horizon_days),
        )
        return await run_once(sources, ctx)
