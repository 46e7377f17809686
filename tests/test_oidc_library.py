"""An independent OpenID Connect client library (pyoidc, `oic`) completes the code flow
against the provider: discovery, PKCE, the authorization response (state, iss), the token
request with client_secret_basic, ID token validation against the JWKS it fetched, userinfo
and refresh. pyoidc accepts only https issuers, so the provider runs here over TLS."""

import base64
import datetime
import ipaddress
import secrets
import threading
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from jwkest import BadSignature
from jwkest.jws import left_hash
from oic import rndstr
from oic.exception import NotForMe
from oic.oauth2.message import ErrorResponse
from oic.oic import Client
from oic.oic.message import AccessTokenResponse
from oic.oic.message import AuthorizationResponse
from oic.oic.message import OpenIDSchema
from oic.oic.message import RegistrationResponse
from oic.oic.message import verify_id_token
from oic.utils.authn.client import CLIENT_AUTHN_METHOD
from oic.utils.keyio import KeyBundle
from oic.utils.keyio import KeyJar
from oic.utils.settings import OicClientSettings
from werkzeug.serving import make_server

from idp import create_app
from idp.authn.assurance import LEVEL_2

from .helpers import REDIRECT_URI
from .helpers import Browser

ONE_DAY = datetime.timedelta(days=1)


def _certificate(subject, issuer, public_key, signing_key, ca, now):
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - ONE_DAY)
        .not_valid_after(now + ONE_DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(signing_key, hashes.SHA256())


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    """A throwaway CA and a server certificate for 127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    directory = tmp_path_factory.mktemp("tls")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bawaba test CA")])
    ca = _certificate(ca_name, ca_name, ca_key.public_key(), ca_key, True, now)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    cert = _certificate(name, ca_name, key.public_key(), ca_key, False, now)
    paths = {"ca": directory / "ca.pem", "cert": directory / "cert.pem",
             "key": directory / "key.pem"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return {k: str(v) for k, v in paths.items()}


@pytest.fixture(scope="module")
def tls_issuer(app, token_config, database_url, tls_files):
    """The provider over HTTPS, sharing the test database and signing token."""
    server = make_server("127.0.0.1", 0, None, threaded=True,
                         ssl_context=(tls_files["cert"], tls_files["key"]))
    issuer = f"https://127.0.0.1:{server.server_port}"
    server.app = create_app({
        "TESTING": True,
        "IDP_ENV": "test",
        "SECRET_KEY": "tls-test-secret-key",
        "IDP_ISSUER": issuer,
        "IDP_DATABASE_URL": database_url,
        "SQLALCHEMY_DATABASE_URI": None,
        "IDP_ENABLE_TEST_LOGIN": True,
        "IDP_KEY_CACHE_SECONDS": 0,
        **token_config,
    })
    # PKCS#11 logs in once per process: share the first app's key ring (and token
    # session), as a production process serves a single app.
    server.app.extensions["idp.keys"] = app.extensions["idp.keys"]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield issuer
    server.shutdown()
    with server.app.app_context():
        from idp.extensions import db

        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def oidc_client(tls_issuer, tls_files, client_factory):
    """A pyoidc client configured only from discovery and the registration we made."""
    registered = client_factory()
    client = Client(client_authn_method=CLIENT_AUTHN_METHOD,
                    settings=OicClientSettings(verify_ssl=tls_files["ca"]))
    client.provider_config(tls_issuer)
    client.store_registration_info(RegistrationResponse(
        client_id=registered["client_id"],
        client_secret=registered["client_secret"],
        redirect_uris=[REDIRECT_URI],
        token_endpoint_auth_method="client_secret_basic",
        id_token_signed_response_alg="ES256",
    ))
    client.redirect_uris = [REDIRECT_URI]
    return client


def _b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _browser(issuer, tls_files):
    browser = Browser(issuer)
    browser.http.verify = tls_files["ca"]
    browser.http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
    return browser


def _authorize(client, browser, acr_values=None):
    """Build the request with the library, log in with the browser, and let the library
    parse the response. Returns (state, authorization request, authorization response)."""
    state = secrets.token_urlsafe(16)
    pkce, verifier = client.add_code_challenge()
    args = {
        "client_id": client.client_id,
        "response_type": "code",
        "scope": ["openid", "profile"],
        "redirect_uri": REDIRECT_URI,
        "state": state,
        "nonce": rndstr(32),
        **pkce,
    }
    if acr_values:
        args["acr_values"] = acr_values
    request = client.construct_AuthorizationRequest(request_args=args)
    assert request["code_challenge_method"] == "S256"
    client.state2nonce[state] = request["nonce"]  # as pyoidc's Consumer does
    page = browser.follow(browser.get(request.request(client.authorization_endpoint)))
    page = browser.login(page, acr=LEVEL_2, amr="pwd hwk")
    page = browser.consent(page)
    assert page.status_code in (302, 303), page.text[:500]
    location = page.headers["Location"]
    assert location.startswith(REDIRECT_URI + "?")
    response = client.parse_response(AuthorizationResponse, info=urlsplit(location).query,
                                     sformat="urlencoded")
    return state, request, verifier, response


def test_pyoidc_completes_the_code_flow(tls_issuer, tls_files, oidc_client):
    client = oidc_client
    assert client.provider_info["issuer"] == tls_issuer
    assert client.provider_info["code_challenge_methods_supported"] == ["S256"]
    # pyoidc fetched the JWKS and holds the provider's signing keys for its issuer.
    assert client.keyjar.get_signing_key("EC", owner=tls_issuer)

    browser = _browser(tls_issuer, tls_files)
    state, request, verifier, auth = _authorize(client, browser, acr_values=[LEVEL_2])
    assert isinstance(auth, AuthorizationResponse)
    assert auth["state"] == state
    assert auth["iss"] == tls_issuer  # RFC 9207, checked by pyoidc against discovery

    tokens = client.do_access_token_request(
        state=state, authn_method="client_secret_basic",
        request_args={"code": auth["code"], "redirect_uri": REDIRECT_URI,
                      "code_verifier": verifier},
    )
    assert isinstance(tokens, AccessTokenResponse), tokens.to_dict()
    # The library verified the signature with the JWKS, iss, aud, exp and the nonce.
    id_token = tokens["id_token"]
    assert id_token.jws_header["alg"] == "ES256"
    client.verify_id_token(id_token, request)
    checked = verify_id_token(
        {"id_token": tokens["id_token_jwt"], "access_token": tokens["access_token"]},
        check_hash=True, keyjar=client.keyjar, iss=tls_issuer, client_id=client.client_id,
    )
    assert checked["at_hash"] == left_hash(tokens["access_token"], "HS256")
    assert checked["nonce"] == request["nonce"]
    assert checked["sub"] == "citizen-1"
    assert checked["acr"] == LEVEL_2
    assert checked["amr"] == ["pwd", "hwk"]
    assert {"sid", "auth_time"} <= set(checked)

    info = client.do_user_info_request(state=state, method="GET")
    assert isinstance(info, OpenIDSchema), info
    assert info["sub"] == "citizen-1"
    assert info["name"] == "Test citizen-1"

    first_refresh = tokens["refresh_token"]
    refreshed = client.do_access_token_refresh(state=state,
                                               authn_method="client_secret_basic")
    assert isinstance(refreshed, AccessTokenResponse), refreshed.to_dict()
    assert refreshed["refresh_token"] != first_refresh
    if "id_token" in refreshed:
        assert refreshed["id_token"]["sub"] == "citizen-1"
    # The library keeps the rotated refresh token and can refresh again.
    again = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    assert isinstance(again, AccessTokenResponse), again.to_dict()
    info = client.do_user_info_request(state=state, method="POST")
    assert info["sub"] == "citizen-1"


def test_pyoidc_rejects_tokens_it_cannot_verify(tls_issuer, tls_files, oidc_client):
    """The library's verification is real: with someone else's keys, or another
    client's identity, the same ID token fails."""
    client = oidc_client
    state, _, verifier, auth = _authorize(client, _browser(tls_issuer, tls_files))
    tokens = client.do_access_token_request(
        state=state, authn_method="client_secret_basic",
        request_args={"code": auth["code"], "redirect_uri": REDIRECT_URI,
                      "code_verifier": verifier},
    )
    raw = tokens["id_token_jwt"]
    kid = tokens["id_token"].jws_header["kid"]  # the key that signed it
    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    foreign = {"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig",
               "x": _b64(numbers.x.to_bytes(32, "big")),
               "y": _b64(numbers.y.to_bytes(32, "big"))}
    strangers = KeyJar()
    strangers.add_kb(tls_issuer, KeyBundle([foreign]))
    with pytest.raises(BadSignature):
        verify_id_token({"id_token": raw}, keyjar=strangers, iss=tls_issuer,
                        client_id=client.client_id)
    with pytest.raises(NotForMe):
        verify_id_token({"id_token": raw}, keyjar=client.keyjar, iss=tls_issuer,
                        client_id="someone-else")

    # A replayed code is refused, and the library reads the error response.
    replay = client.do_access_token_request(
        state=state, authn_method="client_secret_basic",
        request_args={"code": auth["code"], "redirect_uri": REDIRECT_URI,
                      "code_verifier": verifier},
    )
    assert isinstance(replay, ErrorResponse)
    assert replay["error"] == "invalid_grant"
