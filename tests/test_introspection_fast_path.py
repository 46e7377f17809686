"""Introspection of a live access token is answered in front of Flask
(idp/oauth/introspection_fast_path.py) exactly as the full stack answers it; inactive
tokens, refresh tokens and requests out of the ordinary reach the full stack."""

import pytest
import requests
from limits import parse

from idp.authn.assurance import LEVEL_2
from idp.ratelimit import client_key

from .fast_path_support import FlaskRequests
from .fast_path_support import without
from .fast_path_support import without_fast_paths
from .helpers import RelyingParty
from .token_helpers import assert_error
from .token_helpers import log_out
from .token_helpers import obtain_tokens

VARYING_HEADERS = {"X-Request-Id", "Date", "Server"}


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))


def _service(issuer, client_factory, scopes):
    return RelyingParty(issuer, client_factory(
        name="Service", grant_types=("client_credentials",), redirect_uris=(), scopes=scopes,
        auth_method="client_secret_post"))


def test_a_live_token_is_introspected_without_flask(app, browser, rp):
    tokens = obtain_tokens(browser, rp, acr=LEVEL_2, acr_values=LEVEL_2)
    rp.introspect(tokens["access_token"])  # the worker keeps the registration
    with FlaskRequests(app) as flask_requests:
        response = rp.introspect(tokens["access_token"], token_type_hint="access_token")
    assert flask_requests.paths == []
    body = response.json()
    assert body["active"] is True and body["sub"] == "citizen-1" and body["acr"] == LEVEL_2


@pytest.mark.parametrize("whose", ["a person's", "a client's own", "seen by a resource server"])
def test_the_answer_is_the_full_stacks(app, issuer, browser, rp, client_factory, monkeypatch,
                                       whose):
    if whose == "a person's":
        asker, token = rp, obtain_tokens(browser, rp)["access_token"]
    else:
        service = _service(issuer, client_factory, ("api.read", "introspection"))
        token = service.token(grant_type="client_credentials", scope="api.read").json()[
            "access_token"]
        asker = service
        if whose == "seen by a resource server":
            token = obtain_tokens(browser, rp)["access_token"]
    asker.introspect(token)
    with FlaskRequests(app) as flask_requests:
        fast = asker.introspect(token)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = asker.introspect(token)
    assert flask_requests.paths == ["/introspect"]
    assert fast.status_code == full.status_code == 200
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    assert fast.content == full.content


@pytest.mark.parametrize("kind", ["a refresh token", "an ID token", "a revoked token",
                                  "a token of an ended session"])
def test_other_tokens_get_the_full_stacks_answer(app, browser, rp, kind):
    tokens = obtain_tokens(browser, rp)
    if kind == "a revoked token":
        rp.revoke(tokens["access_token"])
    if kind == "a token of an ended session":
        log_out(browser)
    rp.introspect(tokens["access_token"])
    with FlaskRequests(app) as flask_requests:
        response = rp.introspect(tokens[{"a refresh token": "refresh_token",
                                         "an ID token": "id_token"}.get(kind, "access_token")])
    assert flask_requests.paths == ["/introspect"]
    assert response.status_code == 200
    assert response.json()["active"] is (kind == "a refresh token")


def test_another_clients_token_is_inactive_from_the_full_stack(app, issuer, browser, rp,
                                                               client_factory):
    other = RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))
    token = obtain_tokens(browser, rp)["access_token"]
    other.introspect(token)
    with FlaskRequests(app) as flask_requests:
        response = other.introspect(token)
    assert flask_requests.paths == ["/introspect"]
    assert response.json() == {"active": False}


@pytest.mark.parametrize("change", ["a wrong secret", "a refresh hint", "an unknown hint",
                                    "a token in the URL"])
def test_requests_out_of_the_ordinary_reach_the_full_stack(app, issuer, browser, rp, change):
    token = obtain_tokens(browser, rp)["access_token"]
    rp.introspect(token)
    client_id, secret = rp.client["client_id"], rp.client["client_secret"]
    data, url = {"token": token}, issuer + "/introspect"
    if change == "a wrong secret":
        secret = "not-the-secret"
    elif change == "a refresh hint":
        data["token_type_hint"] = "refresh_token"
    elif change == "an unknown hint":
        data["token_type_hint"] = "id_token"
    else:
        url += "?token=" + token
    with FlaskRequests(app) as flask_requests:
        response = requests.post(url, data=data, auth=(client_id, secret), timeout=10)
    assert flask_requests.paths == ["/introspect"]
    expected = {"a wrong secret": (401, "invalid_client"), "a refresh hint": (200, None),
                "an unknown hint": (400, "unsupported_token_type"),
                "a token in the URL": (400, "invalid_request")}[change]
    if expected[1]:
        assert_error(response, *expected)
    else:
        assert response.status_code == 200 and response.json()["active"] is True


def test_a_full_rate_window_is_refused_by_the_full_stack(app, browser, rp, monkeypatch):
    token = obtain_tokens(browser, rp)["access_token"]
    limiter = app.extensions["idp.limiter"]
    monkeypatch.setitem(limiter.by_endpoint, "oauth.introspect",
                        [(parse("2 per hour"), "introspect", client_key)])
    with FlaskRequests(app) as flask_requests:
        answers = [rp.introspect(token) for _ in range(3)]
    assert [answer.status_code for answer in answers[:2]] == [200, 200]
    assert flask_requests.paths == ["/introspect"]  # the refused one
    assert_error(answers[2], 429, "slow_down")


