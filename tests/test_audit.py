"""The audit trail: every security event with time, outcome, subject, client, address and
request id; `idp audit list`; and no secret in any log record or audit row."""

import json
import logging
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import ECKey

from idp import audit
from idp.extensions import db
from idp.models import AuditEvent

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in

AFTER = "https://rp.example/logged-out"


def events(app, **where):
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return db.session.scalars(query).all()


def logout_client(client_factory):
    return client_factory(extra=["--post-logout-redirect-uri", AFTER])


def full_flow(issuer, browser, rp):
    """sign in, exchange, refresh, userinfo, revoke, log out; returns what was sent."""
    callback = sign_in(browser, rp)
    exchanged = rp.exchange(callback["code"])
    assert exchanged.status_code == 200, exchanged.text
    tokens = exchanged.json()
    cookies = [c.value for c in browser.http.cookies]
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    fresh = refreshed.json()
    assert rp.userinfo(fresh["access_token"]).status_code == 200
    revoked = rp.revoke(fresh["refresh_token"])
    assert revoked.status_code == 200
    logout = browser.get("/logout", params={"id_token_hint": fresh["id_token"],
                                            "post_logout_redirect_uri": AFTER})
    assert logout.status_code == 303
    assert logout.headers["Location"] == AFTER
    secrets = [rp.client["client_secret"], callback["code"], rp.verifier, *cookies]
    for issued in (tokens, fresh):
        secrets += [issued["access_token"], issued["refresh_token"], issued["id_token"]]
    return secrets, exchanged


def test_the_flow_is_recorded(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, logout_client(client_factory))
    client_id = rp.client["client_id"]
    _, exchanged = full_flow(issuer, browser, rp)

    rows = events(app)
    assert [(r.event, r.outcome) for r in rows] == [
        ("login", "success"),
        ("consent", "success"),
        ("authorize", "success"),
        ("token_issued", "success"),
        ("token_refreshed", "success"),
        ("token_revoked", "success"),
        ("logout", "success"),
    ]
    for row in rows:
        assert row.subject == "citizen-1"
        assert row.ip == "127.0.0.1"
        assert row.request_id and len(row.request_id) == 16
        assert abs(datetime.now(UTC) - row.at) < timedelta(minutes=5)
    assert [r.client_id for r in rows] == [client_id, client_id, client_id, client_id,
                                           client_id, client_id, None]
    issued = rows[3]
    assert issued.request_id == exchanged.headers["X-Request-Id"]
    assert issued.detail["grant_type"] == "authorization_code"
    assert rows[0].detail["method"] == "test"
    assert rows[5].detail["token_type"] == "refresh_token"
    assert rows[6].detail["reason"] == "logout"


def test_code_and_refresh_reuse_are_recorded(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    code = sign_in(browser, rp)["code"]
    assert rp.exchange(code).status_code == 200
    replay = rp.exchange(code)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    tokens = rp.exchange(sign_in(browser, rp)["code"]).json()
    rotated = rp.refresh(tokens["refresh_token"]).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    reuse = rp.refresh(tokens["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"

    for event, response in (("code_reuse", replay), ("refresh_reuse", reuse)):
        [row] = events(app, event=event)
        assert (row.outcome, row.subject, row.client_id) == (
            "failure", "citizen-1", rp.client["client_id"])
        assert row.request_id == response.headers["X-Request-Id"]


def test_consent_denied_and_withdrawn_are_recorded(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    page = browser.authorize(rp.params())
    page = browser.login(page)
    denied = browser.consent(page, decision="deny")
    assert denied.status_code == 303
    assert "error=access_denied" in denied.headers["Location"]
    sign_in(browser, rp)
    home = browser.get("/")
    withdrawn = browser.post("/account/consents/withdraw", {
        "csrf_token": browser.csrf(home), "client_id": rp.client["client_id"]})
    assert withdrawn.status_code == 303

    consent = [(r.outcome, r.subject, r.client_id) for r in events(app, event="consent")]
    assert consent == [("denied", "citizen-1", rp.client["client_id"]),
                       ("success", "citizen-1", rp.client["client_id"])]
    [row] = events(app, event="consent_withdrawn")
    assert (row.subject, row.client_id) == ("citizen-1", rp.client["client_id"])


def _auth_failures(app):
    return [(r.outcome, r.client_id, r.detail["endpoint"], r.detail["method"])
            for r in events(app, event="client_authentication")]


def test_client_authentication_failures_are_recorded(app, issuer, client_factory):
    client = client_factory()
    wrong = RelyingParty(issuer, {**client, "client_secret": "wrong"})
    response = wrong.exchange("not-a-code")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    post = RelyingParty(issuer, {**client_factory(auth_method="client_secret_post"),
                                 "client_secret": "wrong"})
    assert post.introspect("a-token").status_code == 401
    unknown = requests.post(issuer + "/revoke", data={"token": "a-token"},
                            auth=("no-such-client", "secret"), timeout=10)
    assert unknown.status_code == 401

    assert _auth_failures(app) == [
        ("failure", client["client_id"], "token", "client_secret_basic"),
        ("failure", post.client["client_id"], "introspection", "client_secret_post"),
        ("failure", "no-such-client", "revocation", "client_secret_basic"),
    ]
    [revocation] = events(app, event="client_authentication", client_id="no-such-client")
    assert revocation.request_id == unknown.headers["X-Request-Id"]
    assert revocation.ip == "127.0.0.1"


def test_failed_client_assertion_is_recorded_under_its_subject(app, issuer, client_factory):
    registered = ECKey.generate_key("P-256", private=True)
    jwks = json.dumps({"keys": [registered.as_dict(private=False)]})
    client = client_factory(extra=["--auth-method", "private_key_jwt", "--jwks", jwks])
    client_id = client["client_id"]
    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": client_id, "sub": client_id, "aud": issuer + "/token", "jti": "j-1",
              "iat": now, "exp": now + 60}
    forged = jwt.encode({"alg": "ES256"}, claims, ECKey.generate_key("P-256", private=True))
    response = requests.post(issuer + "/token", timeout=10, data={
        "grant_type": "client_credentials", "client_assertion": forged,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert _auth_failures(app) == [("failure", client_id, "token", "private_key_jwt")]


def test_successful_client_authentication_adds_no_failure(app, issuer, browser,
                                                          client_factory):
    rp = RelyingParty(issuer, client_factory())
    assert rp.exchange(sign_in(browser, rp)["code"]).status_code == 200
    assert rp.introspect("a-token").status_code == 200
    assert _auth_failures(app) == []


def test_login_failure_api_for_login_methods(app):
    with app.test_request_context("/login/sms", method="POST",
                                  environ_base={"REMOTE_ADDR": "198.51.100.4"}):
        app.preprocess_request()
        audit.record("login", "failure", subject="1234567890", method="sms",
                     reason="wrong_code")
        db.session.commit()
    [row] = events(app, event="login")
    assert (row.outcome, row.subject, row.ip) == ("failure", "1234567890", "198.51.100.4")
    assert row.detail == {"method": "sms", "reason": "wrong_code"}
    assert row.request_id and len(row.request_id) == 16


@pytest.mark.parametrize("name", ["password", "code", "refresh_token", "client_secret"])
def test_audit_detail_refuses_secrets(app, name):
    with app.app_context():
        with pytest.raises(ValueError, match=f"may not hold a secret: '{name}'"):
            audit.record("login", "failure", subject="x", **{name: "s3cret"})
        db.session.rollback()
    assert events(app) == []


def test_claimed_identifiers_are_clipped_and_printable(app, issuer):
    response = requests.post(issuer + "/token", data={"grant_type": "client_credentials"},
                             auth=("c" * 500, "secret"), timeout=10)
    assert response.status_code == 401
    response = requests.post(issuer + "/token", timeout=10, data={
        "grant_type": "client_credentials", "client_id": "evil\nclient", "client_secret": "x"})
    assert response.status_code == 401
    assert _auth_failures(app) == [("failure", "c" * 64, "token", "client_secret_basic"),
                                   ("failure", "evil?client", "token", "client_secret_post")]


# `idp audit list`

def _seed(app):
    base = datetime(2025, 1, 31, 8, 0, tzinfo=UTC)
    with app.app_context():
        audit.record("login", subject="alice", method="test", now=base)
        audit.record("login", "failure", subject="bob", method="sms", now=base + timedelta(hours=1))
        audit.record("logout", subject="alice", reason="logout", now=base + timedelta(hours=2))
        db.session.commit()


def _audit_list(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "list", *args])


def test_audit_list_filters_and_prints_json(app):
    _seed(app)
    result = _audit_list(app, "--subject", "alice", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert [(e["event"], e["outcome"], e["subject"]) for e in listed] == [
        ("login", "success", "alice"), ("logout", "success", "alice")]
    assert listed[0]["at"] == "2025-01-31T08:00:00+00:00"
    assert listed[0]["detail"] == {"method": "test"}
    assert set(listed[0]) == {"at", "event", "outcome", "subject", "client_id", "ip",
                              "request_id", "detail"}

    result = _audit_list(app, "--event", "login", "--since", "2025-01-31T08:30:00Z", "--json")
    assert [(e["subject"], e["outcome"]) for e in json.loads(result.output)] == [
        ("bob", "failure")]
    # A time without an offset is UTC.
    result = _audit_list(app, "--since", "2025-01-31T10:00:00", "--json")
    assert [e["event"] for e in json.loads(result.output)] == ["logout"]
    result = _audit_list(app, "--limit", "1", "--json")
    assert [e["event"] for e in json.loads(result.output)] == ["logout"]


def test_audit_list_prints_lines(app):
    _seed(app)
    result = _audit_list(app, "--event", "logout")
    assert result.exit_code == 0, result.output
    assert result.output == ("2025-01-31T10:00:00+00:00 logout success subject=alice "
                             'client=- ip=- request=- {"reason": "logout"}\n')


@pytest.mark.parametrize("args, message", [
    (["--since", "yesterday"], "--since 'yesterday' is not an ISO 8601 date or time"),
    (["--limit", "0"], "Invalid value for '--limit'"),
])
def test_audit_list_bad_arguments(app, args, message):
    result = _audit_list(app, *args)
    assert result.exit_code == 2
    assert message in result.output


# Secrets never logged

def test_no_secret_reaches_a_log_or_the_audit_trail(app, issuer, client_factory, caplog):
    caplog.set_level(logging.DEBUG)
    browser = Browser(issuer)
    rp = RelyingParty(issuer, logout_client(client_factory))
    secrets, _ = full_flow(issuer, browser, rp)
    assert len(secrets) == 11 and all(len(s) >= 16 for s in secrets)

    # urllib3 is the relying party's HTTP client in this process, logging its own URLs.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("urllib3")]
    assert any("/logout?id_token_hint=[redacted]" in m for m in logged), logged
    assert any("Issue" in m or "/token" in m for m in logged)
    for secret in secrets:
        leaks = [m for m in logged if secret in m]
        assert not leaks, leaks
    for row in events(app):
        stored = json.dumps([row.subject, row.client_id, row.ip, row.request_id, row.detail])
        for secret in secrets:
            assert secret not in stored, (row.event, row.detail)
