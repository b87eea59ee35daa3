"""Acting on a call from the console: judgements (to the learner, with their author), status,
owner, notes, the history of who did what; the response draft and its downloads; the
checklist; a new version of a vault document."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.web_site import ADMIN, MEMBER, NOW, PDF, Site, add_account, build_site, login, post
from watcher import activity, tenders
from watcher.notify.settings import settings_of
from watcher.store.schema import feedback, users
from watcher.web import drafting


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def test_a_judgement_reaches_the_learner_with_its_author(site: Site) -> None:
    add_account(site, MEMBER, "member")
    ids = site.ids()
    with site.client() as client:
        login(client, MEMBER)
        answer = post(client, f"/appels/{ids['bur-1']}/avis", {"avis": "pas-pertinent"})
        assert answer.status_code == 303
        assert "Avis enregistré" in client.get(answer.headers["location"]).text
    with site.store() as store:
        judged = store.feedback()  # what Judge.from_config trains the learner on
        with store.transaction() as conn:
            author = conn.execute(sa.select(feedback.c.author)).scalar()
        history = activity.history(store, ids["bur-1"])
    assert [(n.ref, relevant) for n, relevant in judged] == [("bur-1", False)]
    assert author == MEMBER
    assert (history[0].actor, history[0].action, history[0].detail) == (
        MEMBER,
        "judgement",
        "pas pertinent",
    )


def test_a_judgement_shows_on_the_pipeline(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        post(client, f"/appels/{ids['mgt-1']}/avis", {"avis": "pas-pertinent"})
        assert site.app.state.console.learning.idle.wait(timeout=120)  # open calls re-judged
        relevant = client.get("/appels?pertinents=1").text
    assert f'/appels/{ids["mgt-1"]}"' not in relevant, "a person's judgement overrides"
    assert f'/appels/{ids["ang-1"]}"' in relevant


def test_status_owner_and_note_are_recorded_with_who(site: Site) -> None:
    add_account(site, MEMBER, "member")
    call = site.ids()["ang-1"]
    with site.client() as client:
        login(client, MEMBER)
        assert post(client, f"/appels/{call}/statut", {"statut": "go"}).status_code == 303
        assert (
            post(client, f"/appels/{call}/responsable", {"responsable": "Sofia@of.fr"}).status_code
            == 303
        )
        assert (
            post(
                client, f"/appels/{call}/note", {"note": "Appeler l'acheteur <b>lundi</b>"}
            ).status_code
            == 303
        )
        page = client.get(f"/appels/{call}").text
        assert post(client, f"/appels/{call}/statut", {"statut": "gagné?"}).status_code == 404
        assert (
            post(
                client, f"/appels/{call}/responsable", {"responsable": "pas une adresse"}
            ).status_code
            == 400
        )
        assert post(client, f"/appels/{call}/note", {"note": "   "}).status_code == 400
    with site.store() as store:
        tender = tenders.get_tender(store, call)
        history = [(e.actor, e.action, e.detail) for e in activity.history(store, call)]
    assert tender is not None and tender.status == "go"
    assert history == [
        (MEMBER, "note", "Appeler l'acheteur <b>lundi</b>"),
        (MEMBER, "owner", "sofia@of.fr"),
        (MEMBER, "status", "go"),
    ]
    assert "&lt;b&gt;lundi&lt;/b&gt;" in page and "<b>lundi</b>" not in page
    assert "sofia@of.fr" in page


@pytest.mark.parametrize("typed", ["@", "sofia@", "@of.fr", "sofia@of", "so fia@of.fr"])
def test_an_owner_that_is_no_address_is_refused_and_not_recorded(site: Site, typed: str) -> None:
    call = site.ids()["ang-1"]
    with site.client() as client:
        answer = post(client, f"/appels/{call}/responsable", {"responsable": typed})
    assert answer.status_code == 400
    said = f"«\u00a0{typed}\u00a0» n'est pas une adresse e-mail."
    assert said in html.unescape(answer.text)
    with site.store() as store:
        assert [e.action for e in activity.history(store, call)] == []


def words(page: str) -> str:
    """The page's text, tags removed, on one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_owner_is_the_person_assigned_else_the_domains_owner(site: Site) -> None:
    """The console says who owns a call as ``list``, ``show`` and the digest do."""
    call = site.ids()["mgt-1"]  # Management: Claire's domain
    with site.client() as client:
        page = words(client.get(f"/appels/{call}").text)
        assert "Responsable claire@of.fr (responsable du domaine)" in page
        post(client, f"/appels/{call}/responsable", {"responsable": "sofia@of.fr"})
        page = words(client.get(f"/appels/{call}").text)
        pipeline = client.get("/appels").text
    assert "Responsable sofia@of.fr" in page and "responsable du domaine" not in page
    row = pipeline[pipeline.index(f'/appels/{call}"') :].split("</tr>")[0]
    assert "sofia@of.fr" in row and "claire@of.fr" not in row


def test_the_cli_status_change_is_in_the_same_history(site: Site) -> None:
    from click.testing import CliRunner

    from watcher.cli import main

    call = site.ids()["ang-1"]
    result = CliRunner().invoke(
        main, ["--config", str(site.config_file), "status", str(call), "no-go"]
    )
    assert result.exit_code == 0, result.output
    with site.client() as client:
        page = client.get(f"/appels/{call}").text
    assert "(ligne de commande)" in page and "no-go" in page


def test_preparing_the_response_offers_each_file_and_the_zip(site: Site) -> None:
    call = site.ids()["ang-1"]
    with site.client() as client:
        answer = post(client, f"/appels/{call}/reponse")
        assert answer.status_code == 303, answer.text
        page = client.get(f"/appels/{call}").text
        for name in (
            "memoire-technique.docx",
            "DC1.docx",
            "DC2.docx",
            "checklist.md",
            "dossier.zip",
        ):
            assert f"/appels/{call}/reponse/{name}" in page, name
        docx = client.get(f"/appels/{call}/reponse/memoire-technique.docx")
        archive = client.get(f"/appels/{call}/reponse/dossier.zip")
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    assert "attachment" in docx.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    assert {"memoire-technique.docx", "DC1.docx", "DC2.docx", "checklist.md"} <= set(names)
    assert any(n.startswith("pieces/") for n in names), "the valid Kbis is attached"
    from docx import Document

    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert "Formation anglais professionnel" in text


def test_downloads_serve_only_files_the_console_wrote(site: Site) -> None:
    call, other = site.ids()["ang-1"], site.ids()["mgt-1"]
    with site.client() as client:
        post(client, f"/appels/{call}/reponse")
        (folder,) = (Path(site.config.data_dir) / "drafts").glob(f"appel-{call}-*")
        (folder / "secret.txt").write_text("not written by the console")
        for name in ("secret.txt", "..%2F..%2Fopco-watch.toml", "%2Fetc%2Fpasswd", "DC1.docx%00"):
            assert client.get(f"/appels/{call}/reponse/{name}").status_code == 404, name
        assert client.get(f"/appels/{other}/reponse/DC1.docx").status_code == 404, "other call"


def draft_cli(site: Site, *args: str) -> Any:
    from click.testing import CliRunner

    from watcher.cli import main

    return CliRunner().invoke(main, ["--config", str(site.config_file), "draft", *args])


def test_the_console_and_the_cli_write_the_same_draft(site: Site) -> None:
    """« Préparer la réponse » and ``opco-watch draft N`` write one folder, and the console
    downloads whatever the last of them wrote."""
    call = site.ids()["ang-1"]
    drafts_dir = Path(site.config.data_dir) / "drafts"
    with site.client() as client:
        post(client, f"/appels/{call}/reponse")
        (folder,) = drafts_dir.iterdir()
        assert folder.name == f"appel-{call}-formation-anglais-professionnel"
        page = html.unescape(client.get(f"/appels/{call}").text)
        assert f"dans le dossier <code>{folder}</code>" in page
        assert f"<code>opco-watch draft {call} --overwrite</code>" in page
        refused = draft_cli(
            site, str(call), "--force"
        )  # says where the draft is and how to rewrite it
        assert refused.exit_code == 5
        assert f"a déjà un projet de réponse dans {folder}" in refused.output
        assert f"`opco-watch draft {call} --overwrite` le réécrit" in refused.output
        (folder / "memoire-technique.md").write_text("the console's, to be replaced")
        rewritten = draft_cli(site, str(call), "--overwrite", "--force")
        assert rewritten.exit_code == 0, rewritten.output
        with site.store() as store:
            recorded = drafting.draft_of(store, call)
        assert recorded is not None and recorded["folder"] == str(folder)
        assert list(drafts_dir.iterdir()) == [folder]
        download = client.get(f"/appels/{call}/reponse/memoire-technique.md")
        page = client.get(f"/appels/{call}").text
    assert download.content == (folder / "memoire-technique.md").read_bytes()
    assert b"Formation anglais professionnel" in download.content
    assert "(ligne de commande)" in page  # the CLI's draft is the one the page shows


def test_a_draft_of_the_old_console_folder_still_downloads_and_is_rewritten_in_place(
    site: Site,
) -> None:
    """A draft the console wrote before the title slug (``<drafts>/appel-N``) stays the call's
    folder: its files download, and ``draft N --overwrite`` rewrites them there."""
    from watcher import call_draft

    call = site.ids()["ang-1"]
    old = Path(site.config.data_dir) / "drafts" / f"appel-{call}"
    with site.store() as store:
        tender = tenders.get_tender(store, call)
        assert tender is not None
        result = call_draft.draft_into(site.config, tender, old, now=NOW, match=None)
        call_draft.record(store, call, result, "alice@example.org")
    with site.client() as client:
        before = client.get(f"/appels/{call}/reponse/DC1.docx")
        assert before.status_code == 200 and before.content == (old / "DC1.docx").read_bytes()
        refused = draft_cli(site, str(call), "--force").output
        assert f"a déjà un projet de réponse dans {old.resolve()}" in refused, refused
        assert draft_cli(site, str(call), "--overwrite", "--force").exit_code == 0
        after = client.get(f"/appels/{call}/reponse/memoire-technique.md")
    assert [p.name for p in old.parent.iterdir()] == [old.name]  # no second folder
    assert after.content == (old / "memoire-technique.md").read_bytes()


def test_a_closed_or_blocked_call_says_so_before_drafting(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        for ref, words in (
            ("att-1", "consultation attribuée à Formacoop"),
            ("occ-1", "région non desservie"),
        ):
            answer = post(client, f"/appels/{ids[ref]}/reponse")
            assert answer.status_code == 409 and words in answer.text, ref
            assert not (Path(site.config.data_dir) / "drafts" / f"appel-{ids[ref]}").exists()
        forced = post(client, f"/appels/{ids['att-1']}/reponse", {"confirmer": "1"})
    assert forced.status_code == 303


def test_checklist_ticks_are_kept(site: Site) -> None:
    call = site.ids()["ang-1"]
    with site.client() as client:
        post(client, f"/appels/{call}/reponse")
        assert (
            post(
                client, f"/appels/{call}/liste", {"fait": ["dc1", "kbis", "not-an-item"]}
            ).status_code
            == 303
        )
        page = client.get(f"/appels/{call}").text
        assert 'value="dc1" checked' in page and 'value="kbis" checked' in page
        assert 'value="dc2" checked' not in page
        post(client, f"/appels/{call}/liste", {"fait": ["dc2"]})
        page = client.get(f"/appels/{call}").text
        assert 'value="dc2" checked' in page and 'value="dc1" checked' not in page
        post(client, f"/appels/{call}/reponse")  # a new draft keeps the ticks
        assert 'value="dc2" checked' in client.get(f"/appels/{call}").text


def test_a_new_version_of_a_document_replaces_it_and_keeps_the_old(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    folder = site.folder / "documents"
    old = (folder / "urssaf.pdf").read_bytes()
    new = PDF + b"% renewed\n"
    with site.client() as client:
        login(client, ADMIN)
        answer = post(
            client,
            "/pieces/0/version",
            {"delivre": "2026-11-20", "expire": ""},
            files={"fichier": ("../../../etc/evil name.pdf", new, "application/pdf")},
        )
        assert answer.status_code == 303, answer.text
        page = client.get("/pieces").text
    assert (folder / "urssaf.pdf").read_bytes() == new
    kept = list((folder / ".versions").glob("urssaf--*.pdf"))
    assert len(kept) == 1 and kept[0].read_bytes() == old
    assert not list(site.folder.rglob("evil*")), "the browser's file name is never used"
    manifest = json.loads((folder / ".versions" / "manifest.json").read_text())
    assert manifest["urssaf.pdf"]["issued"] == "2026-11-20"
    assert manifest["urssaf.pdf"]["history"][0]["by"] == ADMIN
    section = page[page.index("Attestation URSSAF") :]
    assert "valide" in section[:400], "the renewed attestation counts at once"


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("urssaf.pdf", b"MZ\x90\x00 not a pdf", "pas celui d'un fichier .pdf"),
        ("urssaf.pdf", b"", "le fichier est vide"),
    ],
)
def test_a_bad_upload_is_refused_and_changes_nothing(
    site: Site, name: str, content: bytes, words: str
) -> None:
    folder = site.folder / "documents"
    before = (folder / "urssaf.pdf").read_bytes()
    with site.client() as client:
        answer = post(
            client,
            "/pieces/0/version",
            {"delivre": "2026-11-20"},
            files={"fichier": (name, content, "application/pdf")},
        )
    assert answer.status_code == 400 and words in html.unescape(answer.text)
    assert (folder / "urssaf.pdf").read_bytes() == before and not (folder / ".versions").exists()


def test_an_upload_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    site = build_site(tmp_path, "\n[web]\nupload_max_mb = 0.01\n")
    with site.client() as client:
        big = PDF + b"0" * 400_000
        answer = post(
            client,
            "/pieces/0/version",
            {"delivre": "2026-11-20"},
            files={"fichier": ("u.pdf", big, "application/pdf")},
        )
    assert answer.status_code == 413
    assert (site.folder / "documents" / "urssaf.pdf").read_bytes() == PDF


def test_accounts_table_is_never_shown_a_password(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    with site.client() as client:
        login(client, ADMIN)
        page = client.get("/reglages").text
    with site.store() as store, store.transaction() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar()
    assert ADMIN in page and stored not in page


def test_judgements_made_in_the_console_teach_the_learner_and_move_verdicts(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    from tests.notify_data import poll
    from tests.web_site import NOW, _notice, verdict
    from watcher.classify import Classifier
    from watcher.judging import forget_learners
    from watcher.store.schema import matches

    forget_learners()
    site = build_site(tmp_path)
    extra = [
        _notice(f"sst-{n}", f"Formation sauveteur secouriste du travail, site {n}")
        for n in range(12)
    ]
    extra += [_notice("pro-0", "Formation sauveteur secouriste du travail des agents")]
    with site.store() as store:
        poll(store, extra, settings_of(site.config), at=NOW - timedelta(minutes=5), verdict=verdict)
    ids = site.ids()
    probe = ids["pro-0"]
    with site.store() as store, store.transaction() as conn:
        stored_before = conn.execute(
            sa.select(matches.c.score).where(matches.c.tender_id == probe)
        ).scalar()
    with site.client() as client:
        for n in range(12):
            assert (
                post(client, f"/appels/{ids[f'sst-{n}']}/avis", {"avis": "pertinent"}).status_code
                == 303
            )
        learning = site.app.state.console.learning
        assert learning.idle.wait(timeout=120)
        learner = learning.judge().classifier.model
        page = client.get(f"/appels/{probe}").text
    assert learner is not None and len(learner) == 12, "each judgement is taught at once"
    rules = Classifier(site.config.profile).classify(extra[-1], today=NOW.date())
    learnt = learning.judge().judge(extra[-1], today=NOW.date())
    assert learnt.score > rules.score, (rules, learnt)
    with site.store() as store, store.transaction() as conn:
        stored_after = conn.execute(
            sa.select(matches.c.score).where(matches.c.tender_id == probe)
        ).scalar()
    assert stored_after == learnt.score != stored_before, "the open calls were judged again"
    assert f"{learnt.score}/100" in page, "the page shows the new verdict"
    forget_learners()


def test_only_the_console_s_own_messages_show_in_its_banner(site: Site) -> None:
    """« ?ok=… » carries a message signed by the console: one typed into a link shows nothing."""
    ids = site.ids()
    forged = "Votre session a expiré, appelez le 01 23 45 67 89"
    with site.client() as client:
        page = client.get(f"/appels/{ids['mgt-1']}", params={"ok": forged})
        assert page.status_code == 200 and "appelez le 01 23" not in page.text
        answer = post(client, f"/appels/{ids['mgt-1']}/avis", {"avis": "pertinent"})
        location = answer.headers["location"]
        assert "Avis enregistr" not in location  # the message travels signed, not in clear
        assert "Avis enregistré\u00a0: pertinent." in html.unescape(client.get(location).text)


@pytest.mark.parametrize("number", ["99999999999999999999", "²", "abc", "-1"])
def test_an_address_that_names_no_call_is_a_french_404(site: Site, number: str) -> None:
    with site.client() as client:
        answers = [
            client.get(f"/appels/{number}"),
            client.get(f"/compte/comptes/{number}/supprimer"),
            post(client, f"/pieces/{number}/version", page="/pieces"),
        ]
        for answer in answers:
            assert answer.status_code == 404, answer.request.url
            assert "None" not in answer.text and "Traceback" not in answer.text
        assert client.get("/appels", params={"page": "99999999999999999999"}).status_code == 200
    said = html.unescape(answers[0].text)
    assert "Cette adresse ne désigne aucun appel" in said


def test_the_status_a_call_already_has_records_nothing(site: Site) -> None:
    """« Changer le statut » sent without changing it leaves the history as it was."""
    ids = site.ids()
    with site.client() as client:
        for status in ("go", "go", "submitted"):
            post(client, f"/appels/{ids['mgt-1']}/statut", {"statut": status})
    with site.store() as store:
        history = activity.history(store, ids["mgt-1"])
    assert [h.detail for h in history if h.action == "status"] == ["submitted", "go"]
