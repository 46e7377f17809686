"""The authorization code flow with PKCE end to end, as a relying party runs it."""

import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.authn.assurance import LEVEL_1

from .helpers import RelyingParty
from .helpers import sign_in


def test_code_flow_issues_verifiable_tokens(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    callback = sign_in(browser, rp)
    assert callback["state"] == rp.state
    assert callback["iss"] == issuer

    response = rp.exchange(callback["code"])
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store"

    jwks = KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=5).json())
    id_token = jwt.decode(tokens["id_token"], jwks, algorithms=["ES256"])
    assert id_token.header["alg"] == "ES256"
    claims = id_token.claims
    assert claims["iss"] == issuer
    assert claims["aud"] == rp.client["client_id"]
    assert claims["nonce"] == rp.nonce
    assert claims["sub"] == "citizen-1"
    assert claims["acr"] == LEVEL_1
    assert claims["amr"] == ["pwd", "otp"]
    assert {"sid", "auth_time", "at_hash", "exp", "iat"} <= set(claims)

    access = jwt.decode(tokens["access_token"], jwks, algorithms=["ES256"])
    assert access.header["typ"] == "at+jwt"
    assert access.claims["client_id"] == rp.client["client_id"]
    assert access.claims["acr"] == LEVEL_1
    assert access.claims["scope"] == "openid profile"

    info = rp.userinfo(tokens["access_token"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == "citizen-1"
    assert info.json()["name"] == "Test citizen-1"
