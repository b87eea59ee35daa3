"""Mail settings that would do harm: example addresses over real SMTP, a password in clear,
a templates folder that does not exist. Against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import write_config
from tests.notify_data import T0, notice, poll, settings
from tests.smtp_server import Authenticator, smtp_server
from watcher.config_check import check_config
from watcher.errors import ConfigError, NotifyError
from watcher.notify.digest import write_html
from watcher.notify.eml import EmlTransport
from watcher.notify.sender import drain
from watcher.notify.settings import PASSWORD_ENV, MailConfig, NotifySettings, is_loopback
from watcher.notify.week import Week
from watcher.store import Store
from watcher.store.schema import outbox

EXAMPLE = "claire.martin@exemple-formation.fr"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "db.sqlite") as opened:
        yield opened


def with_mail(folder: Path, **changes: object) -> NotifySettings:
    """The notify tests' settings with these mail settings, validated."""
    base = settings(folder)
    return replace(base, mail=MailConfig.model_validate({**base.mail.model_dump(), **changes}))


def rows(store: Store) -> list[sa.Row]:
    query = sa.select(outbox).where(outbox.c.kind != "alert-part").order_by(outbox.c.id)
    with store.transaction() as conn:
        return list(conn.execute(query))


def test_smtp_never_delivers_to_an_example_address(tmp_path: Path, store: Store) -> None:
    with smtp_server() as server:
        config = with_mail(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            security="none",
            default_recipient=EXAMPLE,
        )
        poll(store, [notice("A1", "Formation bureautique")], config)  # no owner: the default
        report = drain(store, config)
        assert report.failed == 1 and report.sent == 0
        assert server.handler.received == [], "nothing reached the server"
    (row,) = rows(store)
    assert row.failed_at is not None and row.recipient == EXAMPLE
    assert row.last_error.startswith(f"not sent: {EXAMPLE} is an example address")


def test_without_smtp_example_addresses_get_their_eml_file(tmp_path: Path, store: Store) -> None:
    config = with_mail(tmp_path, default_recipient=EXAMPLE)
    poll(store, [notice("A1", "Formation bureautique")], config)
    assert drain(store, config, EmlTransport(tmp_path / "outbox")).sent == 1
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1


def test_smtp_from_an_example_sender_is_refused_before_anything_is_sent(
    tmp_path: Path, store: Store
) -> None:
    with smtp_server() as server:
        config = with_mail(
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_port=server.port,
            security="none",
            sender="veille@example.org",
        )
        poll(store, [notice("A1", "Formation bureautique")], config)
        with pytest.raises(ConfigError, match=r"mail\.sender: the sender veille@example\.org"):
            drain(store, config)
        assert server.handler.received == []
    with store.transaction() as conn:
        assert conn.execute(sa.select(sa.func.max(outbox.c.attempts))).scalar() == 0


# ---------------------------------------------------------------------- password in clear


def test_a_login_without_encryption_is_refused_unless_allowed_for_loopback(
    tmp_path: Path,
) -> None:
    def errors(mail: str) -> list[str]:
        return [str(e) for e in check_config(write_config(tmp_path, mail)).errors]

    plain = '[mail]\nsmtp_host = "{host}"\nsecurity = "none"\nusername = "veille"\n'
    (refused,) = errors(plain.format(host="smtp.of.fr"))
    assert refused.startswith("mail.username: with security = none the SMTP password would")
    allowed = plain + "allow_plaintext_login = true\n"
    (remote,) = errors(allowed.format(host="smtp.of.fr"))
    assert "allow_plaintext_login is only for a server on this machine" in remote
    assert errors(allowed.format(host="127.0.0.1")) == [
        f"mail.username: an SMTP login is configured but {PASSWORD_ENV} is not set\n"
        f"  -> export {PASSWORD_ENV}=... before starting opco-watch, or remove mail.username "
        "if the server needs no login"
    ]
    assert errors(plain.format(host="smtp.of.fr").replace('"none"', '"starttls"'))[0].startswith(
        "mail.username: an SMTP login is configured"
    )


def test_loopback_hosts() -> None:
    assert all(map(is_loopback, ["localhost", "127.0.0.1", "127.0.0.53", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["smtp.of.fr", "10.0.0.1", "", "localhost.of.fr"]))


def test_the_transport_refuses_a_password_in_clear_even_if_the_settings_were_bypassed(
    tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "s3cret")
    auth = {"authenticator": Authenticator("veille", "s3cret"), "auth_require_tls": False}
    with smtp_server(**auth) as server:
        base = settings(tmp_path)
        changes = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none"}
        mail = base.mail.model_copy(update={**changes, "username": "veille"})  # no validation
        config = replace(base, mail=mail)
        poll(store, [notice("A1", "Formation bureautique")], config)
        report = drain(store, config)
        assert "refusing to send the SMTP password in clear" in report.stopped
        assert server.handler.received == []


# ------------------------------------------------------------------------ templates folder


def test_a_missing_mail_templates_folder_fails_at_use_too(tmp_path: Path, store: Store) -> None:
    config = with_mail(tmp_path, templates_dir=Path("/nonexistent"))
    with pytest.raises(NotifyError, match=r"mail\.templates_dir /nonexistent is not a folder"):
        write_html(store, config, Week(2026, 10), T0, tmp_path / "digest.html")
