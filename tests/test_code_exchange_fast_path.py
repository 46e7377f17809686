"""An ordinary exchange of an authorization code is answered in front of Flask
(idp/oauth/code_exchange.py) exactly as the full stack answers it: same response, tokens,
rows and audit event; every code the full stack would refuse, and every request out of the
ordinary, reaches the full stack and gets its answer."""

import json

import pytest
import requests

from idp.extensions import db

from .fast_path_support import FlaskRequests
from .fast_path_support import audit_events
from .fast_path_support import lock_account
from .fast_path_support import without
from .fast_path_support import without_fast_paths
from .helpers import RelyingParty
from .helpers import sign_in
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import code_row
from .token_helpers import decode
from .token_helpers import expire_code
from .token_helpers import log_out

VARYING_HEADERS = {"X-Request-Id", "Content-Length", "Date", "Server"}
VARYING_CLAIMS = {"jti", "iat", "exp", "at_hash"}


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))


def _warm(rp, browser):
    """One exchange, so that the worker keeps the client's registration."""
    assert rp.exchange(sign_in(browser, rp)["code"]).status_code == 200




def test_an_ordinary_exchange_never_reaches_flask(app, issuer, browser, rp):
    _warm(rp, browser)
    code = sign_in(browser, rp, scope="openid profile offline_access")["code"]
    with FlaskRequests(app) as flask_requests:
        response = rp.exchange(code)
    assert flask_requests.paths == []
    assert response.status_code == 200, response.text
    tokens = response.json()
    id_token = decode(tokens["id_token"], issuer, alg="ES256").claims
    assert id_token["sub"] == "citizen-1" and id_token["nonce"] == rp.nonce
    assert active(rp, tokens["access_token"]) is True
    assert rp.userinfo(tokens["access_token"]).json()["sub"] == "citizen-1"
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text

    issued = audit_events(app, "token_issued")[-1]
    assert issued.request_id == response.headers["X-Request-Id"]
    assert issued.ip == "127.0.0.1" and issued.subject == "citizen-1"
    assert issued.detail == {"grant_type": "authorization_code",
                             "family": code_row(app, code).family_id}


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
@pytest.mark.parametrize("scope", ["openid", "openid profile offline_access"])
def test_the_answer_is_the_full_stacks(app, issuer, browser, client_factory, monkeypatch,
                                       auth_method, scope):
    rp = RelyingParty(issuer, client_factory(auth_method=auth_method))
    _warm(rp, browser)
    fast_code = sign_in(browser, rp, scope=scope)["code"]
    full_code = sign_in(browser, rp, scope=scope)["code"]
    with FlaskRequests(app) as flask_requests:
        fast = rp.exchange(fast_code)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = rp.exchange(full_code)
    assert flask_requests.paths == ["/token"]

    assert fast.status_code == full.status_code == 200
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    fast_body, full_body = fast.json(), full.json()
    assert list(fast_body) == list(full_body)
    for name in ("token_type", "expires_in", "scope"):
        assert fast_body[name] == full_body[name]
    for name in ("access_token", "id_token"):
        fast_token, full_token = decode(fast_body[name], issuer), decode(full_body[name], issuer)
        assert fast_token.header == full_token.header
        assert list(fast_token.claims) == list(full_token.claims)
        assert without(fast_token.claims, VARYING_CLAIMS) == \
            without(full_token.claims, VARYING_CLAIMS)
    assert ("refresh_token" in fast_body) == ("refresh_token" in full_body)

    fast_family = code_row(app, fast_code).family_id
    full_family = code_row(app, full_code).family_id
    for table, key in (("token_families", "id"), ("access_tokens", "family_id"),
                       ("refresh_tokens", "family_id")):
        fast_rows = _rows(app, table, key, fast_family)
        full_rows = _rows(app, table, key, full_family)
        assert len(fast_rows) == len(full_rows)
        varying = {"id", "jti", "token_digest", "family_id", "created_at", "issued_at",
                   "expires_at"}
        assert [without(row, varying) for row in fast_rows] == \
            [without(row, varying) for row in full_rows]
    fast_event, full_event = audit_events(app, "token_issued")[-2:]
    assert (fast_event.subject, fast_event.client_id, fast_event.outcome, fast_event.ip) == \
        (full_event.subject, full_event.client_id, full_event.outcome, full_event.ip)
    assert fast_event.detail == {**full_event.detail, "family": fast_family}




# (what goes wrong before the exchange, the exchange's changes, status, error)
REFUSED = {
    "a wrong verifier": (None, {"code_verifier": "x" * 43}, 400, "invalid_grant"),
    "a verifier too short": (None, {"code_verifier": "short"}, 400, "invalid_request"),
    "no verifier": (None, {"code_verifier": None}, 400, "invalid_request"),
    "another redirect URI": (None, {"redirect_uri": "https://rp.example/other"}, 400,
                             "invalid_grant"),
    "an expired code": (lambda app, browser, code: expire_code(app, code), {}, 400,
                        "invalid_grant"),
    "an ended session": (lambda app, browser, code: log_out(browser), {}, 400,
                         "invalid_grant"),
    "a locked account": (lambda app, browser, code: lock_account(app), {}, 400,
                         "invalid_grant"),
    "an unknown code": (None, {"code": "no-such-code"}, 400, "invalid_grant"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_code_the_full_stack_refuses_reaches_it(app, browser, rp, case):
    spoil, changes, status, error = REFUSED[case]
    _warm(rp, browser)
    code = sign_in(browser, rp)["code"]
    if spoil:
        spoil(app, browser, code)
    with FlaskRequests(app) as flask_requests:
        sent = {"code": code, **changes}
        response = rp.exchange(sent.pop("code"), **sent)
    assert flask_requests.paths == ["/token"]
    assert_error(response, status, error)
    if case != "an expired code":
        assert code_row(app, code).used_at is None  # nothing written by the fast path


def test_a_replayed_code_is_the_full_stacks_and_revokes_what_it_gave(app, browser, rp):
    _warm(rp, browser)
    code = sign_in(browser, rp)["code"]
    tokens = rp.exchange(code).json()
    with FlaskRequests(app) as flask_requests:
        replay = rp.exchange(code)
    assert flask_requests.paths == ["/token"]
    assert_error(replay, 400, "invalid_grant")
    assert active(rp, tokens["access_token"]) is False
    assert [event.outcome for event in audit_events(app, "code_reuse")] == ["failure"]


def test_another_clients_code_reaches_the_full_stack(app, issuer, browser, rp,
                                                      client_factory):
    other = RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))
    _warm(other, browser)
    code = sign_in(browser, rp)["code"]
    with FlaskRequests(app) as flask_requests:
        response = other.exchange(code)
    assert flask_requests.paths == ["/token"]
    assert_error(response, 400, "invalid_grant")
    assert rp.exchange(code).status_code == 200  # still the rightful client's


def test_claims_for_the_id_token_are_the_full_stacks(app, issuer, browser, rp):
    _warm(rp, browser)
    claims = json.dumps({"id_token": {"name": None}})
    code = sign_in(browser, rp, scope="openid", claims=claims)["code"]
    with FlaskRequests(app) as flask_requests:
        response = rp.exchange(code)
    assert flask_requests.paths == ["/token"]
    assert decode(response.json()["id_token"], issuer).claims["name"] == "Test citizen-1"


def test_a_public_client_reaches_the_full_stack(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    _warm(rp, browser)
    code = sign_in(browser, rp)["code"]
    with FlaskRequests(app) as flask_requests:
        response = rp.exchange(code)
    assert flask_requests.paths == ["/token"]
    assert response.status_code == 200, response.text


def test_a_field_the_path_does_not_know_reaches_the_full_stack(app, issuer, browser, rp):
    _warm(rp, browser)
    code = sign_in(browser, rp)["code"]
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": rp.redirect_uri,
            "code_verifier": rp.verifier, "resource": "https://api.example"}
    with FlaskRequests(app) as flask_requests:
        response = requests.post(rp.issuer + "/token", data=data, auth=rp.auth(), timeout=10)
    assert flask_requests.paths == ["/token"]
    assert response.status_code == 200, response.text


def _rows(app, table, key, value):
    with app.app_context():
        return [dict(row) for row in db.session.execute(
            db.text(f"SELECT * FROM {table} WHERE {key} = :value"),  # noqa: S608 (test names)
            {"value": value}).mappings()]




