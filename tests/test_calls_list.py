"""``list`` for many calls: the table laid out once (``watcher/cli/long_table.py``) shows what
rich showed, as safely; ``--json`` is written as the calls are read, byte for byte the
document it always was."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rich.console import Console

from tests.conftest import Database
from tests.notify_data import T0, notice, poll, settings
from tests.test_cli import cli
from tests.test_cli_hostile import BUYER, SGR, TITLE, assert_harmless
from watcher import calls
from watcher.calls import CallFilter, CallRow, iter_calls, list_calls
from watcher.cli import call_views, long_table
from watcher.cli.reading import write_json
from watcher.cli.safe import dumps, dumps_array
from watcher.config import load_config
from watcher.models import PARIS, Match, Tender
from watcher.notify.queries import Judged
from watcher.notify.routing import Router
from watcher.notify.settings import NotifySettings, settings_of
from watcher.store import Store
from watcher.store.schema import tenders

NOW = T0 + timedelta(days=2)
SOON = datetime(2026, 3, 20, 12, 0, tzinfo=PARIS)
WORDS = "Formation des encadrants intermédiaires à la prévention des risques psychosociaux"


@pytest.fixture
def config(tmp_path: Path) -> NotifySettings:
    return settings(tmp_path)


@pytest.fixture
def store(tmp_path: Path, config: NotifySettings) -> Iterator[Store]:
    """Seven calls, titles from short to longer than a line, one word longer than a column."""
    items = [
        notice(f"L{i}", f"{WORDS} " * i + f"n{i}", deadline=SOON + timedelta(days=i))
        for i in range(6)
    ]
    items.append(notice("LW", "Anticonstitutionnellement" * 4, deadline=None))
    with Store.open(tmp_path / "db.sqlite") as opened:
        poll(opened, items, config)
        yield opened


def rows_of(store: Store, config: NotifySettings, **kwargs: Any) -> list[CallRow]:
    return list_calls(store, CallFilter(), now=NOW, router=Router(config), **kwargs)


def screen(width: int = 140, **options: Any) -> Console:
    return Console(
        file=io.StringIO(), width=width, markup=False, emoji=False, highlight=False, **options
    )


def shown(console: Console) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


# ----------------------------------------------------------------------------- the table


@pytest.mark.parametrize("width", [140, 120, 100])
def test_the_long_table_is_the_table_rich_drew(
    store: Store, config: NotifySettings, width: int
) -> None:
    rows = rows_of(store, config, limit=None)
    fast, slow = screen(width), screen(width)
    assert long_table.fits(
        call_views.CALL_COLUMNS, [call_views.call_cells(r, NOW) for r in rows], width
    )
    call_views.print_calls(fast, rows, NOW)
    slow.print(call_views.calls_table(rows, NOW))
    assert shown(fast) == shown(slow)
    assert len(rows) == 7 and all(f" {row.tender.id} │" in shown(fast) for row in rows)
    assert "Anti" in shown(fast)


@pytest.mark.parametrize("width", [80, 72])
def test_a_narrow_screen_narrows_the_columns_as_rich_does(
    store: Store, config: NotifySettings, width: int
) -> None:
    """The same widths as rich's (its wrapping of folded words aside: rich may start a line
    with a space there)."""
    rows = rows_of(store, config, limit=None)
    fast, slow = screen(width), screen(width)
    call_views.print_calls(fast, rows, NOW)
    slow.print(call_views.calls_table(rows, NOW))
    drawn, rich_drew = shown(fast).splitlines(), shown(slow).splitlines()
    assert drawn[:4] == rich_drew[:4]  # the rules and the headers, so the column widths
    assert {len(line) for line in drawn} == {len(rich_drew[0])}  # every line as wide
    assert all(f" {row.tender.id} │" in shown(fast) for row in rows)


def test_a_word_longer_than_its_column_is_folded_not_cut() -> None:
    text = "ab " + "x" * 25 + " cd efgh"
    lines = long_table.wrap(text, 10)
    assert all(len(line) <= 10 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert long_table.wrap("", 5) == [""] and long_table.wrap("abc", 3) == ["abc"]


def hostile_row() -> CallRow:
    tender = Tender(7, (notice("26-666", TITLE, buyer=BUYER, deadline=SOON),))
    judged = Judged(tender, Match(True, 80, ("Management",)), T0)
    return CallRow(judged, (f"claire@of.fr {TITLE}",))


@pytest.mark.parametrize("terminal", [False, True])
def test_hostile_text_in_a_long_table_is_text_and_harmless(terminal: bool) -> None:
    console = screen(force_terminal=terminal, color_system="standard" if terminal else None)
    call_views.print_calls(console, [hostile_row()] * 3, NOW)
    raw = shown(console).encode()
    assert_harmless(raw, terminal=terminal)
    assert bool(SGR.search(raw)) is terminal  # colours on a terminal only
    plain = SGR.sub(b"", raw).decode()
    assert "[/nope]" in plain and "clique[/link]" in plain and "80 go" in plain


def test_on_a_terminal_the_colours_are_rich_s_own() -> None:
    console = screen(force_terminal=True, color_system="standard")
    call_views.print_calls(console, [hostile_row()], NOW)
    out = shown(console)
    assert "\x1b[32m 80 go \x1b[0m" in out  # go: green, as rich writes it
    assert "\x1b[1m n° \x1b[0m" in out  # headers bold
    plain = screen()
    call_views.print_calls(plain, [hostile_row()], NOW)
    assert re.sub("\x1b\\[[0-9;]*m", "", out) == shown(plain)


def test_wide_characters_are_left_to_rich(store: Store, config: NotifySettings) -> None:
    row = rows_of(store, config, limit=1)[0]
    tender = Tender(row.tender.id, (notice("CJK", "職業訓練の入札 formation", deadline=SOON),))
    wide = CallRow(Judged(tender, None, T0), ())
    cells = [call_views.call_cells(wide, NOW)]
    assert not long_table.fits(call_views.CALL_COLUMNS, cells, 140)
    fast, slow = screen(), screen()
    call_views.print_calls(fast, [wide], NOW)
    slow.print(call_views.calls_table([wide], NOW))
    assert shown(fast) == shown(slow)


def test_a_screen_too_narrow_for_the_dates_is_left_to_rich(
    store: Store, config: NotifySettings
) -> None:
    rows = rows_of(store, config, limit=None)
    cells = [call_views.call_cells(r, NOW) for r in rows]
    assert not long_table.fits(call_views.CALL_COLUMNS, cells, 40)
    fast, slow = screen(40), screen(40)
    call_views.print_calls(fast, rows, NOW)
    slow.print(call_views.calls_table(rows, NOW))
    assert shown(fast) == shown(slow)


# ------------------------------------------------------------------------------ --json


@pytest.mark.parametrize(
    "items",
    [
        [],
        [{}],
        [{"a": [], "b": {}, "c": None}],
        [{"title": "Formation « sécurité »\n\x1b]0;x\x07\u202e", "n": 1}, [1, [2, {"k": "v"}]]],
        ["x", 2, 3.5, True, None],
    ],
)
def test_the_array_in_pieces_is_the_document(items: list[Any]) -> None:
    assert "".join(dumps_array(iter(items))) == dumps(items)


def test_list_json_is_the_document_it_was(polled_folder: Path) -> None:
    """Byte for byte what ``list --json`` wrote before it streamed: ``dumps`` of the list."""
    written = cli(polled_folder, "list", "--json", "-n", "1000").stdout
    cfg = load_config(polled_folder / "opco-watch.toml")
    with Store.open(cfg.database) as store:
        rows = list_calls(store, CallFilter(), now=datetime.now(PARIS), router=router(cfg))
    assert written == dumps([call_views.row_json(row) for row in rows]) + "\n"
    assert len(json.loads(written)) == 10
    assert cli(polled_folder, "list", "--json", "--text", "xylophone").stdout == "[]\n"


def router(cfg: Any) -> Router:
    return Router(settings_of(cfg))


@pytest.fixture
def polled_folder(tmp_path: Path, demo_server: Any, database: Database) -> Path:
    from tests.conftest import write_config
    from tests.test_cli import FOUNDATION

    write_config(tmp_path)
    done = cli(tmp_path, "poll", *FOUNDATION, "--mirror", demo_server.base_url, "--json")
    assert done.returncode == 0, done.stderr
    return tmp_path


def test_the_calls_are_read_a_chunk_at_a_time(
    store: Store, config: NotifySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calls, "CHUNK", 2)
    loaded: list[list[int]] = []
    real = calls.queries.load

    def load(conn: Any, ids: list[int]) -> list[Judged]:
        loaded.append(list(ids))
        return real(conn, ids)

    monkeypatch.setattr(calls.queries, "load", load)
    with store.transaction() as conn:
        rows = iter_calls(conn, CallFilter(), now=NOW, router=Router(config), limit=None)
        first = next(rows)
        assert len(loaded) == 1 and first.tender.id in loaded[0]
        rest = list(rows)
    assert len(loaded) == 4 and 1 + len(rest) == 7


def test_list_json_writes_each_call_before_reading_the_next(
    store: Store,
    config: NotifySettings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The writer is fed as the store is read: when the last chunk is loaded, the calls
    before it are on stdout already."""
    monkeypatch.setattr(calls, "CHUNK", 2)
    written_before_each_load: list[str] = []
    real = calls.queries.load
    out = io.StringIO()

    def load(conn: Any, ids: list[int]) -> list[Judged]:
        out.write(capsys.readouterr().out)
        written_before_each_load.append(out.getvalue())
        return real(conn, ids)

    monkeypatch.setattr(calls.queries, "load", load)
    with store.transaction() as conn:
        rows = iter_calls(conn, CallFilter(), now=NOW, router=Router(config), limit=None)
        write_json(call_views.row_json(row) for row in rows)
    out.write(capsys.readouterr().out)
    document = json.loads(out.getvalue())
    assert len(document) == 7 and len(written_before_each_load) == 4
    last_load = written_before_each_load[-1]
    assert all(f'"number": {call["number"]},' in last_load for call in document[:6])
    assert f'"number": {document[6]["number"]},' not in last_load


def test_a_limit_stops_the_sql_too(store: Store, config: NotifySettings) -> None:
    taken = [row.tender.id for row in rows_of(store, config, limit=3)]
    everything = [row.tender.id for row in rows_of(store, config, limit=None)]
    assert taken == everything[:3]


def test_a_call_without_notices_does_not_shorten_the_page(
    store: Store, config: NotifySettings
) -> None:
    """The first calls by deadline have no notice (``queries.load`` skips them): the page
    is still as long as asked, taken from after them."""
    everything = [row.tender.id for row in rows_of(store, config, limit=None)]
    empty = {
        "title": "vide",
        "buyer": "",
        "deadline": SOON - timedelta(days=1),
        "status": "new",
        "closed": False,
        "winner": "",
        "created_at": T0,
        "updated_at": T0,
        "buyer_norm": "",
        "title_norm": "",
        "owner": "",
    }
    with store.transaction(write=True) as conn:
        conn.execute(sa.insert(tenders), [empty, empty])
    assert [row.tender.id for row in rows_of(store, config, limit=3)] == everything[:3]
    assert [row.tender.id for row in rows_of(store, config, limit=None)] == everything
