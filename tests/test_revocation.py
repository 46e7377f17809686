"""Token revocation (RFC 7009): an access token alone, a refresh token with its family,
tolerance of unknown tokens and wrong hints, and no revoking another client's tokens."""

import pytest
import requests

from .helpers import RelyingParty
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import obtain_tokens


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def _revoked(rp, token, **extra):
    response = rp.revoke(token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response


def test_revoking_an_access_token_deactivates_only_it(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    _revoked(rp, tokens["access_token"], token_type_hint="access_token")
    assert not active(rp, tokens["access_token"])
    assert_error(rp.userinfo(tokens["access_token"]), 401, "invalid_token")
    assert active(rp, tokens["refresh_token"])
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert rp.userinfo(refreshed.json()["access_token"]).status_code == 200


def test_revoking_a_refresh_token_ends_the_family(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    rotated = rp.refresh(tokens["refresh_token"]).json()
    _revoked(rp, rotated["refresh_token"], token_type_hint="refresh_token")
    assert_error(rp.refresh(rotated["refresh_token"]), 400, "invalid_grant")
    for token in (tokens["access_token"], rotated["access_token"], rotated["refresh_token"]):
        assert not active(rp, token)
    assert_error(rp.userinfo(rotated["access_token"]), 401, "invalid_token")


def test_other_families_survive(issuer, browser, rp):
    revoked = obtain_tokens(browser, rp)
    kept = obtain_tokens(browser, RelyingParty(issuer, rp.client))
    _revoked(rp, revoked["refresh_token"])
    assert active(rp, kept["access_token"])
    assert rp.refresh(kept["refresh_token"]).status_code == 200


@pytest.mark.parametrize("hint", ["access_token", "refresh_token"])
def test_wrong_hint_is_tolerated(issuer, browser, rp, hint):
    tokens = obtain_tokens(browser, rp)
    token = tokens["refresh_token" if hint == "access_token" else "access_token"]
    _revoked(rp, token, token_type_hint=hint)
    assert not active(rp, token)


@pytest.mark.parametrize("token", ["garbage", "", "a.b.c", "x" * 5000])
def test_unknown_token_is_fine(issuer, rp, token):
    _revoked(rp, token)


def test_revoking_twice_is_fine(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    _revoked(rp, tokens["refresh_token"])
    _revoked(rp, tokens["refresh_token"])
    _revoked(rp, tokens["access_token"])


def test_unsupported_hint_is_unsupported_token_type(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    response = rp.revoke(tokens["access_token"], token_type_hint="id_token")
    assert_error(response, 400, "unsupported_token_type")
    assert active(rp, tokens["access_token"])


def test_another_clients_token_is_not_revoked(issuer, browser, client_factory, rp):
    tokens = obtain_tokens(browser, rp)
    other = RelyingParty(issuer, client_factory(name="Other RP"))
    for token in (tokens["access_token"], tokens["refresh_token"]):
        assert_error(other.revoke(token), 400, "invalid_grant")
    assert active(rp, tokens["access_token"])
    assert active(rp, tokens["refresh_token"])


def test_public_client_revokes_its_own_tokens(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    tokens = obtain_tokens(browser, rp)
    _revoked(rp, tokens["refresh_token"])
    assert_error(rp.refresh(tokens["refresh_token"]), 400, "invalid_grant")


def test_missing_token_is_invalid_request(issuer, rp):
    response = requests.post(issuer + "/revoke", data=rp.form(), auth=rp.auth(), timeout=10)
    assert_error(response, 400, "invalid_request")


def test_revocation_needs_client_authentication(issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    response = requests.post(issuer + "/revoke", data={"token": tokens["access_token"]},
                             timeout=10)
    assert_error(response, 401, "invalid_client")
    wrong = RelyingParty(issuer, {**rp.client, "client_secret": "wrong"})
    assert_error(wrong.revoke(tokens["access_token"]), 401, "invalid_client")
    assert active(rp, tokens["access_token"])


def test_get_is_not_allowed(issuer):
    assert_error(requests.get(issuer + "/revoke", timeout=10), 405, "invalid_request")
