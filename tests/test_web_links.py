"""From the email to the page: every alert links to the call's page and carries one-click
actions, signed, bound to the recipient and the call, expiring; and the calendar address."""

from __future__ import annotations

import base64
import html
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from icalendar import Calendar
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.notify_data import Collect, parts
from tests.web_site import CLAIRE, MEMBER, SOFIA, Site, add_account, build_site, login, post
from watcher import activity, tenders
from watcher.links import ACTION_SALT, SECRET_ENV, secret_key
from watcher.notify.sender import drain
from watcher.notify.settings import settings_of
from watcher.store.schema import feedback, outbox


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path, '\n[web]\npublic_url = "https://veille.of.fr"\n')


def _emails(site: Site) -> dict[str, tuple[str, str]]:
    collect = Collect()
    with site.store() as store:
        drain(store, settings_of(site.config), transport=collect)
    return {str(m["To"]): parts(m) for m in collect.sent}


def _links(text: str) -> list[str]:
    return re.findall(r"https://veille\.of\.fr(/e/[A-Za-z0-9_.\-]+)", text)


def test_alerts_link_to_the_call_page_and_carry_four_actions(site: Site) -> None:
    ids = site.ids()
    emails = _emails(site)
    text, body = emails[CLAIRE]
    assert f"https://veille.of.fr/appels/{ids['mgt-1']}" in text
    assert f'href="https://veille.of.fr/appels/{ids["mgt-1"]}"' in body
    for label in ("Pertinent", "Pas pertinent", "Je prends", "No-go"):
        assert f">{label}</a>" in body, label
    assert len(set(_links(body))) == 4 * body.count("Ouvrir l'appel n°")
    assert set(_links(text)) == set(_links(body))
    assert _links(emails[SOFIA][1]) != _links(body), "bound to each recipient"


def _action_link(site: Site, recipient: str, label: str, call: int) -> str:
    """The one-click link ``label`` of ``call`` in the alert mailed to ``recipient`` (the
    outbox is drained once per site: later calls read the same emails)."""
    mails = site.__dict__.setdefault("mails", None) or _emails(site)
    site.__dict__["mails"] = mails
    body = mails[recipient][1]
    card = body[body.index(f"n°&nbsp;{call}") :]
    found = re.search(rf'href="https://veille\.of\.fr(/e/[^"]+)"[^>]*>{label}</a>', card)
    assert found, label
    return found.group(1)


def test_a_click_shows_the_call_and_one_more_records_it_under_the_recipient(site: Site) -> None:
    call = site.ids()["mgt-1"]
    link = _action_link(site, CLAIRE, "Pas pertinent", call)
    with site.client() as client:
        shown = client.get(link)
        assert shown.status_code == 200
        page = html.unescape(shown.text)
        assert "Formation management des équipes" in page and "Confirmer\xa0: Pas pertinent" in page
        assert CLAIRE in page
        with site.store() as store:
            assert store.feedback() == [], "opening the link (a link scanner) records nothing"
        done = client.post(link)
        assert done.status_code == 200 and "Avis enregistré\u00a0: pas pertinent." in html.unescape(
            done.text
        )
    with site.store() as store:
        with store.transaction() as conn:
            rows = conn.execute(sa.select(feedback.c.relevant, feedback.c.author)).all()
        history = activity.history(store, call)
    assert [(r.relevant, r.author) for r in rows] == [(False, CLAIRE)]
    assert (history[0].actor, history[0].detail) == (CLAIRE, "pas pertinent")


def test_je_prends_and_no_go_act_on_the_call(site: Site) -> None:
    call = site.ids()["mgt-1"]
    take = _action_link(site, CLAIRE, "Je prends", call)
    drop = _action_link(site, CLAIRE, "No-go", call)
    with site.client() as client:
        assert client.post(take).status_code == 200
        assert client.post(drop).status_code == 200
    with site.store() as store:
        tender = tenders.get_tender(store, call)
        history = [(e.actor, e.action, e.detail) for e in activity.history(store, call)]
    assert tender is not None and tender.status == "no-go"
    assert history == [(CLAIRE, "status", "no-go"), (CLAIRE, "owner", CLAIRE)]


def _tampered(link: str) -> str:
    token = link.removeprefix("/e/")
    payload, stamp, signature = token.split(".")
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = re.sub(rb'"t":\d+', b'"t":1', data).replace(b"claire@", b"sofia@")
    encoded = base64.urlsafe_b64encode(forged).rstrip(b"=").decode()
    return f"/e/{encoded}.{stamp}.{signature}"


def test_a_tampered_link_is_refused(site: Site) -> None:
    call = site.ids()["ang-1"]
    link = _action_link(site, SOFIA, "Pertinent", call)
    with site.client() as client:
        for bad in (_tampered(link), link[:-3] + "abc", "/e/nothing-at-all"):
            for method in (client.get, client.post):
                answer = method(bad)
                assert answer.status_code == 403, bad
                assert "Lien refusé" in answer.text
    with site.store() as store:
        assert store.feedback() == []


def test_an_expired_link_is_refused(site: Site) -> None:
    class Yesterday(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 15 * 86400  # web.link_days is 14

    with site.store() as store, store.transaction(write=True) as conn:
        secret = secret_key(conn)
    old = URLSafeTimedSerializer(secret, salt=ACTION_SALT, signer=Yesterday)
    token = old.dumps({"r": CLAIRE, "t": site.ids()["mgt-1"], "a": "pertinent"})
    fresh = URLSafeTimedSerializer(secret, salt=ACTION_SALT).dumps(
        {"r": CLAIRE, "t": site.ids()["mgt-1"], "a": "pertinent"}
    )
    with site.client() as client:
        expired = client.post(f"/e/{token}")
        assert expired.status_code == 410 and "expiré" in html.unescape(expired.text)
        assert client.get(f"/e/{fresh}").status_code == 200, "the same link, in time, works"
    with site.store() as store:
        assert store.feedback() == []


def test_someone_logged_in_cannot_use_another_persons_link(site: Site) -> None:
    add_account(site, MEMBER, "member")
    link = _action_link(site, CLAIRE, "Pertinent", site.ids()["mgt-1"])
    with site.client() as client:
        login(client, MEMBER)
        for method in (client.get, client.post):
            answer = method(link)
            assert answer.status_code == 403 and CLAIRE in answer.text and MEMBER in answer.text
    with site.store() as store:
        assert store.feedback() == []


def test_reminders_and_digests_link_to_the_call_page(tmp_path: Path) -> None:
    site = build_site(
        tmp_path, '\n[web]\npublic_url = "https://veille.of.fr"\n[schedule]\nreminder_days = [10]\n'
    )
    from datetime import UTC, datetime

    from watcher.notify.digest import enqueue_digest
    from watcher.notify.reminders import enqueue_reminders
    from watcher.notify.week import Week

    call = site.ids()["ang-1"]
    settings = settings_of(site.config)
    with site.store() as store:
        tenders.set_status(store, call, "go", at=datetime.now(UTC), actor="test")
        assert enqueue_reminders(store, settings, datetime.now(UTC)) > 0
        enqueue_digest(
            store, settings, Week.of(datetime.now(UTC).date()), datetime.now(UTC), to="boss@of.fr"
        )
        with store.transaction() as conn:
            kinds = dict(conn.execute(sa.select(outbox.c.message_id, outbox.c.kind)).all())
    assert {"reminder", "digest"} <= set(kinds.values())
    collect = Collect()
    with site.store() as store:
        drain(store, settings, transport=collect)
    by_kind = {str(m["X-Opco-Watch-Kind"]): parts(m) for m in collect.sent}
    assert f'href="https://veille.of.fr/appels/{call}"' in by_kind["digest"][1]
    assert f"https://veille.of.fr/appels/{call}" in by_kind["reminder"][0]
    assert f'href="https://veille.of.fr/appels/{call}"' in by_kind["reminder"][1]


def test_each_user_has_a_private_revocable_calendar_address(site: Site) -> None:
    add_account(site, MEMBER, "member")
    with site.client() as client:
        login(client, MEMBER)
        page = client.get("/synthese").text
        url = re.search(r'value="(https://veille\.of\.fr/calendrier/[^"]+\.ics)"', page)
        assert url, "the calendar address is on the Synthèse page"
        path = url.group(1).removeprefix("https://veille.of.fr")
        assert len(path.split("/")[-1]) > 30
        client.cookies.clear()  # calendar apps have no session
        feed = client.get(path)
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        summaries = [str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")]
        assert any("Formation anglais professionnel" in s for s in summaries)  # lines unfolded
        login(client, MEMBER)
        assert post(client, "/synthese/calendrier").status_code == 303
        renewed = re.search(r'/calendrier/([^"]+)\.ics', client.get("/synthese").text)
        assert renewed and renewed.group(0) != path
        client.cookies.clear()
        assert client.get(path).status_code == 404, "the old address is revoked"
        assert client.get(renewed.group(0)).status_code == 200
        assert client.get("/calendrier/guessed-token.ics").status_code == 404


def test_the_page_of_a_link_keeps_the_call_readable_on_a_phone(site: Site) -> None:
    link = _action_link(site, CLAIRE, "Pertinent", site.ids()["mgt-1"])
    with site.client() as client:
        page = client.get(link).text
    assert 'name="viewport"' in page and f'<form method="post" action="{link}">' in page


#: a fresh interpreter makes the signing secret in a new SQLite store, reads it again, and
#: says which SQLAlchemy dialects it loaded
SECRET_PROBE = """
import json, sys
from watcher.links import secret_key
from watcher.store import Store
with Store.open(sys.argv[1]) as store, store.transaction(write=True) as conn:
    made = secret_key(conn)
with Store.open(sys.argv[1]) as store, store.transaction(write=True) as conn:
    again = secret_key(conn)
dialects = sorted(m for m in sys.modules if m.startswith("sqlalchemy.dialects."))
print(json.dumps({"same": made == again, "long": len(made) >= 40, "dialects": dialects}))
"""


def test_the_signing_secret_on_sqlite_loads_no_other_dialect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    argv = [sys.executable, "-c", SECRET_PROBE, str(tmp_path / "opco-watch.db")]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.splitlines()[-1])
    assert found["same"] and found["long"]
    assert not [d for d in found["dialects"] if d.startswith("sqlalchemy.dialects.postgresql")]
