"""What a product tester saw in Chromium: the alert and digest emails on a phone, and
« Préparer la réponse » on a closed call landing on its warning."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import PHONE, skip_without_chromium
from tests.notify_data import parts, poll
from tests.web_site import (
    ADMIN,
    NOW,
    Site,
    add_account,
    build_site,
    mail_the_week,
    serve,
    verdict,
)
from watcher import fr
from watcher.models import PARIS, Notice
from watcher.notify.digest import write_html
from watcher.notify.settings import settings_of
from watcher.notify.week import Week

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def _emails(site: Site, tmp_path: Path) -> dict[str, str]:
    """The HTML of an alert with its buttons, of the digest email and of its file."""
    with site.store() as store:
        week, sent = mail_the_week(site, store)
        write_html(store, settings_of(site.config), week, NOW, tmp_path / "digest.html")
    found = {str(m["X-Opco-Watch-Kind"]) + str(m["To"]): parts(m)[1] for m in sent}
    alert = next(html for key, html in found.items() if key.startswith("alert") and "/e/" in html)
    return {
        "alert": alert,
        "digest": found["digestveille@of.fr"],
        "digest-file": (tmp_path / "digest.html").read_text("utf-8"),
    }


def _fits(page: Page, name: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name} scrolls sideways: {width}px"


def test_the_alert_and_the_digest_fit_a_phone_with_every_button(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    page = browser.new_page(viewport=PHONE)
    for name, html in _emails(site, tmp_path).items():
        page.set_content(html)
        _fits(page, name)
        buttons = page.locator('a[href*="/e/"]')
        if name == "alert":
            labels = [b.inner_text() for b in buttons.all()]
            assert labels[:4] == ["Pertinent", "Pas pertinent", "Je prends", "No-go"], labels
        for button in buttons.all():
            box = button.bounding_box()
            assert box is not None, name
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, box)


def _login(page: Page, base: str) -> None:
    page.goto(f"{base}/appels")
    page.get_by_label("Adresse e-mail").fill(ADMIN)
    page.get_by_label("Mot de passe").fill("correct horse battery")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1, name="Appels")).to_be_visible()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}])
def test_preparing_a_closed_call_lands_on_its_warning(
    browser: Browser, site: Site, viewport: dict[str, int]
) -> None:
    add_account(site, ADMIN, "admin")
    closed = site.ids()["att-1"]
    with serve(site.config, site.config_file) as (base, _app):
        page = browser.new_page(viewport=viewport)
        _login(page, base)
        page.goto(f"{base}/appels/{closed}")
        page.get_by_role("button", name="Préparer la réponse").click()
        warning = page.get_by_role("alert")
        expect(warning).to_contain_text("Avant d'écrire le brouillon")
        expect(page).to_have_url(re.compile(r"#reponse$"))
        box = warning.bounding_box()
        assert box is not None and 0 <= box["y"] < viewport["height"], f"warning at {box}"
        button = page.get_by_role("button", name="Préparer quand même").bounding_box()
        assert button is not None and button["y"] + button["height"] <= viewport["height"]


def test_the_synthese_opens_on_the_digests_week_and_a_past_week_says_what_is_of_today(
    browser: Browser, site: Site, tmp_path: Path
) -> None:
    """The demo's digest is of the current week: the console opens on that week, its calls
    table says its order (the deadline, as its first column); a past week says plainly
    which parts are of today."""
    this_week = Week.of(NOW.astimezone(PARIS).date())
    with site.store() as store:
        write_html(store, settings_of(site.config), this_week, NOW, tmp_path / "digest.html")
    digest = (tmp_path / "digest.html").read_text("utf-8")
    assert this_week.words in digest
    today = fr.long_date(datetime.now(PARIS).date())
    with serve(site.config, site.config_file) as (base, _app):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/synthese")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            f"Synthèse de la {this_week.words}"
        )
        expect(page.get_by_label("Semaine")).to_have_value(this_week.label)
        to_answer = page.get_by_role("region", name="Appels à traiter")
        expect(to_answer).to_contain_text("Par date limite, la plus proche d'abord.")
        expect(page.locator("#passee")).to_have_count(0)
        older = this_week.shifted(-3)
        page.get_by_label("Semaine").select_option(older.label)
        page.get_by_role("button", name="Afficher").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Synthèse de la {older.words}")
        note = page.locator("#passee")
        expect(note).to_contain_text(f"la semaine {older.number}")
        expect(note).to_contain_text(f"sont ceux d'aujourd'hui, {today}.")
        box = note.bounding_box()
        figures = page.get_by_role("region", name="En chiffres").bounding_box()
        assert box is not None and figures is not None and box["y"] < figures["y"]
        deadlines = page.get_by_role("region", name="Dates limites à venir")
        expect(deadlines).to_contain_text(f"Dans les 14 jours, au {today}.")
        health = page.get_by_role("region", name="Santé des sources")
        expect(health).to_contain_text(f"Au {today}.")


def test_the_console_names_sources_and_regions_as_users_know_them(
    browser: Browser, site: Site
) -> None:
    """In Chromium: « Santé des sources » says « OPCO EP : OK », not « opco-ep : OK »; a TED
    call placed by NUTS codes says « Auvergne-Rhône-Alpes », not « (FRK01) »; the timeline
    and the Sources page name each source as users know it."""
    ted = Notice(
        "ted",
        "162418-2026",
        "Formation management des encadrants",
        "https://ted.europa.eu/fr/notice/-/detail/162418-2026",
        buyer="Ville de Lyon",
        deadline=NOW + timedelta(days=30),
        places=("FRK01", "FRK", "FRH"),
    )
    with site.store() as store:
        poll(store, [ted], settings_of(site.config), at=NOW, verdict=verdict)
        store.record_success("opco-ep", at=NOW, items=3, new=0, changed=0)
        store.record_failure("afdas", at=NOW, error_kind="fetch", error="HTTP 500")
    number = site.ids()["162418-2026"]
    with serve(site.config, site.config_file) as (base, _app):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/synthese")
        health = page.get_by_role("region", name="Santé des sources").inner_text()
        assert "OPCO EP\u00a0: OK" in health and "AFDAS\u00a0: en échec" in health, health
        assert not re.search(r"\b(opco-ep|afdas)\b", health), health
        page.goto(f"{base}/appels/{number}")
        places = page.locator("dt", has_text="Lieux").locator("xpath=following-sibling::dd")
        expect(places).to_have_text("Auvergne-Rhône-Alpes, Bretagne")
        assert not re.search(r"\bFR[A-Z0-9]{1,3}\b", page.locator("main").inner_text())
        expect(page.locator("main")).to_contain_text("— TED")
        page.goto(f"{base}/sources")
        names = page.locator("td[data-label=Source] strong").all_inner_texts()
        assert names[:4] == ["BOAMP", "AFDAS", "OPCO EP", "AKTO"], names
