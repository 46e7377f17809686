"""Back-channel logout at the demo apps (OpenID Connect Back-Channel Logout 1.0): the
provider's logout token ends the app's session for that sid; every malformed, foreign,
stale or replayed token is refused with 400 and ends nothing."""

import secrets
import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from clients_demo import labour
from idp.oauth.keys import key_ring

from .demo_support import Person
from .demo_support import demo_apps
from .demo_support import session_facts
from .demo_support import wait_until

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


def logged_in(issuer, app, sub="citizen-1"):
    person = Person(issuer, sub=sub)
    person.get(app.url + "/login?next=/session")
    return person, session_facts(person, app)


def test_logging_out_of_one_app_ends_the_session_in_the_other(issuer, start_demo):
    first = start_demo(labour.create_app, "demo-first")
    second = start_demo(labour.create_app, "demo-second")
    person, facts_first = logged_in(issuer, first)
    person.get(second.url + "/login?next=/session")
    assert person.logins == 1  # single sign-on
    assert session_facts(person, second)["sid"] == facts_first["sid"]

    page = person.http.get(first.url + "/session")
    person.post(first.url + "/logout", page=page)
    assert session_facts(person, first) is None
    assert wait_until(lambda: session_facts(person, second) is None)


def test_logging_out_at_the_provider_ends_the_app_session(issuer, start_demo):
    app = start_demo(labour.create_app, "demo-labour")
    person, _ = logged_in(issuer, app)
    someone_else, _ = logged_in(issuer, app, sub="citizen-2")
    account = person.browser.get("/")
    person.browser.post("/account/logout", {"csrf_token": person.browser.csrf(account)})
    assert wait_until(lambda: session_facts(person, app) is None)
    assert session_facts(someone_else, app) is not None


def provider_token(app, **overrides):
    now = int(time.time())
    claims = {"iss": app.config["IDP_ISSUER"], "aud": overrides.pop("aud", "demo-labour"),
              "iat": now, "exp": now + 120, "jti": secrets.token_urlsafe(12),
              "sub": "citizen-1", "events": {EVENT: {}}}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    typ = claims.pop("typ", "logout+jwt")
    alg = claims.pop("alg", "ES256")
    with app.app_context():
        return key_ring().sign(claims, alg, typ=typ)


def foreign_token(app, sid):
    now = int(time.time())
    key = ECKey.generate_key("P-256")
    with app.app_context():
        kid = next(k["kid"] for k in key_ring().jwks()["keys"] if k["kty"] == "EC")
    claims = {"iss": app.config["IDP_ISSUER"], "aud": "demo-labour", "iat": now,
              "exp": now + 120, "jti": "x1", "sid": sid, "events": {EVENT: {}}}
    return jwt.encode({"alg": "ES256", "typ": "logout+jwt", "kid": kid}, claims, key)


def post_logout(app_url, token):
    return requests.post(app_url + "/backchannel-logout", data={"logout_token": token},
                         timeout=10)


CASES = {
    "wrong issuer": {"iss": "https://evil.example"},
    "another client": {"aud": "someone-else"},
    "no iat": {"iat": None},
    "no exp": {"exp": None},
    "issued in the future": {"iat": int(time.time()) + 3600},
    "issued long ago": {"iat": int(time.time()) - 3600},
    "expired": {"exp": int(time.time()) - 3600},
    "no jti": {"jti": None},
    "no event": {"events": None},
    "another event": {"events": {"http://schemas.openid.net/event/other": {}}},
    "event not an object": {"events": {EVENT: "yes"}},
    "with a nonce": {"nonce": "n-0S6_WzA2Mj"},
    "neither sub nor sid": {"sub": None, "sid": None},
    "sid not a string": {"sid": 42},
    "an ID token": {"typ": "JWT"},
    "an access token": {"typ": "at+jwt"},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_logout_tokens_are_refused(app, issuer, start_demo, case):
    demo = start_demo(labour.create_app, "demo-labour")
    person, facts = logged_in(issuer, demo)
    overrides = {"sid": facts["sid"], **CASES[case]}
    response = post_logout(demo.url, provider_token(app, **overrides))
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "invalid_request"
    assert body["error_description"].startswith("The logout token is not valid:")
    assert response.headers["Cache-Control"] == "no-store"
    assert session_facts(person, demo) is not None


def test_foreign_signatures_and_garbage_are_refused(app, issuer, start_demo):
    demo = start_demo(labour.create_app, "demo-labour")
    person, facts = logged_in(issuer, demo)
    for token in (foreign_token(app, facts["sid"]), "not.a.token", "x" * 9000):
        response = post_logout(demo.url, token)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"
    missing = requests.post(demo.url + "/backchannel-logout", data={}, timeout=10)
    assert missing.status_code == 400
    assert missing.json() == {"error": "invalid_request",
                              "error_description": "The logout_token parameter is missing."}
    assert session_facts(person, demo) is not None


def test_a_valid_token_ends_the_sessions_of_its_sid_once(app, issuer, start_demo):
    demo = start_demo(labour.create_app, "demo-labour")
    person, facts = logged_in(issuer, demo)
    other, _ = logged_in(issuer, demo, sub="citizen-2")
    token = provider_token(app, sid=facts["sid"])
    response = post_logout(demo.url, token)
    assert response.status_code == 200 and response.text == ""
    assert response.headers["Cache-Control"] == "no-store"
    assert session_facts(person, demo) is None
    assert session_facts(other, demo) is not None
    replay = post_logout(demo.url, token)
    assert replay.status_code == 400
    assert "already used" in replay.json()["error_description"]


def test_a_token_with_only_sub_ends_every_session_of_that_person(app, issuer, start_demo):
    demo = start_demo(labour.create_app, "demo-labour")
    phone, _ = logged_in(issuer, demo)
    laptop, _ = logged_in(issuer, demo)
    other, _ = logged_in(issuer, demo, sub="citizen-2")
    response = post_logout(demo.url, provider_token(app, sub="citizen-1", sid=None))
    assert response.status_code == 200
    assert session_facts(phone, demo) is None and session_facts(laptop, demo) is None
    assert session_facts(other, demo) is not None


def test_a_sid_with_another_sub_ends_nothing(app, issuer, start_demo):
    demo = start_demo(labour.create_app, "demo-labour")
    person, facts = logged_in(issuer, demo)
    response = post_logout(demo.url, provider_token(app, sid=facts["sid"], sub="citizen-9"))
    assert response.status_code == 200
    assert session_facts(person, demo) is not None
