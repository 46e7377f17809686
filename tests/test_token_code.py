"""Exchanging an authorization code at the token endpoint (RFC 6749 §4.1.3, §5; RFC 7636
§4.5-4.6; OpenID Connect Core §3.1.3): single use, short-lived, bound to the client,
the redirect_uri and the PKCE verifier."""

from datetime import timedelta

import pytest
import requests

from idp.models.types import utcnow

from .helpers import REDIRECT_URI
from .helpers import RelyingParty
from .helpers import sign_in
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import code_row
from .token_helpers import expire_code
from .token_helpers import log_out

OTHER_REDIRECT_URI = "https://rp.example/other-callback"


def test_token_response_is_not_cached(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    response = rp.exchange(sign_in(browser, rp)["code"])
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["scope"] == "openid profile"
    assert {"access_token", "refresh_token", "id_token"} <= set(body)

    error = rp.exchange("not-a-code")
    assert_error(error, 400, "invalid_grant")
    assert error.headers["Cache-Control"] == "no-store"


def test_second_exchange_fails_and_revokes_what_the_first_issued(issuer, browser,
                                                                 client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    tokens = rp.exchange(code).json()
    assert active(rp, tokens["access_token"])

    assert_error(rp.exchange(code), 400, "invalid_grant")

    assert not active(rp, tokens["access_token"])
    assert not active(rp, tokens["refresh_token"])
    assert_error(rp.userinfo(tokens["access_token"]), 401, "invalid_token")
    assert_error(rp.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    # A third attempt is refused as well.
    assert_error(rp.exchange(code), 400, "invalid_grant")


def test_code_lives_at_most_sixty_seconds(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    row = code_row(app, code)
    assert row.expires_at <= utcnow() + timedelta(seconds=60)
    assert row.used_at is None


def test_expired_code_is_refused(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    expire_code(app, code)
    body = assert_error(rp.exchange(code), 400, "invalid_grant")
    assert body["error_description"] == "The authorization code has expired."


def test_code_is_bound_to_the_client(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    thief = RelyingParty(issuer, client_factory(name="Other RP"))
    thief.verifier = rp.verifier
    assert_error(thief.exchange(code), 400, "invalid_grant")

    public_thief = RelyingParty(issuer, client_factory(name="Public RP", public=True))
    public_thief.verifier = rp.verifier
    assert_error(public_thief.exchange(code), 400, "invalid_grant")


@pytest.mark.parametrize("redirect_uri", [OTHER_REDIRECT_URI, REDIRECT_URI + "/", None])
def test_code_is_bound_to_the_redirect_uri(issuer, browser, client_factory, redirect_uri):
    client = client_factory(redirect_uris=(REDIRECT_URI, OTHER_REDIRECT_URI))
    rp = RelyingParty(issuer, client)
    code = sign_in(browser, rp)["code"]
    body = assert_error(rp.exchange(code, redirect_uri=redirect_uri), 400, "invalid_grant")
    assert body["error_description"] == "Invalid 'redirect_uri' in request."


def test_wrong_code_verifier_is_invalid_grant(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    other_verifier = RelyingParty(issuer, rp.client).verifier
    body = assert_error(rp.exchange(code, code_verifier=other_verifier), 400, "invalid_grant")
    assert body["error_description"] == "Code challenge failed."


@pytest.mark.parametrize("verifier, description", [
    (None, "Missing 'code_verifier'"),
    ("too-short", "Invalid 'code_verifier'"),
    ("x" * 129, "Invalid 'code_verifier'"),
    ("with spaces" * 5, "Invalid 'code_verifier'"),
])
def test_missing_or_malformed_code_verifier_is_invalid_request(issuer, browser, client_factory,
                                                               verifier, description):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    body = assert_error(rp.exchange(code, code_verifier=verifier), 400, "invalid_request")
    assert body["error_description"] == description


@pytest.mark.parametrize("code", ["garbage", "", "x" * 5000, "\u00e9\u00e8"])
def test_unknown_code_is_invalid_grant(issuer, client_factory, code):
    rp = RelyingParty(issuer, client_factory())
    assert_error(rp.exchange(code), 400, "invalid_grant")


def test_missing_code_is_invalid_request(issuer, client_factory):
    rp = RelyingParty(issuer, client_factory())
    body = assert_error(rp.token(grant_type="authorization_code",
                                 redirect_uri=REDIRECT_URI, code_verifier=rp.verifier),
                        400, "invalid_request")
    assert body["error_description"] == "Missing 'code' in request."


def test_repeated_parameter_is_invalid_request(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    data = [("grant_type", "authorization_code"), ("code", code), ("code", "other"),
            ("redirect_uri", REDIRECT_URI), ("code_verifier", rp.verifier)]
    response = requests.post(issuer + "/token", data=data, auth=rp.auth(), timeout=10)
    body = assert_error(response, 400, "invalid_request")
    assert body["error_description"] == "Repeated parameter: 'code'."
    # The refused request did not use the code up.
    assert rp.exchange(code).status_code == 200


def test_missing_grant_type_is_invalid_request(issuer, client_factory):
    rp = RelyingParty(issuer, client_factory())
    body = assert_error(rp.token(code="abc"), 400, "invalid_request")
    assert body["error_description"] == "Missing 'grant_type' in request."


def test_json_body_is_not_a_token_request(issuer, client_factory):
    rp = RelyingParty(issuer, client_factory())
    response = requests.post(issuer + "/token", json={"grant_type": "authorization_code"},
                             auth=rp.auth(), timeout=10)
    assert_error(response, 400, "invalid_request")


def test_code_of_an_ended_session_is_refused(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    log_out(browser)
    body = assert_error(rp.exchange(code), 400, "invalid_grant")
    assert body["error_description"] == "The login session has ended."


def test_client_without_the_code_grant_is_unauthorized(issuer, browser, client_factory):
    allowed = RelyingParty(issuer, client_factory())
    code = sign_in(browser, allowed)["code"]
    service = client_factory(name="Service", grant_types=("client_credentials",),
                             redirect_uris=(), scopes=("api",))
    rp = RelyingParty(issuer, service)
    assert_error(rp.exchange(code), 400, "unauthorized_client")


def test_public_client_exchanges_with_pkce_only(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    code = sign_in(browser, rp)["code"]
    assert_error(rp.exchange(code, code_verifier=None), 400, "invalid_request")
    response = rp.exchange(code)
    assert response.status_code == 200, response.text
    assert {"access_token", "id_token", "refresh_token"} <= set(response.json())


def test_repeated_parameter_with_unprintable_name_is_invalid_request(issuer, client_factory):
    rp = RelyingParty(issuer, client_factory())
    data = [("grant_type", "authorization_code"), ("\u00e9\"", "1"), ("\u00e9\"", "2")]
    response = requests.post(issuer + "/token", data=data, auth=rp.auth(), timeout=10)
    body = assert_error(response, 400, "invalid_request")
    assert body["error_description"] == "Repeated parameter."


def test_parameters_in_the_url_are_refused(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    response = requests.post(issuer + "/token", params={"code": code},
                             data={"grant_type": "authorization_code",
                                   "redirect_uri": REDIRECT_URI, "code_verifier": rp.verifier},
                             auth=rp.auth(), timeout=10)
    body = assert_error(response, 400, "invalid_request")
    assert body["error_description"] == "Send the parameters in the request body, not the URL."
