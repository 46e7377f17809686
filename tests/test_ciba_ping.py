"""CIBA in ping mode (OpenID CIBA Core 1.0 §10.2): when the citizen has confirmed on the
Mobile ID phone (or the request ended otherwise) the provider POSTs the auth_req_id to
the client's registered notification endpoint, a real HTTP server here, bearing the
client_notification_token; the client then fetches a level-2 ID token."""

import secrets

from idp.authn.assurance import LEVEL_2

from .ciba_support import CibaClient
from .ciba_support import ciba_client
from .ciba_support import pings_fixture  # noqa: F401
from .mobile_id_support import AMR
from .mobile_id_support import audit_rows
from .mobile_id_support import ciba_requests
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mobile_id_support import national_id_of
from .mssp_support import CUSTOMER
from .mssp_support import SIMS
from .mssp_support import wait_until
from .token_helpers import assert_error
from .token_helpers import decode


def test_ping_then_token_with_a_level_2_id_token(app, issuer, client_factory, mobile_id,
                                                 mssp, pings):
    sub = make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory, "ping", pings.url))
    assert rp.client["backchannel_token_delivery_mode"] == "ping"
    assert rp.client["backchannel_client_notification_endpoint"] == pings.url
    token = secrets.token_urlsafe(32)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.3, pin=SIMS[CUSTOMER].pin)
    started = rp.start(login_hint=national_id_of(CUSTOMER), client_notification_token=token,
                       binding_message="Service centre desk 2")
    [ping] = pings.wait()
    assert ping["path"] == "/ciba/notify"
    assert ping["authorization"] == f"Bearer {token}"
    assert ping["content_type"] == "application/json"
    assert ping["body"] == {"auth_req_id": started["auth_req_id"]}
    response = rp.token(started["auth_req_id"])
    assert response.status_code == 200, response.text
    claims = decode(response.json()["id_token"], issuer).claims
    assert claims["sub"] == sub and claims["acr"] == LEVEL_2 and claims["amr"] == AMR
    # The ping's record is written once the client acknowledged it.
    [notified] = wait_until(lambda: audit_rows(app, "ciba_notification"))
    [ciba] = ciba_requests(app)
    assert ciba.state == "issued" and ciba.notified_at is not None
    assert notified.outcome == "success" and notified.detail["state"] == "authorized"
    assert pings.received == [ping]  # told once


def test_ping_when_the_citizen_declines_then_access_denied(app, issuer, client_factory,
                                                           mobile_id, mssp, pings):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory, "ping", pings.url))
    mssp.script(CUSTOMER, behaviour="cancel", delay=0.2)
    started = rp.start(login_hint=CUSTOMER, client_notification_token="ping-token-1")
    [ping] = pings.wait()
    assert ping["body"] == {"auth_req_id": started["auth_req_id"]}
    assert_error(rp.token(started["auth_req_id"]), 400, "access_denied")
    [notified] = wait_until(lambda: audit_rows(app, "ciba_notification"))
    assert notified.detail["state"] == "denied"


def test_ping_when_the_request_expires_then_expired_token(app, issuer, client_factory,
                                                          mobile_id, mssp, pings):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory, "ping", pings.url))
    started = rp.start(login_hint=CUSTOMER, client_notification_token="ping-token-2",
                       requested_expiry="1")
    [ping] = pings.wait()
    assert ping["body"] == {"auth_req_id": started["auth_req_id"]}
    assert_error(rp.token(started["auth_req_id"]), 400, "expired_token")


def test_a_notification_endpoint_that_fails_is_audited(app, issuer, client_factory,
                                                       mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    app.config["IDP_CIBA_NOTIFY_ATTEMPTS"] = 1
    try:
        rp = CibaClient(issuer, ciba_client(client_factory, "ping",
                                            "http://127.0.0.1:9/ciba/notify"))
        mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.1, pin=SIMS[CUSTOMER].pin)
        started = rp.start(login_hint=CUSTOMER, client_notification_token="ping-token-3")
        [failure] = wait_until(lambda: audit_rows(app, "ciba_notification"))
    finally:
        app.config["IDP_CIBA_NOTIFY_ATTEMPTS"] = 3
    assert failure.outcome == "failure" and failure.detail["state"] == "authorized"
    # The client can still fetch its tokens by asking.
    assert rp.token(started["auth_req_id"]).status_code == 200


def test_ping_clients_must_send_a_notification_token(app, issuer, client_factory, mobile_id,
                                                     pings):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory, "ping", pings.url))
    for token in (None, "", "has spaces", "x" * 1025):
        params = {"login_hint": CUSTOMER}
        if token is not None:
            params["client_notification_token"] = token
        assert_error(rp.authenticate(**params), 400, "invalid_request")
    assert ciba_requests(app) == []
