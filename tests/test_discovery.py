"""Provider metadata (OpenID Connect Discovery 1.0, RFC 8414): valid, issued under
IDP_ISSUER, and every advertised value works while nothing unsupported is advertised."""

import json
import secrets
import time
import warnings

import pytest
import requests
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey
from joserfc.jwk import KeySet
from joserfc.jwk import RSAKey

from idp.authn.assurance import LEVEL_1

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import query_of
from .helpers import sibling_app
from .helpers import sign_in

OIDC = "/.well-known/openid-configuration"
OAUTH = "/.well-known/oauth-authorization-server"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def metadata(issuer, path=OIDC):
    response = requests.get(issuer + path, timeout=5)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def test_openid_configuration_is_valid_and_names_the_issuer(issuer):
    meta = metadata(issuer)
    assert meta["issuer"] == issuer
    OpenIDProviderMetadata(meta).validate()
    for key, value in meta.items():
        if key.endswith(("_endpoint", "_uri")):
            assert value.startswith(issuer + "/"), key


def test_authorization_server_metadata_is_valid_and_agrees(issuer):
    meta = metadata(issuer, OAUTH)
    assert meta["issuer"] == issuer
    AuthorizationServerMetadata(meta).validate()
    oidc = metadata(issuer)
    for key, value in meta.items():
        assert oidc[key] == value, key


def test_metadata_is_invalid_without_https_for_a_public_issuer(app):
    # The validator is strict: a non-loopback http issuer fails, so passing means something.
    with sibling_app(app, IDP_ISSUER="http://idp.example") as other:
        meta = other.test_client().get(OIDC).get_json()
    with pytest.raises(ValueError, match="https"):
        OpenIDProviderMetadata(meta).validate()


def test_https_issuer_metadata_is_valid(app):
    with sibling_app(app, IDP_ISSUER="https://idp.example/") as other:
        client = other.test_client()
        oidc = client.get(OIDC, base_url="https://idp.example").get_json()
        oauth = client.get(OAUTH, base_url="https://idp.example").get_json()
    assert oidc["issuer"] == "https://idp.example"
    assert oidc["authorization_endpoint"] == "https://idp.example/authorize"
    OpenIDProviderMetadata(oidc).validate()
    AuthorizationServerMetadata(oauth).validate()


def test_nothing_unsupported_is_advertised(issuer):
    meta = metadata(issuer)
    assert meta["response_types_supported"] == ["code"]
    assert meta["response_modes_supported"] == ["query"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["grant_types_supported"]) == {
        "authorization_code", "refresh_token", "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange"}
    assert meta["request_parameter_supported"] is False
    assert meta["request_uri_parameter_supported"] is False
    assert not any(k.startswith("request_object") for k in meta)
    assert "registration_endpoint" not in meta
    assert meta["subject_types_supported"] == ["public"]
    algs = meta["id_token_signing_alg_values_supported"]
    assert "none" not in algs and not any(a.startswith("HS") for a in algs)
    assert meta["backchannel_logout_supported"] is True
    assert meta["backchannel_logout_session_supported"] is True
    assert "frontchannel_logout_supported" not in meta


@pytest.mark.parametrize("response_type", ["token", "id_token", "code id_token",
                                           "code token", "id_token token", "none"])
def test_implicit_and_hybrid_response_types_are_refused(issuer, browser, client_factory,
                                                        response_type):
    rp = RelyingParty(issuer, client_factory())
    response = browser.get("/authorize", params=rp.params(response_type=response_type))
    assert response.status_code == 302
    result = query_of(response.headers["Location"])
    assert result["error"] == "unsupported_response_type"
    assert result["state"] == rp.state


def test_plain_pkce_and_request_objects_are_refused(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    cases = [
        ({"code_challenge_method": "plain", "code_challenge": rp.verifier}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://rp.example/request.jwt"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ]
    for overrides, error in cases:
        response = browser.get("/authorize", params=rp.params(**overrides))
        assert response.status_code == 302, overrides
        assert query_of(response.headers["Location"])["error"] == error, overrides


def test_every_advertised_endpoint_answers(issuer):
    meta = metadata(issuer)
    endpoints = {k: v for k, v in meta.items() if k.endswith(("_endpoint", "_uri"))}
    assert set(endpoints) == {
        "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
        "revocation_endpoint", "introspection_endpoint", "end_session_endpoint"}
    for key, url in endpoints.items():
        method = "POST" if key in ("token_endpoint", "revocation_endpoint",
                                   "introspection_endpoint") else "GET"
        response = requests.request(method, url, allow_redirects=False, timeout=5)
        assert response.status_code not in (404, 405), key
        assert response.status_code < 500, key
    keys = requests.get(meta["jwks_uri"], timeout=5).json()["keys"]
    assert keys
    assert requests.get(meta["userinfo_endpoint"], timeout=5).status_code == 401
    assert requests.post(meta["token_endpoint"], timeout=5).json()["error"] == "invalid_request"


def _client_for(client_factory, method, alg=None):
    """A client authenticating with `method`; returns (client, credentials function)."""
    if method == "private_key_jwt":
        key = ECKey.generate_key("P-256") if alg == "ES256" else RSAKey.generate_key(2048)
        jwk = {**key.as_dict(private=False), "kid": "k1", "alg": alg}
        client = client_factory(auth_method=method, grant_types=("client_credentials",),
                                extra=["--jwks", json.dumps({"keys": [jwk]})])

        def credentials(audience):
            now = int(time.time())
            claims = {"iss": client["client_id"], "sub": client["client_id"], "aud": audience,
                      "iat": now, "exp": now + 60, "jti": secrets.token_urlsafe(12)}
            assertion = jwt.encode({"alg": alg, "kid": "k1"}, claims, key, algorithms=[alg])
            return {"client_assertion_type": ASSERTION_TYPE,
                    "client_assertion": assertion}, None

        return client, credentials
    client = client_factory(auth_method=method, grant_types=("client_credentials",))
    if method == "client_secret_basic":
        return client, lambda audience: ({}, (client["client_id"], client["client_secret"]))
    return client, lambda audience: ({"client_id": client["client_id"],
                                      "client_secret": client["client_secret"]}, None)


def _confidential_cases(meta, methods_key):
    cases = []
    for method in meta[methods_key]:
        if method == "private_key_jwt":
            cases += [(method, alg)
                      for alg in meta["token_endpoint_auth_signing_alg_values_supported"]]
        elif method != "none":
            cases.append((method, None))
    return cases


def test_each_advertised_token_endpoint_auth_method_is_accepted(issuer, client_factory):
    meta = metadata(issuer)
    for method, alg in _confidential_cases(meta, "token_endpoint_auth_methods_supported"):
        client, credentials = _client_for(client_factory, method, alg)
        data, auth = credentials(meta["token_endpoint"])
        response = requests.post(meta["token_endpoint"], auth=auth, timeout=5,
                                 data={"grant_type": "client_credentials", **data})
        assert response.status_code == 200, (method, alg, response.text)
        token = response.json()["access_token"]

        # Introspection and revocation accept what they advertise, with the same client.
        if method in meta["introspection_endpoint_auth_methods_supported"]:
            data, auth = credentials(issuer)
            answer = requests.post(meta["introspection_endpoint"], auth=auth, timeout=5,
                                   data={"token": token, **data})
            assert answer.status_code == 200, (method, alg, answer.text)
            assert answer.json()["active"] is True
        if method in meta["revocation_endpoint_auth_methods_supported"]:
            data, auth = credentials(issuer)
            answer = requests.post(meta["revocation_endpoint"], auth=auth, timeout=5,
                                   data={"token": token, **data})
            assert answer.status_code == 200, (method, alg, answer.text)
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    assert "none" in meta["revocation_endpoint_auth_methods_supported"]
    assert "none" not in meta["introspection_endpoint_auth_methods_supported"]


def test_a_public_client_uses_auth_method_none(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    tokens = rp.exchange(sign_in(browser, rp)["code"])
    assert tokens.status_code == 200, tokens.text
    revoked = rp.revoke(tokens.json()["refresh_token"])
    assert revoked.status_code == 200, revoked.text
    assert rp.refresh(tokens.json()["refresh_token"]).json()["error"] == "invalid_grant"


def test_unadvertised_assertion_algorithm_is_refused(issuer, client_factory):
    meta = metadata(issuer)
    assert "PS256" not in meta["token_endpoint_auth_signing_alg_values_supported"]
    key = RSAKey.generate_key(2048)
    jwk = {**key.as_dict(private=False), "kid": "k1"}
    client = client_factory(auth_method="private_key_jwt", grant_types=("client_credentials",),
                            extra=["--jwks", json.dumps({"keys": [jwk]})])
    now = int(time.time())
    claims = {"iss": client["client_id"], "sub": client["client_id"],
              "aud": meta["token_endpoint"], "exp": now + 60, "jti": secrets.token_urlsafe(8)}
    assertion = jwt.encode({"alg": "PS256"}, claims, key, algorithms=["PS256"])
    response = requests.post(meta["token_endpoint"], timeout=5, data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def _decode(token, issuer, alg):
    jwks = KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=5).json())
    with warnings.catch_warnings():
        # joserfc flags the name "EdDSA" (RFC 9864); the provider offers it on purpose.
        warnings.simplefilter("ignore", SecurityWarning)
        return jwt.decode(token, jwks, algorithms=[alg])


def test_each_advertised_id_token_alg_is_issued(issuer, client_factory):
    meta = metadata(issuer)
    assert meta["id_token_signing_alg_values_supported"] == ["ES256", "RS256", "EdDSA"]
    for alg in meta["id_token_signing_alg_values_supported"]:
        rp = RelyingParty(issuer, client_factory(extra=["--id-token-alg", alg]))
        tokens = rp.exchange(sign_in(Browser(issuer), rp)["code"]).json()
        id_token = _decode(tokens["id_token"], issuer, alg)
        assert id_token.header["alg"] == alg
        assert id_token.claims["aud"] == rp.client["client_id"]
        # The provider reads back its own ID tokens of every alg (id_token_hint).
        again = Browser(issuer)
        answer = again.get("/authorize", params=rp.params(prompt="none",
                                                          id_token_hint=tokens["id_token"]))
        assert query_of(answer.headers["Location"])["error"] == "login_required", alg


def test_each_advertised_acr_is_reachable(issuer, client_factory):
    meta = metadata(issuer)
    assert meta["acr_values_supported"]
    for acr in meta["acr_values_supported"]:
        rp = RelyingParty(issuer, client_factory())
        callback = sign_in(Browser(issuer), rp, acr=acr, acr_values=acr)
        tokens = rp.exchange(callback["code"]).json()
        assert _decode(tokens["id_token"], issuer, "ES256").claims["acr"] == acr


def test_acr_values_follow_the_configured_login_methods(app):
    with sibling_app(app, IDP_TEST_LOGIN_ACRS=[LEVEL_1]) as other:
        meta = other.test_client().get(OIDC).get_json()
    assert meta["acr_values_supported"] == [LEVEL_1]
    with sibling_app(app, IDP_ENABLE_TEST_LOGIN=False) as other:
        meta = other.test_client().get(OIDC).get_json()
    assert "acr_values_supported" not in meta
    OpenIDProviderMetadata(meta).validate()


def test_each_advertised_prompt_scope_and_locale_is_accepted(issuer, browser, client_factory):
    meta = metadata(issuer)
    rp = RelyingParty(issuer, client_factory(scopes=meta["scopes_supported"]))
    sign_in(browser, rp)
    for prompt in meta["prompt_values_supported"]:
        response = browser.get("/authorize", params=rp.params(prompt=prompt))
        assert response.status_code in (302, 303), prompt
        assert "error" not in query_of(response.headers["Location"]), prompt
    scope = " ".join(meta["scopes_supported"])
    response = browser.get("/authorize", params=rp.params(scope=scope, prompt="none"))
    assert query_of(response.headers["Location"])["error"] == "consent_required"
    for locale in meta["ui_locales_supported"]:
        page = Browser(issuer).authorize(rp.params(ui_locales=locale))
        assert page.status_code == 200
        assert f'lang="{locale}"' in page.text.split(">", 2)[1], locale


def test_discovery_is_cacheable_and_readable_cross_origin(issuer):
    response = requests.get(issuer + OIDC, timeout=5)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
