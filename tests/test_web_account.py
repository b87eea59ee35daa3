"""Mon compte: one's own password, and the admins' accounts page (add, link, remove)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import httpx
import pytest

from tests.web_site import ADMIN, MEMBER, PASSWORD, Site, add_account, build_site, login, post
from watcher import accounts

NEW_PASSWORD = "une autre phrase de passe"
LINK = re.compile(r'value="(http[^"]+/mot-de-passe/[^"]+)"')


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def _change(
    client: httpx.Client, current: str, new: str, again: str | None = None
) -> httpx.Response:
    data = {"current": current, "password": new, "again": new if again is None else again}
    return post(client, "/compte/mot-de-passe", data, page="/compte")


def _can_log_in(site: Site, email: str, password: str) -> bool:
    with site.store() as store:
        return accounts.authenticate(store, email, password) is not None


def test_the_header_leads_to_the_account_page(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        assert 'href="/compte"' in client.get("/appels").text
        page = client.get("/compte")
    assert page.status_code == 200
    assert "Changer de mot de passe" in page.text and "membre" in page.text
    assert "Comptes de la console" not in page.text, "a member does not manage accounts"


def test_changing_ones_password_keeps_this_session_and_ends_the_others(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as phone, site.client() as laptop:
        login(phone, MEMBER)
        login(laptop, MEMBER)
        answer = _change(laptop, PASSWORD, NEW_PASSWORD)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/compte?ok=")
        assert "Mot de passe changé" in laptop.get(answer.headers["location"]).text
        assert laptop.get("/appels").status_code == 200, "this session carries on"
        assert phone.get("/appels").status_code == 303, "the other session is over"
    assert _can_log_in(site, MEMBER, NEW_PASSWORD) and not _can_log_in(site, MEMBER, PASSWORD)


@pytest.mark.parametrize(
    ("current", "new", "again", "message"),
    [
        ("pas le bon mot de passe", NEW_PASSWORD, None, "Le mot de passe actuel est incorrect."),
        (PASSWORD, NEW_PASSWORD, "autre chose encore", "Les deux mots de passe diffèrent."),
        (PASSWORD, "court", None, "Le mot de passe doit compter au moins 10 caractères."),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(
    site: Site, current: str, new: str, again: str | None, message: str
) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        answer = _change(client, current, new, again)
        assert answer.status_code == 400 and message in unescape(answer.text)
        assert client.get("/appels").status_code == 200, "the session is untouched"
    assert _can_log_in(site, MEMBER, PASSWORD)


def test_guessing_the_current_password_is_rate_limited(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        for _ in range(5):
            assert _change(client, "mauvais mot de passe", NEW_PASSWORD).status_code == 400
        answer = _change(client, PASSWORD, NEW_PASSWORD)
    assert answer.status_code == 429 and "Trop de tentatives" in answer.text
    assert _can_log_in(site, MEMBER, PASSWORD), "even the right password waits"


def test_the_change_needs_the_forms_csrf_token(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        data = {"current": PASSWORD, "password": NEW_PASSWORD, "again": NEW_PASSWORD}
        assert client.post("/compte/mot-de-passe", data=data).status_code == 403
    assert _can_log_in(site, MEMBER, PASSWORD)


def test_an_admin_adds_an_account_and_its_link_sets_the_password(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    with site.client() as admin:
        login(admin, ADMIN)
        page = post(admin, "/compte/comptes", {"email": " Nouveau@OF.fr ", "role": "member"})
        assert page.status_code == 200 and "nouveau@of.fr" in page.text
        link = LINK.search(page.text)
        assert link, "the one-time link is shown once, to hand over"
        listed = admin.get("/compte").text
        assert "nouveau@of.fr" in listed and "en attente" in listed
        assert LINK.search(listed) is None, "the link is not shown again"
    path = "/" + link.group(1).split("/", 3)[3]
    with site.client() as newcomer:
        form = newcomer.get(path)
        assert form.status_code == 200 and "nouveau@of.fr" in form.text
        data = {"password": NEW_PASSWORD, "again": NEW_PASSWORD}
        assert post(newcomer, path, data, page=path).status_code == 303
    assert _can_log_in(site, "nouveau@of.fr", NEW_PASSWORD)


@pytest.mark.parametrize(
    ("email", "message"),
    [("pas-une-adresse", "n'est pas une adresse électronique"), (MEMBER, "Un compte existe déjà")],
)
def test_a_refused_account_says_why_in_french(site: Site, email: str, message: str) -> None:
    add_account(site, ADMIN, "admin")
    add_account(site, MEMBER, "member")
    with site.client() as admin:
        login(admin, ADMIN)
        answer = post(admin, "/compte/comptes", {"email": email, "role": "member"})
    assert answer.status_code == 400 and message in unescape(answer.text)
    with site.store() as store:
        assert accounts.count_users(store) == 2


def test_a_new_link_replaces_the_previous_one(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    member = add_account(site, MEMBER, "member")
    with site.client() as admin:
        login(admin, ADMIN)
        page = post(admin, f"/compte/comptes/{member.id}/lien", page="/compte")
    link = LINK.search(page.text)
    assert page.status_code == 200 and link
    with site.store() as store:
        assert accounts.read_password_token(store, link.group(1).rsplit("/", 1)[1]).id == member.id


def test_an_admin_removes_an_account_but_not_their_own(site: Site) -> None:
    admin_user = add_account(site, ADMIN, "admin")
    member = add_account(site, MEMBER, "member")
    with site.client() as admin, site.client() as bid:
        login(admin, ADMIN)
        login(bid, MEMBER)
        own = post(admin, f"/compte/comptes/{admin_user.id}/supprimer", page="/compte")
        assert own.status_code == 400 and "votre propre compte" in own.text
        gone = post(admin, f"/compte/comptes/{member.id}/supprimer", page="/compte")
        assert gone.status_code == 303
        assert bid.get("/appels").status_code == 303, "the removed account's session ends"
        assert post(admin, "/compte/comptes/999/lien", page="/compte").status_code == 404
    with site.store() as store:
        assert [u.email for u in accounts.list_users(store)] == [ADMIN]


def test_a_member_cannot_manage_accounts(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    add_account(site, MEMBER, "member")
    with site.client() as bid:
        login(bid, MEMBER)
        answer = post(bid, "/compte/comptes", {"email": "x@of.fr", "role": "admin"}, page="/compte")
    assert answer.status_code == 403
    with site.store() as store:
        assert accounts.find_user(store, "x@of.fr") is None


def test_the_local_post_creates_the_first_admin_and_the_console_closes(site: Site) -> None:
    with site.client() as local:
        page = local.get("/compte")
        assert page.status_code == 200 and "ouverte à ce poste" in page.text
        made = post(local, "/compte/comptes", {"email": ADMIN, "role": "admin"}, page="/compte")
        assert made.status_code == 200 and LINK.search(made.text)
        # the page says what is now true: no more « Poste local », a login from now on
        assert "demande désormais une connexion" in made.text
        for stale in ("Poste local", "Aucun compte n", "ouverte à ce poste seulement"):
            assert stale not in made.text, stale
        assert local.get("/appels").status_code == 303, "no more open mode: log in"
