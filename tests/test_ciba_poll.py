"""CIBA in poll mode (OpenID CIBA Core 1.0) with the Mobile ID phone as the authentication
device, against the MSSP simulator as a real server: the service counter's client asks
for the citizen by national ID or mobile number, the phone shows the binding message,
the citizen confirms with the SIM PIN, and the client's polling ends with a level-2 ID
token; polling too fast, expiry, refusal and other clients' requests get their errors."""

import time

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models.cards import AuthnEvidence

from .ciba_support import CIBA_GRANT
from .ciba_support import CibaClient
from .ciba_support import ciba_client
from .mobile_id_support import AMR
from .mobile_id_support import audit_rows
from .mobile_id_support import ciba_requests
from .mobile_id_support import claims_of
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mobile_requests
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mobile_id_support import national_id_of
from .mobile_id_support import session_count
from .mssp_support import CUSTOMER
from .mssp_support import SIMS
from .token_helpers import assert_error
from .token_helpers import decode


def confirm_on_phone(mssp, msisdn=CUSTOMER, delay=0.3):
    mssp.script(msisdn, behaviour="confirm_after", delay=delay, pin=SIMS[msisdn].pin)


def test_poll_by_national_id_ends_with_a_level_2_id_token(app, issuer, client_factory,
                                                          mobile_id, mssp):
    sub = make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    assert rp.client["grant_types"] == [CIBA_GRANT]
    assert rp.client["backchannel_token_delivery_mode"] == "poll"
    confirm_on_phone(mssp)
    started = rp.start(scope="openid profile", login_hint=national_id_of(CUSTOMER),
                       binding_message="Counter 4, ticket 17", acr_values=LEVEL_2)
    assert set(started) == {"auth_req_id", "expires_in", "interval"}
    assert started["expires_in"] == 120 and started["interval"] == 1
    assert len(started["auth_req_id"]) >= 43
    # The phone shows the binding message and the verification code.
    [row] = mobile_requests(app)
    transaction = mssp.transaction(CUSTOMER, row.mssp_trans_id)
    assert transaction["display_text"] == (
        f"Bawaba: Counter 4, ticket 17 (code {row.verification_code})")
    assert row.purpose == "ciba" and row.national_id == national_id_of(CUSTOMER)
    # Asking at once: still pending.
    assert_error(rp.token(started["auth_req_id"]), 400, "authorization_pending")
    response = rp.poll(started)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer" and "refresh_token" not in tokens
    assert tokens["scope"] == "openid profile"
    claims = decode(tokens["id_token"], issuer).claims
    assert claims["sub"] == sub and claims["aud"] == rp.client["client_id"]
    assert claims["acr"] == LEVEL_2 and claims["amr"] == AMR
    assert "sid" not in claims and "nonce" not in claims
    # The access token works for the person's claims.
    userinfo = rp.http.get(issuer + "/userinfo", timeout=10,
                           headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == sub
    assert userinfo.json()["given_name"] == SIMS[CUSTOMER].given_name
    # The auth_req_id is used once.
    assert_error(rp.token(started["auth_req_id"]), 400, "invalid_grant")
    # Evidence, audit; no browser session.
    [ciba] = ciba_requests(app)
    assert ciba.state == "issued" and ciba.evidence_ref
    with app.app_context():
        evidence = db.session.scalars(db.select(AuthnEvidence)).one()
    assert evidence.ref == ciba.evidence_ref and evidence.revocation_status == "good"
    assert mobile_requests(app)[0].evidence_ref == evidence.ref
    assert [r.detail["grant_type"] for r in audit_rows(app, "token_issued")] == ["ciba"]
    assert audit_rows(app, "ciba_requested")[0].detail["hint"] == "national_id"
    assert audit_rows(app, "ciba_authenticated")[0].subject == sub
    assert session_count(app) == 0


def test_poll_by_mobile_number(app, issuer, client_factory, mobile_id, mssp):
    sub = make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    confirm_on_phone(mssp)
    started = rp.start(login_hint=CUSTOMER)
    transaction = mssp.transaction(CUSTOMER, mobile_requests(app)[0].mssp_trans_id)
    assert transaction["display_text"].startswith("Bawaba: log in to Service counter? (code ")
    response = rp.poll(started)
    assert response.status_code == 200, response.text
    assert claims_of(response.json()["id_token"])["sub"] == sub
    assert audit_rows(app, "ciba_requested")[0].detail["hint"] == "msisdn"


def test_polling_faster_than_the_interval_is_slow_down(app, issuer, client_factory,
                                                       mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    started = rp.start(login_hint=national_id_of(CUSTOMER))
    assert_error(rp.token(started["auth_req_id"]), 400, "authorization_pending")
    body = assert_error(rp.token(started["auth_req_id"]), 400, "slow_down")
    assert "6 seconds" in body["error_description"]
    [ciba] = ciba_requests(app)
    assert ciba.interval == 6 and ciba.state == "pending"


def test_an_unanswered_request_expires(app, issuer, client_factory, mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    started = rp.start(login_hint=national_id_of(CUSTOMER), requested_expiry="1")
    assert started["expires_in"] == 1
    time.sleep(1.5)
    assert_error(rp.token(started["auth_req_id"]), 400, "expired_token")
    assert [c.state for c in ciba_requests(app)] == ["expired"]
    assert [(r.state, r.reason) for r in mobile_requests(app)] == [("failed", "expired")]
    # Nothing is left pending, and the phone's late confirmation changes nothing.
    pending = mssp.transaction(CUSTOMER, mobile_requests(app)[0].mssp_trans_id)
    assert pending["state"] == "pending"
    rp.http.post(f"{mssp.url}/handset/{CUSTOMER}/{pending['id']}/confirm",
                 data={"pin": SIMS[CUSTOMER].pin}, timeout=10)
    assert_error(rp.token(started["auth_req_id"]), 400, "expired_token")


def test_requested_expiry_is_capped_by_the_mssp_timeout(app, issuer, client_factory,
                                                        mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    assert rp.start(login_hint=national_id_of(CUSTOMER), requested_expiry="600")[
        "expires_in"] == 120


def test_a_declined_request_is_access_denied(app, issuer, client_factory, mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    mssp.script(CUSTOMER, behaviour="cancel", delay=0.2)
    started = rp.start(login_hint=national_id_of(CUSTOMER))
    body = assert_error(rp.poll(started), 400, "access_denied")
    assert body["error_description"] == "The person declined the request on the phone."
    assert [(c.state, c.reason) for c in ciba_requests(app)] == [("denied", "user_cancelled")]
    assert [r.detail["reason"] for r in audit_rows(app, "login", "failure")] == [
        "user_cancelled"]


def test_auth_req_id_of_another_client_or_unknown_is_invalid_grant(app, issuer,
                                                                   client_factory, mobile_id,
                                                                   mssp):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    other = CibaClient(issuer, ciba_client(client_factory))
    confirm_on_phone(mssp)
    started = rp.start(login_hint=national_id_of(CUSTOMER))
    assert_error(other.token(started["auth_req_id"]), 400, "invalid_grant")
    assert_error(rp.token("not-an-auth-req-id"), 400, "invalid_grant")
    assert_error(rp.token(""), 400, "invalid_request")
    # The request is still there for its own client.
    assert rp.poll(started).status_code == 200


def test_token_endpoint_refuses_the_ciba_grant_to_other_clients(app, issuer, client_factory,
                                                                mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    started = rp.start(login_hint=national_id_of(CUSTOMER))
    code_flow = CibaClient(issuer, client_factory())
    assert_error(code_flow.token(started["auth_req_id"]), 400, "unauthorized_client")
    wrong_secret = CibaClient(issuer, {**rp.client, "client_secret": "wrong"})
    assert_error(wrong_secret.token(started["auth_req_id"]), 401, "invalid_client")


def test_private_key_jwt_clients_name_the_backchannel_endpoint_as_audience(
        app, issuer, client_factory, mobile_id, mssp):
    import requests

    from .token_helpers import ASSERTION_TYPE
    from .token_helpers import client_assertion
    from .token_helpers import new_client_key

    sub = make_citizen(app, CUSTOMER)
    key, jwks = new_client_key()
    client = client_factory(name="Counter", redirect_uris=(), grant_types=(),
                            auth_method="private_key_jwt",
                            extra=["--ciba-mode", "poll", "--jwks", jwks])
    client_id = client["client_id"]

    def signed(audience, **data):
        return {"client_assertion_type": ASSERTION_TYPE,
                "client_assertion": client_assertion(client_id, key, audience), **data}

    confirm_on_phone(mssp)
    started = requests.post(issuer + "/bc-authorize", timeout=10, data=signed(
        issuer + "/bc-authorize", scope="openid", login_hint=national_id_of(CUSTOMER)))
    assert started.status_code == 200, started.text
    refused = requests.post(issuer + "/bc-authorize", timeout=10, data=signed(
        "https://other.example", scope="openid", login_hint=national_id_of(CUSTOMER)))
    assert_error(refused, 401, "invalid_client")
    auth_req_id = started.json()["auth_req_id"]

    def token():
        response = requests.post(issuer + "/token", timeout=10, data=signed(
            issuer + "/token", grant_type=CIBA_GRANT, auth_req_id=auth_req_id))
        return response if response.status_code == 200 else None

    from .mssp_support import wait_until

    response = wait_until(token)
    assert claims_of(response.json()["id_token"])["sub"] == sub
