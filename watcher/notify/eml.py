"""The transport without a mail server: each message becomes ``<Message-ID>.eml`` in a folder.

The file name is the Message-ID, and the file is written to a temporary name then renamed, so
sending a message twice (after a crash) leaves one complete file: delivery is idempotent.
"""

from __future__ import annotations

import logging
import os
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

from watcher.notify.transport import OnData, TransportDown

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._@+-]")


def file_name(message_id: str) -> str:
    """'<alert.3f2a@of.fr>' -> 'alert.3f2a@of.fr.eml' (anything odd becomes '_')."""
    return _UNSAFE.sub("_", message_id.strip().strip("<>")) + ".eml"


class EmlTransport:
    name = "eml"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, on_data: OnData | None = None) -> None:
        target = self.folder / file_name(str(message["Message-ID"]))
        partial = target.with_suffix(".eml.partial")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if on_data is not None:
                on_data()
            with partial.open("wb") as handle:
                handle.write(message.as_bytes(policy=policy.SMTP))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except OSError as error:
            raise TransportDown(f"cannot write {target}: {error.strerror}") from error
        log.debug("wrote %s", target)

    def close(self) -> None:
        """Nothing to release."""
