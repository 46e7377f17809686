"""CIBA refusals (OpenID CIBA Core 1.0 §13, §11) with exact error codes, the discovery
metadata that advertises CIBA only while Mobile ID works, and the client registration
rules for the CIBA grant."""

import json

import pytest

from .ciba_support import CIBA_GRANT
from .ciba_support import CibaClient
from .ciba_support import ciba_client
from .ciba_support import pings_fixture  # noqa: F401
from .mobile_id_support import audit_rows
from .mobile_id_support import ciba_requests
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mobile_requests
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mobile_id_support import national_id_of
from .mssp_support import CARD_CERTIFICATE
from .mssp_support import CUSTOMER
from .mssp_support import NO_KEY
from .mssp_support import SECOND
from .mssp_support import SIMS
from .mssp_support import UNKNOWN
from .token_helpers import assert_error


@pytest.fixture(name="rp")
def rp_fixture(app, issuer, client_factory, mobile_id):
    make_citizen(app, CUSTOMER)
    return CibaClient(issuer, ciba_client(client_factory))


# The backchannel authentication request


@pytest.mark.parametrize("params, error", [
    ({"scope": ""}, "invalid_request"),
    ({"scope": "profile"}, "invalid_scope"),
    ({"scope": "openid admin"}, "invalid_scope"),
    ({"login_hint": None}, "invalid_request"),
    ({"login_hint_token": "eyJ0eXAiOiJKV1QifQ.e30."}, "invalid_request"),
    ({"login_hint": None, "login_hint_token": "eyJ0eXAiOiJKV1QifQ.e30."}, "invalid_request"),
    ({"login_hint": None, "id_token_hint": "eyJ0eXAiOiJKV1QifQ.e30."}, "invalid_request"),
    ({"login_hint": "citizen@example.com"}, "invalid_request"),
    ({"login_hint": "+968241234"}, "invalid_request"),
    ({"binding_message": "x" * 81}, "invalid_binding_message"),
    ({"binding_message": "line one\nline two"}, "invalid_binding_message"),
    ({"binding_message": "   "}, "invalid_binding_message"),
    ({"requested_expiry": "soon"}, "invalid_request"),
    ({"requested_expiry": "0"}, "invalid_request"),
    ({"requested_expiry": "-5"}, "invalid_request"),
    ({"acr_values": "urn:other:acr"}, "invalid_request"),
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "invalid_request"),
])
def test_malformed_requests_are_refused_before_the_phone_is_asked(app, rp, mssp, params,
                                                                 error):
    before = mssp.phone(CUSTOMER)["requests"]
    body = {"login_hint": national_id_of(CUSTOMER), **params}
    response = rp.authenticate(**{k: v for k, v in body.items() if v is not None})
    assert_error(response, 400, error)
    assert mssp.phone(CUSTOMER)["requests"] == before
    assert ciba_requests(app) == [] and mobile_requests(app) == []


def test_parameters_in_the_url_or_repeated_are_refused(app, issuer, rp):
    url = issuer + "/bc-authorize?login_hint=" + national_id_of(CUSTOMER)
    assert_error(rp.http.post(url, data={"scope": "openid"}, auth=rp.auth, timeout=10), 400,
                 "invalid_request")
    repeated = [("scope", "openid"), ("login_hint", national_id_of(CUSTOMER)),
                ("login_hint", CUSTOMER)]
    assert_error(rp.http.post(issuer + "/bc-authorize", data=repeated, auth=rp.auth,
                              timeout=10), 400, "invalid_request")


def test_client_authentication_is_required(app, issuer, rp):
    wrong = CibaClient(issuer, {**rp.client, "client_secret": "wrong"})
    response = wrong.authenticate(login_hint=national_id_of(CUSTOMER))
    assert_error(response, 401, "invalid_client")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")
    anonymous = rp.http.post(issuer + "/bc-authorize", timeout=10, data={
        "client_id": rp.client["client_id"], "scope": "openid",
        "login_hint": national_id_of(CUSTOMER)})
    assert_error(anonymous, 401, "invalid_client")
    [first, second] = audit_rows(app, "client_authentication")
    assert first.detail["endpoint"] == "backchannel_authentication"
    assert first.client_id == second.client_id == rp.client["client_id"]


def test_clients_not_registered_for_ciba_are_unauthorized(app, issuer, client_factory, rp):
    code_flow = CibaClient(issuer, client_factory())
    assert_error(code_flow.authenticate(login_hint=national_id_of(CUSTOMER)), 400,
                 "unauthorized_client")


@pytest.mark.parametrize("hint", ["10999999", UNKNOWN, NO_KEY, "locked"])
def test_people_who_cannot_use_mobile_id_are_unknown_user_id(app, rp, hint):
    if hint == "locked":
        make_citizen(app, SECOND, locked=True)
        hint = national_id_of(SECOND)
    assert_error(rp.authenticate(login_hint=hint), 400, "unknown_user_id")
    assert ciba_requests(app) == []
    [failure] = audit_rows(app, "login", "failure")
    assert failure.detail["purpose"] == "ciba"


def test_mssp_down_is_temporarily_unavailable(app, rp, mssp):
    mssp.misbehave(mode="down")
    assert_error(rp.authenticate(login_hint=national_id_of(CUSTOMER)), 503,
                 "temporarily_unavailable")
    assert audit_rows(app, "login", "failure")[0].detail["reason"] == "mssp_unavailable"


def test_a_blocked_pin_is_access_denied(app, rp, mssp):
    mssp.script(CUSTOMER, behaviour="wrong_pin_until_blocked", delay=0.1)
    started = rp.start(login_hint=national_id_of(CUSTOMER))
    assert_error(rp.poll(started), 400, "access_denied")
    assert ciba_requests(app)[0].reason == "pin_blocked"


# What the phone's answer must prove


@pytest.mark.parametrize("case, reason", [
    ("other_number_on_record", "national_id_mismatch"),
    ("forged_other_data", "signature_invalid"),
    ("forged_other_chain", "signature_invalid"),
    ("card_certificate", "wrong_policy"),
    ("revoked", "certificate_revoked"),
])
def test_answers_that_do_not_prove_the_person_are_access_denied(app, issuer, client_factory,
                                                                mobile_id, mssp, case, reason):
    msisdn, national_id = CUSTOMER, national_id_of(CUSTOMER)
    if case == "other_number_on_record":  # the registry's number is another person's SIM
        make_citizen(app, CUSTOMER, phone=SECOND)
        msisdn = SECOND
    elif case == "card_certificate":
        make_citizen(app, CARD_CERTIFICATE)
        msisdn, national_id = CARD_CERTIFICATE, national_id_of(CARD_CERTIFICATE)
    else:
        make_citizen(app, CUSTOMER)
    if case == "revoked":
        mobile_id.revoke(CUSTOMER)
    rp = CibaClient(issuer, ciba_client(client_factory))
    mssp.script(msisdn, behaviour="confirm_after", delay=0.1, pin=SIMS[msisdn].pin)
    started = rp.start(login_hint=national_id)
    if case.startswith("forged"):
        mssp.misbehave(mode="forged", variant=case.removeprefix("forged_"))
    body = assert_error(rp.poll(started), 400, "access_denied")
    assert body["error_description"] == "The person could not be authenticated with Mobile ID."
    assert [(c.state, c.reason) for c in ciba_requests(app)] == [("denied", reason)]
    assert [r.detail["reason"] for r in audit_rows(app, "login", "failure")] == [reason]
    assert audit_rows(app, "token_issued") == []


# Discovery


def test_discovery_advertises_ciba_while_mobile_id_works(app, issuer, mobile_id):
    import requests

    for path in ("/.well-known/openid-configuration",
                 "/.well-known/oauth-authorization-server"):
        metadata = requests.get(issuer + path, timeout=10).json()
        assert metadata["backchannel_authentication_endpoint"] == issuer + "/bc-authorize"
        assert metadata["backchannel_token_delivery_modes_supported"] == ["poll", "ping"]
        assert metadata["backchannel_user_code_parameter_supported"] is False
        assert CIBA_GRANT in metadata["grant_types_supported"]
        assert "urn:bawaba:acr:level-2" in requests.get(
            issuer + "/.well-known/openid-configuration", timeout=10).json()[
            "acr_values_supported"]


def test_without_mobile_id_there_is_no_ciba(app, issuer, client_factory):
    import requests

    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    assert "backchannel_authentication_endpoint" not in metadata
    assert CIBA_GRANT not in metadata["grant_types_supported"]
    rp = CibaClient(issuer, ciba_client(client_factory))
    assert_error(rp.authenticate(login_hint="10293847"), 404, "not_found")


# Registration


def create(app, *args):
    return app.test_cli_runner().invoke(args=["clients", "create", "--name", "Counter",
                                              "--json", *args])


@pytest.mark.parametrize("args, option", [
    (["--ciba-mode", "ping"], "--ciba-notification-endpoint"),
    (["--ciba-mode", "ping", "--ciba-notification-endpoint", "http://counter.example/n"],
     "--ciba-notification-endpoint"),
    (["--ciba-mode", "poll", "--ciba-notification-endpoint", "https://counter.example/n"],
     "--ciba-notification-endpoint"),
    (["--ciba-mode", "poll", "--public"], "--grant-type"),
    (["--grant-type", CIBA_GRANT], "--ciba-mode"),
    (["--ciba-notification-endpoint", "https://counter.example/n", "--redirect-uri",
      "https://counter.example/cb"], "--ciba-mode"),
])
def test_registration_rules_for_ciba_clients(app, args, option):
    result = create(app, *args)
    assert result.exit_code == 2, result.output
    assert f"'{option}'" in result.output


def test_registering_a_ping_client(app):
    result = create(app, "--ciba-mode", "ping", "--ciba-notification-endpoint",
                    "https://counter.example/ciba")
    assert result.exit_code == 0, result.output
    client = json.loads(result.output)
    assert client["grant_types"] == [CIBA_GRANT]
    assert client["backchannel_token_delivery_mode"] == "ping"
    assert client["backchannel_client_notification_endpoint"] == "https://counter.example/ciba"
    assert client["scope"] == "openid profile" and client["redirect_uris"] == []
    assert client["token_endpoint_auth_method"] == "client_secret_basic"
