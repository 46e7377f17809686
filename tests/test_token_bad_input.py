"""Malformed and hostile requests to the token, introspection and revocation endpoints:
each gets its RFC 6749 §5.2 error as JSON, never a server error."""

import pytest
import requests

from .helpers import REDIRECT_URI
from .helpers import RelyingParty
from .token_helpers import assert_error

ODD = ["\u00e9", "\x00", "\"'<>", " ", "%00", "a" * 3000, "\u202e", "\ud7ff"]


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


@pytest.mark.parametrize("value", ODD)
def test_odd_grant_type(issuer, rp, value):
    assert_error(rp.token(grant_type=value), 400, "unsupported_grant_type")


@pytest.mark.parametrize("value", ODD)
def test_odd_code_and_verifier(issuer, rp, value):
    response = rp.token(grant_type="authorization_code", code=value, code_verifier=value,
                        redirect_uri=value)
    assert_error(response, 400, "invalid_grant")


@pytest.mark.parametrize("value", ODD)
def test_odd_refresh_token_and_scope(issuer, rp, value):
    response = rp.token(grant_type="refresh_token", refresh_token=value, scope=value)
    assert_error(response, 400, "invalid_grant")


@pytest.mark.parametrize("value", ODD)
def test_odd_client_credentials_scope(issuer, client_factory, value):
    service = RelyingParty(issuer, client_factory(
        name="Service", grant_types=("client_credentials",), redirect_uris=(),
        scopes=("api",)))
    response = service.token(grant_type="client_credentials", scope=value)
    if value == " ":
        assert response.status_code == 200, response.text
    else:
        assert_error(response, 400, "invalid_scope")


@pytest.mark.parametrize("value", ODD)
def test_odd_client_id(issuer, value):
    for endpoint in ("/token", "/introspect", "/revoke"):
        response = requests.post(issuer + endpoint, data={
            "grant_type": "authorization_code", "code": "x", "token": "x",
            "client_id": value, "client_secret": value}, timeout=10)
        assert_error(response, 401, "invalid_client")


@pytest.mark.parametrize("header", [
    "Basic", "Basic !!!", "Basic " + "A" * 5000, "Basic dXNlcg==", "Basic Og==",
    "Basic w6k6w6k=", "Basic /w==", "Bearer abc", "Digest x",
])
def test_odd_authorization_header(issuer, header):
    for endpoint in ("/token", "/introspect", "/revoke"):
        response = requests.post(issuer + endpoint, headers={"Authorization": header},
                                 data={"grant_type": "client_credentials", "token": "x"},
                                 timeout=10)
        assert_error(response, 401, "invalid_client")


@pytest.mark.parametrize("value", ODD)
def test_odd_token_at_introspection_and_revocation(issuer, rp, value):
    introspected = rp.introspect(value, token_type_hint="access_token")
    assert introspected.status_code == 200 and introspected.json() == {"active": False}
    assert rp.revoke(value, token_type_hint="refresh_token").status_code == 200


@pytest.mark.parametrize("hint", [h for h in ODD if h.strip()])
def test_odd_token_type_hint(issuer, rp, hint):
    assert_error(rp.revoke("x", token_type_hint=hint), 400, "unsupported_token_type")
    assert_error(rp.introspect("x", token_type_hint=hint), 400, "unsupported_token_type")


def test_non_form_bodies(issuer, rp):
    for body, content_type in [(b"\xff\xfe\x00", "application/x-www-form-urlencoded"),
                               (b"{}", "application/json"),
                               (b"<x/>", "text/xml"),
                               (b"grant_type=authorization_code", "text/plain")]:
        response = requests.post(issuer + "/token", data=body, auth=rp.auth(),
                                 headers={"Content-Type": content_type}, timeout=10)
        assert_error(response, 400, "invalid_request")


def test_oversized_code_is_invalid_grant(issuer, rp):
    response = requests.post(issuer + "/token", auth=rp.auth(), timeout=30, data={
        "grant_type": "authorization_code", "code": "x" * (2 * 1024 * 1024),
        "redirect_uri": REDIRECT_URI, "code_verifier": rp.verifier})
    if response.status_code == 413:  # a body size limit configured in front of the grant
        assert_error(response, 413, "invalid_request")
    else:
        assert_error(response, 400, "invalid_grant")
