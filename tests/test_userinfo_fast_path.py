"""An ordinary UserInfo request (GET, Bearer header) is answered in front of Flask
(idp/oauth/userinfo_fast_path.py) exactly as the full stack answers it; every request the
full stack would refuse, or that is out of the ordinary, reaches the full stack."""

import json

import pytest
import requests
from limits import parse

from idp.ratelimit import ip_key

from .fast_path_support import FlaskRequests
from .fast_path_support import lock_account
from .fast_path_support import without
from .fast_path_support import without_fast_paths
from .helpers import RelyingParty
from .token_helpers import assert_error
from .token_helpers import expire_access_token
from .token_helpers import log_out
from .token_helpers import obtain_tokens

VARYING_HEADERS = {"X-Request-Id", "Date", "Server"}


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def test_an_ordinary_request_never_reaches_flask(app, browser, rp):
    tokens = obtain_tokens(browser, rp, scope="openid profile")
    with FlaskRequests(app) as flask_requests:
        response = rp.userinfo(tokens["access_token"])
    assert flask_requests.paths == []
    assert response.status_code == 200
    assert response.json() == {"sub": "citizen-1", "name": "Test citizen-1"}


@pytest.mark.parametrize("request_of", [
    {"scope": "openid"},
    {"scope": "openid profile email phone"},
    {"scope": "openid", "claims": json.dumps({"userinfo": {"name": None, "email": None}})},
])
def test_the_answer_is_the_full_stacks(app, browser, rp, monkeypatch, request_of):
    access_token = obtain_tokens(browser, rp, **request_of)["access_token"]
    with FlaskRequests(app) as flask_requests:
        fast = rp.userinfo(access_token)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = rp.userinfo(access_token)
    assert flask_requests.paths == ["/userinfo"]
    assert fast.status_code == full.status_code == 200
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    assert len(fast.headers["X-Request-Id"]) == len(full.headers["X-Request-Id"]) == 16
    assert fast.content == full.content


def _revoke(rp, tokens):
    assert rp.revoke(tokens["access_token"]).status_code == 200


def _end_session(rp, tokens, browser):
    log_out(browser)




# Requests the full stack refuses: (how the token is spoilt, status, error)
REFUSED = {
    "revoked": (lambda app, rp, tokens, browser: _revoke(rp, tokens), 401, "invalid_token"),
    "of an ended session": (lambda app, rp, tokens, browser: _end_session(rp, tokens, browser),
                            401, "invalid_token"),
    "expired in storage": (lambda app, rp, tokens, browser:
                           expire_access_token(app, tokens["access_token"]),
                           401, "invalid_token"),
    "of a locked account": (lambda app, rp, tokens, browser: lock_account(app),
                            401, "invalid_token"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_token_no_longer_good_is_refused_by_the_full_stack(app, browser, rp, case):
    spoil, status, error = REFUSED[case]
    tokens = obtain_tokens(browser, rp)
    spoil(app, rp, tokens, browser)
    with FlaskRequests(app) as flask_requests:
        response = rp.userinfo(tokens["access_token"])
    assert flask_requests.paths == ["/userinfo"]
    assert_error(response, status, error)
    assert f'error="{error}"' in response.headers["WWW-Authenticate"]


def test_a_token_without_openid_is_refused_by_the_full_stack(app, browser, rp):
    tokens = obtain_tokens(browser, rp)
    narrowed = rp.refresh(tokens["refresh_token"], scope="profile").json()
    with FlaskRequests(app) as flask_requests:
        response = rp.userinfo(narrowed["access_token"])
    assert flask_requests.paths == ["/userinfo"]
    assert_error(response, 403, "insufficient_scope")


def test_a_clients_own_token_is_refused_by_the_full_stack(app, issuer, client_factory):
    service = RelyingParty(issuer, client_factory(
        name="Service", grant_types=("client_credentials",), redirect_uris=(),
        scopes=("api.read",)))
    access_token = service.token(grant_type="client_credentials").json()["access_token"]
    with FlaskRequests(app) as flask_requests:
        response = service.userinfo(access_token)
    assert flask_requests.paths == ["/userinfo"]
    assert_error(response, 401, "invalid_token")  # a client's own token names no person


def test_an_id_token_is_refused_by_the_full_stack(app, browser, rp):
    tokens = obtain_tokens(browser, rp)
    with FlaskRequests(app) as flask_requests:
        response = rp.userinfo(tokens["id_token"])
    assert flask_requests.paths == ["/userinfo"]
    assert_error(response, 401, "invalid_token")


@pytest.mark.parametrize("form", ["query", "post", "form body", "other scheme"])
def test_other_forms_of_the_request_reach_the_full_stack(app, issuer, browser, rp, form):
    access_token = obtain_tokens(browser, rp)["access_token"]
    bearer = {"Authorization": f"Bearer {access_token}"}
    send = {
        "query": lambda: requests.get(issuer + "/userinfo?schema=openid", headers=bearer,
                                      timeout=10),
        "post": lambda: requests.post(issuer + "/userinfo", headers=bearer, timeout=10),
        "form body": lambda: requests.post(issuer + "/userinfo",
                                           data={"access_token": access_token}, timeout=10),
        "other scheme": lambda: requests.get(issuer + "/userinfo", timeout=10, headers={
            "Authorization": f"Token {access_token}"}),
    }[form]
    with FlaskRequests(app) as flask_requests:
        response = send()
    assert flask_requests.paths == ["/userinfo"]
    assert response.status_code == (401 if form == "other scheme" else 200), response.text


def test_a_full_rate_window_is_refused_by_the_full_stack(app, browser, rp, monkeypatch):
    access_token = obtain_tokens(browser, rp)["access_token"]
    limiter = app.extensions["idp.limiter"]
    monkeypatch.setitem(limiter.by_endpoint, "oauth.userinfo",
                        [(parse("2 per hour"), "userinfo", ip_key)])
    limiter.reset()
    with FlaskRequests(app) as flask_requests:
        answers = [rp.userinfo(access_token) for _ in range(3)]
    assert [answer.status_code for answer in answers[:2]] == [200, 200]
    assert flask_requests.paths == ["/userinfo"]  # only the refused one
    assert_error(answers[2], 429, "slow_down")


