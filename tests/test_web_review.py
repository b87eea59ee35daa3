"""What a reviewer found clicking through the console as its users would: the digest honours
people's judgements, Pièces and the CLI agree on a document's status, the 413 page, the
settings' check in French, and the French of the pages."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import tomli_w

from tests.notify_data import Collect, parts
from tests.web_site import ADMIN, CLAIRE, NOW, PDF, Site, add_account, build_site, login, post
from watcher import activity, fr
from watcher.models import PARIS
from watcher.notify.digest import digest_message, gather
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.notify.week import Week
from watcher.vault_versions import save_version


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def _email_link(site: Site, recipient: str, label: str, call: int) -> str:
    collect = Collect()
    with site.store() as store:
        drain(store, settings_of(site.config), transport=collect)
    body = next(parts(m)[1] for m in collect.sent if str(m["To"]) == recipient)
    card = body[body.index(f"n°&nbsp;{call}") :]
    found = re.search(rf'href="http://127\.0\.0\.1:8000(/e/[^"]+)"[^>]*>{label}</a>', card)
    assert found, label
    return found.group(1)


def _section(page: str, title: str) -> str:
    start = page.index(f">{title}</h2>")
    return page[start : page.index("</section>", start)]


def _renew_urssaf(site: Site) -> None:
    """A valid URSSAF attestation: the calls judged again after a judgement are not blocked."""
    today = NOW.astimezone(PARIS).date()
    save_version(
        site.folder / "documents", Path("urssaf.pdf"), PDF, issued=today, expires=None, by="t"
    )


def test_the_digest_honours_the_latest_judgement_of_a_person(site: Site) -> None:
    ids = site.ids()
    _renew_urssaf(site)
    week = Week.of(NOW.astimezone(PARIS).date())
    link = _email_link(site, CLAIRE, "Pas pertinent", ids["mgt-1"])
    with site.client() as client:
        assert client.post(link).status_code == 200  # « Pas pertinent » from the email
        post(client, f"/appels/{ids['bur-1']}/avis", {"avis": "pertinent"})
        assert site.app.state.console.learning.idle.wait(timeout=120)
        page = html.unescape(client.get(f"/synthese?semaine={week.label}").text)
        pipeline = client.get("/appels?pertinents=1").text
        email_page = html.unescape(client.get(f"/synthese/courriel?semaine={week.label}").text)
    to_answer = _section(page, "Appels à traiter")
    assert f'/appels/{ids["mgt-1"]}"' not in to_answer, "judged « pas pertinent »"
    assert f'/appels/{ids["bur-1"]}"' in to_answer, "judged « pertinent »"
    # the same calls as the pipeline's « pertinents » filter
    assert f'/appels/{ids["mgt-1"]}"' not in pipeline and f'/appels/{ids["bur-1"]}"' in pipeline
    table = email_page[email_page.index("Appels à traiter") : email_page.index("Dates limites")]
    assert "Fournitures de bureau hors sujet" in table
    assert "Formation management des équipes <span" not in table
    # and the email itself
    settings = settings_of(site.config)
    with site.store() as store:
        data = gather(store, settings, week, datetime.now(UTC))
    message = digest_message(data, settings, "veille@of.fr", full=True)
    titles = [c["title"] for c in message.context["calls"]]
    assert "Fournitures de bureau hors sujet" in titles
    assert "Formation management des équipes" not in titles


def test_pieces_and_the_cli_judge_a_document_against_the_same_call(tmp_path: Path) -> None:
    """An attestation valid to just after the furthest deadline of the pertinent calls (J-30)
    but not to an irrelevant call's (J-40): valid for both, judged against the same call."""
    until = (NOW + timedelta(days=35)).astimezone(PARIS).date().isoformat()
    extra = f"""
[[documents.items]]
kind = "fiscale"
file = "fiscale.pdf"
issued = 2026-01-20
expires = {until}
"""
    site = build_site(tmp_path, extra)
    (site.folder / "documents" / "fiscale.pdf").write_bytes(PDF)
    ids = site.ids()
    with site.client() as client:
        page = html.unescape(client.get("/pieces").text)
    section = page[page.index(">Attestation fiscale</h2>") :]
    web_status = re.search(r'class="status doc-(\w+)"', section)
    assert web_status is not None and web_status.group(1) == "valid"
    assert f"appel n°\xa0{ids['xss-1']}" in page, "the page says which deadline it judged by"
    result = subprocess.run(
        [sys.executable, "-m", "watcher", "--config", str(site.config_file), "documents", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    rows = {row["kind"]: row["status"] for row in json.loads(result.stdout)}
    assert rows["fiscale"] == web_status.group(1) == "valid"


def test_the_pipeline_agrees_its_words_with_the_count(site: Site) -> None:
    with site.client() as client:
        none = html.unescape(client.get("/appels?statut=go").text)
        some = html.unescape(client.get("/appels").text)
    assert "<strong>0</strong> appel affiché" in none
    assert "<strong>4</strong> appels affichés" in some
    assert "Filtrer les appels</summary>" in some and '<details class="filters">' in some
    assert "Filtrer les appels (1\xa0filtre actif)" in none and 'class="filters" open' in none


def test_french_agreement_and_elision_helpers() -> None:
    assert [fr.plural(n, "appel") for n in (0, 1, 2)] == ["0\xa0appel", "1\xa0appel", "2\xa0appels"]
    assert fr.plural(15, "minute") == "15\xa0minutes" and fr.plural(0, "nouveau", "nouveaux")
    assert fr.plural(2, "nouveau", "nouveaux") == "2\xa0nouveaux"
    assert fr.number_sign(12) == "n°\xa012"
    assert [fr.of_name(n) for n in ("AKTO", "Uniformation", "Constructys", " OPCO EP")] == [
        "d'AKTO",
        "d'Uniformation",
        "de Constructys",
        "d'OPCO EP",
    ]


@pytest.mark.parametrize(("limit", "words"), [("10", "10\xa0Mo"), ("0.5", "0,5\xa0Mo")])
def test_the_413_page_is_the_consoles_in_french(tmp_path: Path, limit: str, words: str) -> None:
    site = build_site(tmp_path, f"\n[web]\nupload_max_mb = {limit}\n")
    with site.client() as client:
        big = PDF + b"0" * (int(float(limit) * 1_000_000) + 1_000_000)
        answer = post(
            client,
            "/pieces/0/version",
            {"delivre": "2026-11-20"},
            files={"fichier": ("u.pdf", big, "application/pdf")},
        )
    page = html.unescape(answer.text)
    assert answer.status_code == 413 and "text/html" in answer.headers["content-type"]
    assert '<html lang="fr">' in page and "/static/console.css" in page
    assert f"dépasse la limite de {words}" in page and "upload_max_mb" not in page
    assert '<a href="/pieces">Retour aux pièces</a>' in page
    assert (site.folder / "documents" / "urssaf.pdf").read_bytes() == PDF


def test_settings_say_the_checks_findings_in_french(tmp_path: Path) -> None:
    site = build_site(tmp_path, '\n[[mail.routes]]\nrecipient = "x@of.fr"\ndomains = ["Cuisine"]\n')
    text = site.config_file.read_text("utf-8")
    text = text.replace('"Test OF"', '"Mon organisme de formation"')
    site.config_file.write_text(text.replace("veille@test-of.fr", "contact@exemple-formation.fr"))
    with site.client() as client:
        page = html.unescape(client.get("/reglages").text)
    check = page[page.index('id="h-check"') : page.index('id="h-org"')]
    assert "le domaine «\xa0Cuisine\xa0» n'est pas un domaine du profil" in check
    assert "domaines connus\xa0: Management, Langues" in check
    assert (
        "«\xa0Mon organisme de formation\xa0» est le nom d'organisme d'exemple d'opco-watch init"
        in check
    )
    assert "écrivez la valeur de votre organisme" in check
    assert "une adresse e-mail d'exemple" in check and "écrivez une vraie adresse" in check
    assert "from `opco-watch init`" not in check and "is not a domain" not in check
    assert 'lang="en"' not in check, "every finding here has a French wording"


def test_every_wording_of_the_check_on_a_starter_file_has_its_french(tmp_path: Path) -> None:
    """The starter's example values, a missing document, a document outside its folder, a
    missing templates folder, an unknown routed domain, an SMTP login without its password:
    each finding is recognised (the CLI's English wording changed? this test says so)."""
    from watcher.check_words import finding
    from watcher.config_check import check_config
    from watcher.starter import write_starter

    file = tmp_path / "opco-watch.toml"
    write_starter(file)
    (tmp_path / "documents").mkdir()
    (tmp_path / "outside.pdf").write_bytes(PDF)
    raw = tomllib.loads(file.read_text("utf-8"))
    raw["documents"] = {
        "folder": "documents",
        "items": [{"kind": "kbis", "file": "kbis.pdf"}, {"kind": "nda", "file": "../outside.pdf"}],
    }
    raw["responses"] = {"templates_folder": "mes-modeles"}
    raw["mail"] = {
        **raw.get("mail", {}),
        "username": "veille",
        "routes": [{"recipient": "x@of.fr", "domains": ["Cuisine"]}],
    }
    file.write_text(tomli_w.dumps(raw), encoding="utf-8")
    report = check_config(file)
    problems = [finding(p) for p in report.errors] + [
        finding(w, warning=True) for w in report.warnings
    ]
    assert len(report.errors) >= 4 and len(report.warnings) >= 3, problems
    unknown = [p for p in problems if not p.french]
    assert unknown == [], unknown
    hints = [p.hint for p in problems if p.hint]
    assert all(not re.search(r"\b(the|write|create|put|copy)\b", h) for h in hints), hints


def test_a_reopened_confirmed_link_says_so_and_records_nothing_twice(site: Site) -> None:
    call = site.ids()["mgt-1"]
    link = _email_link(site, CLAIRE, "Pertinent", call)
    with site.client() as client:
        assert "Confirmer&nbsp;: Pertinent" in client.get(link).text
        assert "Avis enregistré\u00a0: pertinent." in html.unescape(client.post(link).text)
        again = html.unescape(client.get(link).text)
        assert "Cet avis est déjà enregistré\u00a0: pertinent." in again
        assert "Confirmer\xa0: Pertinent" not in again, "no button for what is recorded"
        twice = html.unescape(client.post(link).text)  # a second click, a reload
        assert "Cet avis est déjà enregistré\u00a0: pertinent." in twice
    with site.store() as store:
        lines = [e for e in activity.history(store, call) if e.action == "judgement"]
        assert len(lines) == 1 and len(store.feedback()) == 1


def test_a_logged_in_user_visiting_the_login_page_goes_to_the_calls(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    with site.client() as client:
        assert client.get("/connexion").status_code == 200
        login(client, ADMIN)
        answer = client.get("/connexion")
        assert answer.status_code == 303 and answer.headers["location"] == "/appels"
        answer = client.get("/connexion?suite=/pieces")
        assert answer.headers["location"] == "/pieces"


def test_the_digest_page_says_when_the_week_asked_for_is_not_one(site: Site) -> None:
    last = Week.of(datetime.now(PARIS).date()).shifted(-1)
    with site.client() as client:
        bad = client.get("/synthese?semaine=2026-W99")
        future = html.unescape(client.get("/synthese?semaine=2999-W01").text)
    page = html.unescape(bad.text)
    assert bad.status_code == 400
    assert "«\xa02026-W99\xa0» n'est pas une semaine" in page and last.words in page
    assert "Cette semaine n'a pas encore commencé" in future


def test_an_empty_last_week_points_to_the_current_one(site: Site) -> None:
    """The page keeps to the week the email reports on (the last full one) and, when it saw
    no call, says how many the current week has, with a link: nothing moves silently."""
    this_week = Week.of(datetime.now(PARIS).date())
    with site.client() as client:
        page = html.unescape(client.get("/synthese").text)
    assert fr.week_span(this_week.shifted(-1).monday) in page  # the site's calls are this week's
    assert f'href="/synthese?semaine={this_week.label}">voir la semaine en cours' in page
    assert "La semaine en cours en compte déjà" in page


def test_the_favicon_is_served_from_the_package(site: Site) -> None:
    with site.client() as client:
        icon = client.get("/favicon.ico")
        page = client.get("/appels").text
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00", "an ICO file"
    assert '<link rel="icon" href="/favicon.ico">' in page


def test_the_call_page_reads_well(site: Site) -> None:
    from scrapers.registry import source_label

    ids = site.ids()
    with site.client() as client:
        post(client, f"/appels/{ids['mgt-1']}/statut", {"statut": "go"})
        page = html.unescape(client.get(f"/appels/{ids['mgt-1']}").text)
    timeline = page[page.index("Chronologie des avis") : page.index("Historique")]
    assert f"— {source_label('akto')}" in timeline and "— akto " not in timeline
    assert "<strong>Poste local</strong> · statut" in page, "as the header names it"
    assert ">reglement.pdf</a>" in page


def test_lots_places_and_document_links_are_said_once_and_readably() -> None:
    from watcher.models import Lot, Notice
    from watcher.notify.context import lot_label, unique_places
    from watcher.web.calls_view import document_name

    assert lot_label(Lot("Lot 1 – Rennes", "LOT-0001")) == "Lot 1 – Rennes"
    assert lot_label(Lot("Rennes", "LOT-0001")) == "Lot 1 — Rennes"
    assert lot_label(Lot("Rennes", "2")) == "Lot 2 — Rennes"
    assert lot_label(Lot("Lot 2 : Brest", "Lot 2")) == "Lot 2 : Brest"
    assert lot_label(Lot("Brest")) == "Brest"
    notices = (
        Notice("akto", "a", "T", "https://a.fr/1", places=("Bretagne", "Rennes (35)")),
        Notice("akto", "b", "T", "https://a.fr/2", places=("bretagne ", "Rennes  (35)", "Brest")),
    )
    assert unique_places(notices) == ["Bretagne", "Rennes (35)", "Brest"]
    assert document_name("https://www.akto.fr/ao/mgt-1/reglement%20v2.pdf") == "reglement v2.pdf"
    long = "https://www.marches-publics.info/index.cfm?fuseaction=dce.telecharger&id=1"
    assert document_name(long) == "Document sur marches-publics.info"
    assert document_name("https://achats.fr/") == "Document sur achats.fr"
