"""Single sign-on at the authorization endpoint answered in front of Flask
(idp/oauth/authorize_fast_path.py) exactly as the full stack answers it; every request
that needs a page, an error, a login, consent or a write to the session reaches the full
stack."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from limits import parse

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models.sessions import LoginSession
from idp.models.sessions import SessionClient
from idp.models.types import utcnow
from idp.ratelimit import ip_key

from .fast_path_support import FlaskRequests
from .fast_path_support import audit_events
from .fast_path_support import without
from .fast_path_support import without_fast_paths
from .helpers import RelyingParty
from .helpers import query_of
from .helpers import sign_in
from .token_helpers import assert_error

VARYING_HEADERS = {"X-Request-Id", "Content-Length", "Date", "Server", "Location"}


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory(auth_method="client_secret_basic"))


@pytest.fixture
def signed_in(browser, rp):
    """A browser whose person has logged in and consented to rp once."""
    assert rp.exchange(sign_in(browser, rp)["code"]).status_code == 200
    return browser


def _authorize(browser, rp, **overrides):
    return browser.get("/authorize?" + urlencode(rp.params(**overrides)))




def test_single_sign_on_never_reaches_flask(app, signed_in, rp):
    with FlaskRequests(app) as flask_requests:
        response = _authorize(signed_in, rp)
    assert flask_requests.paths == []
    assert response.status_code == 302
    callback = query_of(response.headers["Location"])
    assert callback["state"] == rp.state and callback["iss"] == rp.issuer
    tokens = rp.exchange(callback["code"])
    assert tokens.status_code == 200, tokens.text
    event = audit_events(app, "authorize")[-1]
    assert event.request_id == response.headers["X-Request-Id"]
    assert (event.subject, event.client_id, event.ip) == ("citizen-1", rp.client["client_id"],
                                                          "127.0.0.1")


@pytest.mark.parametrize("extra", [{}, {"login_hint": "citizen-1"},
                                   {"login_hint": "someone-else", "state": None}])
def test_the_answer_is_the_full_stacks(app, signed_in, rp, monkeypatch, extra):
    with FlaskRequests(app) as flask_requests:
        fast = _authorize(signed_in, rp, **extra)
    assert flask_requests.paths == []
    without_fast_paths(app, monkeypatch)
    with FlaskRequests(app) as flask_requests:
        full = _authorize(signed_in, rp, **extra)
    assert flask_requests.paths == ["/authorize"]
    assert fast.status_code == full.status_code == 302
    assert without(fast.headers, VARYING_HEADERS) == without(full.headers, VARYING_HEADERS)
    fast_code = query_of(fast.headers["Location"])["code"]
    full_code = query_of(full.headers["Location"])["code"]
    assert fast.headers["Location"].replace(fast_code, "") == \
        full.headers["Location"].replace(full_code, "")
    assert fast.text.replace(fast_code, "") == full.text.replace(full_code, "")
    fast_row, full_row = _code_row(app, fast_code), _code_row(app, full_code)
    varying = {"code_digest", "expires_at"}
    assert {k: v for k, v in fast_row.items() if k not in varying} == \
        {k: v for k, v in full_row.items() if k not in varying}
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(SessionClient)
                                  ).scalar() == 1


# Requests the full stack answers: (parameters changed, what it answers)
OTHERS = {
    "prompt=login": ({"prompt": "login"}, "login"),
    "prompt=none": ({"prompt": "none"}, "code"),
    "max_age": ({"max_age": "0"}, "login"),
    "acr_values": ({"acr_values": LEVEL_2}, "login"),
    "ui_locales": ({"ui_locales": "ar"}, "code"),
    "an empty state": ({"state": ""}, "code"),
    "a new scope": ({"scope": "openid profile email"}, "consent"),
    "no PKCE": ({"code_challenge": None, "code_challenge_method": None}, "error"),
    "plain PKCE": ({"code_challenge_method": "plain"}, "error"),
    "an unregistered scope": ({"scope": "openid api.unknown"}, "error"),
    "an unknown client": ({"client_id": "no-such-client"}, "page"),
    "another redirect URI": ({"redirect_uri": "https://rp.example/other"}, "page"),
}


@pytest.mark.parametrize("case", list(OTHERS))
def test_other_requests_get_the_full_stacks_answer(app, signed_in, rp, case):
    changes, outcome = OTHERS[case]
    with FlaskRequests(app) as flask_requests:
        response = _authorize(signed_in, rp, **changes)
    assert flask_requests.paths == ["/authorize"]
    location = response.headers.get("Location", "")
    if outcome == "code":
        assert response.status_code == 302 and "code" in query_of(location)
    elif outcome == "error":
        assert response.status_code == 302 and "error" in query_of(location)
    elif outcome == "page":
        assert response.status_code == 400
    else:
        assert response.status_code == 303 and f"/{outcome}" in location


def test_a_browser_without_a_session_is_asked_to_log_in(app, browser, rp):
    with FlaskRequests(app) as flask_requests:
        response = _authorize(browser, rp)
    assert flask_requests.paths == ["/authorize"]
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def _age_session(app, **columns):
    with app.app_context():
        db.session.execute(db.update(LoginSession).values(**columns))
        db.session.commit()


def test_a_due_last_seen_update_is_the_full_stacks(app, signed_in, rp):
    _age_session(app, last_seen_at=utcnow() - timedelta(minutes=5))
    with FlaskRequests(app) as flask_requests:
        first, second = _authorize(signed_in, rp), _authorize(signed_in, rp)
    assert flask_requests.paths == ["/authorize"]  # the second needs no write
    assert first.status_code == second.status_code == 302
    with app.app_context():
        seen = db.session.execute(db.select(LoginSession.last_seen_at)).scalar_one()
    assert utcnow() - seen < timedelta(minutes=1)


def test_a_lapsing_level_is_the_full_stacks(app, browser, rp):
    assert rp.exchange(sign_in(browser, rp, acr=LEVEL_2)["code"]).status_code == 200
    _age_session(app, auth_time=int((utcnow() - timedelta(hours=1)).timestamp()))
    with FlaskRequests(app) as flask_requests:
        response = _authorize(browser, rp)
    assert flask_requests.paths == ["/authorize"]
    assert response.status_code == 302
    assert [event.detail["held"] for event in audit_events(app, "assurance_lapsed")] != []


def test_an_ended_session_is_asked_to_log_in(app, signed_in, rp):
    _age_session(app, ended_at=utcnow())
    with FlaskRequests(app) as flask_requests:
        response = _authorize(signed_in, rp)
    assert flask_requests.paths == ["/authorize"]
    assert response.status_code == 303 and "/login" in response.headers["Location"]


def test_a_full_rate_window_is_refused_by_the_full_stack(app, signed_in, rp, monkeypatch):
    limiter = app.extensions["idp.limiter"]
    monkeypatch.setitem(limiter.by_endpoint, "oauth.authorization",
                        [(parse("2 per hour"), "authorize", ip_key)])
    limiter.reset()
    with FlaskRequests(app) as flask_requests:
        answers = [_authorize(signed_in, rp) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [302, 302, 429]
    assert flask_requests.paths == ["/authorize"]  # the refused one
    assert re.search(r"<html", answers[2].text)


def test_the_code_of_the_fast_path_is_single_use(signed_in, rp):
    code = query_of(_authorize(signed_in, rp).headers["Location"])["code"]
    assert rp.exchange(code).status_code == 200
    assert_error(rp.exchange(code), 400, "invalid_grant")


def _code_row(app, code):
    from idp.models.types import digest

    with app.app_context():
        return dict(db.session.execute(
            db.text("SELECT * FROM authorization_codes WHERE code_digest = :digest"),
            {"digest": digest(code)}).mappings().one())


