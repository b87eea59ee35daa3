"""What a product tester found in the console and its emails: the set-aside calls under
headings true of each, French typography in the templates' own text, the Pièces page after an
upload (dates, messages, file mode), and the removal of an account asked twice."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.notify_data import parts
from tests.web_site import (
    ADMIN,
    CLAIRE,
    MEMBER,
    NOW,
    PDF,
    Site,
    add_account,
    build_site,
    login,
    mail_the_week,
)
from tests.web_site import post as post_form
from watcher import accounts, fr
from watcher.models import PARIS
from watcher.notify import queries
from watcher.notify.context import tender_context
from watcher.notify.digest import gather, view
from watcher.notify.settings import settings_of
from watcher.web.calls_view import call_context, load_call

#: a plain space before « : ; ! ? » » or after « — the line may break there on a phone
LOOSE = re.compile(r"(?<=\S) [:;!?»]|« ")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


class _Text(HTMLParser):
    """The text a reader sees (no <title>, <style> or <script>), whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self._hidden += tag in ("title", "style", "script")

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in ("title", "style", "script")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.found.append(data)


def _squeeze(text: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", text)


def _text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return _squeeze("".join(parser.found))


def _strings(value: Any) -> Iterable[str]:
    """Every string of a template context: the data the templates are given."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


def _loose_template_text(page: str, data: Iterable[str]) -> list[str]:
    """Where ``page``'s own words (the data masked) have a plain space that may break."""
    text = _text(page)
    for value in sorted({_squeeze(v) for v in data if len(v) > 2}, key=len, reverse=True):
        text = text.replace(value, "¤")
    return [text[max(0, m.start() - 30) : m.end() + 10] for m in LOOSE.finditer(text)]


def _cards(site: Site) -> list[dict[str, Any]]:
    """The context of every call as the emails and the call pages are given it."""
    ids = sorted(set(site.ids().values()))
    with site.store() as store:
        with store.transaction() as conn:
            judged = queries.load(conn, ids)
        pages = [load_call(store, i) for i in ids]
    links = settings_of(site.config).links
    cards = [tender_context(j.tender, j.match, NOW, links) for j in judged]
    return cards + [call_context(p, NOW) for p in pages if p is not None]


def _email_link(sent: list[Any], recipient: str) -> str:
    """The first one-click link of ``recipient``'s alert."""
    body = next(parts(m)[1] for m in sent if str(m["To"]) == recipient)
    found = re.search(r'href="http://127\.0\.0\.1:8000(/e/[^"]+)"', body)
    assert found
    return found.group(1)


def test_the_templates_own_french_never_breaks_before_a_colon_or_inside_guillemets(
    site: Site,
) -> None:
    settings = settings_of(site.config)
    with site.store() as store:
        week, sent = mail_the_week(site, store)
        digest = view(gather(store, settings, week, NOW), settings, None)
    emails = [parts(m)[1] for m in sent]
    assert {m["X-Opco-Watch-Kind"] for m in sent} == {"alert", "digest"}
    data = [*_strings(_cards(site)), *_strings(digest)]
    ids = site.ids()
    pages = []
    with site.client() as client:
        pages += [client.get(f"/appels/{ids[ref]}").text for ref in ("mgt-1", "att-1")]
        closed = ids["att-1"]
        pages.append(post_form(client, f"/appels/{closed}/reponse", page=f"/appels/{closed}").text)
        pages.append(client.get(_email_link(sent, CLAIRE)).text)  # « Votre choix : … »
    assert "Avant d'écrire le brouillon" in pages[2] and "Confirmer" in pages[3]
    for page in [*emails, *pages]:
        assert _loose_template_text(page, data) == []


# ------------------------------------------------------------------ the set-aside calls


def test_an_open_call_outside_the_regions_is_not_said_past_answering(site: Site) -> None:
    with site.store() as store:
        week, sent = mail_the_week(site, store)
    (mail,) = [m for m in sent if m["X-Opco-Watch-Kind"] == "digest"]
    text, email = parts(mail)
    with site.client() as client:
        console = client.get(f"/synthese?semaine={week.label}").text
    for page in (html.unescape(email), html.unescape(console), text):
        past = page.index("Plus possible d'y répondre")
        blocked = page.index("Encore ouverts, mais bloqués")
        occitanie = page.index("Formation management en Occitanie")
        awarded = page.index("Formation management de proximité")  # its award's title
        assert past < awarded < blocked < occitanie, "each call under a heading true of it"
        assert "plus possible d'y répondre" not in page.lower()[blocked:]


# ------------------------------------------------------------------------------ Pièces


def _upload(client: Any, name: str, content: bytes) -> Any:
    return post_form(
        client,
        "/pieces/0/version",
        {"delivre": "2026-11-20", "expire": ""},
        files={"fichier": (name, content, "application/octet-stream")},
        page="/pieces",
    )


def test_after_an_upload_the_page_gives_the_date_in_words_under_its_title(site: Site) -> None:
    with site.client() as client:
        answer = _upload(client, "attestation.pdf", PDF + b"% renewed\n")
        assert answer.status_code == 303
        page = client.get(answer.headers["location"]).text
    day = datetime.now(PARIS).date()
    versions = html.unescape(page[page.index("Versions déposées") :])[:80]
    assert fr.long_date(day) in versions and day.isoformat() not in versions
    assert page.index("<h1>Pièces</h1>") < page.index('class="flash"'), "as the errors are"


@pytest.mark.parametrize("mode", [0o644, 0o640])
def test_an_uploaded_document_gets_the_mode_of_the_others(site: Site, mode: int) -> None:
    folder = site.folder / "documents"
    (folder / "kbis.pdf").chmod(mode)
    with site.client() as client:
        assert _upload(client, "attestation.pdf", PDF + b"% renewed\n").status_code == 303
    assert (folder / "urssaf.pdf").stat().st_mode & 0o777 == mode


def test_a_file_of_a_type_not_accepted_is_refused_for_its_type(site: Site) -> None:
    with site.client() as client:
        answer = _upload(client, "virus.exe", b"MZ\x90\x00 a program")
    page = html.unescape(answer.text)
    assert answer.status_code == 400
    assert "les fichiers .exe ne sont pas acceptés (acceptés\xa0: .pdf" in page
    assert "pas celui d'un fichier" not in page
    assert page.index("<h1>Pièces</h1>") < page.index('class="error"')
    assert (site.folder / "documents" / "urssaf.pdf").read_bytes() == PDF


# ------------------------------------------------------------------- removing an account


class _Forms(HTMLParser):
    """The forms of a page: method, action, the values they send and their buttons' names."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            method, action = found.get("method") or "get", found.get("action") or ""
            self.forms.append({"method": method, "action": action, "fields": {}, "names": []})
        elif tag == "input" and self.forms and found.get("name"):
            self.forms[-1]["fields"][found["name"]] = found.get("value") or ""
        elif tag == "button" and self.forms:
            self._button = [found.get("aria-label") or ""]

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._button.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None:
            self.forms[-1]["names"] += [n.strip() for n in self._button if n.strip()]
            self._button = None


def _submit(client: Any, page: str, button: str) -> Any:
    """What a browser without JavaScript sends when one clicks ``button``."""
    forms = _Forms()
    forms.feed(page)
    (form,) = [f for f in forms.forms if button in f["names"]]
    if form["method"].lower() == "post":
        return client.post(form["action"], data=form["fields"])
    return client.get(form["action"], params=form["fields"])


def test_removing_an_account_asks_first_and_works_without_javascript(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    member = add_account(site, MEMBER, "member")
    with site.client() as admin:
        login(admin, ADMIN)
        asked = _submit(admin, admin.get("/compte").text, f"Supprimer le compte {MEMBER}")
        with site.store() as store:
            assert accounts.get_user(store, member.id) is not None, "one click removes nothing"
        assert asked.status_code == 200 and 'role="alert"' in asked.text
        assert f"Supprimer définitivement {MEMBER}" in asked.text
        refused = admin.post(f"/compte/comptes/{member.id}/supprimer", data={})
        assert refused.status_code == 403, "the removal still needs the CSRF token"
        done = _submit(admin, asked.text, f"Supprimer définitivement {MEMBER}")
        assert done.status_code == 303
    with site.store() as store:
        assert accounts.get_user(store, member.id) is None
