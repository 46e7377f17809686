"""The relying-party kit shared by the demo apps, walked over HTTP against the live provider
(with the labour app as the vehicle): the code flow with PKCE, state and nonce; refusals at
the callback; step-up and max_age; refresh with rotation; RP-initiated logout."""

import base64
import json
import time
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest

from clients_demo import labour
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .demo_support import Person
from .demo_support import csrf_of
from .demo_support import demo_apps
from .demo_support import facts
from .demo_support import session_facts
from .helpers import query_of


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


@pytest.fixture
def rp(start_demo):
    return start_demo(labour.create_app, "demo-labour")


def first_redirect(person, url):
    response = person.http.get(url, allow_redirects=False)
    assert response.status_code in (302, 303), response.text[:500]
    return response.headers["Location"]


def test_login_sends_code_flow_with_pkce_state_nonce_and_keeps_them_server_side(issuer, rp):
    person = Person(issuer)
    location = first_redirect(person, rp.url + "/login?next=/session")
    assert location.startswith(issuer + "/authorize?")
    params = query_of(location)
    assert params["response_type"] == "code"
    assert params["client_id"] == "demo-labour"
    assert params["redirect_uri"] == rp.url + "/callback"
    assert params["scope"] == "openid profile"
    assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
    assert len(params["state"]) >= 20 and len(params["nonce"]) >= 20
    assert params["ui_locales"] == "en"
    assert "acr_values" not in params and "max_age" not in params
    cookie = person.http.cookies.get("demo-labour")
    stored = rp.app.session_interface.get_signing_serializer(rp.app).loads(cookie)
    assert params["state"] in json.dumps(stored)
    assert "code_verifier" not in json.dumps(stored) and params["nonce"] not in json.dumps(stored)

    page = person.walk(person.http.get(location, allow_redirects=False))
    assert page.status_code == 200 and urlsplit(page.url).path == "/session"
    shown = facts(page)
    assert shown["acr"] == LEVEL_1 and shown["sid"] and shown["access-jti"]
    assert "Test citizen-1" in page.text  # userinfo, shown by the app
    assert person.logins == 1


def test_pages_are_bilingual_and_self_contained(issuer, rp):
    person = Person(issuer)
    page = person.get(rp.url + "/")
    assert '<html lang="en" dir="ltr">' in page.text
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert f"form-action 'self' {issuer}" in csp
    switched = person.get(rp.url + "/lang/ar?next=/")
    assert '<html lang="ar" dir="rtl">' in switched.text
    assert "الخدمات الإلكترونية لمكتب العمل" in switched.text
    assert 'hreflang="en"' in switched.text
    assert "<script" not in switched.text and "style=" not in switched.text
    assert 'href="http' not in switched.text and 'src="http' not in switched.text
    for asset in ("demo.css", "favicon.svg"):
        assert f'href="/rp-static/{asset}"' in switched.text
        assert person.http.get(rp.url + "/rp-static/" + asset).status_code == 200
    login = first_redirect(person, rp.url + "/login")
    assert query_of(login)["ui_locales"] == "ar"
    assert first_redirect(person, rp.url + "/lang/en?next=//evil.example/") == "/"


def valid_state(person, rp):
    return query_of(first_redirect(person, rp.url + "/login"))["state"]


@pytest.mark.parametrize("query, status, text", [
    ({"state": "unknown", "code": "x", "iss": "ISSUER"}, 400, "could not be completed"),
    ({"state": "VALID", "code": "x", "iss": "https://evil.example"}, 400,
     "could not be completed"),
    ({"state": "VALID", "code": "x"}, 400, "could not be completed"),
    ({"state": "VALID", "code": "not-a-code", "iss": "ISSUER"}, 400, "could not be completed"),
    ({"state": "VALID", "error": "access_denied", "iss": "ISSUER"}, 403,
     "The login was cancelled."),
    ({"state": "VALID", "error": "unmet_authentication_requirements", "iss": "ISSUER"}, 403,
     "needs a stronger login"),
    ({"state": "VALID", "error": "server_error", "iss": "ISSUER"}, 400, "could not be completed"),
])
def test_callback_refusals(issuer, rp, query, status, text):
    person = Person(issuer)
    state = valid_state(person, rp)
    query = {k: {"VALID": state, "ISSUER": issuer}.get(v, v) for k, v in query.items()}
    page = person.http.get(rp.url + "/callback", params=query, allow_redirects=False)
    assert page.status_code == status
    assert text in page.text
    assert session_facts(person, rp) is None


def test_a_callback_is_used_once(issuer, rp):
    person = Person(issuer)
    location = first_redirect(person, rp.url + "/login")
    back = person.browser.follow(person.browser.get(location))
    back = person.browser.follow(person.browser.login(back))
    back = person.browser.consent(back)
    callback = back.headers["Location"]
    assert callback.startswith(rp.url + "/callback?")
    assert person.http.get(callback, allow_redirects=False).status_code == 303
    again = person.http.get(callback, allow_redirects=False)
    assert again.status_code == 400 and "could not be completed" in again.text


def test_step_up_from_level_1_to_level_2_keeps_the_provider_session(issuer, rp):
    person = Person(issuer)
    person.get(rp.url + "/login?next=/session", acr=LEVEL_1)
    before = session_facts(person, rp)
    assert before["acr"] == LEVEL_1

    location = first_redirect(person, rp.url + "/services")
    assert location.startswith("/login?")
    assert query_of(location) == {"next": "/services", "acr": "level-2"}
    to_provider = first_redirect(person, rp.url + location)
    assert query_of(to_provider)["acr_values"] == LEVEL_2

    page = person.walk(person.http.get(to_provider, allow_redirects=False), acr=LEVEL_2)
    assert page.status_code == 200 and urlsplit(page.url).path == "/services"
    assert "Issue a work permit" in page.text
    after = session_facts(person, rp)
    assert after["acr"] == LEVEL_2
    assert after["sid"] == before["sid"]
    assert person.logins == 2


def test_max_age_forces_a_new_authentication(issuer, rp):
    person = Person(issuer)
    person.get(rp.url + "/login?next=/session")
    first = session_facts(person, rp)
    time.sleep(1)  # auth_time has a one-second resolution
    to_provider = first_redirect(person, rp.url + "/login?max_age=0&next=/session")
    assert query_of(to_provider)["max_age"] == "0"
    page = person.walk(person.http.get(to_provider, allow_redirects=False))
    assert page.status_code == 200
    assert person.logins == 2
    assert int(session_facts(person, rp)["auth-time"]) > int(first["auth-time"])


def test_refresh_rotates_the_tokens(issuer, rp):
    person = Person(issuer)
    page = person.get(rp.url + "/login?next=/session")
    before = facts(page)
    assert before["refreshed"] == "0"
    after = facts(person.post(rp.url + "/session/refresh", page=page))
    assert after["refreshed"] == "1"
    assert after["access-jti"] != before["access-jti"]
    assert after["refresh-print"] != before["refresh-print"]
    assert after["sid"] == before["sid"] and after["acr"] == before["acr"]
    again = facts(person.post(rp.url + "/session/refresh"))
    assert again["refreshed"] == "2" and again["refresh-print"] != after["refresh-print"]


def test_refresh_after_the_provider_session_ended_ends_the_local_session(issuer,
                                                                          start_demo):
    app = start_demo(labour.create_app, "demo-quiet", backchannel=False)
    person = Person(issuer)
    page = person.get(app.url + "/login?next=/session")
    account = person.browser.get("/")
    logout = person.browser.post("/account/logout",
                                 {"csrf_token": person.browser.csrf(account)})
    assert logout.status_code == 303
    assert session_facts(person, app) is not None  # no back-channel logout for this app
    ended = person.post(app.url + "/session/refresh", page=page)
    assert ended.status_code == 200 and urlsplit(ended.url).path == "/logged-out/here"
    assert "Your session has ended" in ended.text
    assert session_facts(person, app) is None


def test_rp_initiated_logout_ends_both_sessions(issuer, rp):
    person = Person(issuer)
    page = person.get(rp.url + "/login?next=/session")
    id_hint_sid = facts(page)["sid"]
    response = person.http.post(rp.url + "/logout", data={"csrf_token": csrf_of(page)},
                                allow_redirects=False)
    to_provider = response.headers["Location"]
    assert to_provider.startswith(issuer + "/logout?")
    params = query_of(to_provider)
    assert params["post_logout_redirect_uri"] == rp.url + "/logged-out"
    assert len(params["state"]) >= 20 and params["ui_locales"] == "en"
    hint = json.loads(_b64(params["id_token_hint"].split(".")[1]))
    assert hint["sid"] == id_hint_sid and hint["aud"] == "demo-labour"

    done = person.walk(person.http.get(to_provider, allow_redirects=False))
    assert done.status_code == 200 and urlsplit(done.url).path == "/logged-out"
    assert "You have been logged out" in done.text
    assert session_facts(person, rp) is None
    person.get(rp.url + "/login?next=/session")
    assert person.logins == 2  # the provider's session ended too


def test_logout_return_with_a_wrong_state_is_refused(issuer, rp):
    person = Person(issuer)
    page = person.http.get(rp.url + "/logged-out", params={"state": "forged"})
    assert page.status_code == 400 and "not recognised" in page.text


def test_forms_need_their_csrf_token(issuer, rp):
    person = Person(issuer)
    person.get(rp.url + "/login?next=/session")
    response = person.http.post(rp.url + "/logout", data={}, allow_redirects=False)
    assert response.status_code == 400
    assert session_facts(person, rp) is not None


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "/\t/evil.example/", "/ /evil.example",
                                    "evil.example"])
def test_next_is_always_a_local_path(issuer, rp, target):
    person = Person(issuer)
    page = person.get(rp.url + "/login", params={"next": target})
    assert page.status_code == 200 and page.url == rp.url + "/"
    assert first_redirect(person, rp.url + "/lang/ar?" + urlencode({"next": target})) == "/"


def test_next_keeps_a_local_path_with_its_query(issuer, rp):
    person = Person(issuer)
    page = person.get(rp.url + "/login", params={"next": "/session?x=1"})
    assert page.url == rp.url + "/session?x=1"


def test_unreachable_provider_is_a_friendly_page(tmp_path):
    app = labour.create_app({"DEMO_ISSUER": "http://127.0.0.1:9", "DEMO_CLIENT_ID": "x",
                             "DEMO_CLIENT_SECRET": "y", "DEMO_BASE_URL": "http://127.0.0.1:1",
                             "DEMO_DATABASE": str(tmp_path / "x.db"), "SECRET_KEY": "k",
                             "DEMO_HTTP_TIMEOUT": 2})
    page = app.test_client().get("/login")
    assert page.status_code == 503 and "cannot be reached" in page.text


def _b64(segment):
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
