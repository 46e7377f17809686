"""The per-level session policy over HTTP: level 2 holds for IDP_LEVEL2_TTL after the
login, then the session falls back to level 1 (it does not end). A request requiring
level 2 then asks for a step-up (or `login_required` with prompt=none), a level-1 request
goes on without a login, and tokens refreshed or introspected from then on state level 1
with the original `auth_time`. The passing of time is a database edit of `auth_time`."""

import json

import pytest

from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import AuditEvent
from idp.models import LoginSession

from .authorize_support import assert_code
from .authorize_support import assert_error_redirect
from .authorize_support import id_token_claims
from .authorize_support import offered_methods
from .authorize_support import start
from .helpers import RelyingParty
from .helpers import sign_in
from .token_helpers import decode

LEVEL_2_ONLY = ["Test login (level-2)"]


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def the_session(app, subject="citizen-1"):
    with app.app_context():
        return db.session.execute(
            db.select(LoginSession).filter_by(subject=subject, ended_at=None)).scalar_one()


def age_login(app, seconds):
    """Move the session's login `seconds` into the past."""
    with app.app_context():
        record = db.session.execute(
            db.select(LoginSession).filter_by(subject="citizen-1", ended_at=None)).scalar_one()
        record.auth_time -= seconds
        db.session.commit()
        return record.auth_time


def lapsed_events(app):
    with app.app_context():
        return [(e.subject, e.detail) for e in db.session.scalars(
            db.select(AuditEvent).filter_by(event="assurance_lapsed"))]


def test_level_2_holds_inside_its_window(app, rp, browser):
    sign_in(browser, rp, acr=LEVEL_2)
    ttl = app.config["IDP_LEVEL2_TTL"]
    age_login(app, ttl - 60)
    code = assert_code(start(browser, rp.params(acr_values=LEVEL_2)), rp)
    claims, tokens = id_token_claims(rp, code)
    assert claims["acr"] == LEVEL_2
    assert rp.introspect(tokens["access_token"]).json()["acr"] == LEVEL_2
    assert the_session(app).acr == LEVEL_2
    assert lapsed_events(app) == []


def test_after_its_window_level_2_asks_for_a_step_up_in_the_same_session(app, rp, browser):
    sign_in(browser, rp, acr=LEVEL_2)
    sid = the_session(app).sid
    auth_time = age_login(app, app.config["IDP_LEVEL2_TTL"] + 1)
    page = browser.authorize(rp.params(acr_values=LEVEL_2))
    assert offered_methods(page) == LEVEL_2_ONLY
    record = the_session(app)
    assert (record.sid, record.acr, record.auth_time) == (sid, LEVEL_1, auth_time)
    assert lapsed_events(app) == [("citizen-1", {"sid": sid, "acr": LEVEL_2, "held": LEVEL_1})]
    code = assert_code(browser.login(page, acr=LEVEL_2), rp)
    claims, _ = id_token_claims(rp, code)
    assert (claims["acr"], claims["sid"]) == (LEVEL_2, sid)
    assert claims["auth_time"] > auth_time


def test_after_its_window_prompt_none_for_level_2_is_login_required(app, rp, browser):
    sign_in(browser, rp, acr=LEVEL_2)
    age_login(app, app.config["IDP_LEVEL2_TTL"] + 1)
    response = start(browser, rp.params(prompt="none", acr_values=LEVEL_2))
    assert_error_redirect(response, rp, "login_required")
    essential = json.dumps({"id_token": {"acr": {"essential": True, "value": LEVEL_2}}})
    response = start(browser, rp.params(prompt="none", claims=essential))
    assert_error_redirect(response, rp, "login_required")


def test_after_its_window_a_level_1_request_gets_level_1_without_a_login(app, rp, browser):
    sign_in(browser, rp, acr=LEVEL_2)
    auth_time = age_login(app, app.config["IDP_LEVEL2_TTL"] + 1)
    code = assert_code(start(browser, rp.params(prompt="none")), rp)
    claims, tokens = id_token_claims(rp, code)
    assert (claims["acr"], claims["auth_time"]) == (LEVEL_1, auth_time)
    assert decode(tokens["access_token"], rp.issuer).claims["acr"] == LEVEL_1


def test_refresh_and_introspection_state_level_1_once_the_window_is_over(app, rp, browser):
    callback = sign_in(browser, rp, acr=LEVEL_2)
    tokens = rp.exchange(callback["code"]).json()
    assert decode(tokens["access_token"], rp.issuer).claims["acr"] == LEVEL_2
    auth_time = age_login(app, app.config["IDP_LEVEL2_TTL"] + 1)
    # The access token issued at level 2 is still live; introspection says what holds now.
    introspected = rp.introspect(tokens["access_token"]).json()
    assert (introspected["active"], introspected["acr"]) == (True, LEVEL_2)
    with app.app_context():
        from idp.models import AccessToken
        from idp.models import RefreshToken

        for model in (AccessToken, RefreshToken):
            for row in db.session.scalars(db.select(model)):
                row.auth_time = auth_time
        db.session.commit()
    introspected = rp.introspect(tokens["access_token"]).json()
    assert (introspected["active"], introspected["acr"]) == (True, LEVEL_1)
    assert rp.introspect(tokens["refresh_token"]).json()["acr"] == LEVEL_1
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    body = refreshed.json()
    access = decode(body["access_token"], rp.issuer).claims
    id_token = decode(body["id_token"], rp.issuer).claims
    assert (access["acr"], access["auth_time"]) == (LEVEL_1, auth_time)
    assert (id_token["acr"], id_token["auth_time"]) == (LEVEL_1, auth_time)
    assert rp.introspect(body["refresh_token"]).json()["acr"] == LEVEL_1


def test_a_level_1_session_is_never_raised(app, rp, browser):
    sign_in(browser, rp, acr=LEVEL_1)
    age_login(app, app.config["IDP_LEVEL2_TTL"] + 1)
    code = assert_code(start(browser, rp.params(prompt="none")), rp)
    claims, _ = id_token_claims(rp, code)
    assert claims["acr"] == LEVEL_1
    assert lapsed_events(app) == []
