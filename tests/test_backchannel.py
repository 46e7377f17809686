"""Back-channel logout (OpenID Connect Back-Channel Logout 1.0): a logout token POSTed to
every relying party of the ended session, retried until acknowledged or abandoned."""

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp import housekeeping
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import AuditEvent
from idp.models import BackchannelDelivery
from idp.models.types import utcnow

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in

EVENT = "http://schemas.openid.net/event/backchannel-logout"
WAIT = 20  # seconds: an upper bound for the background sender, never asserted


class Receiver:
    """A relying party's back-channel logout endpoint on a real port. `statuses` are
    answered in order, then 200."""

    def __init__(self):
        self.received = []
        self.statuses = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.condition:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append({
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "form": parse_qs(body.decode()),
                        "status": status,
                    })
                    receiver.condition.notify_all()
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count):
        with self.condition:
            arrived = self.condition.wait_for(lambda: len(self.received) >= count, WAIT)
        assert arrived, f"expected {count} logout request(s), got {len(self.received)}"
        return self.received[:count]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def wait_for_attempts(app, count):
    """Poll the delivery records until `count` attempts are recorded in total."""
    deadline = time.monotonic() + WAIT
    while True:
        with app.app_context():
            rows = db.session.execute(db.select(BackchannelDelivery)).scalars().all()
            if sum(r.attempts for r in rows) >= count:
                return rows
            db.session.remove()
        assert time.monotonic() < deadline, "delivery attempts were not recorded"
        time.sleep(0.05)


def deliveries(app):
    with app.app_context():
        return db.session.execute(
            db.select(BackchannelDelivery).order_by(BackchannelDelivery.id)
        ).scalars().all()


def bc_client(client_factory, receiver, path="/bc", **options):
    extra = ["--backchannel-logout-uri", receiver.url + path, *options.pop("extra", [])]
    return client_factory(extra=extra, **options)


def signed_in(issuer, browser, client):
    rp = RelyingParty(issuer, client)
    tokens = rp.exchange(sign_in(browser, rp)["code"]).json()
    return rp, tokens


def log_out(browser, id_token):
    response = browser.get("/logout", params={"id_token_hint": id_token})
    assert response.status_code == 303
    return response


def validate_logout_token(token, issuer, client_id, id_claims):
    """What a relying party checks (Back-Channel Logout 1.0 §2.6)."""
    jwks = KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=5).json())
    decoded = jwt.decode(token, jwks, algorithms=["ES256", "RS256"])
    assert decoded.header["typ"] == "logout+jwt"
    assert decoded.header["kid"] in {k.kid for k in jwks}
    claims = decoded.claims
    now = time.time()
    assert claims["iss"] == issuer
    assert claims["aud"] == client_id
    assert isinstance(claims["iat"], int) and claims["iat"] <= now + 5
    assert isinstance(claims["exp"], int) and now < claims["exp"] <= claims["iat"] + 600
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16
    assert claims["sid"] == id_claims["sid"]
    assert claims["sub"] == id_claims["sub"]
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    return decoded


def id_claims(issuer, id_token):
    jwks = KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=5).json())
    return jwt.decode(id_token, jwks, algorithms=["ES256", "RS256"]).claims


def test_logout_token_is_posted_and_valid(app, issuer, browser, client_factory, receiver):
    client = bc_client(client_factory, receiver)
    _, tokens = signed_in(issuer, browser, client)
    log_out(browser, tokens["id_token"])

    (request,) = receiver.wait_for(1)
    assert request["path"] == "/bc"
    assert request["content_type"] == "application/x-www-form-urlencoded"
    assert list(request["form"]) == ["logout_token"]
    validate_logout_token(request["form"]["logout_token"][0], issuer, client["client_id"],
                          id_claims(issuer, tokens["id_token"]))
    (row,) = wait_for_attempts(app, 1)
    assert row.delivered_at is not None and row.attempts == 1
    with app.app_context():
        events = db.session.execute(
            db.select(AuditEvent).filter_by(event="backchannel_logout")).scalars().all()
        assert [(e.outcome, e.client_id) for e in events] == [("success", client["client_id"])]


def test_failed_delivery_is_retried_by_the_cli(app, issuer, browser, client_factory,
                                              receiver):
    receiver.statuses = [500]
    client = bc_client(client_factory, receiver)
    _, tokens = signed_in(issuer, browser, client)
    log_out(browser, tokens["id_token"])

    receiver.wait_for(1)
    (row,) = wait_for_attempts(app, 1)
    assert row.delivered_at is None and row.abandoned_at is None
    assert row.last_error == "HTTP 500"
    assert row.next_attempt_at > utcnow()  # backs off

    runner = app.test_cli_runner()
    result = runner.invoke(args=["logout", "deliver"])
    assert result.exit_code == 0, result.output
    assert "delivered 0, failed 0" in result.output  # not due yet
    assert len(receiver.received) == 1

    with app.app_context():  # time passes
        db.session.get(BackchannelDelivery, row.id).next_attempt_at = utcnow()
        db.session.commit()
    result = runner.invoke(args=["logout", "deliver"])
    assert "delivered 1, failed 0" in result.output, result.output
    first, second = receiver.wait_for(2)
    assert second["status"] == 200
    validate_logout_token(second["form"]["logout_token"][0], issuer, client["client_id"],
                          id_claims(issuer, tokens["id_token"]))
    (row,) = deliveries(app)
    assert row.delivered_at is not None and row.attempts == 2
    assert "delivered 0, failed 0" in runner.invoke(args=["logout", "deliver"]).output
    assert len(receiver.received) == 2


def test_housekeeping_retries_with_a_later_now(app, issuer, browser, client_factory,
                                               receiver):
    receiver.statuses = [503]
    client = bc_client(client_factory, receiver)
    _, tokens = signed_in(issuer, browser, client)
    log_out(browser, tokens["id_token"])
    receiver.wait_for(1)
    wait_for_attempts(app, 1)
    with app.app_context():
        housekeeping.run_once(now=utcnow())  # not due yet
    assert len(receiver.received) == 1
    with app.app_context():
        housekeeping.run_once(now=utcnow() + timedelta(seconds=10))
    receiver.wait_for(2)
    (row,) = deliveries(app)
    assert row.delivered_at is not None


def test_expired_logout_token_is_signed_afresh_for_a_late_retry(app, issuer, browser,
                                                                client_factory, receiver):
    receiver.statuses = [500]
    client = bc_client(client_factory, receiver)
    _, tokens = signed_in(issuer, browser, client)
    log_out(browser, tokens["id_token"])
    first, = receiver.wait_for(1)
    (row,) = wait_for_attempts(app, 1)
    # The relying party was down for longer than a logout token lives.
    later = utcnow() + timedelta(minutes=30)
    with app.app_context():
        housekeeping.run_once(now=later)
    _, second = receiver.wait_for(2)
    old_claims = jwt.decode(first["form"]["logout_token"][0],
                            KeySet.import_key_set(requests.get(issuer + "/jwks").json()),
                            algorithms=["ES256"]).claims
    new_claims = jwt.decode(second["form"]["logout_token"][0],
                            KeySet.import_key_set(requests.get(issuer + "/jwks").json()),
                            algorithms=["ES256"]).claims
    assert new_claims["exp"] > later.timestamp()
    assert new_claims["jti"] != old_claims["jti"]
    for claim in ("iss", "aud", "sub", "sid", "events"):
        assert new_claims[claim] == old_claims[claim]


def test_delivery_is_abandoned_and_audited_after_max_attempts(app, issuer, browser,
                                                              client_factory, receiver,
                                                              monkeypatch):
    monkeypatch.setitem(app.config, "IDP_BACKCHANNEL_MAX_ATTEMPTS", 3)
    receiver.statuses = [500] * 10
    client = bc_client(client_factory, receiver)
    _, tokens = signed_in(issuer, browser, client)
    log_out(browser, tokens["id_token"])
    receiver.wait_for(1)
    wait_for_attempts(app, 1)
    now = utcnow()
    for hours in (1, 2):
        with app.app_context():
            housekeeping.run_once(now=now + timedelta(hours=hours))
    receiver.wait_for(3)
    (row,) = deliveries(app)
    assert row.attempts == 3
    assert row.abandoned_at is not None and row.delivered_at is None
    with app.app_context():
        housekeeping.run_once(now=now + timedelta(days=1))
        failures = db.session.execute(
            db.select(AuditEvent).filter_by(event="backchannel_logout", outcome="failure")
        ).scalars().all()
    assert len(receiver.received) == 3
    assert len(failures) == 1
    assert failures[0].client_id == client["client_id"]
    assert failures[0].detail["attempts"] == 3


def test_unreachable_receiver_counts_as_a_failed_attempt(app, issuer, browser,
                                                         client_factory, receiver):
    client = bc_client(client_factory, receiver)
    receiver.close()  # nobody listens on that port any more
    _, tokens = signed_in(issuer, browser, client)
    log_out(browser, tokens["id_token"])
    (row,) = wait_for_attempts(app, 1)
    assert row.delivered_at is None
    assert row.last_error == "ConnectionError"


def test_every_client_of_the_session_is_told(app, issuer, browser, client_factory,
                                             receiver):
    first = bc_client(client_factory, receiver, "/one")
    second = bc_client(client_factory, receiver, "/two", extra=["--id-token-alg", "RS256"])
    silent = client_factory()  # no back-channel URI: nothing to send
    _, tokens = signed_in(issuer, browser, first)
    signed_in(issuer, browser, second)
    signed_in(issuer, browser, silent)
    claims = id_claims(issuer, tokens["id_token"])

    log_out(browser, tokens["id_token"])
    received = {r["path"]: r for r in receiver.wait_for(2)}
    assert set(received) == {"/one", "/two"}
    one = validate_logout_token(received["/one"]["form"]["logout_token"][0], issuer,
                                first["client_id"], claims)
    two = validate_logout_token(received["/two"]["form"]["logout_token"][0], issuer,
                                second["client_id"], claims)
    assert one.header["alg"] == "ES256" and two.header["alg"] == "RS256"
    assert one.claims["jti"] != two.claims["jti"]
    rows = wait_for_attempts(app, 2)
    assert len(rows) == 2 and all(r.delivered_at is not None for r in rows)


def test_other_sessions_are_not_logged_out(app, issuer, browser, client_factory, receiver):
    client = bc_client(client_factory, receiver)
    _, mine = signed_in(issuer, browser, client)
    rp, theirs = signed_in(issuer, Browser(issuer), client)
    log_out(browser, mine["id_token"])
    (request,) = receiver.wait_for(1)
    validate_logout_token(request["form"]["logout_token"][0], issuer, client["client_id"],
                          id_claims(issuer, mine["id_token"]))
    wait_for_attempts(app, 1)
    assert len(deliveries(app)) == 1
    assert rp.refresh(theirs["refresh_token"]).status_code == 200


def test_a_new_person_on_the_browser_logs_the_previous_one_out(app, issuer, browser,
                                                               client_factory, receiver):
    client = bc_client(client_factory, receiver)
    rp, tokens = signed_in(issuer, browser, client)
    # The same person logging in again (step-up) tells nobody.
    sign_in(browser, rp, acr=LEVEL_2, acr_values=LEVEL_2)
    with app.app_context():
        housekeeping.run_once()
    assert deliveries(app) == [] and receiver.received == []

    page = browser.login(browser.authorize(rp.params(prompt="login")), sub="citizen-2")
    assert "/consent" in page.url
    with app.app_context():
        housekeeping.run_once()
    (request,) = receiver.wait_for(1)
    validate_logout_token(request["form"]["logout_token"][0], issuer, client["client_id"],
                          id_claims(issuer, tokens["id_token"]))
