"""The console as a business developer reads it on a phone (360 px wide): long text from the
web wraps, empty pages say what to do, no server path is shown to whom cannot use it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import skip_without_chromium
from tests.notify_data import poll
from tests.web_site import (
    ADMIN,
    MEMBER,
    NOW,
    PASSWORD,
    Site,
    add_account,
    build_site,
    serve,
    verdict,
)
from tests.web_site import _notice as notice
from watcher.notify.settings import settings_of

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

SMALL_PHONE = {"width": 360, "height": 740}
WORD = "Formationprofessionnellecontinuedesencadrantsintermédiairesdelabranche"
BUYER = "Établissementpublicadministratifinterministérieldeformationcontinue"
URL = (
    "https://www.marches-publics.gouv.fr/index.php?page=Entreprise.EntrepriseDetails"
    "Consultation&refConsultation=123456789012&orgAcronyme=abcdefghijkl"
)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    found = build_site(tmp_path)
    add_account(found, ADMIN, "admin")
    add_account(found, MEMBER, "member")
    return found


def _long_call(site: Site) -> int:
    """A call whose reference, title word, buyer and addresses cannot break."""
    call = notice(
        "26-123456789012345678901234",
        f"Formation management {WORD}",
        buyer=BUYER,
        url=URL,
        platform_url=URL + "&dce=1",
        documents=(URL + "&document=reglement-de-la-consultation.pdf",),
    )
    with site.store() as store:
        poll(store, [call], settings_of(site.config), at=NOW, verdict=verdict)
    return site.ids()[call.ref]


@pytest.fixture
def base(site: Site) -> Iterator[str]:
    with serve(site.config, site.config_file) as (url, _app):
        yield url


def _phone(browser: Browser, base: str, email: str) -> Page:
    page = browser.new_page(viewport=SMALL_PHONE)
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1, name="Appels")).to_be_visible()
    return page


def _width(page: Page) -> int:
    return int(page.evaluate("() => document.documentElement.scrollWidth"))


def test_long_unbreakable_text_never_widens_a_phone_page(
    browser: Browser, site: Site, base: str
) -> None:
    number = _long_call(site)
    page = _phone(browser, base, ADMIN)
    for path in ["/appels", f"/appels/{number}", "/synthese", "/sources", "/pieces", "/reglages"]:
        page.goto(base + path)
        assert _width(page) <= SMALL_PHONE["width"], f"{path} scrolls sideways: {_width(page)}px"
    page.goto(f"{base}/appels/{number}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(WORD)
