"""What imports the classifier: wording a place for an email needs the NUTS table only
(``watcher/nuts.py``), not the classify package (about 60 ms of imports)."""

from __future__ import annotations

import subprocess
import sys

from watcher import nuts
from watcher.classify import geo


def test_notify_context_does_not_import_the_classifier() -> None:
    code = (
        "import sys, watcher.notify.context\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('watcher.classify'))\n"
        "print(','.join(loaded))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert run.stdout.strip() == ""


def test_geo_reads_nuts_codes_from_the_core_table() -> None:
    assert geo.nuts_region is nuts.nuts_region and geo.NATIONAL == nuts.NATIONAL
    assert nuts.nuts_region("FRH03") == "Bretagne" == geo.read_place("FRH")[0]
    assert nuts.nuts_region("FR") == nuts.NATIONAL and nuts.nuts_region("DE1") is None
