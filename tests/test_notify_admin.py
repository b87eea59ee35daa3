"""Admin alerts: a source failing N times in a row is reported once, its recovery once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.notify_data import ADMIN, T0, Collect, parts, settings
from watcher.notify.admin import check_sources
from watcher.notify.sender import drain
from watcher.store import Store


def fail(store: Store, times: int, start: int = 0) -> None:
    for k in range(start, start + times):
        store.record_failure(
            "akto",
            at=T0 + timedelta(hours=k),
            error_kind="fetch",
            error="site unreachable: https://www.akto.fr/",
        )


def succeed(store: Store, hours: int) -> None:
    store.record_success("akto", at=T0 + timedelta(hours=hours), items=3, new=0, changed=0)


def test_reported_once_after_three_failures_then_once_on_recovery(
    tmp_path: Path, store: Store
) -> None:
    config = settings(tmp_path)
    succeed(store, -1)
    fail(store, 2)
    assert check_sources(store, config, T0) == 0
    fail(store, 1, start=2)
    assert check_sources(store, config, T0) == 1
    fail(store, 5, start=3)
    assert check_sources(store, config, T0) == 0  # no storm while it stays down
    succeed(store, 9)
    assert check_sources(store, config, T0) == 1
    succeed(store, 10)
    assert check_sources(store, config, T0) == 0
    down, up = Collect(), Collect()
    drain(store, config, down, limit=1)
    drain(store, config, up)
    assert [m["To"] for m in down.sent + up.sent] == [ADMIN, ADMIN]
    # the source as the admin knows it (« AKTO »); its id only in the command to run
    assert down.sent[0]["Subject"] == "[opco-watch] [admin] source AKTO en échec"
    assert up.sent[0]["Subject"] == "[opco-watch] [admin] source AKTO fonctionne de nouveau"
    text, html = parts(down.sent[0])
    assert "a échoué 3 fois de suite" in text and "site unreachable: https://www.akto.fr/" in html
    assert "La source «\u00a0AKTO\u00a0» a échoué" in text and "<strong>AKTO</strong>" in html
    assert "opco-watch poll --source akto -v" in text
    assert "La source «\u00a0AKTO\u00a0» fonctionne de nouveau" in parts(up.sent[0])[0]
    assert "lundi 2 mars 2026 à 8h00" in text  # the last success


def test_a_new_failure_streak_is_reported_again(tmp_path: Path, store: Store) -> None:
    config = settings(tmp_path, admin_after_failures=2)
    fail(store, 2)
    assert check_sources(store, config, T0) == 1
    succeed(store, 3)
    assert check_sources(store, config, T0) == 1
    fail(store, 2, start=4)
    assert check_sources(store, config, T0) == 1
    assert check_sources(store, config, T0 + timedelta(hours=1)) == 0
