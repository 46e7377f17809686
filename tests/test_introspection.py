"""Token introspection (RFC 7662) as a client or resource server calls it: what an active
token shows (including acr and auth_time), and when a token is reported inactive."""

import pytest
import requests

from idp.authn.assurance import LEVEL_2

from .helpers import RelyingParty
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import decode
from .token_helpers import expire_access_token
from .token_helpers import expire_refresh_token
from .token_helpers import log_out
from .token_helpers import obtain_tokens


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def _introspect(rp, token, **extra):
    response = rp.introspect(token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def test_active_access_token(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp, acr=LEVEL_2, acr_values=LEVEL_2)
    access = decode(tokens["access_token"], issuer).claims
    body = _introspect(rp, tokens["access_token"])
    assert body["active"] is True
    assert body["token_type"] == "Bearer"
    assert body["iss"] == issuer
    assert body["sub"] == "citizen-1"
    assert body["client_id"] == rp.client["client_id"]
    assert body["scope"] == "openid profile"
    assert body["acr"] == LEVEL_2
    assert body["auth_time"] == access["auth_time"]
    assert body["jti"] == access["jti"]
    assert body["exp"] == access["exp"]
    assert body["iat"] == access["iat"]
    assert body["aud"] == issuer


def test_active_refresh_token(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    body = _introspect(rp, tokens["refresh_token"], token_type_hint="refresh_token")
    assert body["active"] is True
    assert body["client_id"] == rp.client["client_id"]
    assert body["sub"] == "citizen-1"
    assert body["scope"] == "openid profile"
    assert body["exp"] > body["iat"]
    assert "jti" not in body


def test_wrong_hint_is_tolerated(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    assert _introspect(rp, tokens["access_token"], token_type_hint="refresh_token")["active"]
    assert _introspect(rp, tokens["refresh_token"], token_type_hint="access_token")["active"]


def test_unsupported_hint_is_unsupported_token_type(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    response = rp.introspect(tokens["access_token"], token_type_hint="id_token")
    assert_error(response, 400, "unsupported_token_type")


def test_other_clients_token_is_inactive(issuer, browser, client_factory, rp):
    tokens = obtain_tokens(browser, rp)
    other = RelyingParty(issuer, client_factory(name="Other RP"))
    assert _introspect(other, tokens["access_token"]) == {"active": False}
    assert _introspect(other, tokens["refresh_token"]) == {"active": False}


def test_resource_server_with_introspection_scope_sees_all(issuer, browser, client_factory,
                                                          rp):
    tokens = obtain_tokens(browser, rp)
    resource = RelyingParty(issuer, client_factory(
        name="API", grant_types=("client_credentials",), redirect_uris=(),
        scopes=("introspection",)))
    body = _introspect(resource, tokens["access_token"])
    assert body["active"] is True
    assert body["client_id"] == rp.client["client_id"]
    assert body["sub"] == "citizen-1"


@pytest.mark.parametrize("token", ["garbage", "", "a.b.c", "x" * 5000])
def test_unknown_token_is_inactive(issuer, rp, token):
    assert _introspect(rp, token) == {"active": False}


def test_expired_tokens_are_inactive(app, issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    expire_access_token(app, tokens["access_token"])
    expire_refresh_token(app, tokens["refresh_token"])
    assert _introspect(rp, tokens["access_token"]) == {"active": False}
    assert _introspect(rp, tokens["refresh_token"]) == {"active": False}


def test_revoked_tokens_are_inactive(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    assert rp.revoke(tokens["refresh_token"]).status_code == 200
    assert _introspect(rp, tokens["access_token"]) == {"active": False}
    assert _introspect(rp, tokens["refresh_token"]) == {"active": False}


def test_tokens_of_an_ended_session_are_inactive(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    log_out(browser)
    assert not active(rp, tokens["access_token"])
    assert not active(rp, tokens["refresh_token"])


def test_id_token_is_not_introspected_as_an_access_token(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    assert _introspect(rp, tokens["id_token"]) == {"active": False}


def test_missing_token_is_invalid_request(issuer, rp):
    response = requests.post(issuer + "/introspect", data=rp.form(), auth=rp.auth(), timeout=10)
    assert_error(response, 400, "invalid_request")


def test_public_client_cannot_introspect(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    tokens = obtain_tokens(browser, rp)
    response = rp.introspect(tokens["access_token"])
    assert_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_introspection_needs_client_authentication(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    response = requests.post(issuer + "/introspect", data={"token": tokens["access_token"]},
                             timeout=10)
    assert_error(response, 401, "invalid_client")
    wrong = RelyingParty(issuer, {**rp.client, "client_secret": "wrong"})
    assert_error(wrong.introspect(tokens["access_token"]), 401, "invalid_client")


def test_get_is_not_allowed(issuer):
    assert_error(requests.get(issuer + "/introspect", timeout=10), 405, "invalid_request")
