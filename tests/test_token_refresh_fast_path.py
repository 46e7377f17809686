"""An ordinary refresh is answered in front of Flask (idp/oauth/token_refresh.py) exactly
as the full stack answers it: same response, tokens, rows and audit event; every refresh
the full stack would refuse reaches it, which revokes the family of a replayed token."""

import pytest

from idp.extensions import db
from idp.models.types import digest

from .fast_path_support import FlaskRequests
from .fast_path_support import audit_events
from .fast_path_support import lock_account
from .fast_path_support import without
from .fast_path_support import without_fast_paths
from .helpers import RelyingParty
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import decode
from .token_helpers import expire_refresh_token
from .token_helpers import log_out
from .token_helpers import obtain_tokens

VARYING_HEADERS = {"X-Request-Id", "Content-Length", "Date", "Server"}
VARYING_CLAIMS = {"jti", "iat", "exp", "at_hash"}


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))




def _stored(app, table, column, value):
    with app.app_context():
        return dict(db.session.execute(
            db.text(f"SELECT * FROM {table} WHERE {column} = :value"),  # noqa: S608
            {"value": value}).mappings().one())


def test_an_ordinary_refresh_never_reaches_flask(app, issuer, browser, rp):
    tokens = obtain_tokens(browser, rp)
    with FlaskRequests(app) as flask_requests:
        response = rp.refresh(tokens["refresh_token"])
    assert flask_requests.paths == []
    assert response.status_code == 200, response.text
    refreshed = response.json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert decode(refreshed["id_token"], issuer).claims["sub"] == "citizen-1"
    assert active(rp, refreshed["access_token"]) is True
    assert rp.refresh(refreshed["refresh_token"]).status_code == 200
    old = _stored(app, "refresh_tokens", "token_digest", digest(tokens["refresh_token"]))
    assert old["rotated_at"] is not None
    event = audit_events(app, "token_refreshed")[0]
    assert event.request_id == response.headers["X-Request-Id"] and event.ip == "127.0.0.1"
    assert event.detail == {"family": old["family_id"]}


@pytest.mark.parametrize("scope", [None, "openid", "profile"])
def test_the_answer_is_the_full_stacks(app, issuer, browser, rp, monkeypatch, scope):
    fast_tokens, full_tokens = obtain_tokens(browser, rp), obtain_tokens(browser, rp)
    extra = {"scope": scope} if scope else {}
    with FlaskRequests(app) as flask_requests:
        fast = rp.refresh(fast_tokens["refresh_token"], **extra)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = rp.refresh(full_tokens["refresh_token"], **extra)
    assert flask_requests.paths == ["/token"]

    assert fast.status_code == full.status_code == 200
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    fast_body, full_body = fast.json(), full.json()
    assert list(fast_body) == list(full_body)
    assert fast_body["scope"] == full_body["scope"]
    for name in ("access_token", "id_token"):
        if name in full_body:
            fast_token = decode(fast_body[name], issuer)
            full_token = decode(full_body[name], issuer)
            assert list(fast_token.claims) == list(full_token.claims)
            assert without(fast_token.claims, VARYING_CLAIMS) == \
                without(full_token.claims, VARYING_CLAIMS)
    varying = {"token_digest", "family_id", "issued_at", "expires_at", "rotated_at", "jti"}
    fast_row = _stored(app, "refresh_tokens", "token_digest", digest(fast_body["refresh_token"]))
    full_row = _stored(app, "refresh_tokens", "token_digest", digest(full_body["refresh_token"]))
    assert without(fast_row, varying) == without(full_row, varying)
    fast_event, full_event = audit_events(app, "token_refreshed")
    assert (fast_event.subject, fast_event.client_id, fast_event.outcome) == \
        (full_event.subject, full_event.client_id, full_event.outcome)




# (what happens before the refresh, the refresh's fields, status, error)
REFUSED = {
    "a wider scope": (None, {"scope": "openid email"}, 400, "invalid_scope"),
    "an expired token": (lambda app, browser, tokens: expire_refresh_token(
        app, tokens["refresh_token"]), {}, 400, "invalid_grant"),
    "an ended session": (lambda app, browser, tokens: log_out(browser), {}, 400,
                         "invalid_grant"),
    "a locked account": (lambda app, browser, tokens: lock_account(app), {}, 400,
                         "invalid_grant"),
    "an unknown token": (None, {"refresh_token": "no-such-token"}, 400, "invalid_grant"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refresh_the_full_stack_refuses_reaches_it(app, browser, rp, case):
    spoil, changes, status, error = REFUSED[case]
    tokens = obtain_tokens(browser, rp)
    if spoil:
        spoil(app, browser, tokens)
    with FlaskRequests(app) as flask_requests:
        response = rp.token(**{"grant_type": "refresh_token",
                               "refresh_token": tokens["refresh_token"], **changes})
    assert flask_requests.paths == ["/token"]
    assert_error(response, status, error)
    old = _stored(app, "refresh_tokens", "token_digest", digest(tokens["refresh_token"]))
    assert old["rotated_at"] is None  # nothing written by the fast path


def test_a_replayed_token_is_the_full_stacks_and_revokes_the_family(app, browser, rp):
    tokens = obtain_tokens(browser, rp)
    refreshed = rp.refresh(tokens["refresh_token"]).json()
    with FlaskRequests(app) as flask_requests:
        replay = rp.refresh(tokens["refresh_token"])
    assert flask_requests.paths == ["/token"]
    assert_error(replay, 400, "invalid_grant")
    assert active(rp, refreshed["access_token"]) is False
    assert [event.outcome for event in audit_events(app, "refresh_reuse")] == ["failure"]


def test_another_clients_token_reaches_the_full_stack(app, issuer, browser, rp,
                                                      client_factory):
    other = RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))
    obtain_tokens(browser, other)
    tokens = obtain_tokens(browser, rp)
    with FlaskRequests(app) as flask_requests:
        response = other.refresh(tokens["refresh_token"])
    assert flask_requests.paths == ["/token"]
    assert_error(response, 400, "invalid_grant")


def test_offline_access_after_the_session_ended_names_no_session(app, issuer, browser, rp):
    tokens = obtain_tokens(browser, rp, scope="openid offline_access")
    log_out(browser)
    with FlaskRequests(app) as flask_requests:
        response = rp.refresh(tokens["refresh_token"])
    assert flask_requests.paths == []
    refreshed = response.json()
    assert "sid" not in decode(refreshed["id_token"], issuer).claims
    assert "sid" not in decode(refreshed["access_token"], issuer).claims




