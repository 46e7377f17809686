"""What the token endpoint issues after a code exchange: the ID token (OpenID Connect Core
§2, §3.1.3.6, §3.1.3.7) signed with the client's algorithm and verifiable against the
JWKS, and the access token as an RFC 9068 JWT."""

import time

import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey

from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .helpers import RelyingParty
from .helpers import sign_in
from .token_helpers import decode
from .token_helpers import half_hash
from .token_helpers import obtain_tokens
from .token_helpers import published_keys


@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_id_token_uses_the_clients_algorithm(issuer, browser, client_factory, alg):
    extra = [] if alg == "ES256" else ["--id-token-alg", alg]
    rp = RelyingParty(issuer, client_factory(extra=extra))
    before = int(time.time())
    tokens = obtain_tokens(browser, rp)

    id_token = decode(tokens["id_token"], issuer, alg)
    assert id_token.header["alg"] == alg
    assert id_token.header["kid"] in {k.kid for k in published_keys(issuer).keys}
    claims = id_token.claims
    assert claims["iss"] == issuer
    assert claims["aud"] == rp.client["client_id"]
    assert claims["azp"] == rp.client["client_id"]
    assert claims["sub"] == "citizen-1"
    assert claims["nonce"] == rp.nonce
    assert claims["acr"] == LEVEL_1
    assert claims["amr"] == ["pwd", "otp"]
    assert claims["at_hash"] == half_hash(tokens["access_token"], alg)
    assert isinstance(claims["sid"], str) and claims["sid"]
    assert before - 1 <= claims["auth_time"] <= claims["iat"] < claims["exp"]

    other_algs = [a for a in ("ES256", "RS256", "EdDSA") if a != alg]
    with pytest.raises(Exception):  # noqa: B017 - joserfc refuses the alg, any error will do
        decode(tokens["id_token"], issuer, other_algs[0])


def test_es256_is_the_default(issuer, browser, client_factory):
    client = client_factory()
    assert client["id_token_signed_response_alg"] == "ES256"
    tokens = obtain_tokens(browser, RelyingParty(issuer, client))
    assert decode(tokens["id_token"], issuer).header["alg"] == "ES256"


def test_at_hash_of_eddsa_uses_sha512(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(extra=["--id-token-alg", "EdDSA"]))
    tokens = obtain_tokens(browser, rp)
    claims = decode(tokens["id_token"], issuer, "EdDSA").claims
    assert claims["at_hash"] == half_hash(tokens["access_token"], "EdDSA")
    assert claims["at_hash"] != half_hash(tokens["access_token"], "ES256")
    assert len(claims["at_hash"]) == 43  # 32 bytes: half of a SHA-512 digest


def test_id_token_reflects_the_login(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    callback = sign_in(browser, rp, acr=LEVEL_2, acr_values=LEVEL_2)
    tokens = rp.exchange(callback["code"]).json()
    claims = decode(tokens["id_token"], issuer).claims
    assert claims["acr"] == LEVEL_2
    access = decode(tokens["access_token"], issuer).claims
    assert access["acr"] == LEVEL_2
    assert access["auth_time"] == claims["auth_time"]
    assert access["sid"] == claims["sid"]


def test_single_sign_on_keeps_sid_and_auth_time(issuer, browser, client_factory):
    first = RelyingParty(issuer, client_factory(name="First"))
    second = RelyingParty(issuer, client_factory(name="Second"))
    one = decode(obtain_tokens(browser, first)["id_token"], issuer).claims
    two = decode(obtain_tokens(browser, second)["id_token"], issuer).claims
    assert two["sid"] == one["sid"]
    assert two["auth_time"] == one["auth_time"]
    assert two["aud"] == second.client["client_id"]
    assert two["nonce"] == second.nonce


def test_no_nonce_claim_without_a_nonce(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp, nonce=None)
    assert "nonce" not in decode(tokens["id_token"], issuer).claims


def test_no_id_token_without_openid_scope(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp, scope="profile")
    assert "id_token" not in tokens
    assert tokens["scope"] == "profile"


def test_access_token_is_an_rfc9068_jwt(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp)
    access = decode(tokens["access_token"], issuer)
    assert access.header["typ"] == "at+jwt"
    assert access.header["alg"] == "ES256"
    claims = access.claims
    assert claims["iss"] == issuer
    assert claims["sub"] == "citizen-1"
    assert claims["aud"] == issuer
    assert claims["client_id"] == rp.client["client_id"]
    assert claims["scope"] == "openid profile"
    assert claims["acr"] == LEVEL_1
    assert isinstance(claims["auth_time"], int)
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    assert claims["exp"] - claims["iat"] == tokens["expires_in"]
    id_claims = decode(tokens["id_token"], issuer).claims
    assert claims["auth_time"] == id_claims["auth_time"]

    again = obtain_tokens(browser, RelyingParty(issuer, rp.client))
    assert decode(again["access_token"], issuer).claims["jti"] != claims["jti"]


def test_tokens_do_not_verify_against_another_key(issuer, browser, client_factory):
    tokens = obtain_tokens(browser, RelyingParty(issuer, client_factory()))
    stranger = ECKey.generate_key("P-256")
    with pytest.raises(BadSignatureError):
        jwt.decode(tokens["id_token"], stranger, algorithms=["ES256"])
