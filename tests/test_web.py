"""The console's pages through the real app on loopback: the pipeline and its filters, the
call page, sources, vault, digest, settings; escaping of what came from the web."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from tests.notify_data import HOSTILE
from tests.web_site import Site, build_site
from watcher import fr


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def test_the_home_page_is_the_pipeline(site: Site) -> None:
    with site.client() as client:
        home = client.get("/")
        assert home.status_code == 303 and home.headers["location"] == "/appels"


def test_the_pipeline_lists_open_calls_by_deadline_and_says_what_is_hidden(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        page = " ".join(client.get("/appels").text.split())
    shown = [f"n°&nbsp;{ids[ref]}<" for ref in ("ang-1", "mgt-1", "xss-1", "bur-1")]
    positions = [page.index(number) for number in shown]
    assert positions == sorted(positions), "by deadline: J-9, J-27 (corrigendum), J-30, J-40"
    for hidden in ("att-1", "old-1", "occ-1"):
        assert f'/appels/{ids[hidden]}"' not in page
    assert (
        "3</strong> masqués&nbsp;: 1 attribué ou annulé, 1 date limite passée, "
        "1 hors de vos régions" in page
    )


def test_hidden_calls_can_be_shown(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        page = client.get("/appels?masques=1").text
    for ref in ("att-1", "old-1", "occ-1"):
        assert f'/appels/{ids[ref]}"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pertinents=1", {"mgt-1", "ang-1", "xss-1"}),
        ("opco=Atlas", {"ang-1"}),
        ("opco=OPCO+ATLAS", {"ang-1"}),  # a link saved with the old spelling still filters
        ("domaine=Langues", {"ang-1"}),
        ("region=%C3%8Ele-de-France", {"ang-1"}),
        ("echeance=14", {"ang-1"}),
        ("statut=go", set()),
    ],
)
def test_filters_are_in_the_url(site: Site, query: str, expected: set[str]) -> None:
    ids = site.ids()
    with site.client() as client:
        page = client.get(f"/appels?{query}").text
    listed = {ref for ref in ("mgt-1", "ang-1", "xss-1", "bur-1") if f'/appels/{ids[ref]}"' in page}
    assert listed == expected


def test_the_pipeline_filters_mine_and_status_after_a_change(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        from tests.web_site import post

        post(client, f"/appels/{ids['bur-1']}/statut", {"statut": "go"})
        post(client, f"/appels/{ids['ang-1']}/responsable", {"responsable": "poste local"})
        go = client.get("/appels?statut=go").text
    assert f'/appels/{ids["bur-1"]}"' in go and f'/appels/{ids["ang-1"]}"' not in go


def test_a_call_page_shows_everything_about_the_call(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        page = html.unescape(client.get(f"/appels/{ids['mgt-1']}").text)
    assert f"n°\xa0{ids['mgt-1']}" in page
    assert "Formation management des équipes" in page
    assert "jusqu'à 75\u202f000\xa0€ HT" in page  # fr.estimate: never the "1 €" floor
    assert "Lot 2 — Rennes" in page and "Lot 5 — Brest" in page
    assert "https://www.marches-publics.info/dce/mgt-1" in page and "reglement.pdf" in page
    assert "Rectificatif" in page and "date limite" in page  # the corrigendum, with what changed
    assert "« management » dans le titre" in page
    assert "(J-27)" in page or "(J-26)" in page  # the corrigendum's deadline is in force


def test_the_timeline_says_what_a_corrigendum_changed(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        page = html.unescape(client.get(f"/appels/{ids['mgt-1']}").text)
    timeline = page[page.index("Chronologie des avis") :]
    assert timeline.index("Avis de marché") < timeline.index("Rectificatif")
    assert "date limite" in timeline[timeline.index("Rectificatif") :].lower()


def test_an_award_shows_its_winner(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        page = html.unescape(client.get(f"/appels/{ids['att-1']}").text)
    assert "attribué à Formacoop" in page


def test_text_from_the_web_is_escaped_everywhere(site: Site) -> None:
    ids = site.ids()
    with site.client() as client:
        for path in ("/appels", f"/appels/{ids['xss-1']}", "/synthese"):
            page = client.get(path).text
            assert "<script>" not in page, path
            assert "{{ 7*7 }}" in page or path == "/synthese"
    assert HOSTILE.startswith("<script>")


def test_an_unknown_call_is_a_french_404(site: Site) -> None:
    with site.client() as client:
        for path in ("/appels/999", "/appels/abc", "/nulle-part"):
            answer = client.get(path)
            assert answer.status_code == 404, path
            assert "Traceback" not in answer.text and 'lang="fr"' in answer.text


def test_sources_page_shows_each_source_health(site: Site) -> None:
    with site.store() as store:
        from tests.web_site import NOW

        store.record_failure(
            "atlas",
            at=NOW,
            error_kind="fetch",
            error="site unreachable: https://www.opco-atlas.fr/",
        )
        store.record_success("akto", at=NOW, items=8, new=8, changed=0)
    with site.client() as client:
        page = html.unescape(client.get("/sources").text).replace("\xa0", " ")
    assert "site injoignable : https://www.opco-atlas.fr/" in page  # in French, as all the page
    assert "unreachable" not in page
    assert "akto" in page and "8 (en tout 8)" in page


def test_sources_page_says_what_else_the_cli_says_of_a_source(site: Site) -> None:
    """Records left out, a Retry-After pause, detail pages failing poll after poll."""
    from datetime import timedelta

    from tests.web_site import NOW

    with site.store() as store:
        store.record_success("boamp", at=NOW, items=40, new=2, changed=0, skipped=3)
        for _ in range(2):
            details = (4, "HTTP 500: https://www.akto.fr/ao/ref-1")  # as the pipeline words it
            store.record_success("akto", at=NOW, items=8, new=0, changed=0, details=details)
        later = NOW + timedelta(hours=6)
        store.record_failure(
            "atlas", at=NOW, error_kind="rate-limited", error="429", deferred_until=later
        )
    with site.client() as client:
        page = html.unescape(client.get("/sources").text).replace("\xa0", " ")
    assert "3 avis illisibles ignorés au dernier passage" in page
    assert (
        "4 pages de détail en échec, 2 passages de suite : HTTP 500 (erreur du site) : "
        "https://www.akto.fr/ao/ref-1"
    ) in page
    assert "en pause jusqu'au" in page and "le site l'a demandé (Retry-After)" in page


def test_vault_page_shows_each_document_status(site: Site) -> None:
    with site.client() as client:
        page = html.unescape(client.get("/pieces").text)
    assert "Attestation URSSAF" in page and "expiré" in page
    assert "Extrait Kbis" in page and "valide" in page


def test_digest_shows_any_past_week(site: Site) -> None:
    from tests.web_site import NOW
    from watcher.models import PARIS
    from watcher.notify.week import Week

    week = Week.of(NOW.astimezone(PARIS).date())
    with site.client() as client:
        page = html.unescape(client.get(f"/synthese?semaine={week.label}").text)
        older = html.unescape(client.get(f"/synthese?semaine={week.shifted(-5).label}").text)
        email = client.get(f"/synthese/courriel?semaine={week.label}")
    assert fr.week_span(week.monday) in page
    assert "Formation management des équipes" in page or "Formation anglais professionnel" in page
    assert fr.week_span(week.shifted(-5).monday) in older and "Rien cette semaine." in older
    assert email.status_code == 200 and "<script" not in email.text
    assert "unsafe-inline" in email.headers["content-security-policy"]  # the email's styles
    assert "script-src" not in email.headers["content-security-policy"]


def test_settings_show_the_configuration_and_its_check(tmp_path: Path) -> None:
    extra = '\n[[mail.routes]]\nrecipient = "x@of.fr"\ndomains = ["Cuisine"]\n'
    site = build_site(tmp_path, extra)
    with site.client() as client:
        page = html.unescape(client.get("/reglages").text)
    assert "le domaine «\xa0Cuisine\xa0» n'est pas un domaine du profil" in page
    assert "Management" in page and "claire@of.fr" in page and "akto" in page


def test_static_assets_ship_with_the_package(site: Site) -> None:
    with site.client() as client:
        css = client.get("/static/console.css")
        assert css.status_code == 200 and "text/css" in css.headers["content-type"]
        page = client.get("/appels").text
    assert "http://" not in page.split("<body>")[0].replace("http://127.0.0.1", ""), "no CDN"
    assert "<script" not in page
