"""`opco-watch serve`, `run --serve` and `users` as real processes and commands; « interroger
maintenant » for one source, against the demo's snapshots on loopback."""

from __future__ import annotations

import html
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from tests.notify_data import Collect, parts, poll
from tests.smtp_server import smtp_server
from tests.test_cli import cli
from tests.web_site import (
    ADMIN,
    CLAIRE,
    NOW,
    PASSWORD,
    Site,
    _notice,
    build_site,
    csrf_of,
    free_port,
    login,
    post,
    verdict,
)
from watcher import accounts
from watcher.cli import main
from watcher.config import load_config
from watcher.devserver import DevServer
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def _cli(site: Site, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--config", str(site.config_file), *args], input=input)
    return result.exit_code, result.output


def test_serve_refuses_another_address_until_an_admin_exists(site: Site) -> None:
    code, output = _cli(site, "serve", "--host", "0.0.0.0", "--port", str(free_port()))
    assert code == 2 and "sans compte administrateur" in output and "users add" in output


def test_users_add_prints_a_one_time_link_that_sets_the_password(site: Site) -> None:
    code, output = _cli(site, "users", "add", "Bid@OF.fr", "--role", "member")
    assert code == 0, output
    link = re.search(r"http://127\.0\.0\.1:8000(/mot-de-passe/\S+)", output)
    assert link, output
    with site.client() as client:
        form = client.get(link.group(1))
        data = {"csrf": csrf_of(form.text), "password": PASSWORD, "again": PASSWORD}
        assert client.post(link.group(1), data=data).status_code == 303
        login(client, "bid@of.fr")
    code, output = _cli(site, "users", "list")
    assert "bid@of.fr  member  (mot de passe choisi)" in output
    code, output = _cli(site, "users", "add", "bid@of.fr")
    assert code == 5 and "un compte existe déjà pour bid@of.fr" in output


def test_users_add_with_a_typed_password_and_remove(site: Site) -> None:
    code, output = _cli(
        site,
        "users",
        "add",
        ADMIN,
        "--role",
        "admin",
        "--password",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert code == 0, output
    with site.store() as store:
        assert accounts.authenticate(store, ADMIN, PASSWORD) is not None
    code, output = _cli(site, "users", "add", "x@of.fr", "--password", input="short\nshort\n")
    assert code == 5 and "10 caractères" in output
    assert _cli(site, "users", "remove", ADMIN)[0] == 0
    code, output = _cli(site, "users", "remove", ADMIN)
    assert code == 5 and "aucun compte pour" in output
    assert _cli(site, "users", "link", "nobody@of.fr")[0] == 4


@contextmanager
def _process(site: Site, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    command = [sys.executable, "-m", "watcher", "--config", str(site.config_file), *args]
    with _console(command, site.folder, {}) as (process, base, _said):
        yield process, base


@contextmanager
def _console(
    command: list[str], folder: Path, env: dict[str, str]
) -> Iterator[tuple[subprocess.Popen[str], str, list[str]]]:
    """The console started by ``command``: the process, its address, what it printed first
    (its stderr goes to ``folder``/stderr.log)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **env}
    log, said = folder / "stderr.log", []
    with (
        log.open("w") as errors,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env
        ) as process,
    ):
        try:
            assert process.stdout is not None
            for line in process.stdout:  # blocks until the console says where it listens
                said.append(line)
                found = re.search(r"Console\u00a0: (http://\S+)/ ", line)
                if found:
                    yield process, found.group(1), said
                    break
            else:
                raise AssertionError(log.read_text())
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def test_serve_runs_the_console_until_interrupted(site: Site) -> None:
    port = str(free_port())
    with _process(site, "serve", "--port", port) as (process, base):
        assert base == f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/appels").status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    # the emails' links follow the console off its configured port 8000: the admin is told
    said = " ".join((site.folder / "stderr.log").read_text().split())
    assert (
        "les liens des e-mails faits à partir de maintenant, et ceux de `users add` / "
        f"`users link`, mènent à cette console (http://127.0.0.1:{port}/)" in said
    )
    assert "warning" not in said


def _alert(site: Site, ref: str, title: str) -> EmailMessage:
    """A new call polled into the store as the pipeline does (another process than the
    console's), its alert queued and received over SMTP (aiosmtpd): the alert to Claire."""
    config = load_config(site.config_file)
    with smtp_server() as server:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": server.port, "security": "none"}
        notify = replace(settings_of(config), mail=config.mail.model_copy(update=mail))
        with site.store() as store:
            drain(store, notify, Collect())  # the alerts queued before: not this test's
            assert poll(store, [_notice(ref, title)], notify, at=NOW, verdict=verdict) >= 1
            assert drain(store, notify).ok
        received = [r.message for r in server.handler.received]
    (alert,) = [m for m in received if m["To"] == CLAIRE]
    assert title in parts(alert)[0]
    return alert


def test_after_serve_on_another_port_an_alert_emails_link_opens_its_call_page(site: Site) -> None:
    """`serve --port P` records where it listens (web.public_url unset): an alert queued
    after it by another process leads to that console's page of the call, its one-click
    buttons and `users add`'s link too; with web.public_url set, the links follow it."""
    port = str(free_port())
    with _process(site, "serve", "--port", port) as (process, base):
        text = parts(_alert(site, "mgt-9", "Formation management agile"))[0]
        found = re.search(r"Dans la console\u00a0: (\S+)", text)
        assert found, text
        number = site.ids()["mgt-9"]
        assert found[1] == f"{base}/appels/{number}"
        page = httpx.get(found[1], timeout=60)
        assert page.status_code == 200 and "Formation management agile" in page.text
        assert re.search(rf"Pertinent\u00a0: {re.escape(base)}/e/\S+", text), text
        code, output = _cli(site, "users", "add", "bid@of.fr")
        assert code == 0 and f"{base}/mot-de-passe/" in output, output
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    public = "https://veille.example.org"
    site.config_file.write_text(
        site.config_file.read_text() + f'\n[web]\npublic_url = "{public}"\n', encoding="utf-8"
    )
    text = parts(_alert(site, "mgt-10", "Formation management hybride"))[0]
    assert f"Dans la console\u00a0: {public}/appels/{site.ids()['mgt-10']}" in text


def test_serve_on_the_configured_port_says_nothing_of_links(site: Site) -> None:
    port = free_port()
    (site.folder / "opco-watch.toml").write_text(
        site.config_file.read_text() + f"\n[web]\nport = {port}\n", encoding="utf-8"
    )
    with _process(site, "serve") as (process, base):
        assert base == f"http://127.0.0.1:{port}"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert "warning" not in (site.folder / "stderr.log").read_text()


def test_run_serve_polls_and_serves_in_one_process(site: Site, demo_server: DevServer) -> None:
    port = free_port()
    (site.folder / "opco-watch.toml").write_text(
        site.config_file.read_text() + f"\n[web]\nport = {port}\n", encoding="utf-8"
    )
    with _process(site, "run", "--serve", "--mirror", demo_server.base_url) as (process, base):
        assert httpx.get(f"{base}/sources").status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0


def test_poll_one_source_now_shows_its_progress_then_its_outcome(
    site: Site, demo_server: DevServer
) -> None:
    with site.client(mirror=demo_server.base_url) as client:
        answer = post(client, "/sources/akto/interroger", page="/sources")
        assert answer.status_code == 303 and answer.headers["location"] == "/sources/akto"
        assert site.app.state.console.polls["akto"].done.wait(timeout=120)
        page = html.unescape(client.get("/sources/akto").text)
        assert re.search(r"avis lus\xa0: \d+\xa0nouveaux?, \d+\xa0modifiés?", page), page
        assert 'http-equiv="refresh"' not in page, "finished: no more refresh"
        assert "Interrogation d'AKTO" in page and "Lancée par Poste local le" in page
        assert post(client, "/sources/inconnue/interroger", page="/sources").status_code == 404
    with site.store() as store:
        state = store.source_state("akto")
    assert state is not None and state.last_success is not None


def test_demo_serve_ends_with_the_console_on_the_demos_data(tmp_path: Path) -> None:
    """What `make demo` runs on a terminal: the demo, then the console's address, up until
    Ctrl-C (port 8000, or a free one when it is taken)."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    command = [sys.executable, "-m", "watcher", "demo", "--serve", "--dir", str(tmp_path / "d")]
    with (
        (tmp_path / "stderr.log").open("w") as errors,
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env
        ) as process,
    ):
        try:
            assert process.stdout is not None
            base = next(
                found.group(1)
                for line in process.stdout
                if (found := re.search(r"Console\u00a0: (http://127\.0\.0\.1:\d+)/ ", line))
            )
            page = httpx.get(f"{base}/appels", timeout=60)
            assert page.status_code == 200 and "Poste local" in page.text
            assert re.search(r'href="/appels/\d+"', page.text), "the demo's calls are listed"
            # the demo's config declares the documents its draft step writes
            pieces = html.unescape(httpx.get(f"{base}/pieces", timeout=60).text)
            assert "Aucun document n'est déclaré" not in pieces
            assert "Certificat Qualiopi" in pieces and "manquant" not in pieces, pieces
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()


def test_a_demo_served_with_plain_serve_polls_its_snapshots_never_the_real_sites(
    tmp_path: Path,
) -> None:
    """The demo's "Try next" `serve` (not `demo --serve`), in a process where any lookup of
    a host but loopback fails and is logged: « interroger maintenant » reads the demo's
    snapshots, finds its calls again, and asks for no real site; `serve` says so."""
    made = cli(tmp_path, "demo", "--dir", str(tmp_path / "demo"))
    assert made.returncode == 0, made.stderr
    lookups = tmp_path / "lookups.txt"
    guarded = "import tests.no_network; from watcher.cli import main; main()"
    config = str(tmp_path / "demo" / "opco-watch.toml")
    command = [sys.executable, "-c", guarded, "--config", config, "serve", "--port"]
    env = {"OPCO_WATCH_TEST_LOOKUPS": str(lookups), "PYTHONPATH": str(ROOT)}
    with _console([*command, str(free_port())], tmp_path, env) as (process, base, said):
        assert any("les interrogations lisent les pages enregistrées" in line for line in said), (
            said
        )
        with httpx.Client(base_url=base, timeout=60) as client:
            for source in ("akto", "boamp"):  # a site's pages, an API
                assert post(client, f"/sources/{source}/interroger", page="/sources").is_redirect
                page = _finished(client, f"/sources/{source}")
                # the same snapshots as the demo's polls: 304 Not Modified, nothing new
                assert (
                    '<p class="flash" role="status">0\xa0avis lu\xa0: 0\xa0nouveau, 0\xa0modifié'
                    in page
                ), page
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert not lookups.exists(), lookups.read_text()


def _finished(client: httpx.Client, path: str) -> str:
    """The poll page once its poll is over (it refreshes itself while the poll runs)."""
    for _ in range(600):
        page = html.unescape(client.get(path).text)
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.2)
    raise AssertionError(f"the poll of {path} did not end: {page}")


def test_a_source_down_is_said_down_in_french(site: Site) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on
    with site.client(mirror=nobody) as client:
        post(client, "/sources/akto/interroger", page="/sources")
        assert site.app.state.console.polls["akto"].done.wait(timeout=120)
        page = html.unescape(client.get("/sources/akto").text).replace("\xa0", " ")
        assert "échec : robots.txt illisible (site injoignable)" in page, page  # asked first
        sources = html.unescape(client.get("/sources").text).replace("\xa0", " ")
    assert "(site injoignable)" in sources and "unreachable" not in page + sources
