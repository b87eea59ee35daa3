"""Who may do what: open mode on loopback, login, sessions, roles, CSRF, rate limiting,
security headers, the trusted proxy and the root path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.web_site import (
    ADMIN,
    MEMBER,
    PASSWORD,
    Site,
    add_account,
    build_site,
    csrf_of,
    login,
    post,
)
from watcher import accounts

PAGES = (
    "/appels",
    "/appels/1",
    "/sources",
    "/pieces",
    "/synthese",
    "/reglages",
    "/appels/1/reponse/DC1.docx",
)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def test_without_accounts_on_loopback_the_console_is_open(site: Site) -> None:
    with site.client() as client:
        for path in ("/appels", "/appels/1", "/sources", "/pieces", "/synthese", "/reglages"):
            assert client.get(path).status_code == 200, path
        assert "Poste local" in client.get("/appels").text


def test_behind_a_proxy_there_is_no_open_mode(site: Site) -> None:
    with site.client(trusted_proxies=["127.0.0.1"]) as client:
        answer = client.get("/appels")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/connexion")


def test_anonymous_users_are_sent_to_the_login_page(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    with site.client() as client:
        for path in PAGES:
            answer = client.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"].startswith("/connexion?suite="), path
        assert client.get("/connexion").status_code == 200


def test_login_opens_a_session_in_a_signed_httponly_cookie(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        token = csrf_of(client.get("/connexion").text)
        answer = client.post(
            "/connexion",
            data={"csrf": token, "email": MEMBER, "password": PASSWORD, "suite": "/appels/1"},
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/appels/1"
        cookie = answer.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert client.get("/appels/1").status_code == 200
        assert MEMBER in client.get("/appels").text


def test_a_wrong_password_or_email_is_refused_the_same_way(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        for email, password in ((MEMBER, "wrong password!"), ("nobody@of.fr", PASSWORD)):
            token = csrf_of(client.get("/connexion").text)
            answer = client.post(
                "/connexion", data={"csrf": token, "email": email, "password": password}
            )
            assert answer.status_code == 401
            assert "Adresse ou mot de passe incorrect." in answer.text
        assert client.get("/appels").status_code == 303


def test_a_login_after_the_page_is_never_an_open_redirect(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        token = csrf_of(client.get("/connexion").text)
        data = {"csrf": token, "email": MEMBER, "password": PASSWORD, "suite": "//evil.example/x"}
        answer = client.post("/connexion", data=data)
    assert answer.headers["location"] == "/appels"


def test_login_attempts_are_rate_limited(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        codes = []
        for _ in range(6):
            token = csrf_of(client.get("/connexion").text)
            data = {"csrf": token, "email": MEMBER, "password": "not the password"}
            codes.append(client.post("/connexion", data=data).status_code)
        token = csrf_of(client.get("/connexion").text)
        right = client.post(
            "/connexion", data={"csrf": token, "email": MEMBER, "password": PASSWORD}
        )
    assert codes == [401] * 5 + [429]
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0, "even the right one"


def test_members_act_on_calls_admins_also_see_settings_and_poll(site: Site) -> None:
    add_account(site, MEMBER, "member")
    add_account(site, ADMIN, "admin")
    with site.client() as member:
        login(member, MEMBER)
        assert member.get("/reglages").status_code == 403
        assert post(member, "/sources/akto/interroger").status_code == 403
        assert post(member, "/appels/1/statut", {"statut": "go"}).status_code == 303
        assert "Réglages" not in member.get("/appels").text
    with site.client() as admin:
        login(admin, ADMIN)
        assert admin.get("/reglages").status_code == 200
        assert "Réglages" in admin.get("/appels").text


POSTS = (
    "/appels/1/avis",
    "/appels/1/statut",
    "/appels/1/responsable",
    "/appels/1/note",
    "/appels/1/reponse",
    "/appels/1/liste",
    "/sources/akto/interroger",
    "/pieces/0/version",
    "/synthese/calendrier",
    "/connexion",
    "/deconnexion",
)


@pytest.mark.parametrize("path", POSTS)
def test_every_form_needs_its_csrf_token(site: Site, path: str) -> None:
    add_account(site, ADMIN, "admin")
    with site.client() as client:
        login(client, ADMIN)
        assert client.post(path, data={"statut": "go", "avis": "pertinent"}).status_code == 403
        forged = {"csrf": "forged-token", "statut": "go"}
        assert client.post(path, data=forged).status_code == 403
    with site.store() as store:
        from watcher import tenders

        tender = tenders.get_tender(store, 1)
        assert tender is not None and tender.status == "new", "nothing was done"


def test_a_token_from_another_session_is_refused(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    with site.client() as first, site.client() as second:
        login(first, ADMIN)
        login(second, ADMIN)
        theirs = csrf_of(first.get("/appels").text)
        assert (
            second.post("/appels/1/statut", data={"csrf": theirs, "statut": "go"}).status_code
            == 403
        )


def test_logout_ends_the_session(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        assert post(client, "/deconnexion", page="/appels").status_code == 303
        assert client.get("/appels").status_code == 303


def test_a_new_password_ends_the_other_sessions(site: Site) -> None:
    user = add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        with site.store() as store:
            accounts.set_password(store, user.id, "another long password")
        assert client.get("/appels").status_code == 303


def test_a_one_time_link_sets_the_password_once(site: Site) -> None:
    with site.store() as store:
        accounts.add_user(store, MEMBER, "member")
        token = accounts.password_token(store, MEMBER)
    with site.client() as client:
        form = client.get(f"/mot-de-passe/{token}")
        assert form.status_code == 200 and MEMBER in form.text
        data = {"csrf": csrf_of(form.text), "password": "short", "again": "short"}
        assert client.post(f"/mot-de-passe/{token}", data=data).status_code == 400
        data = {"csrf": csrf_of(form.text), "password": PASSWORD, "again": PASSWORD}
        assert client.post(f"/mot-de-passe/{token}", data=data).status_code == 303
        login(client, MEMBER)
        again = client.get(f"/mot-de-passe/{token}")
        assert again.status_code == 400 and "déjà servi" in again.text
        assert client.get(f"/mot-de-passe/{token}x").status_code == 400


def test_a_removed_accounts_session_does_not_open_the_next_account(site: Site) -> None:
    """SQLite gives a removed account's id to the next one: the id alone must not say who."""
    add_account(site, ADMIN, "admin")
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        assert MEMBER in client.get("/appels").text
        with site.store() as store:
            removed = accounts.find_user(store, MEMBER)
            accounts.remove_user(store, MEMBER)
            newcomer = accounts.add_user(store, "nouvelle@of.fr", "admin")
            accounts.set_password(store, newcomer.id, "a password of hers")
        assert newcomer.id == removed.id and removed.session_version == 2  # as hers now
        answer = client.get("/appels")
        assert answer.status_code == 303 and "nouvelle@of.fr" not in answer.text


def test_a_removed_accounts_link_does_not_open_the_next_account(site: Site) -> None:
    add_account(site, ADMIN, "admin")
    with site.store() as store:
        removed = accounts.add_user(store, MEMBER, "member")
        link = accounts.password_token(store, MEMBER)
        accounts.remove_user(store, MEMBER)
        assert accounts.add_user(store, "nouvelle@of.fr", "admin").id == removed.id
    with site.client() as client:
        refused = client.get(f"/mot-de-passe/{link}")
    assert refused.status_code == 400 and "pas valide" in refused.text
    assert "nouvelle@of.fr" not in refused.text


def test_passwords_are_stored_as_argon2id_hashes(site: Site) -> None:
    add_account(site, MEMBER, "member")
    import sqlalchemy as sa

    from watcher.store.schema import users

    with site.store() as store, store.transaction() as conn:
        stored = conn.execute(sa.select(users.c.password_hash)).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_every_response_carries_the_security_headers(site: Site) -> None:
    with site.client() as client:
        for path in ("/appels", "/appels/1", "/static/console.css", "/nulle-part", "/connexion"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, path
            assert "script-src" not in csp and "unsafe-inline" not in csp, path
            assert headers["x-frame-options"] == "DENY"
            assert headers["referrer-policy"] == "same-origin"
            assert headers["x-content-type-options"] == "nosniff"


def test_forwarded_headers_count_only_from_a_trusted_proxy(site: Site) -> None:
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
    for trusted, secure in ((["10.1.2.3"], False), (["127.0.0.1"], True)):
        add_account(site, f"m{len(trusted[0])}@of.fr", "member")
        with site.client(trusted_proxies=trusted) as client:
            answer = client.get("/connexion", headers=forwarded)
            assert answer.status_code == 200
            assert ("Secure" in answer.headers["set-cookie"]) is secure, trusted


def test_a_root_path_prefixes_every_link(site: Site) -> None:
    with site.client(root_path="/veille") as client:
        page = client.get("/appels")  # the proxy forwards /veille/appels as /appels
        assert page.status_code == 200
        links = re.findall(r'(?:href|action)="(/[^"]*)"', page.text)
        assert links and all(link.startswith("/veille/") for link in links), links
        assert client.get("/static/console.css").status_code == 200
