"""Imported first by a process under test (``python -c "import tests.no_network; ..."``): a
name lookup of any host but loopback fails, as on a machine without network, and the host is
written to the file ``$OPCO_WATCH_TEST_LOOKUPS``, so that the test sees what was asked for.

Every fetch of opco-watch names its host (the sources' URLs, the demo's 127.0.0.1 mirror):
refusing the lookup refuses the connection."""

from __future__ import annotations

import os
import socket
from typing import Any

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_lookup = socket.getaddrinfo


def _loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if host is not None and name not in LOOPBACK:
        with open(os.environ["OPCO_WATCH_TEST_LOOKUPS"], "a", encoding="utf-8") as log:
            log.write(name + "\n")
        raise socket.gaierror(socket.EAI_NONAME, f"no network in this test: {name}")
    return _lookup(host, *args, **kwargs)


socket.getaddrinfo = _loopback_only
