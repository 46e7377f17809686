"""Single sign-on sessions: the cookie's attributes, idle and absolute timeouts, and a
server-side record whose end takes effect everywhere."""

from datetime import timedelta
from urllib.parse import urlencode
from urllib.parse import urlsplit

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.housekeeping import run_once
from idp.models import LoginSession
from idp.models.sessions import clients_of_session
from idp.models.types import utcnow
from idp.sessions import end_session

from .helpers import CSRF
from .helpers import Browser
from .helpers import RelyingParty
from .helpers import query_of
from .helpers import sibling_app
from .helpers import sign_in


def claims_of(issuer, token):
    jwks = KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=5).json())
    return jwt.decode(token, jwks, algorithms=["ES256"]).claims


def set_cookies(response):
    return response.raw.headers.getlist("Set-Cookie")


def cookie_attributes(header):
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name, _, value = name_value.partition("=")
    parsed = {}
    for attribute in attributes:
        key, _, val = attribute.partition("=")
        parsed[key.lower()] = val
    return name, value, parsed


def the_session(app, subject="citizen-1"):
    with app.app_context():
        return db.session.execute(
            db.select(LoginSession).filter_by(subject=subject, ended_at=None)
        ).scalar_one()


def change_session(app, sid, **values):
    with app.app_context():
        record = db.session.get(LoginSession, sid)
        for name, value in values.items():
            setattr(record, name, value)
        db.session.commit()


def login(browser, rp, **overrides):
    """Sign in and return the Set-Cookie headers of the login response."""
    page = browser.authorize(rp.params(**overrides))
    tx = query_of(page.url)["tx"]
    form = browser.get(f"/login/test?tx={tx}")
    response = browser.post("/login/test", {"csrf_token": browser.csrf(form), "tx": tx,
                                            "sub": "citizen-1", "acr": "", "amr": "pwd"})
    assert response.status_code == 303, response.text
    page = browser.follow(response)
    if "/consent" in page.url:
        page = browser.consent(page)
    return set_cookies(response), query_of(page.headers["Location"])


def silent(browser, rp):
    """prompt=none: the code or the error the relying party receives."""
    response = browser.get("/authorize", params=rp.params(prompt="none"))
    assert response.status_code == 302, response.text
    return query_of(response.headers["Location"])


def test_sso_cookie_attributes_over_http(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    headers, callback = login(browser, rp)
    assert "code" in callback
    sso = [h for h in headers if h.startswith("bawaba-sso=")]
    assert len(sso) == 1, headers
    name, value, attributes = cookie_attributes(sso[0])
    assert len(value) >= 40
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert attributes["path"] == "/"
    assert "domain" not in attributes
    assert "secure" not in attributes  # plain http issuer (development)
    # The cookie is a random handle: the record keeps only its digest.
    stored = the_session(app)
    assert value not in [str(getattr(stored, c.name)) for c in LoginSession.__table__.c]


def test_sso_cookie_under_https_is_host_prefixed_and_secure(app, client_factory):
    client = client_factory()
    base = "https://idp.example"
    with sibling_app(app, IDP_ISSUER=base) as other:
        http = other.test_client()
        rp = RelyingParty(base, client)
        response = http.get(base + "/authorize?" + urlencode(rp.params()))
        assert response.status_code == 303
        login_page = response.headers["Location"]
        tx = query_of(login_page)["tx"]
        form = http.get(f"{base}/login/test?tx={tx}")
        token = CSRF.search(form.get_data(as_text=True)).group(1)
        response = http.post(f"{base}/login/test", data={
            "csrf_token": token, "tx": tx, "sub": "citizen-1", "acr": "", "amr": "pwd"})
        assert response.status_code == 303, response.get_data(as_text=True)
        headers = response.headers.getlist("Set-Cookie")
        resumed = http.get(base + urlsplit(response.headers["Location"]).path + "?" +
                           urlsplit(response.headers["Location"]).query)
    sso = [h for h in headers if h.startswith("__Host-bawaba-sso=")]
    assert len(sso) == 1, headers
    _, _, attributes = cookie_attributes(sso[0])
    assert "secure" in attributes
    assert "httponly" in attributes
    assert attributes["samesite"] == "Lax"
    assert attributes["path"] == "/"
    assert "domain" not in attributes
    assert not [h for h in headers if h.startswith("bawaba-sso=")]
    # The session cookie was accepted back: the authorization went on (to consent).
    assert resumed.status_code == 303
    assert "/consent" in resumed.headers["Location"]


def test_https_flask_session_cookie_is_host_prefixed(app):
    with sibling_app(app, IDP_ISSUER="https://idp.example") as other:
        response = other.test_client().get("https://idp.example/login/test?tx=x")
    headers = response.headers.getlist("Set-Cookie")
    assert headers and all(h.startswith("__Host-") for h in headers), headers
    for header in headers:
        _, _, attributes = cookie_attributes(header)
        assert "secure" in attributes and "httponly" in attributes
        assert attributes["path"] == "/" and "domain" not in attributes


def test_idle_timeout_asks_for_login_again(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    sign_in(browser, rp)
    assert "code" in silent(browser, rp)
    record = the_session(app)
    idle = app.config["IDP_SESSION_IDLE_TTL"]
    change_session(app, record.sid, last_seen_at=utcnow() - timedelta(seconds=idle + 1))
    assert silent(browser, rp)["error"] == "login_required"
    page = browser.authorize(rp.params())
    assert page.status_code == 200 and urlsplit(page.url).path == "/login"


def test_activity_keeps_the_session_alive(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    sign_in(browser, rp)
    record = the_session(app)
    idle = app.config["IDP_SESSION_IDLE_TTL"]
    change_session(app, record.sid, last_seen_at=utcnow() - timedelta(seconds=idle - 30))
    assert "code" in silent(browser, rp)
    touched = the_session(app).last_seen_at
    assert utcnow() - touched < timedelta(seconds=idle - 30)


def test_absolute_timeout_asks_for_login_again(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    sign_in(browser, rp)
    record = the_session(app)
    assert record.expires_at - record.created_at == timedelta(
        seconds=app.config["IDP_SESSION_ABSOLUTE_TTL"])
    change_session(app, record.sid, expires_at=utcnow() - timedelta(seconds=1))
    assert silent(browser, rp)["error"] == "login_required"
    page = browser.authorize(rp.params())
    assert urlsplit(page.url).path == "/login"


def test_ending_the_record_ends_the_session_everywhere(app, issuer, browser,
                                                       client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = rp.exchange(sign_in(browser, rp)["code"]).json()
    offline_rp = RelyingParty(issuer, client_factory())
    offline = offline_rp.exchange(
        sign_in(browser, offline_rp, scope="openid offline_access")["code"]).json()
    assert rp.refresh(tokens["refresh_token"]).status_code == 200

    record = the_session(app)
    with app.app_context():
        end_session(db.session.get(LoginSession, record.sid), "admin")
        db.session.commit()

    assert silent(browser, rp)["error"] == "login_required"
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    answer = rp.userinfo(tokens["access_token"])
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_token"
    # offline_access outlives the session, by design.
    assert offline_rp.refresh(offline["refresh_token"]).status_code == 200


def test_a_stolen_code_cannot_outlive_the_session(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    with app.app_context():
        end_session(db.session.get(LoginSession, the_session(app).sid), "admin")
        db.session.commit()
    response = rp.exchange(code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_unknown_or_malformed_cookies_are_no_session(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    for value in ("forged", "x" * 500, ""):
        browser.http.cookies.set("bawaba-sso", value, domain=urlsplit(issuer).hostname,
                                 path="/")
        assert silent(browser, rp)["error"] == "login_required"


def test_housekeeping_forgets_sessions_over_for_a_day(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    sign_in(browser, rp)
    old = the_session(app)
    sign_in(Browser(issuer), rp, sub="citizen-2")
    live = the_session(app, "citizen-2")
    change_session(app, old.sid, ended_at=utcnow() - timedelta(hours=25))
    with app.app_context():
        run_once()
        assert db.session.get(LoginSession, old.sid) is None
        assert clients_of_session(old.sid) == []
        assert db.session.get(LoginSession, live.sid) is not None
        assert clients_of_session(live.sid) == [rp.client["client_id"]]
        run_once(now=live.expires_at + timedelta(days=1, seconds=1))
        assert db.session.get(LoginSession, live.sid) is None


def test_logging_in_again_renews_the_session_for_every_client(app, issuer, browser,
                                                              client_factory):
    first = RelyingParty(issuer, client_factory(name="First"))
    tokens = first.exchange(sign_in(browser, first)["code"]).json()
    before = the_session(app)
    old_cookie = browser.http.cookies["bawaba-sso"]

    # Another service needs a stronger login: the same person steps up.
    second = RelyingParty(issuer, client_factory(name="Second"))
    callback = sign_in(browser, second, acr=LEVEL_2, acr_values=LEVEL_2)
    stepped = second.exchange(callback["code"]).json()
    after = the_session(app)
    assert after.sid == before.sid and after.acr == LEVEL_2
    assert browser.http.cookies["bawaba-sso"] != old_cookie
    assert claims_of(issuer, stepped["id_token"])["sid"] == before.sid

    # The first service is not logged out; the cookie from before the login is void.
    assert first.refresh(tokens["refresh_token"]).status_code == 200
    assert "code" in silent(browser, first)
    stale = Browser(issuer)
    stale.http.cookies.set("bawaba-sso", old_cookie, domain=urlsplit(issuer).hostname,
                           path="/")
    assert silent(stale, first)["error"] == "login_required"


def test_someone_else_logging_in_ends_the_previous_session(app, issuer, browser,
                                                           client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = rp.exchange(sign_in(browser, rp)["code"]).json()
    before = the_session(app)
    page = browser.authorize(rp.params(prompt="login"))
    page = browser.login(page, sub="citizen-2")
    assert "/consent" in page.url  # citizen-2 has not consented yet
    callback = query_of(browser.consent(page).headers["Location"])
    assert "code" in callback
    after = the_session(app, "citizen-2")
    assert after.sid != before.sid
    with app.app_context():
        assert db.session.get(LoginSession, before.sid).ended_at is not None
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
