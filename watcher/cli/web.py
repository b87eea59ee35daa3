"""CLI commands of the staff console: ``serve`` (the web app on uvicorn) and ``users``
(accounts: add, list, remove, a one-time password link)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click

from watcher.cli.common import EXIT_NOT_FOUND, err, fail, friendly, load, out
from watcher.cli.safe import line
from watcher.config import Config, config_path
from watcher.errors import ConfigError
from watcher.fr import NBSP, long_date
from watcher.store import Store

log = logging.getLogger(__name__)


def check_bind(config: Config, store: Store) -> None:
    """Refuse to listen beyond loopback while no admin account exists."""
    from watcher import accounts

    if config.web.loopback or accounts.count_users(store, "admin"):
        return
    raise ConfigError(
        f"la console écouterait sur {config.web.host} sans compte administrateur",
        key="web.host",
        hint=f"créez-en un d'abord{NBSP}: opco-watch users add EMAIL --role admin "
        "(ou gardez web.host = 127.0.0.1)",
    )


def serve_console(
    config: Config,
    *,
    config_file: Path | None = None,
    mirror: str | None = None,
    with_scheduler: bool = False,
) -> int:
    """Serve the console until Ctrl-C / SIGTERM; with the scheduler in the same process."""
    from watcher.web.app import create_app, server_of

    with Store.open(config.database) as store:
        check_bind(config, store)
        record_address(store, config)
        _say_if_demo(store, mirror)
    web = config.web
    server = server_of(create_app(config, config_file=config_file, mirror=mirror), config)
    stop, worker = threading.Event(), None
    if with_scheduler:
        from watcher.scheduler import run as run_scheduler

        worker = threading.Thread(
            target=run_scheduler, args=(config,), kwargs={"mirror": mirror, "stop": stop}
        )
        worker.start()
    server.on_started = lambda: out.print(
        f"Console{NBSP}: {web.base_url}/ (Ctrl-C pour l'arrêter)", highlight=False
    )
    # uvicorn stops gracefully on SIGINT / SIGTERM, then raises the signal again for the
    # handler it found: a quiet one for SIGTERM, KeyboardInterrupt (caught) for Ctrl-C
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl-C it handled: a normal stop
        pass
    finally:
        stop.set()
        if worker is not None:
            worker.join()
    return 0


@click.command("serve")
@click.option("--host", help="Listen on this address (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: web.port, 8000).")
@click.option("--mirror", hidden=True, help="Fetch every URL from this base URL (offline demo).")
@click.pass_context
@friendly
def serve_command(
    ctx: click.Context, host: str | None, port: int | None, mirror: str | None
) -> None:
    """Serve the staff console (web pages in French) on http://127.0.0.1:8000/."""
    configured = load(ctx)
    cfg = _with_bind(configured, host, port)
    if cfg.web.base_url != configured.web.base_url:
        _say_links_follow(cfg)
    sys.exit(serve_console(cfg, config_file=config_path(ctx.find_root().obj), mirror=mirror))


def record_address(store: Store, config: Config) -> None:
    """Record where this console listens: the emails other processes make from now on (the
    poller's alerts, the digest, `users add`'s link) lead here unless web.public_url is set."""
    from datetime import UTC, datetime

    from watcher.links import record_served

    with store.transaction(write=True) as conn:
        record_served(conn, config.web.listen_url, datetime.now(UTC))


def _say_if_demo(store: Store, mirror: str | None) -> None:
    from watcher.demo import demo_day

    day = demo_day(store) if mirror is None else None
    if day is not None:
        out.print(
            f"Données de démonstration{NBSP}: les interrogations lisent les pages enregistrées "
            f"de la démonstration (datées du {long_date(day)}) sur 127.0.0.1, jamais les vrais "
            "sites.",
            highlight=False,
            soft_wrap=True,
        )


def _say_links_follow(served: Config) -> None:
    """--host / --port move the console off the configured address: the links follow it."""
    err.print(
        line(
            (f"note{NBSP}:", "cyan"),
            " les liens des e-mails faits à partir de maintenant, et ceux de `users add` / "
            f"`users link`, mènent à cette console ({served.web.base_url}/), l'adresse qu'elle "
            f"enregistre dans la base{NBSP}; réglez web.public_url pour en donner une autre",
        ),
        soft_wrap=True,
    )


def _with_bind(cfg: Config, host: str | None, port: int | None) -> Config:
    changes = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    if not changes:
        return cfg
    web = cfg.web.model_validate({**cfg.web.model_dump(), **changes})
    return cfg.model_copy(update={"web": web})


@click.group("users")
def users_group() -> None:
    """Accounts of the console: admins manage, members act on the calls."""


@users_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "member"]), default="member", show_default=True)
@click.option("--password", "prompt", is_flag=True, help="Type the password now instead of a link.")
@click.pass_context
@friendly
def users_add(ctx: click.Context, email: str, role: str, prompt: bool) -> None:
    """Create an account; prints a one-time link to set its password (or asks for it)."""
    from watcher import accounts

    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        user = accounts.add_user(store, email, role)
        if prompt:
            password = click.prompt(
                "Mot de passe",
                hide_input=True,
                confirmation_prompt="Le mot de passe, à nouveau",
            )
            accounts.set_password(store, user.id, password)
            created = f"Compte {user.email} ({role}) créé avec son mot de passe."
            out.print(created, highlight=False)
            return
        link = _password_link(cfg, store, user.email)
    out.print(f"Compte {user.email} ({role}) créé.", highlight=False)
    out.print(
        "Envoyez ce lien, à usage unique, pour choisir le mot de passe (valable 3 jours)"
        f"{NBSP}:\n{link}",
        highlight=False,
        soft_wrap=True,  # a link cut across lines opens nothing
    )


def _password_link(cfg: Config, store: Store, email: str) -> str:
    """The link on the console as last served (see ``watcher.links.served_links``)."""
    from watcher import accounts
    from watcher.links import link_settings, served_links

    with store.transaction() as conn:
        base = served_links(conn, link_settings(cfg)).base_url
    return f"{base}/mot-de-passe/{accounts.password_token(store, email)}"


@users_group.command("link")
@click.argument("email")
@click.pass_context
@friendly
def users_link(ctx: click.Context, email: str) -> None:
    """A new one-time link to (re)set the password of an account."""
    from watcher import accounts

    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        if accounts.find_user(store, email) is None:
            fail(f"aucun compte pour {email} (voir `opco-watch users list`)", EXIT_NOT_FOUND)
        out.print(_password_link(cfg, store, email), highlight=False, soft_wrap=True)


@users_group.command("list")
@click.pass_context
@friendly
def users_list(ctx: click.Context) -> None:
    """The accounts, their role and whether their password is set."""
    from watcher import accounts

    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        found = accounts.list_users(store)
    if not found:
        out.print(f"Aucun compte{NBSP}: la console est ouverte, sur 127.0.0.1 seulement.")
    for user in found:
        state = "mot de passe choisi" if user.has_password else "en attente de son mot de passe"
        out.print(f"{user.email}  {user.role}  ({state})", highlight=False)


@users_group.command("remove")
@click.argument("email")
@click.pass_context
@friendly
def users_remove(ctx: click.Context, email: str) -> None:
    """Delete an account (its sessions end at once)."""
    from watcher import accounts

    cfg = load(ctx)
    with Store.open(cfg.database) as store:
        accounts.remove_user(store, email)
    out.print(f"Compte {email} supprimé.", highlight=False)


COMMANDS = (serve_command, users_group)


def demo_folder(directory: Path | None) -> Path:
    """The demo's data folder (a new temporary one by default; it stays on disk)."""
    import tempfile

    if directory is not None:
        return directory
    return Path(tempfile.mkdtemp(prefix="opco-watch-demo-"))


def serve_demo(config_file: Path) -> int:
    """The console on the demo's data (« interroger maintenant » polls its snapshots, as any
    poll of a demo's store does); on port 8000, or a free one when 8000 is taken."""
    from watcher.config import load_config

    config = load_config(config_file)
    port = config.web.port if _free(config.web.host, config.web.port) else 0
    if port == 0:
        port = _any_port(config.web.host)
        out.print(f"Le port {config.web.port} est pris{NBSP}: port {port}.", highlight=False)
    config = _with_bind(config, None, port)
    out.rule("7. La console, sur les données de la démonstration")
    return serve_console(config, config_file=config_file)


def _free(host: str, port: int) -> bool:
    import socket

    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _any_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
