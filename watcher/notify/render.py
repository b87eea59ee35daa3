"""One Jinja environment for every email and digest, and the building of MIME messages.

The environment is sandboxed (users may point ``mail.templates_dir`` at their own templates,
searched before the shipped ones), autoescapes HTML and XML templates, and fails on any
undefined name. Data from the web only ever enters as context values: it is escaped in HTML
and never compiled as a template.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcher.errors import NotifyError
from watcher.models import PARIS
from watcher.notify import chart

if TYPE_CHECKING:  # jinja2 loads when a message is rendered, not to send an empty outbox
    from jinja2 import BytecodeCache
    from jinja2.sandbox import SandboxedEnvironment

log = logging.getLogger(__name__)

ESCAPED = ("html", "htm", "xml", "svg", "html.j2", "htm.j2", "xml.j2", "svg.j2")
SENDER_NAME = "opco-watch"
#: how the templates are compiled; part of the compiled templates' cache key (``_bytecode``)
OPTIONS = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}


@lru_cache(maxsize=8)
def environment(user_dir: Path | None = None) -> SandboxedEnvironment:
    """The shared environment; ``user_dir``'s templates override the shipped ones."""
    from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined
    from jinja2 import select_autoescape as autoescape_for
    from jinja2.sandbox import SandboxedEnvironment

    loaders: list[Any] = [FileSystemLoader(str(user_dir))] if user_dir else []
    loaders.append(PackageLoader("templates", "."))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=autoescape_for(enabled_extensions=ESCAPED, default_for_string=True),
        undefined=StrictUndefined,
        bytecode_cache=_bytecode(),
        **OPTIONS,
    )
    env.globals["bar_chart_svg"] = chart.svg
    return env


def _bytecode() -> BytecodeCache | None:
    """Compiled templates kept between processes, in the user's cache folder: compiling the
    digest's costs each ``digest`` or ``send`` about 0.05 s (issue 12). Jinja keys each by
    the template's file and source, and writes atomically; the folder's name carries Jinja's
    version and what else shapes the compiled code (the options, which names autoescape, the
    sandbox), which the key does not. None when the folder cannot be made (a read-only home):
    templates are then compiled each time, as before."""
    from jinja2 import FileSystemBytecodeCache, __version__

    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    shape = repr((sorted(OPTIONS.items()), ESCAPED, "sandboxed")).encode()
    options = hashlib.blake2b(shape, digest_size=4).hexdigest()
    folder = os.path.join(base, "opco-watch", f"templates-jinja{__version__}-{options}")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as error:
        log.info("compiled templates not kept (%s): %s", folder, error)
        return None
    return FileSystemBytecodeCache(folder)


def render(name: str, context: dict[str, Any], user_dir: Path | None = None) -> str:
    """Render ``name`` (e.g. "email/alert.html.j2"); any template problem is a NotifyError."""
    from jinja2 import TemplateError

    if user_dir is not None and not user_dir.is_dir():  # a typo must not go unnoticed
        raise NotifyError(
            f"mail.templates_dir {user_dir} is not a folder: create it or remove the setting"
        )
    try:
        return environment(user_dir).get_template(name).render(context)
    except TemplateError as error:
        where = f" (templates in {user_dir})" if user_dir else ""
        raise NotifyError(f"template {name}{where} cannot be rendered: {error}") from error


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the outbox row says about one email."""

    message_id: str
    kind: str
    recipient: str
    subject: str
    template: str
    context: dict[str, Any]
    created_at: datetime


def build_message(envelope: Envelope, sender: str, user_dir: Path | None = None) -> EmailMessage:
    """A multipart/alternative email: the text part, then the HTML part."""
    context = {**envelope.context, "subject": envelope.subject}
    text = render(f"{envelope.template}.txt.j2", context, user_dir)
    html = render(f"{envelope.template}.html.j2", context, user_dir)
    message = EmailMessage()
    message["Subject"] = envelope.subject
    message["From"] = Address(SENDER_NAME, addr_spec=sender)
    message["To"] = envelope.recipient
    message["Date"] = format_datetime(envelope.created_at.astimezone(PARIS))
    message["Message-ID"] = envelope.message_id
    message["Auto-Submitted"] = "auto-generated"
    message["X-Opco-Watch-Kind"] = envelope.kind
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    # "=_" never occurs in quoted-printable parts; a fixed boundary makes the bytes of a
    # message the same each time it is built (a re-sent .eml file is identical)
    digest = hashlib.blake2b(envelope.message_id.encode(), digest_size=12).hexdigest()
    message.set_boundary(f"=_opco-watch_{digest}")
    return message
