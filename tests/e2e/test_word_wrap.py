"""Long text from the web wraps, but the console's own words are never cut in half: a table's
columns stay as wide as their words (« Pertinence », « Responsable », the « nouveau » badge)
on a desktop screen and on a phone, where the tables become cards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import skip_without_chromium
from tests.web_site import ADMIN, PASSWORD, Site, add_account, build_site, serve

skip_without_chromium()

from playwright.sync_api import Browser, Page, expect  # noqa: E402

#: the words of ``document.body`` laid out on more than one line; a word broken at its own
#: hyphen (« Île-de-/France ») is how French wraps and is not counted
CUT_WORDS = r"""() => {
  const cut = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const word of node.textContent.matchAll(/[\p{L}]{2,}/gu)) {
      const range = document.createRange();
      range.setStart(node, word.index);
      range.setEnd(node, word.index + word[0].length);
      const lines = new Set([...range.getClientRects()].filter(r => r.width > 0)
        .map(r => Math.round(r.top)));
      if (lines.size > 1) cut.push(word[0]);
    }
  }
  return cut;
}"""


@pytest.fixture
def site(tmp_path: Path) -> Site:
    found = build_site(tmp_path)
    add_account(found, ADMIN, "admin")
    return found


@pytest.fixture
def base(site: Site) -> Iterator[str]:
    with serve(site.config, site.config_file) as (url, _app):
        yield url


def _logged_in(browser: Browser, base: str, width: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse e-mail").fill(ADMIN)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1, name="Appels")).to_be_visible()
    return page


@pytest.mark.parametrize("width", [360, 768, 1024])
def test_the_consoles_own_words_are_never_cut_in_half(
    browser: Browser, base: str, width: int
) -> None:
    page = _logged_in(browser, base, width)
    for path in ["/appels", "/appels/1", "/synthese", "/pieces", "/compte"]:
        page.goto(base + path)
        assert page.evaluate(CUT_WORDS) == [], f"{path} at {width} px"
    page.close()
