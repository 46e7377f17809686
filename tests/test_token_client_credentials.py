"""The client_credentials grant (RFC 6749 §4.4) for confidential clients, its RFC 9068
access token (sub is the client), and grant types the provider does not support."""

import pytest
import requests

from .helpers import RelyingParty
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import decode


def _service(issuer, client_factory, scopes=("api.read", "api.write"), **options):
    return RelyingParty(
        issuer, client_factory(name="Service", grant_types=("client_credentials",),
                               redirect_uris=(), scopes=scopes, **options)
    )


def test_client_credentials_issues_a_jwt_for_the_client(issuer, client_factory):
    rp = _service(issuer, client_factory)
    response = rp.token(grant_type="client_credentials", scope="api.read")
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "api.read"
    assert "refresh_token" not in tokens
    assert "id_token" not in tokens

    access = decode(tokens["access_token"], issuer)
    assert access.header["typ"] == "at+jwt"
    claims = access.claims
    client_id = rp.client["client_id"]
    assert claims["sub"] == client_id
    assert claims["client_id"] == client_id
    assert claims["iss"] == issuer
    assert claims["aud"] == issuer
    assert claims["scope"] == "api.read"
    assert claims["exp"] - claims["iat"] == tokens["expires_in"]
    assert isinstance(claims["jti"], str)
    assert not {"acr", "auth_time", "sid", "amr"} & set(claims)

    introspected = rp.introspect(tokens["access_token"]).json()
    assert introspected["active"] is True
    assert introspected["sub"] == client_id
    assert "acr" not in introspected and "auth_time" not in introspected


def test_client_credentials_without_scope(issuer, client_factory):
    rp = _service(issuer, client_factory)
    response = rp.token(grant_type="client_credentials")
    assert response.status_code == 200, response.text
    assert decode(response.json()["access_token"], issuer).claims["sub"] == rp.client["client_id"]


@pytest.mark.parametrize("auth_method", ["client_secret_post", "client_secret_basic"])
def test_client_credentials_with_either_secret_method(issuer, client_factory, auth_method):
    rp = _service(issuer, client_factory, auth_method=auth_method)
    assert rp.token(grant_type="client_credentials", scope="api.write").status_code == 200


@pytest.mark.parametrize("scope", ["openid", "offline_access", "api.read openid"])
def test_user_scopes_are_invalid_scope(issuer, client_factory, scope):
    rp = _service(issuer, client_factory, scopes=("api.read", "openid", "offline_access"))
    assert_error(rp.token(grant_type="client_credentials", scope=scope), 400, "invalid_scope")


@pytest.mark.parametrize("scope", ["api.delete", "api.read api.delete", "profile"])
def test_unregistered_scope_is_invalid_scope(issuer, client_factory, scope):
    rp = _service(issuer, client_factory)
    assert_error(rp.token(grant_type="client_credentials", scope=scope), 400, "invalid_scope")


def test_client_without_the_grant_is_unauthorized_client(issuer, client_factory):
    rp = RelyingParty(issuer, client_factory())
    body = assert_error(rp.token(grant_type="client_credentials"), 400, "unauthorized_client")
    assert "client_credentials" in body["error_description"]


def test_client_credentials_needs_client_authentication(issuer, client_factory):
    rp = _service(issuer, client_factory)
    wrong = RelyingParty(issuer, {**rp.client, "client_secret": "wrong"})
    assert_error(wrong.token(grant_type="client_credentials"), 401, "invalid_client")
    response = requests.post(issuer + "/token", data={"grant_type": "client_credentials"},
                             timeout=10)
    assert_error(response, 401, "invalid_client")


def test_client_token_is_not_for_userinfo(issuer, client_factory):
    rp = _service(issuer, client_factory)
    token = rp.token(grant_type="client_credentials").json()["access_token"]
    response = rp.userinfo(token)
    assert_error(response, 401, "invalid_token")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_client_token_can_be_revoked(issuer, client_factory):
    rp = _service(issuer, client_factory)
    token = rp.token(grant_type="client_credentials").json()["access_token"]
    assert active(rp, token)
    assert rp.revoke(token).status_code == 200
    assert not active(rp, token)


@pytest.mark.parametrize("grant_type", [
    "password", "implicit", "garbage", "token", "authorization-code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:device_code",
])
def test_unsupported_grant_type(issuer, client_factory, grant_type):
    rp = RelyingParty(issuer, client_factory())
    response = rp.token(grant_type=grant_type, username="u", password="p")
    assert_error(response, 400, "unsupported_grant_type")
    assert response.headers["Cache-Control"] == "no-store"


def test_get_token_is_method_not_allowed(issuer):
    response = requests.get(issuer + "/token", params={"grant_type": "client_credentials"},
                            timeout=10)
    assert_error(response, 405, "invalid_request")
    assert "POST" in response.headers["Allow"]
