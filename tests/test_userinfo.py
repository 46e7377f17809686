"""The UserInfo endpoint (OpenID Connect Core §5.3) as a relying party calls it, with
Bearer tokens in the header or the form body (RFC 6750 §2.1, §2.2) and the challenges
of RFC 6750 §3."""

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from idp.oauth.keys import key_ring

from .helpers import RelyingParty
from .token_helpers import assert_error
from .token_helpers import expire_access_token
from .token_helpers import log_out
from .token_helpers import obtain_tokens
from .token_helpers import unverified_claims
from .token_helpers import unverified_header


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def assert_challenge(response, status, error):
    """The JSON error and a Bearer challenge naming the same error (RFC 6750 §3)."""
    assert_error(response, status, error)
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="userinfo"'), challenge
    assert f'error="{error}"' in challenge
    assert response.headers["Cache-Control"] == "no-store"
    return challenge


def _claims(response):
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def test_get_with_bearer_header(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp, scope="openid profile")
    claims = _claims(rp.userinfo(tokens["access_token"]))
    assert claims == {"sub": "citizen-1", "name": "Test citizen-1"}


def test_post_with_bearer_header(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    assert _claims(rp.userinfo(tokens["access_token"], method="POST"))["sub"] == "citizen-1"


def test_post_with_token_in_form_body(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    response = requests.post(issuer + "/userinfo", data={"access_token": tokens["access_token"]},
                             timeout=10)
    assert _claims(response)["sub"] == "citizen-1"


def test_scheme_is_case_insensitive(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    response = requests.get(issuer + "/userinfo",
                            headers={"Authorization": "bearer " + tokens["access_token"]},
                            timeout=10)
    assert _claims(response)["sub"] == "citizen-1"


def test_only_openid_scope_releases_only_sub(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp, scope="openid")
    assert _claims(rp.userinfo(tokens["access_token"])) == {"sub": "citizen-1"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer"},
                                     {"Authorization": "Bearer   "},
                                     {"Authorization": "Basic dXNlcjpwYXNz"}])
def test_missing_token_is_a_bare_challenge(issuer, headers):
    for method in ("GET", "POST"):
        response = requests.request(method, issuer + "/userinfo", headers=headers, timeout=10)
        assert response.status_code == 401, response.text
        # RFC 6750 §3.1: no error code when the request carries no token.
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="userinfo"'
        assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "x" * 5000, "e30.e30.e30"])
def test_malformed_token_is_invalid_token(issuer, rp, token):
    assert_challenge(rp.userinfo(token), 401, "invalid_token")
    assert_challenge(rp.userinfo(token, method="POST"), 401, "invalid_token")


def test_expired_token_is_invalid_token(app, issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    expire_access_token(app, tokens["access_token"])
    assert_challenge(rp.userinfo(tokens["access_token"]), 401, "invalid_token")


def test_revoked_token_is_invalid_token(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    assert rp.revoke(tokens["access_token"]).status_code == 200
    assert_challenge(rp.userinfo(tokens["access_token"]), 401, "invalid_token")


def test_token_of_an_ended_session_is_invalid_token(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    log_out(browser)
    assert_challenge(rp.userinfo(tokens["access_token"]), 401, "invalid_token")


def test_token_without_openid_is_insufficient_scope(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    narrowed = rp.refresh(tokens["refresh_token"], scope="profile").json()
    challenge = assert_challenge(rp.userinfo(narrowed["access_token"]), 403,
                                 "insufficient_scope")
    assert 'scope="openid"' in challenge


def test_id_token_is_not_an_access_token(issuer, browser, client_factory):
    for alg in ("ES256", "EdDSA"):
        rp = RelyingParty(issuer, client_factory(extra=["--id-token-alg", alg]))
        tokens = obtain_tokens(browser, rp)
        assert_challenge(rp.userinfo(tokens["id_token"]), 401, "invalid_token")


def test_forged_token_is_invalid_token(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    claims = unverified_claims(tokens["access_token"])
    header = unverified_header(tokens["access_token"])
    forged = jwt.encode(header, claims, ECKey.generate_key("P-256"))
    assert_challenge(rp.userinfo(forged), 401, "invalid_token")
    unsigned = tokens["access_token"].rsplit(".", 1)[0] + "."
    assert_challenge(rp.userinfo(unsigned), 401, "invalid_token")


@pytest.mark.parametrize("change", [
    {"exp": int(time.time()) - 10},
    {"iss": "https://other.example"},
    {"typ": "JWT"},
    {"alg": "RS256"},
])
def test_provider_signed_token_failing_a_check_is_invalid_token(app, issuer, browser, rp,
                                                                change):
    """Signed by the provider's own key and naming a live row, yet refused for one reason:
    past its `exp`, another issuer, not typed at+jwt, or another algorithm."""
    tokens = obtain_tokens(browser, rp)
    claims = dict(unverified_claims(tokens["access_token"]))
    claims.update({k: v for k, v in change.items() if k not in ("typ", "alg")})
    with app.app_context():
        token = key_ring().sign(claims, change.get("alg", "ES256"),
                                typ=change.get("typ", "at+jwt"))
    assert_challenge(rp.userinfo(token), 401, "invalid_token")
    assert _claims(rp.userinfo(tokens["access_token"]))["sub"] == "citizen-1"


def test_token_in_header_and_body_is_invalid_request(issuer, browser, rp):
    token = obtain_tokens(browser, rp)["access_token"]
    response = requests.post(issuer + "/userinfo", data={"access_token": token},
                             headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert_challenge(response, 400, "invalid_request")


def test_token_twice_in_body_is_invalid_request(issuer, browser, rp):
    token = obtain_tokens(browser, rp)["access_token"]
    response = requests.post(issuer + "/userinfo",
                             data=[("access_token", token), ("access_token", token)], timeout=10)
    assert_challenge(response, 400, "invalid_request")


def test_multipart_body_is_invalid_request(issuer, browser, rp):
    token = obtain_tokens(browser, rp)["access_token"]
    response = requests.post(issuer + "/userinfo", files={"access_token": (None, token)},
                             timeout=10)
    assert_challenge(response, 400, "invalid_request")


def test_other_methods_are_not_allowed(issuer):
    response = requests.put(issuer + "/userinfo", timeout=10)
    assert_error(response, 405, "invalid_request")
