"""Interaction with the person (OpenID Connect Core §3.1.2.1 and §3.1.2.3): `prompt`,
`max_age` with `auth_time`, `login_hint` and `id_token_hint`."""

import json
import time

import pytest
from joserfc import jws
from joserfc import jwt
from joserfc.jwk import ECKey

from idp.oauth.keys import key_ring

from .authorize_support import age_sessions
from .authorize_support import assert_code
from .authorize_support import assert_error_redirect
from .authorize_support import id_token_claims
from .authorize_support import offered_methods
from .authorize_support import start
from .authorize_support import tx_of
from .helpers import RelyingParty
from .helpers import sign_in


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


@pytest.fixture
def signed_in(rp, browser):
    """A browser with a session and remembered consent for `rp`."""
    sign_in(browser, rp)
    return browser


# prompt=none


def test_prompt_none_without_session_is_login_required(rp, browser):
    assert_error_redirect(start(browser, rp.params(prompt="none")), rp, "login_required")


def test_prompt_none_without_consent_is_consent_required(rp, issuer, browser, client_factory):
    sign_in(browser, rp)
    other = RelyingParty(issuer, client_factory())
    response = start(browser, other.params(prompt="none"))
    assert_error_redirect(response, other, "consent_required")


def test_prompt_none_with_session_and_consent_issues_code_without_a_page(rp, signed_in):
    response = start(signed_in, rp.params(prompt="none"))
    code = assert_code(response, rp)
    claims, _ = id_token_claims(rp, code)
    assert claims["sub"] == "citizen-1"


def test_prompt_none_with_more_scopes_than_consented_is_consent_required(rp, signed_in):
    response = start(signed_in, rp.params(prompt="none", scope="openid profile email"))
    assert_error_redirect(response, rp, "consent_required")


def test_prompt_none_cannot_be_combined(rp, signed_in):
    for prompt in ("none login", "login none", "none consent"):
        response = start(signed_in, rp.params(prompt=prompt))
        assert_error_redirect(response, rp, "invalid_request",
                              description="'prompt=none' cannot be combined with other values.")


@pytest.mark.parametrize("prompt", ["select_account", "create", "LOGIN", "login bogus"])
def test_unknown_prompt_value_is_invalid_request(rp, browser, prompt):
    response = start(browser, rp.params(prompt=prompt))
    assert_error_redirect(response, rp, "invalid_request",
                          description="Unsupported 'prompt' value.")


# prompt=login


def test_prompt_login_forces_login_despite_session(app, rp, signed_in):
    first_login = age_sessions(app, 120)
    page = signed_in.authorize(rp.params(prompt="login"))
    assert "/login?" in page.url
    callback = assert_code(signed_in.login(page), rp)
    claims, _ = id_token_claims(rp, callback)
    assert claims["auth_time"] > first_login


def test_prompt_login_then_proceeds_without_asking_again(rp, signed_in):
    """The login made for the request satisfies prompt=login: no loop."""
    page = signed_in.authorize(rp.params(prompt="login"))
    response = signed_in.login(page)
    assert_code(response, rp)


def test_prompt_login_with_remembered_consent_skips_consent(rp, signed_in):
    page = signed_in.authorize(rp.params(prompt="login consent"))
    page = signed_in.login(page)
    assert "/consent?" in page.url
    assert_code(signed_in.consent(page), rp)


# prompt=consent


def test_prompt_consent_asks_even_when_remembered(rp, signed_in):
    page = signed_in.authorize(rp.params(prompt="consent"))
    assert page.status_code == 200 and "/consent?" in page.url
    assert_code(signed_in.consent(page), rp)


def test_prompt_consent_deny_is_access_denied(rp, signed_in):
    page = signed_in.authorize(rp.params(prompt="consent"))
    assert_error_redirect(signed_in.consent(page, decision="deny"), rp, "access_denied")


# max_age


def test_max_age_with_old_session_forces_login(app, rp, signed_in):
    first_login = age_sessions(app, 600)
    page = signed_in.authorize(rp.params(max_age="300"))
    assert "/login?" in page.url
    code = assert_code(signed_in.login(page), rp)
    claims, _ = id_token_claims(rp, code)
    assert claims["auth_time"] > first_login + 300


def test_max_age_with_recent_session_needs_no_login(app, rp, signed_in):
    login_time = age_sessions(app, 60)
    code = assert_code(start(signed_in, rp.params(max_age="3600")), rp)
    claims, _ = id_token_claims(rp, code)
    assert claims["auth_time"] == login_time


def test_max_age_exceeded_with_prompt_none_is_login_required(app, rp, signed_in):
    age_sessions(app, 600)
    response = start(signed_in, rp.params(max_age="300", prompt="none"))
    assert_error_redirect(response, rp, "login_required")


def test_max_age_zero_forces_login_once_and_does_not_loop(app, rp, signed_in):
    first_login = age_sessions(app, 5)
    page = signed_in.authorize(rp.params(max_age="0"))
    assert "/login?" in page.url
    response = signed_in.login(page)
    code = assert_code(response, rp)
    claims, _ = id_token_claims(rp, code)
    assert claims["auth_time"] > first_login


@pytest.mark.parametrize("max_age", ["-1", "abc", "1.5", "1e3", " 30", "0x10", "1" * 10, "٣"])
def test_invalid_max_age_is_invalid_request(rp, browser, max_age):
    response = start(browser, rp.params(max_age=max_age))
    assert_error_redirect(response, rp, "invalid_request",
                          description="'max_age' must be a non-negative integer.")


# login_hint


def test_login_hint_reaches_the_login_method(rp, browser):
    """The chooser hands `login_hint` to the login methods; the test method prefills the
    subject field with it, as a real method prefills an ID code or phone number."""
    page = browser.authorize(rp.params(login_hint="citizen-42"))
    form = browser.get(f"/login/test?tx={tx_of(page)}")
    assert '<input name="sub" value="citizen-42">' in form.text


def test_login_hint_is_escaped(rp, browser):
    page = browser.authorize(rp.params(login_hint='"><script>alert(1)</script>'))
    form = browser.get(f"/login/test?tx={tx_of(page)}")
    assert "<script>alert" not in form.text
    assert "&#34;&gt;&lt;script&gt;" in form.text


def test_login_hint_without_session_with_prompt_none_is_login_required(rp, browser):
    response = start(browser, rp.params(login_hint="citizen-1", prompt="none"))
    assert_error_redirect(response, rp, "login_required")


# id_token_hint


def id_token_for(rp, browser, sub="citizen-1"):
    callback = sign_in(browser, rp, sub=sub)
    _, tokens = id_token_claims(rp, callback["code"])
    return tokens["id_token"]


def test_id_token_hint_for_current_subject_issues_code(rp, browser):
    hint = id_token_for(rp, browser)
    response = start(browser, rp.params(id_token_hint=hint, prompt="none"))
    assert_code(response, rp)


def test_id_token_hint_for_another_subject_with_prompt_none_is_login_required(
        issuer, rp, browser, client_factory):
    other_browser = type(browser)(issuer)
    hint = id_token_for(rp, other_browser, sub="citizen-2")
    sign_in(browser, rp, sub="citizen-1")
    response = start(browser, rp.params(id_token_hint=hint, prompt="none"))
    assert_error_redirect(response, rp, "login_required")


def test_id_token_hint_for_another_subject_asks_login_for_that_subject(issuer, rp, browser):
    other_browser = type(browser)(issuer)
    hint = id_token_for(rp, other_browser, sub="citizen-2")
    sign_in(browser, rp, sub="citizen-1")
    page = browser.authorize(rp.params(id_token_hint=hint))
    assert "/login?" in page.url
    response = browser.login(page, sub="citizen-2")
    page = browser.follow(response)
    if "/consent?" in page.url:
        page = browser.consent(page)
    claims, _ = id_token_claims(rp, assert_code(page, rp))
    assert claims["sub"] == "citizen-2"


def test_id_token_hint_then_someone_else_logs_in_is_login_required(issuer, rp, browser):
    """The login made for the request is not the hinted person's: the request ends
    rather than asking again and again."""
    other_browser = type(browser)(issuer)
    hint = id_token_for(rp, other_browser, sub="citizen-2")
    page = browser.authorize(rp.params(id_token_hint=hint))
    response = browser.login(page, sub="citizen-3")
    assert_error_redirect(response, rp, "login_required")


def signed_by_provider(app, claims, typ="JWT"):
    with app.app_context():
        return key_ring().sign(claims, "ES256", typ=typ)


def test_expired_id_token_hint_is_still_a_hint(app, rp, browser):
    """Core §3.1.2.1: the hint need not be unexpired."""
    sign_in(browser, rp)
    expired = signed_by_provider(app, {"iss": rp.issuer, "sub": "citizen-1",
                                       "aud": rp.client["client_id"], "iat": 1, "exp": 2})
    assert_code(start(browser, rp.params(id_token_hint=expired, prompt="none")), rp)


def test_logout_token_is_not_an_id_token_hint(app, rp, browser):
    """Other tokens signed by the same keys (here a logout token for this client) are no
    ID tokens."""
    sign_in(browser, rp)
    token = signed_by_provider(app, {"iss": rp.issuer, "sub": "citizen-1",
                                     "aud": rp.client["client_id"], "iat": int(time.time())},
                               typ="logout+jwt")
    response = start(browser, rp.params(id_token_hint=token, prompt="none"))
    assert_error_redirect(response, rp, "invalid_request", description="Invalid 'id_token_hint'.")


def test_id_token_hint_from_another_issuer_is_invalid_request(app, rp, browser):
    sign_in(browser, rp)
    token = signed_by_provider(app, {"iss": "https://other.example", "sub": "citizen-1",
                                     "aud": rp.client["client_id"], "iat": int(time.time())})
    response = start(browser, rp.params(id_token_hint=token, prompt="none"))
    assert_error_redirect(response, rp, "invalid_request", description="Invalid 'id_token_hint'.")


@pytest.mark.parametrize("hint", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.",
                                  "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ4In0."])
def test_garbage_id_token_hint_is_invalid_request(rp, browser, hint):
    response = start(browser, rp.params(id_token_hint=hint))
    assert_error_redirect(response, rp, "invalid_request", description="Invalid 'id_token_hint'.")


def test_id_token_hint_signed_by_another_key_is_invalid_request(rp, browser):
    genuine = id_token_for(rp, browser)
    unverified = jws.extract_compact(genuine.encode())
    header, claims = unverified.headers(), json.loads(unverified.payload)
    forged = jwt.encode({"alg": "ES256", "kid": header["kid"], "typ": "JWT"}, claims,
                        ECKey.generate_key("P-256"))
    response = start(browser, rp.params(id_token_hint=forged, prompt="none"))
    assert_error_redirect(response, rp, "invalid_request", description="Invalid 'id_token_hint'.")


def test_id_token_hint_issued_to_another_client_is_invalid_request(issuer, rp, browser,
                                                                   client_factory):
    other = RelyingParty(issuer, client_factory())
    hint = id_token_for(other, browser)
    sign_in(browser, rp)
    response = start(browser, rp.params(id_token_hint=hint, prompt="none"))
    assert_error_redirect(response, rp, "invalid_request", description="Invalid 'id_token_hint'.")


def test_access_token_is_not_an_id_token_hint(rp, browser):
    """Our own access token (typ at+jwt) is signed by the same keys but is no ID token."""
    callback = sign_in(browser, rp)
    _, tokens = id_token_claims(rp, callback["code"])
    response = start(browser, rp.params(id_token_hint=tokens["access_token"], prompt="none"))
    assert_error_redirect(response, rp, "invalid_request", description="Invalid 'id_token_hint'.")


def test_chooser_is_reached_for_prompt_login(rp, signed_in):
    page = signed_in.authorize(rp.params(prompt="login"))
    assert offered_methods(page)
