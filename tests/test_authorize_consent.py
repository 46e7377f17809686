"""Consent (OpenID Connect Core §3.1.2.4) remembered per client and scope set, and the
authorization transaction that carries a request through login and consent: when it is
unknown, finished or expired the person gets a page, never a server error."""

import json
import secrets

import pytest

from .authorize_support import assert_code
from .authorize_support import assert_error_page
from .authorize_support import assert_error_redirect
from .authorize_support import start
from .authorize_support import tx_of
from .helpers import RelyingParty
from .helpers import sign_in

EXPIRED = "This login has expired. Go back to the service you came from and start again."


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def consent_page(browser, rp, sub="citizen-1", **overrides):
    page = browser.login(browser.authorize(rp.params(**overrides)), sub=sub)
    assert page.status_code == 200 and "/consent?" in page.url, (page.status_code, page.url)
    return page


# Consent


def test_deny_is_access_denied_with_state_and_iss(rp, browser):
    response = browser.consent(consent_page(browser, rp), decision="deny")
    assert response.status_code == 303
    assert_error_redirect(response, rp, "access_denied",
                          description="The person declined the request.")


def test_deny_remembers_nothing(rp, browser):
    browser.consent(consent_page(browser, rp), decision="deny")
    response = start(browser, rp.params(prompt="none"))
    assert_error_redirect(response, rp, "consent_required")


def test_consent_page_names_what_is_shared(rp, browser):
    page = consent_page(browser, rp, scope="openid email phone")
    assert "Your email address" in page.text and "Your mobile number" in page.text
    assert "Your name and basic details" not in page.text


def test_remembered_consent_skips_the_page_at_next_login(issuer, rp, browser):
    sign_in(browser, rp)
    later = type(browser)(issuer)
    page = later.authorize(rp.params())
    assert_code(later.login(page), rp)


def test_consent_to_more_scopes_asks_again_and_remembers_all(rp, browser):
    sign_in(browser, rp, scope="openid profile")
    page = browser.authorize(rp.params(scope="openid profile email"))
    assert "/consent?" in page.url
    assert_code(browser.consent(page), rp)
    for scope in ("openid profile email", "openid email", "openid profile"):
        assert_code(start(browser, rp.params(scope=scope, prompt="none")), rp)


def test_consent_is_per_person(issuer, rp, browser):
    sign_in(browser, rp, sub="citizen-1")
    other = type(browser)(issuer)
    consent_page(other, rp, sub="citizen-2")


def test_consent_is_per_client(issuer, rp, browser, client_factory):
    sign_in(browser, rp)
    other = RelyingParty(issuer, client_factory())
    page = browser.authorize(other.params())
    assert "/consent?" in page.url


def test_consent_given_on_a_request_belongs_to_who_gave_it(rp, browser):
    """Consent given by one person on a request does not let the code go to another
    person who logged in on the same browser before the request resumed."""
    page = consent_page(browser, rp, sub="citizen-1")
    tx = tx_of(page)
    allowed = browser.post("/consent", {"csrf_token": browser.csrf(page), "tx": tx,
                                        "decision": "allow"})
    assert allowed.status_code == 303
    switch = browser.authorize(rp.params(prompt="login"))
    assert "/consent?" in browser.login(switch, sub="citizen-2").url
    resumed = browser.follow(browser.get(f"/authorize/resume?tx={tx}"))
    assert resumed.status_code == 200 and "/consent?" in resumed.url


def test_consent_page_after_session_ended_asks_for_login(rp, browser):
    page = consent_page(browser, rp)
    tx = tx_of(page)
    browser.http.cookies.clear(domain="127.0.0.1", path="/", name="bawaba-sso")
    again = browser.follow(browser.get(f"/consent?tx={tx}"))
    assert again.status_code == 200 and "/login?" in again.url
    decided = browser.follow(browser.post("/consent", {"csrf_token": browser.csrf(page),
                                                       "tx": tx, "decision": "allow"}))
    assert "/login?" in decided.url
    assert "/consent?" in browser.login(decided).url


# Unknown, finished and expired transactions


@pytest.mark.parametrize("path", ["/authorize/resume", "/login", "/consent"])
@pytest.mark.parametrize("query", ["", "?tx=", "?tx=unknown", "?tx=%00", "?tx=a&tx=b"])
def test_unknown_transaction_is_a_page(rp, browser, path, query):
    browser.login(browser.authorize(rp.params()))  # a live session and transaction
    response = browser.get(path + query)
    assert_error_page(response, "invalid_request", description=EXPIRED)


def test_consent_post_with_unknown_transaction_is_a_page(rp, browser):
    page = consent_page(browser, rp)
    response = browser.post("/consent", {"csrf_token": browser.csrf(page),
                                         "tx": secrets.token_urlsafe(12), "decision": "allow"})
    assert_error_page(response, "invalid_request", description=EXPIRED)


def test_finished_transaction_cannot_be_resumed(rp, browser):
    page = consent_page(browser, rp)
    tx = tx_of(page)
    assert_code(browser.consent(page), rp)
    assert_error_page(browser.get(f"/authorize/resume?tx={tx}"), "invalid_request",
                      description=EXPIRED)
    assert_error_page(browser.get(f"/consent?tx={tx}"), "invalid_request",
                      description=EXPIRED)


def age_transactions(app, browser, seconds):
    """The browser comes back `seconds` later: its transactions are that much older."""
    cookie = next(c for c in browser.http.cookies if c.name == app.config["SESSION_COOKIE_NAME"])
    serializer = app.session_interface.get_signing_serializer(app)
    data = serializer.loads(cookie.value)
    for tx in data["authz"].values():
        tx["created"] -= seconds
    cookie.value = serializer.dumps(data)


@pytest.mark.parametrize("step", ["login", "consent"])
def test_expired_transaction_is_a_page(app, rp, browser, step):
    page = browser.authorize(rp.params())
    if step == "consent":
        page = browser.login(page)
    tx = tx_of(page)
    age_transactions(app, browser, 29 * 60)
    assert browser.get(f"/{step}?tx={tx}").status_code == 200
    age_transactions(app, browser, 60)
    for path in (f"/{step}?tx={tx}", f"/authorize/resume?tx={tx}"):
        assert_error_page(browser.get(path), "invalid_request", description=EXPIRED)


def test_expired_transaction_at_login_completion_goes_to_the_account(app, rp, browser):
    page = browser.authorize(rp.params())
    form = browser.get(f"/login/test?tx={tx_of(page)}")
    age_transactions(app, browser, 31 * 60)
    response = browser.post("/login/test", {"csrf_token": browser.csrf(form),
                                            "tx": tx_of(page), "sub": "citizen-1"})
    assert response.status_code == 303 and response.headers["Location"] == "/"


# Many and large transactions in one browser

ALL_USERINFO = json.dumps({"userinfo": dict.fromkeys(
    ["name", "given_name", "family_name", "birthdate", "email", "email_verified",
     "phone_number", "phone_number_verified", "locale", "zoneinfo", "updated_at"])})


def test_many_large_transactions_keep_the_cookie_small(app, rp, browser):
    """Each open request travels in the session cookie; older ones give way so the
    cookie stays under the 4 KB browsers keep, and the newest completes."""
    hint = None
    callback = sign_in(browser, rp)
    response = rp.exchange(callback["code"])
    hint = response.json()["id_token"]
    pages = [browser.authorize(rp.params(prompt="login", id_token_hint=hint,
                                         claims=ALL_USERINFO, state=f"state-{i}" * 20))
             for i in range(6)]
    cookie = next(c for c in browser.http.cookies if c.name == app.config["SESSION_COOKIE_NAME"])
    assert len(cookie.name) + len(cookie.value) < 4000
    assert_error_page(browser.get(pages[0].url), "invalid_request", description=EXPIRED)
    rp.state = "state-5" * 20
    response = browser.login(pages[-1])
    if "/consent?" in response.url:
        response = browser.consent(response)
    assert_code(response, rp)


def test_request_too_large_to_carry_is_invalid_request(rp, browser):
    rp.state = "s" * 3000
    response = start(browser, rp.params())
    assert_error_redirect(response, rp, "invalid_request",
                          description="The authorization request is too large.")
