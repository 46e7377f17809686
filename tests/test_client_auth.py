"""Client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1, §5.2; OpenID
Connect Core §9): client_secret_basic, client_secret_post, private_key_jwt (RFC 7523
§3) with a single-use jti, and public clients that identify themselves and use PKCE."""

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey
from joserfc.jwk import OctKey

from .helpers import RelyingParty
from .helpers import sign_in
from .token_helpers import ASSERTION_TYPE
from .token_helpers import JwtRelyingParty
from .token_helpers import assert_error
from .token_helpers import client_assertion
from .token_helpers import new_client_key


def assert_invalid_client(response):
    body = assert_error(response, 401, "invalid_client")
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith("Basic "), response.headers
    assert 'error="invalid_client"' in challenge
    return body


def _code(browser, rp):
    return sign_in(browser, rp)["code"]


def _jwt_client(client_factory):
    key, jwks = new_client_key()
    client = client_factory(name="JWT RP", extra=["--auth-method", "private_key_jwt",
                                                  "--jwks", jwks])
    assert client["token_endpoint_auth_method"] == "private_key_jwt"
    assert "client_secret" not in client
    return client, key


def _with_assertion(issuer, rp, code, assertion):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": rp.verifier, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion}
    return requests.post(issuer + "/token", data=data, timeout=10)


# client_secret_basic and client_secret_post


def test_client_secret_basic(issuer, browser, client_factory):
    client = client_factory()
    assert client["token_endpoint_auth_method"] == "client_secret_basic"
    rp = RelyingParty(issuer, client)
    assert rp.exchange(_code(browser, rp)).status_code == 200


def test_client_secret_post(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(auth_method="client_secret_post"))
    response = rp.exchange(_code(browser, rp))
    assert response.status_code == 200, response.text


def test_wrong_secret_is_invalid_client(issuer, browser, client_factory):
    client = client_factory()
    rp = RelyingParty(issuer, {**client, "client_secret": "wrong-" + client["client_secret"]})
    code = _code(browser, rp)
    assert_invalid_client(rp.exchange(code))
    # The refused request did not use the code up.
    assert RelyingParty(issuer, client).exchange(code, code_verifier=rp.verifier).status_code \
        == 200


def test_wrong_secret_in_the_form_is_invalid_client(issuer, browser, client_factory):
    client = client_factory(auth_method="client_secret_post")
    rp = RelyingParty(issuer, {**client, "client_secret": "wrong"})
    assert_invalid_client(rp.exchange(_code(browser, rp)))


def test_unknown_client_is_invalid_client(issuer, client_factory):
    client = client_factory()
    for fake in ({**client, "client_id": "no-such-client"},
                 {**client, "client_id": "x" * 300},
                 {**client, "client_id": "no-such-client",
                  "token_endpoint_auth_method": "client_secret_post"}):
        assert_invalid_client(RelyingParty(issuer, fake).exchange("code"))


def test_method_the_client_is_not_registered_for(issuer, browser, client_factory):
    basic = client_factory()
    as_post = RelyingParty(issuer, {**basic, "token_endpoint_auth_method": "client_secret_post"})
    assert_invalid_client(as_post.exchange(_code(browser, as_post)))

    post = client_factory(name="Post RP", auth_method="client_secret_post")
    as_basic = RelyingParty(issuer, {**post, "token_endpoint_auth_method": "client_secret_basic"})
    assert_invalid_client(as_basic.exchange(_code(browser, as_basic)))


def test_two_methods_at_once_are_refused(issuer, browser, client_factory):
    client = client_factory()
    rp = RelyingParty(issuer, client)
    code = _code(browser, rp)
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": rp.verifier, "client_id": client["client_id"],
            "client_secret": client["client_secret"]}
    response = requests.post(issuer + "/token", data=data, auth=rp.auth(), timeout=10)
    assert_error(response, 400, "invalid_request")


def test_confidential_client_without_authentication(issuer, browser, client_factory):
    client = client_factory()
    rp = RelyingParty(issuer, {**client, "token_endpoint_auth_method": "none"})
    code = _code(browser, rp)
    assert_invalid_client(rp.exchange(code))
    anonymous = requests.post(issuer + "/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
        "code_verifier": rp.verifier}, timeout=10)
    assert_invalid_client(anonymous)


# Public clients


def test_public_client_with_pkce(issuer, browser, client_factory):
    client = client_factory(public=True)
    assert client["token_endpoint_auth_method"] == "none"
    assert "client_secret" not in client
    rp = RelyingParty(issuer, client)
    response = rp.exchange(_code(browser, rp))
    assert response.status_code == 200, response.text


def test_public_client_sending_a_secret_is_invalid_client(issuer, browser, client_factory):
    client = client_factory(public=True)
    rp = RelyingParty(issuer, {**client, "client_secret": "made-up",
                               "token_endpoint_auth_method": "client_secret_post"})
    assert_invalid_client(rp.exchange(_code(browser, rp)))


def test_public_client_cannot_use_client_credentials(issuer, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    body = assert_error(rp.token(grant_type="client_credentials"), 400, "unauthorized_client")
    assert "client_credentials" in body["error_description"]


# private_key_jwt (RFC 7523)


def test_private_key_jwt(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = JwtRelyingParty(issuer, client, key)
    tokens = rp.exchange(_code(browser, rp))
    assert tokens.status_code == 200, tokens.text
    refreshed = rp.refresh(tokens.json()["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text


def test_private_key_jwt_accepts_the_issuer_as_audience(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    assertion = client_assertion(client["client_id"], key, issuer)
    assert _with_assertion(issuer, rp, _code(browser, rp), assertion).status_code == 200


@pytest.mark.parametrize("case", [
    "wrong_aud", "expired", "exp_too_far", "no_exp", "no_jti", "iss_differs", "no_sub",
    "nul_jti", "number_jti",
])
def test_private_key_jwt_bad_claims(issuer, browser, client_factory, case):
    client, key = _jwt_client(client_factory)
    client_id = client["client_id"]
    now = int(time.time())
    changes = {
        "wrong_aud": {"aud": "https://other.example/token"},
        "expired": {"iat": now - 600, "exp": now - 120},
        "exp_too_far": {"exp": now + 3600},
        "no_exp": {"exp": None},
        "no_jti": {"jti": None},
        "iss_differs": {"iss": "someone-else"},
        "no_sub": {"sub": None},
        "nul_jti": {"jti": "a\x00b"},
        "number_jti": {"jti": 12345},
    }[case]
    rp = RelyingParty(issuer, client)
    code = _code(browser, rp)
    assertion = client_assertion(client_id, key, issuer + "/token", **changes)
    assert_invalid_client(_with_assertion(issuer, rp, code, assertion))
    good = client_assertion(client_id, key, issuer + "/token")
    assert _with_assertion(issuer, rp, code, good).status_code == 200


def test_private_key_jwt_jti_is_single_use(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    assertion = client_assertion(client["client_id"], key, issuer + "/token")
    assert _with_assertion(issuer, rp, _code(browser, rp), assertion).status_code == 200
    replayed = _with_assertion(issuer, rp, _code(browser, rp), assertion)
    body = assert_invalid_client(replayed)
    assert body["error_description"] == "JWT ID is used before."


def test_private_key_jwt_jti_is_spent_by_a_failed_request(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    assertion = client_assertion(client["client_id"], key, issuer + "/token")
    assert_error(_with_assertion(issuer, rp, "no-such-code", assertion), 400, "invalid_grant")
    assert_invalid_client(_with_assertion(issuer, rp, _code(browser, rp), assertion))


def test_private_key_jwt_signed_with_another_key(issuer, browser, client_factory):
    client, _ = _jwt_client(client_factory)
    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"})
    rp = RelyingParty(issuer, client)
    assertion = client_assertion(client["client_id"], stranger, issuer + "/token")
    assert_invalid_client(_with_assertion(issuer, rp, _code(browser, rp), assertion))


@pytest.mark.parametrize("assertion", ["not-a-jwt", "a.b.c", "e30.e30.", "x" * 10000])
def test_malformed_assertion(issuer, browser, client_factory, assertion):
    client, _ = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    assert_invalid_client(_with_assertion(issuer, rp, _code(browser, rp), assertion))


def test_unsigned_assertion(issuer, browser, client_factory):
    client, _ = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    unsigned = ("eyJhbGciOiJub25lIn0."
                + client_assertion(client["client_id"], new_client_key()[0],
                                   issuer + "/token").split(".")[1] + ".")
    assert_invalid_client(_with_assertion(issuer, rp, _code(browser, rp), unsigned))


def test_private_key_jwt_client_cannot_use_a_secret(issuer, browser, client_factory):
    client, _ = _jwt_client(client_factory)
    rp = RelyingParty(issuer, {**client, "client_secret": "guess",
                               "token_endpoint_auth_method": "client_secret_basic"})
    assert_invalid_client(rp.exchange(_code(browser, rp)))
    public = RelyingParty(issuer, {**client, "token_endpoint_auth_method": "none"})
    assert_invalid_client(public.exchange(_code(browser, public)))


def test_secret_client_cannot_use_an_assertion(issuer, browser, client_factory):
    client = client_factory()
    key, _ = new_client_key()
    rp = RelyingParty(issuer, client)
    assertion = client_assertion(client["client_id"], key, issuer + "/token")
    assert_invalid_client(_with_assertion(issuer, rp, _code(browser, rp), assertion))


def test_wrong_assertion_type(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    data = {"grant_type": "authorization_code", "code": _code(browser, rp),
            "redirect_uri": rp.redirect_uri, "code_verifier": rp.verifier,
            "client_assertion_type": "urn:example:other",
            "client_assertion": client_assertion(client["client_id"], key,
                                                 issuer + "/token")}
    assert_invalid_client(requests.post(issuer + "/token", data=data, timeout=10))


def test_assertion_without_kid_uses_the_registered_key(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    now = int(time.time())
    claims = {"iss": client["client_id"], "sub": client["client_id"], "aud": issuer + "/token",
              "exp": now + 60, "jti": f"no-kid-{now}"}
    assertion = jwt.encode({"alg": "ES256"}, claims, key)
    assert _with_assertion(issuer, rp, _code(browser, rp), assertion).status_code == 200


def test_symmetric_assertion_is_refused(issuer, browser, client_factory):
    client, key = _jwt_client(client_factory)
    rp = RelyingParty(issuer, client)
    now = int(time.time())
    claims = {"iss": client["client_id"], "sub": client["client_id"], "aud": issuer + "/token",
              "exp": now + 60, "jti": f"hs-{now}"}
    secret = OctKey.import_key("s" * 32, parameters={"kid": key.kid})
    assertion = jwt.encode({"alg": "HS256", "kid": key.kid}, claims, secret)
    body = assert_invalid_client(_with_assertion(issuer, rp, _code(browser, rp), assertion))
    assert body["error_description"] == "Invalid client assertion."
