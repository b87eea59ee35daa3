"""Where a profiled poll's CPU goes: a cProfile dump summarised by area (grouping, judging,
parsing, fetching, alerts, store) and by the functions that cost most in themselves.

    python bench/profiling.py FILE.prof     (bench/poll.py --profile FILE prints the same)

Cumulative figures overlap (``load_tenders`` is called by judging and alerts alike);
each line says what it covers. Standard library only.
"""

from __future__ import annotations

import io
import pstats
import sys
from typing import Any

#: (label, file path suffix, function name): cumulative time of that function
AREAS = (
    ("grouping: tenders.assign", "watcher/tenders.py", "assign"),
    ("  of which the title match (BatchView.similar)", "watcher/tender_view.py", "similar"),
    ("judging: pipeline._judge", "watcher/pipeline.py", "_judge"),
    ("  of which Classifier.classify", "watcher/classify/classifier.py", "classify"),
    ("  of which tenders.save_match", "watcher/tenders.py", "save_match"),
    ("alerts: pipeline._alert", "watcher/pipeline.py", "_alert"),
    ("  of which outbox.enqueue_alerts", "watcher/notify/outbox.py", "enqueue_alerts"),
    ("tenders.load_tenders (all callers)", "watcher/tenders.py", "load_tenders"),
    ("store: Store.upsert (with grouping, judging, alerts)", "watcher/store/store.py", "upsert"),
    ("store: notices.upsert (the notices' own SQL)", "watcher/store/notices.py", "upsert"),
    ("parsing: listings (Source.parse)", "scrapers/base.py", "parse"),
    ("parsing: details (Source.parse_detail)", "scrapers/base.py", "parse_detail"),
    ("fetch: Fetcher.fetch (coroutine, CPU while running)", "watcher/fetch.py", "fetch"),
    ("SQLAlchemy Connection.execute (all statements)", "sqlalchemy/engine/base.py", "execute"),
    ("sources' health: check_sources", "watcher/notify/admin.py", "check_sources"),
    ("Judge.from_config", "watcher/judging.py", "from_config"),
    ("Store.open (migrations check)", "watcher/store/store.py", "open"),
)


#: idle time, not work: the event loop waiting for sockets, the store writer thread (profiled
#: beside it by bench/pollwork.py) waiting for a source's batch
WAITS = (
    "<method 'poll' of 'select.epoll' objects>",
    "<method 'select' of 'select.epoll' objects>",
    "<method 'get' of '_queue.SimpleQueue' objects>",
)


def summarise(path: Any, top: int = 25) -> str:
    stats = pstats.Stats(str(path))
    entries: dict[tuple[str, int, str], Any] = stats.stats  # type: ignore[attr-defined]
    profiled = stats.total_tt  # type: ignore[attr-defined]
    waiting = sum(row[2] for (_, _, func), row in entries.items() if func in WAITS)
    total = profiled - waiting
    lines = [
        f"{profiled:.2f} s profiled (wall clock of the threads profiled, cProfile overhead "
        f"included), of which {waiting:.2f} s idle (the event loop's poll() waiting for the "
        "network, the store writer waiting for work); "
        f"busy {total:.2f} s = 100 %",
        "",
        "by area (cumulative, % of the busy time):",
    ]
    for label, suffix, name in AREAS:
        cumulative = sum(
            row[3]
            for (file, _, func), row in entries.items()
            if func == name and file.endswith(suffix)
        )
        if cumulative:
            lines.append(f"  {label:56} {cumulative:7.2f} s  {100 * cumulative / total:5.1f} %")
    lines += ["", f"the {top} functions that cost most in themselves (tottime):"]
    busy = [(key, row) for key, row in entries.items() if key[2] not in WAITS]
    ranked = sorted(busy, key=lambda item: -item[1][2])[:top]
    for (file, line, func), row in ranked:
        where = _short(file)
        lines.append(
            f"  {row[2]:7.2f} s {100 * row[2] / total:5.1f} %  {row[1]:>9,} calls  "
            f"{where}:{line}({func})"
        )
    lines += ["", "cumulative, top entries:"]
    buffer = io.StringIO()
    pstats.Stats(str(path), stream=buffer).sort_stats("cumulative").print_stats(top)
    lines += [f"  {text}" for text in buffer.getvalue().splitlines() if text.strip()][-top - 1 :]
    return "\n".join(lines)


def _short(file: str) -> str:
    for marker in ("site-packages/", "/watcher/", "/scrapers/", "/responses/"):
        if marker in file:
            head = marker.strip("/") + "/" if marker != "site-packages/" else ""
            return head + file.split(marker, 1)[1]
    return file


if __name__ == "__main__":
    print(summarise(sys.argv[1]))
