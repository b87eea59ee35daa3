"""The demo, run as a newcomer runs it (``opco-watch demo``): the call it drafts has one
number, and that number names the same call in its alert email, in ``show``, in ``draft``, in
the digest, in the calendar and on the console's page ``/appels/<n>``; every « À essayer ensuite »
command works."""

from __future__ import annotations

import html
import json
import re
import shlex
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

import httpx
import pytest
import sqlalchemy as sa
from icalendar import Calendar

from tests.test_cli import assert_clean_error, cli
from tests.web_site import serve
from watcher.config import load_config
from watcher.runs import SourceReport
from watcher.store import Store
from watcher.store.schema import tenders

BEST = re.compile(
    r"Meilleur appel\u00a0: n°\u00a0(?P<number>\d+) «\u00a0(?P<title>.+)\u00a0» \(score \d+\)"
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """(demo folder, number, title) of the call the demo drafted; its output is checked too."""
    folder = tmp_path_factory.mktemp("demo")
    run = cli(folder, "demo", "--dir", str(folder / "demo"))
    assert run.returncode == 0, run.stdout + run.stderr
    found = BEST.search(run.stdout)
    assert found is not None, run.stdout
    number, title = found["number"], found["title"]
    best = f"Le meilleur appel est «\u00a0n°\u00a0{number}\u00a0» dans son e-mail d'alerte et"
    assert best in run.stdout
    (folder / "demo" / "stdout.txt").write_text(run.stdout, encoding="utf-8")
    return folder / "demo", number, title


def plain_texts(outbox: Path) -> list[str]:
    texts = []
    for file in sorted(outbox.glob("*.eml")):
        message = cast(EmailMessage, message_from_bytes(file.read_bytes(), policy=policy.default))
        body = message.get_body(("plain",))
        assert body is not None
        texts.append(str(cast(EmailMessage, body).get_content()).replace("\r\n", "\n"))
    return texts


def test_the_alert_email_names_the_call_by_its_number(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    block = re.compile(
        rf"{re.escape(title)}\n[^\n]*· n°\u00a0{number}\n.*?Dans la console\u00a0: (\S+)", re.S
    )
    links = [
        found[1]
        for text in plain_texts(folder / "data" / "outbox")
        for found in block.finditer(text)
    ]
    assert links and all(link.endswith(f"/appels/{number}") for link in links)  # its page


def test_show_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config = str(folder / "opco-watch.toml")
    shown = cli(folder, "--config", config, "show", number)
    assert shown.returncode == 0, shown.stderr
    assert f"Appel n° {number} — {title[:60]}" in shown.stdout
    data = json.loads(cli(folder, "--config", config, "show", number, "--json").stdout)
    assert (data["number"], data["title"]) == (int(number), title)


def demo_draft_folder(folder: Path) -> Path:
    """The folder the demo's step 5 printed (and wrote)."""
    output = (folder / "stdout.txt").read_text("utf-8")
    found = re.search(r"^Dossier du projet\u00a0: (\S+)$", output, re.M)
    assert found is not None
    return Path(found[1])


def test_the_demo_drafts_into_the_calls_folder(demo: tuple[Path, str, str]) -> None:
    folder, number, _ = demo
    drafted = demo_draft_folder(folder)
    config = load_config(folder / "opco-watch.toml")
    assert drafted.parent == config.responses.output_dir(config.data_dir)  # <data>/drafts
    assert drafted.name.startswith(f"appel-{number}-")  # appel-N-<title>
    assert (drafted / "memoire-technique.docx").is_file()
    assert not (folder / "drafts").exists()  # not a second place of its own


def test_draft_drafts_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config = str(folder / "opco-watch.toml")
    drafted = cli(folder, "--config", config, "draft", number, "--overwrite")
    assert drafted.returncode == 0, drafted.stderr
    found = re.search(
        rf"Projet de réponse à l'appel n°\u00a0{number} écrit dans (\S+)", drafted.stdout
    )
    assert found is not None, drafted.stdout
    assert Path(found[1]) == demo_draft_folder(folder)  # the demo's draft, rewritten
    memoire = (Path(found[1]) / "memoire-technique.md").read_text("utf-8")
    assert title in memoire.replace("\\", "")  # Markdown escapes removed


def test_the_try_next_draft_command_rewrites_the_demos_draft(
    demo: tuple[Path, str, str],
) -> None:
    """The hint, run as printed, rewrites the files the demo wrote (not a folder elsewhere)."""
    folder, number, _ = demo
    output = (folder / "stdout.txt").read_text("utf-8")
    (hint,) = [row.split(None, 1)[1] for row in output.splitlines() if row.endswith(" --overwrite")]
    assert hint.endswith(f" draft {number} --overwrite"), hint
    drafted = demo_draft_folder(folder)
    memoire = drafted / "memoire-technique.md"
    memoire.write_text("written by hand, to be replaced", encoding="utf-8")
    before = {path.name: path.stat().st_ino for path in drafted.iterdir()}
    done = cli(folder, *shlex.split(hint))
    assert done.returncode == 0, (hint, done.stdout, done.stderr)
    assert "written by hand" not in memoire.read_text("utf-8")
    after = {path.name: path.stat().st_ino for path in drafted.iterdir()}
    assert after.keys() == before.keys()  # the same files...
    assert all(after[name] != before[name] for name in before)  # ...each one written anew
    drafts_dir = drafted.parent
    assert [p.name for p in drafts_dir.iterdir() if p.name.startswith(f"appel-{number}")] == [
        drafted.name
    ]


def test_draft_without_overwrite_says_where_the_draft_is(demo: tuple[Path, str, str]) -> None:
    folder, number, _ = demo
    drafted = demo_draft_folder(folder)
    before = (drafted / "DC1.docx").read_bytes()
    again = cli(folder, "--config", str(folder / "opco-watch.toml"), "draft", number)
    assert_clean_error(
        again, 5, f"l'appel n°\u00a0{number} a déjà un projet de réponse dans {drafted}"
    )
    assert f"`opco-watch draft {number} --overwrite` le réécrit" in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    assert (drafted / "DC1.docx").read_bytes() == before  # nothing written


def test_the_console_serves_the_files_the_cli_wrote(demo: tuple[Path, str, str]) -> None:
    folder, number, _ = demo
    config_file = folder / "opco-watch.toml"
    drafted = cli(folder, "--config", str(config_file), "draft", number, "--overwrite")
    assert drafted.returncode == 0, drafted.stderr
    written = demo_draft_folder(folder)
    with serve(load_config(config_file), config_file) as (base, _app):
        page = html.unescape(httpx.get(f"{base}/appels/{number}", timeout=60).text)
        files = {
            name: httpx.get(f"{base}/appels/{number}/reponse/{name}", timeout=60)
            for name in ("memoire-technique.md", "DC1.docx", "dossier.zip")
        }
    assert f"<code>{written}</code>" in page and "(ligne de commande)" in page
    for name, answer in files.items():
        assert answer.status_code == 200, name
        assert answer.content == (written / name).read_bytes(), name


def test_the_digest_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    page = html.unescape(re.sub(r"<[^>]+>", "\n", (folder / "data" / "digest.html").read_text()))
    words = " ".join(page.split())
    near = re.compile(
        rf"n° {number}\b.{{0,200}}{re.escape(title)}|{re.escape(title)}.{{0,200}}n° {number}\b"
    )
    assert near.search(words), words[:2000]


def test_the_calendar_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config = str(folder / "opco-watch.toml")
    feed = cli(folder, "--config", config, "calendar", "-o", "-")
    assert feed.returncode == 0, feed.stderr
    events = Calendar.from_ical(feed.stdout).walk("VEVENT")
    (event,) = [e for e in events if str(e["uid"]).startswith(f"tender-{number}@")]
    assert title in str(event["summary"])
    assert f"Appel n°\u00a0{number} " in str(event["description"])
    assert f"/appels/{number}" in str(event["description"])  # the console's page of the call


def test_the_console_page_names_the_same_call(demo: tuple[Path, str, str]) -> None:
    folder, number, title = demo
    config_file = folder / "opco-watch.toml"
    with serve(load_config(config_file), config_file) as (base, _app):
        page = httpx.get(f"{base}/appels/{number}", timeout=60)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert f"<title>Appel n°\u00a0{number} " in text
    assert re.search(r"<h1[^>]*>([^<]*)</h1>", text)[1] == title  # type: ignore[index]


def test_every_try_next_command_works(demo: tuple[Path, str, str]) -> None:
    folder, number, _ = demo
    output = (folder / "stdout.txt").read_text("utf-8")
    commands = [line.split(None, 1)[1] for line in output.splitlines() if "  opco-watch " in line]
    assert len(commands) >= 8 and any(f"draft {number}" in c for c in commands)
    (serve_line,) = [c for c in commands if c.split("#")[0].split()[-1] == "serve"]
    assert f"/appels/{number}" in serve_line  # the page the console shows the call on
    commands.remove(serve_line)  # it serves until stopped: the console test above runs it
    for command in commands:
        done = cli(folder, *shlex.split(command))
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        if "--json" not in command:  # what the admin reads is French too
            said = own_lines(done.stdout + done.stderr)
            english = [(found[0], line) for line in said for found in ENGLISH.finditer(line)]
            assert english == [], (command, english)


# ------------------------------------------------------------------------- a second demo


def demo_run(folder: Path) -> tuple[str, int, int, int]:
    """Run the demo in ``folder``: (stdout, calls stored, emails said, .eml files there)."""
    run = cli(folder.parent, "demo", "--dir", str(folder))
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == "", run.stderr
    said = re.search(r"^(\d+)\u00a0e-mails? écrits? dans ", run.stdout, re.M)
    assert said is not None, run.stdout
    database = load_config(folder / "opco-watch.toml").database
    with Store.open(database) as store, store.transaction() as conn:
        calls = conn.execute(sa.select(sa.func.count()).select_from(tenders)).scalar_one()
    emails = len(list((folder / "data" / "outbox").glob("*.eml")))
    return run.stdout, calls, int(said[1]), emails


def test_a_second_demo_in_the_same_folder_rebuilds_it_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first, calls, said, emails = demo_run(folder)
    assert "reconstruite" not in first and said == emails > 0
    (folder / "data" / "outbox" / "old.eml").write_text("from the first demo")
    (folder / "mine.txt").write_text("a file of the user's")
    second, calls_again, said_again, emails_again = demo_run(folder)
    assert f"{folder} contenait une démonstration antérieure\u00a0: reconstruite" in second
    assert (calls_again, said_again, emails_again) == (calls, said, emails)  # what it says
    assert not (folder / "data" / "outbox" / "old.eml").exists()
    assert (folder / "mine.txt").read_text() == "a file of the user's"  # not the demo's
    polls = re.findall(r"Deuxième interrogation\u00a0: .*? (\d+)\u00a0nouvel? a", second)
    assert polls == ["0"], second  # the second poll of the rebuilt demo: nothing new
    (drafted,) = (folder / "data" / "drafts").iterdir()  # one draft, of this demo's best call
    assert f"Dossier du projet\u00a0: {drafted}" in second


def test_a_demo_from_before_the_marker_is_rebuilt_too(tmp_path: Path) -> None:
    """A folder an earlier version's demo made (no marker): known by its configuration."""
    folder = tmp_path / "demo"
    demo_run(folder)
    (folder / ".opco-watch-demo").unlink()
    second, *_ = demo_run(folder)
    assert "contenait une démonstration antérieure\u00a0: reconstruite à neuf" in second


def test_the_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "opco-watch.toml").write_text("# my own configuration\n")
    refused = cli(tmp_path, "demo", "--dir", str(folder))
    assert_clean_error(refused, 2, "n'est pas vide et ne contient pas de démonstration")
    assert len(refused.stderr.strip().splitlines()) == 1
    assert [p.name for p in folder.iterdir()] == ["opco-watch.toml"]
    assert (folder / "opco-watch.toml").read_text() == "# my own configuration\n"


def test_a_demo_that_goes_wrong_says_why_in_one_line() -> None:
    from watcher.cli.demo import _shortfall

    fine = [SourceReport("akto", True, new=3), SourceReport("afdas", True, new=1)]
    again = [SourceReport("akto", True, not_modified=1), SourceReport("afdas", True)]
    assert _shortfall(fine, again) is None
    broken = SourceReport("afdas", False, error="HTTP 500")
    assert _shortfall(fine, [again[0], broken]) == (
        "la source AFDAS est en échec\u00a0: HTTP 500 (erreur du site)"
    )
    assert _shortfall(again, again) == "la première interrogation n'a enregistré aucun nouvel appel"
    changed = [SourceReport("akto", True, changed=2)]
    assert _shortfall(fine, changed) == (
        "la deuxième interrogation a trouvé 2\u00a0avis nouveaux ou modifiés au lieu d'aucun"
    )


# -------------------------------------------------------------------- the demo's words

#: words of the English the demo printed before (« Best call », « Try next », « Poll »,
#: « result », « 2 email(s) written to ») — none is a French word
ENGLISH = re.compile(
    r"\b(the|of|and|to|is|was|call|calls|poll|polls|new|changed|best|next|try|written|folder|"
    r"digest|emails?|served|nothing|everything|which|what|fit|why|blockers|result|items|time|"
    r"yes|no|ok|never|answered|fetched|listing|requests?|offline|stored|snapshots|set|aside|"
    r"client|named|each|file|Best|Try|Poll|First|Second|Digest|Draft|Snapshots|No)\b"
)


def own_lines(output: str) -> list[str]:
    """The demo's lines, without what is not words of ours: the commands to try (their
    options are the CLI's), paths, URLs, addresses and `commands` quoted in a heading."""
    lines = [line for line in output.splitlines() if not line.startswith("  opco-watch ")]
    return [re.sub(r"`[^`]*`|\S*/\S*|\S+@\S+", " ", line) for line in lines]


def test_the_demo_speaks_french_to_the_admin(demo: tuple[Path, str, str]) -> None:
    folder = demo[0]
    output = (folder / "stdout.txt").read_text("utf-8")
    english = [(found[0], line) for line in own_lines(output) for found in ENGLISH.finditer(line)]
    assert english == [], english
    for heading in (
        "opco-watch — démonstration hors ligne",
        "1. Première interrogation\u00a0: tout est nouveau",
        "2. Deuxième interrogation\u00a0: rien n'a changé",
        "5. Un projet de réponse au meilleur appel",
        "6. Les e-mails d'alerte et la synthèse hebdomadaire",
        "À essayer ensuite\u00a0:",
    ):
        assert heading in output, heading
    # the poll tables: French columns, durations with a decimal comma
    assert re.search(r"┃ source +┃ résultat +┃ pages +┃ 304 +┃ avis +┃ nouveaux +┃", output)
    assert re.search(r"│ akto +│ OK +│.*│ +\d+,\d\u00a0s │", output)
    # verdicts: the words of `list`, buyers under their OPCO's one name
    assert re.search(r"┃ n° ┃ score ┃ verdict +┃ appel +┃ pourquoi +┃ points bloquants +┃", output)
    assert "OPCO ATLAS —" not in output and "Afdas —" not in output


def poll_table(output: str, heading: str) -> list[list[str]]:
    """The rows of the poll table under ``heading``, as cells."""
    part = output.split(heading, 1)[1].split("\n3. ", 1)[0].split("\n2. ", 1)[0]
    return [
        [cell.strip() for cell in row.strip("│").split("│")]
        for row in part.splitlines()
        if row.startswith("│")
    ]


def test_the_demo_s_figures_are_its_polls_and_its_digest(demo: tuple[Path, str, str]) -> None:
    """What the demo says of its second poll sums that poll's table; the digest's week and
    counts are the digest's own."""
    folder = demo[0]
    output = (folder / "stdout.txt").read_text("utf-8")
    rows = poll_table(output, "2. Deuxième interrogation")
    assert len(rows) == 13  # a row per source
    pages, unchanged = sum(int(r[2]) for r in rows), sum(int(r[3]) for r in rows)
    said = re.search(
        r"^Deuxième interrogation\u00a0: (\d+)\u00a0pages? de liste demandées?, dont (\d+) "
        r"inchangées? \(réponse 304 Not Modified\)",
        output,
        re.M,
    )
    assert said is not None and (int(said[1]), int(said[2])) == (pages, unchanged) != (0, 0)
    told = re.search(
        r"^Synthèse de la (semaine \d+, du .+?) \((\d+)\u00a0appels? à traiter, (\d+)\u00a0"
        r"écartés?\) écrite dans (\S+)$",
        output,
        re.M,
    )
    assert told is not None, output
    digest = html.unescape(Path(told[4]).read_text("utf-8"))
    assert f"Synthèse hebdomadaire — {told[1]}" in digest
    assert f"Appels à traiter ({told[2]})" in digest
    assert f"Écartés ({told[3]})" in digest
