"""The sender against a real SMTP server on loopback: headers and parts, outages and
refusals, TLS and login, and exactly-once across a process killed mid-send."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, Database, write_config
from tests.notify_data import CLAIRE, SOFIA, T0, VEILLE, notice, parts, poll, settings
from tests.smtp_server import (
    Authenticator,
    Handler,
    Received,
    SmtpServer,
    self_signed,
    smtp_server,
)
from watcher.config import load_config
from watcher.errors import ConfigError
from watcher.notify.compose import compose_alerts
from watcher.notify.eml import EmlTransport, file_name
from watcher.notify.sender import backoff, claim_next, drain, lease
from watcher.notify.settings import PASSWORD_ENV, NotifySettings, settings_of
from watcher.notify.smtp import SmtpTransport
from watcher.notify.transport import TransportDown, open_transport
from watcher.store import Store
from watcher.store.schema import outbox

THREE = [
    notice("A1", "Formation management de proximité"),
    notice("A2", "Cours d'anglais professionnel"),
    notice("A3", "Formation bureautique"),
]


@pytest.fixture
def server() -> SmtpServer:
    with smtp_server() as running:
        yield running


def smtp_settings(folder: Path, server: SmtpServer, **mail: object) -> NotifySettings:
    options = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none", **mail}
    return settings(folder, timeout_seconds=30, **options)  # a hang guard, not a test


def outbox_rows(store: Store) -> list[sa.Row]:
    """The emails of the outbox (not the alert parts they were composed from)."""
    query = sa.select(outbox).where(outbox.c.kind != "alert-part").order_by(outbox.c.id)
    with store.transaction() as conn:
        return list(conn.execute(query))


def clock(at: datetime):
    return lambda: at


def test_an_alert_arrives_with_its_headers_and_both_parts(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE[:1], config)
    report = drain(store, config, clock=clock(T0))
    assert report.sent == 1 and report.ok
    (received,) = server.handler.received
    message = received.message
    assert received.mail_from == "veille@of.fr" and received.rcpt_tos == [CLAIRE]
    assert message["From"] == "opco-watch <veille@of.fr>" and message["To"] == CLAIRE
    assert message["Subject"] == "[opco-watch] 1 nouvel appel d'offres — AKTO"
    assert message["Message-ID"] == outbox_rows(store)[0].message_id
    assert (
        message["Message-ID"].endswith("@of.fr>") and message["Auto-Submitted"] == "auto-generated"
    )
    assert parsedate_to_datetime(message["Date"]) == T0
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    text, html = parts(message)
    assert "vendredi 20 mars 2026 à 12h00 (J-18)" in text
    assert "vendredi 20 mars 2026 à 12h00" in html and "<!DOCTYPE html>" in html
    assert outbox_rows(store)[0].sent_at == T0


def test_smtp_down_is_retried_with_backoff_and_nothing_is_lost(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE, config)
    server.stop()
    first = drain(store, config, clock=clock(T0))
    assert first.sent == 0 and first.retried == 1 and "cannot use the SMTP server" in first.stopped
    row = outbox_rows(store)[0]
    assert row.attempts == 1 and row.next_attempt_at == T0 + timedelta(minutes=1)
    assert "Connection refused" in row.last_error and row.claimed_at is None
    second = drain(store, config, clock=clock(T0 + timedelta(minutes=1)))
    assert second.retried == 1 and outbox_rows(store)[0].next_attempt_at == T0 + timedelta(
        minutes=3
    )
    server.start()
    assert drain(store, config, clock=clock(T0 + timedelta(minutes=2))).sent == 2  # not due: #1
    assert drain(store, config, clock=clock(T0 + timedelta(minutes=3))).sent == 1
    assert sorted(r.rcpt_tos[0] for r in server.handler.received) == sorted([CLAIRE, SOFIA, VEILLE])
    assert drain(store, config, clock=clock(T0 + timedelta(hours=1))).sent == 0


def test_backoff_doubles_up_to_six_hours() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(12) == backoff(500) == timedelta(hours=6)


def test_a_temporary_refusal_is_retried_a_permanent_one_is_not(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE, config)
    server.handler.refuse_rcpt = {CLAIRE: "451 4.3.0 greylisted", SOFIA: "550 5.1.1 no such user"}
    report = drain(store, config, clock=clock(T0))
    assert (report.sent, report.retried, report.failed, report.stopped) == (1, 1, 1, "")
    claire, sofia, _ = outbox_rows(store)
    assert claire.failed_at is None and claire.next_attempt_at == T0 + timedelta(minutes=1)
    assert "451 4.3.0 greylisted" in claire.last_error
    assert sofia.failed_at == T0 and "550 5.1.1 no such user" in sofia.last_error
    server.handler.refuse_rcpt = {}
    later = drain(store, config, clock=clock(T0 + timedelta(hours=1)))
    assert later.sent == 1 and later.failed == 0  # Sofia's stays failed
    assert [r.rcpt_tos for r in server.handler.received] == [[VEILLE], [CLAIRE]]


def test_a_refused_message_content_is_permanent(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE[:1], config)
    server.handler.refuse_data = "554 5.7.1 rejected as spam"
    assert drain(store, config, clock=clock(T0)).failed == 1
    assert "554 5.7.1 rejected as spam" in outbox_rows(store)[0].last_error


def test_login_with_the_password_from_the_environment(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = {"authenticator": Authenticator("veille", "s3cret"), "auth_require_tls": False}
    with smtp_server(**auth) as server:
        config = smtp_settings(tmp_path, server, username="veille", allow_plaintext_login=True)
        poll(store, THREE[:1], config)
        monkeypatch.delenv(PASSWORD_ENV, raising=False)
        with pytest.raises(ConfigError, match=f"{PASSWORD_ENV} is not set"):
            drain(store, config)
        monkeypatch.setenv(PASSWORD_ENV, "wrong")
        report = drain(store, config, clock=clock(T0))
        assert "refused the login of 'veille'" in report.stopped and "535" in report.stopped
        monkeypatch.setenv(PASSWORD_ENV, "s3cret")
        assert drain(store, config, clock=clock(T0 + timedelta(minutes=5))).sent == 1


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls(tmp_path: Path, store: Store, security: str) -> None:
    server_ctx, client_ctx = self_signed(tmp_path)
    options = {"tls_context": server_ctx, "require_starttls": True}
    with smtp_server(
        **(options if security == "starttls" else {"ssl_context": server_ctx})
    ) as server:
        config = smtp_settings(tmp_path, server, security=security)
        poll(store, THREE[:1], config)
        transport = SmtpTransport(config.mail, None, context=client_ctx)
        assert drain(store, config, transport, clock=clock(T0)).sent == 1
        transport.close()
        assert len(server.handler.received) == 1


def test_an_untrusted_certificate_stops_the_pass(tmp_path: Path, store: Store) -> None:
    server_ctx, _ = self_signed(tmp_path)
    with smtp_server(tls_context=server_ctx, require_starttls=True) as server:
        config = smtp_settings(tmp_path, server, security="starttls")
        poll(store, THREE[:1], config)
        report = drain(store, config, clock=clock(T0))
        assert report.sent == 0 and "CERTIFICATE_VERIFY_FAILED" in report.stopped
        assert server.handler.received == []


def test_without_smtp_each_message_is_an_eml_file(tmp_path: Path, store: Store) -> None:
    config = settings(tmp_path)
    assert isinstance(open_transport(config), EmlTransport)
    poll(store, THREE, config)
    assert drain(store, config, clock=clock(T0)).sent == 3
    files = sorted((tmp_path / "outbox").iterdir())
    assert sorted(f.name for f in files) == sorted(
        file_name(r.message_id) for r in outbox_rows(store)
    )
    assert all(f.read_bytes().startswith(b"Subject: [opco-watch]") for f in files)


def test_an_unwritable_outbox_folder_stops_the_pass(tmp_path: Path, store: Store) -> None:
    (tmp_path / "outbox").write_text("a file where the folder should be")
    config = settings(tmp_path)
    poll(store, THREE[:1], config)
    with pytest.raises(TransportDown):
        message = EmailMessage()
        message["Message-ID"] = "<x@of.fr>"
        EmlTransport(tmp_path / "outbox").send(message)
    report = drain(store, config, clock=clock(T0))
    assert report.stopped.startswith("cannot write") and outbox_rows(store)[0].sent_at is None


# --------------------------------------------------------------------- killed mid-run

CRASH = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from tests.notify_data import settings
    from watcher.notify import sender
    from watcher.notify.eml import EmlTransport
    from watcher.notify.smtp import SmtpTransport
    from watcher.store import Store

    folder, moment, port, url = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)
    if moment == "after-send":  # the server accepted it; the sent mark is never written
        sender.record = die
    else:  # claimed, then killed before anything is handed over
        EmlTransport.send = SmtpTransport.send = die
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "security": "none"} if port else {}
    config = settings(folder, **mail)
    now = datetime.fromisoformat("2026-03-02T09:00:00+01:00")
    sender.drain(Store.open(url), config, clock=lambda: now)
    """
)


def kill_mid_run(folder: Path, url: str, moment: str, port: int = 0) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(folder), moment, str(port), url],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == -9, done.stderr


def test_killed_after_the_server_accepted_one_duplicate_at_most(
    tmp_path: Path, database: Database, server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = smtp_settings(tmp_path, server)
    with Store.open(database.url) as store:
        poll(store, THREE, config)
    kill_mid_run(tmp_path, database.url, "after-send", server.port)
    assert len(server.handler.received) == 1  # delivered, but never marked sent
    with Store.open(database.url) as store:
        assert [r.doubtful_sends for r in outbox_rows(store)] == [1, 0, 0]
        # the killed sender is gone: its claim is released without waiting for the lease
        soon = drain(store, config, clock=clock(T0 + timedelta(seconds=1)))
        assert (soon.sent, soon.in_doubt) == (3, 1)
        assert all(r.sent_at is not None for r in outbox_rows(store))
    ids = Counter(str(r.message["Message-ID"]) for r in server.handler.received)
    assert sorted(ids.values()) == [1, 1, 2]  # the documented residual risk: one duplicate,
    assert "may have been delivered" in caplog.text  # same Message-ID, logged


def test_a_live_senders_claim_holds_until_its_lease_expires(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE[:1], config)
    compose_alerts(store, config, T0)
    assert claim_next(store, T0, lease(config)) is not None  # held by this (live) process
    assert drain(store, config, clock=clock(T0 + timedelta(seconds=1))).sent == 0
    late = drain(store, config, clock=clock(T0 + lease(config) + timedelta(seconds=1)))
    assert (late.sent, late.in_doubt) == (1, 0)  # never reached DATA: not in doubt
    assert len(server.handler.received) == 1


def test_killed_after_an_eml_file_was_written_no_duplicate(
    tmp_path: Path, database: Database
) -> None:
    config = settings(tmp_path)
    with Store.open(database.url) as store:
        poll(store, THREE, config)
    kill_mid_run(tmp_path, database.url, "after-send")
    (written,) = (tmp_path / "outbox").iterdir()
    before = written.read_bytes()
    with Store.open(database.url) as store:
        report = drain(store, config, clock=clock(T0 + lease(config) + timedelta(seconds=1)))
        assert (report.sent, report.in_doubt) == (3, 1)
        names = sorted(file_name(r.message_id) for r in outbox_rows(store))
    assert sorted(f.name for f in (tmp_path / "outbox").iterdir()) == names  # 3 files, not 4
    assert written.read_bytes() == before  # the same message, written again in place


def test_killed_before_the_send_delivers_once_after_restart(
    tmp_path: Path, database: Database, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    with Store.open(database.url) as store:
        poll(store, THREE[:1], config)
    kill_mid_run(tmp_path, database.url, "before-send", server.port)
    assert server.handler.received == []
    with Store.open(database.url) as store:
        assert (
            drain(store, config, clock=clock(T0 + lease(config) + timedelta(seconds=1))).sent == 1
        )
        assert drain(store, config, clock=clock(T0 + timedelta(days=1))).sent == 0
    assert len(server.handler.received) == 1


# ------------------------------------------------------------- the in-doubt window, real kills


@dataclass
class Hold:
    """One DATA held by the server: ``arrived`` once it has the message, answers when
    ``released``."""

    arrived: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)


@dataclass
class Stalling(Handler):
    """Records each message as it arrives (a real server would deliver it), then holds the
    answer to the next DATA commands until the test releases them."""

    holds: list[Hold] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        data = envelope.original_content or envelope.content
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(data)))
        if self.holds:
            hold = self.holds.pop(0)
            hold.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, hold.released.wait, 120)
        return "250 Message accepted for delivery"


def send_config(folder: Path, port: int) -> Path:
    mail = (
        '[mail]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\nsecurity = "none"\n'
        'sender = "veille@of.fr"\ndefault_recipient = "claire@of.fr"\ntimeout_seconds = 10\n'
    )
    return write_config(folder, mail.format(port=port))


def opco_watch_send(config_file: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "watcher", "--config", str(config_file), "send"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def killed_in_data(config_file: Path, hold: Hold) -> None:
    """A real ``opco-watch send``, SIGKILLed while the server holds its DATA: the server
    has the message, the sender never learns it."""
    sender = opco_watch_send(config_file)
    try:
        assert hold.arrived.wait(90), "the sender never reached DATA"
    finally:
        sender.kill()
        sender.communicate(timeout=60)
        hold.released.set()
    assert sender.returncode == -signal.SIGKILL


def outbox_row(database: str) -> sa.Row:
    with Store.open(database) as store:
        (row,) = outbox_rows(store)
    return row


def test_killed_in_the_window_twice_a_message_arrives_twice_never_three_times(
    tmp_path: Path,
) -> None:
    first, second = Hold(), Hold()
    with smtp_server(Stalling(holds=[first, second])) as server:
        config_file = send_config(tmp_path, server.port)
        config = load_config(config_file)
        with Store.open(config.database) as store:
            poll(store, THREE[:1], settings_of(config))
        killed_in_data(config_file, first)
        row = outbox_row(config.database)
        assert row.doubtful_sends == 1 and row.sent_at is None  # marked before DATA
        killed_in_data(config_file, second)  # at once: the dead sender's claim is released
        assert outbox_row(config.database).doubtful_sends == 2
        third = opco_watch_send(config_file)
        _, errors = third.communicate(timeout=120)
        assert third.returncode == 0, errors
    ids = Counter(str(r.message["Message-ID"]) for r in server.handler.received)
    assert list(ids.values()) == [2]  # two copies at most, never a third
    row = outbox_row(config.database)
    assert row.sent_at is not None and row.claimed_at is None
    assert row.last_error.startswith("interrupted twice after the server may have accepted it")
    assert "presumed delivered" in errors


def test_killed_in_the_window_once_the_message_is_sent_once_more(tmp_path: Path) -> None:
    hold = Hold()
    with smtp_server(Stalling(holds=[hold])) as server:
        config_file = send_config(tmp_path, server.port)
        config = load_config(config_file)
        with Store.open(config.database) as store:
            poll(store, THREE[:1], settings_of(config))
        killed_in_data(config_file, hold)
        again = opco_watch_send(config_file)
        _, errors = again.communicate(timeout=120)
        assert again.returncode == 0, errors
        assert "may have been delivered" in errors
    assert len(server.handler.received) == 2
    row = outbox_row(config.database)
    assert row.sent_at is not None and row.last_error is None and row.doubtful_sends == 2


def test_a_refusal_of_the_data_takes_back_the_doubt(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE[:1], config)
    server.handler.refuse_data = "451 4.3.0 try again later"
    report = drain(store, config, clock=clock(T0))
    assert report.retried == 1
    (row,) = outbox_rows(store)
    assert row.doubtful_sends == 0 and row.sent_at is None  # the server said no: not delivered
    server.handler.refuse_data = ""
    assert drain(store, config, clock=clock(T0 + timedelta(hours=1))).sent == 1


def test_a_refused_recipient_is_never_in_doubt(
    tmp_path: Path, store: Store, server: SmtpServer
) -> None:
    config = smtp_settings(tmp_path, server)
    poll(store, THREE[:1], config)
    server.handler.refuse_all_rcpt = "450 4.2.1 mailbox busy"
    assert drain(store, config, clock=clock(T0)).retried == 1
    (row,) = outbox_rows(store)
    assert row.doubtful_sends == 0
    server.handler.refuse_all_rcpt = ""
    assert drain(store, config, clock=clock(T0 + timedelta(hours=1))).sent == 1
    assert len(server.handler.received) == 1  # the connection was reset and reused cleanly
