"""Work a poll's event loop does not do itself, so that one source's network waits overlap
another source's CPU: parsing large pages in worker threads (``cpu_work``), and each
source's writes in the store's writer thread (``store_work``).

The writer is one thread per process: the sources' transactions run one after another, as
SQLite's write lock would have them anyway (no busy-waiting between them), each in its own
transaction as before, on a connection of that thread (SQLAlchemy's pool hands one connection
to one thread at a time; SQLite file databases allow that, PostgreSQL's driver too).

A transaction cannot be interrupted halfway: when the poll that started one is cancelled (its
source deadline, a shutdown), ``store_work`` waits for the transaction's end (committed or
rolled back, never half), then lets the cancellation go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy.pool import SingletonThreadPool, StaticPool

from watcher.store import Store

T = TypeVar("T")
log = logging.getLogger(__name__)
CANCELLED = "poll cancelled (deadline or shutdown)"

_writer: tuple[int, ThreadPoolExecutor] | None = None
_writer_lock = threading.Lock()
WRITER_NAME = "opco-watch-store"
#: from this size on (characters), a page is parsed in a worker thread: about 10 ms of parsing
#: with Beautiful Soup and lxml, long enough to hold up the other sources' requests
PARSE_OFF_LOOP_CHARS = 20_000


async def cpu_work(size: int, work: Callable[..., T], *args: object) -> T:
    """``work(*args)`` (parsing a page of ``size`` characters: pure) in a worker thread when
    the page is large; a small one is parsed at once, on the loop: handing it to a thread and
    back costs more CPU (and the loop's wait for the GIL) than its millisecond of parsing."""
    if size < PARSE_OFF_LOOP_CHARS:
        return work(*args)
    return await asyncio.to_thread(work, *args)


async def store_work(store: Store, work: Callable[[], T], *, label: str = "") -> T:
    """``work()`` (a source's writes to ``store``) in the writer thread; waits for its end even
    when cancelled meanwhile. A database that lives in one connection (SQLite ``:memory:``)
    is written from the loop's thread, as before."""
    if not _shared_by_threads(store):
        return work()
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, work)
    future = loop.run_in_executor(_writer_thread(), call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if not future.done():
            log.info("[%s] %s: waiting for the end of its store transaction", label, CANCELLED)
        while not future.done():  # the transaction ends (commit or rollback) before we do
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({future})
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what goes on
        raise


def _shared_by_threads(store: Store) -> bool:
    return not isinstance(store.engine.pool, SingletonThreadPool | StaticPool)


def _writer_thread() -> ThreadPoolExecutor:
    """The process's writer (a new one in a forked child: the parent's thread is not there)."""
    global _writer
    with _writer_lock:
        if _writer is None or _writer[0] != os.getpid():
            _writer = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix=WRITER_NAME))
        return _writer[1]
