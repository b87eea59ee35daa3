"""Opening an up-to-date store costs no migration machinery: alembic (and mako, which it
pulls) are imported only when a step is applied (a second of start-up for every command)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from watcher.store import Store

CHECK = """
import sys
from watcher.store import Store
Store.open(sys.argv[1]).close()
print(sorted(m for m in sys.modules if m.split(".")[0] in ("alembic", "mako")))
"""


def test_an_up_to_date_store_opens_without_importing_alembic(tmp_path: Path) -> None:
    db = tmp_path / "data" / "opco-watch.db"
    Store.open(db).close()  # created and migrated here
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(db)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
