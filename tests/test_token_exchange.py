"""Service-centre representation over HTTP: an operator (level 2, operator of a
registered centre) asks for consent, the citizen gets a code by SMS naming the centre and
the service, the operator enters it, and the centre's client exchanges the consent token
and the operator's access token (RFC 8693) for a token whose `sub` is the citizen and
whose `act` names the operator and the centre. SMS at each step; every wrong token,
client, audience and code refused with its exact error."""

import re

import pytest
import requests

from connectors.sms.memory import InMemorySmsGateway
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.mandates import NOTIFIER
from idp.models import AssistedWork
from idp.models import AuditEvent
from idp.models.types import utcnow

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in
from .mandate_support import AGENT
from .mandate_support import make_person
from .token_helpers import assert_error
from .token_helpers import decode

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"
GRANTS = ("authorization_code", "refresh_token", TOKEN_EXCHANGE)
CODE = re.compile(r"\b(\d{6})\b")


class Centre:
    def __init__(self, app, issuer, client_factory, code="MCT-01"):
        self.app, self.issuer, self.client_factory = app, issuer, client_factory
        self.client = client_factory(name=f"Centre {code}", grant_types=GRANTS)
        self.rp = RelyingParty(issuer, self.client)
        self.code = code
        run(app, "centres", "add", code, "--name", "Muscat service centre", "--name-ar",
            "مركز خدمات مسقط", "--client-id", self.client["client_id"])

    def operator_token(self, sub="operator-1", acr=LEVEL_2, enrol=True):
        callback = sign_in(Browser(self.issuer), self.rp, sub=sub, acr=acr)
        if enrol:
            run(self.app, "centres", "operators", "add", self.code, sub, expect=None)
        response = self.rp.exchange(callback["code"])
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def api(self, token, path="", body=None, method="POST"):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return requests.request(method, self.issuer + "/assisted-work" + path, json=body,
                                headers=headers, timeout=10)

    def exchange(self, **params):
        return self.rp.token(grant_type=TOKEN_EXCHANGE, **params)


def run(app, *args, expect=0):
    result = app.test_cli_runner().invoke(args=list(args))
    if expect is not None:
        assert result.exit_code == expect, result.output
    return result


@pytest.fixture
def sms(app):
    gateway = InMemorySmsGateway()
    saved = app.extensions.get(NOTIFIER)
    app.extensions[NOTIFIER] = gateway
    yield gateway
    app.extensions[NOTIFIER] = saved


@pytest.fixture
def service(client_factory):
    return client_factory(name="Labour office e-services")


@pytest.fixture
def centre(app, issuer, client_factory, sms):
    make_person(app, AGENT)
    return Centre(app, issuer, client_factory)


@pytest.fixture
def operator(centre):
    return centre.operator_token()


def started(centre, operator, service, sms):
    response = centre.api(operator, body={"national_id": AGENT["national_id"],
                                          "service": service["client_id"]})
    assert response.status_code == 201, response.text
    return response.json()["id"], CODE.search(sms.outbox[-1].text).group(1)


def consented(centre, operator, service, sms):
    work, code = started(centre, operator, service, sms)
    response = centre.api(operator, f"/{work}/consent", {"code": code})
    assert response.status_code == 200, response.text
    return work, response.json()["subject_token"]


def exchange_params(subject, actor, service, **changes):
    params = {"subject_token": subject, "subject_token_type": ACCESS_TOKEN,
              "actor_token": actor, "actor_token_type": ACCESS_TOKEN,
              "requested_token_type": ACCESS_TOKEN, "audience": service["client_id"]}
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def test_discovery_lists_token_exchange(issuer):
    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=5).json()
    assert TOKEN_EXCHANGE in metadata["grant_types_supported"]
    assert "act" in metadata["claims_supported"]


def test_assisted_work_from_consent_to_completion(app, centre, operator, service, sms):
    response = centre.api(operator, body={"national_id": AGENT["national_id"],
                                          "service": service["client_id"]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["state"], body["expires_in"]) == ("awaiting_consent", 300)
    [message] = sms.outbox
    assert message.to == AGENT["phone"]
    assert "Muscat service centre asks to act for you in Labour office e-services" in \
        message.text
    assert "مركز خدمات مسقط" in message.text
    code = CODE.search(message.text).group(1)

    consent = centre.api(operator, f"/{body['id']}/consent", {"code": code})
    assert consent.status_code == 200, consent.text
    consent = consent.json()
    assert consent["subject_token_type"] == ACCESS_TOKEN
    subject = decode(consent["subject_token"], centre.issuer).claims
    may_act = {"sub": "operator-1", "client_id": centre.client["client_id"], "centre": "MCT-01"}
    assert (subject["sub"], subject["may_act"], consent["may_act"]) == (AGENT["sub"], may_act,
                                                                        may_act)
    assert subject["aud"] == centre.issuer + "/token" and subject["scope"] == "assisted_work"
    assert "you allowed Muscat service centre to act for you" in sms.outbox[-1].text

    issued = centre.exchange(**exchange_params(consent["subject_token"], operator, service))
    assert issued.status_code == 200, issued.text
    tokens = issued.json()
    assert tokens["issued_token_type"] == ACCESS_TOKEN and tokens["token_type"] == "Bearer"
    assert "refresh_token" not in tokens and "id_token" not in tokens
    claims = decode(tokens["access_token"], centre.issuer).claims
    act = {"sub": "operator-1", "client_id": centre.client["client_id"], "acr": LEVEL_2,
           "centre": {"id": "MCT-01", "name": "Muscat service centre",
                      "name#ar": "مركز خدمات مسقط"}}
    assert (claims["sub"], claims["act"], claims["aud"]) == (AGENT["sub"], act,
                                                             service["client_id"])
    assert claims["client_id"] == centre.client["client_id"] and "acr" not in claims
    introspected = centre.rp.introspect(tokens["access_token"]).json()
    assert (introspected["active"], introspected["act"], introspected["aud"]) == (
        True, act, service["client_id"])
    assert centre.rp.introspect(consent["subject_token"]).json() == {"active": False}
    assert "Muscat service centre submitted your request in Labour office" in \
        sms.outbox[-1].text

    done = centre.api(operator, f"/{body['id']}/complete")
    assert done.status_code == 200 and done.json()["state"] == "completed"
    assert "completed the work" in sms.outbox[-1].text
    assert centre.rp.introspect(tokens["access_token"]).json() == {"active": False}
    assert len(sms.outbox) == 4
    with app.app_context():
        steps = [e.detail.get("step") or e.detail.get("grant_type") for e in db.session.scalars(
            db.select(AuditEvent).where(AuditEvent.event.in_(["assisted_work", "token_issued"]))
            .order_by(AuditEvent.id)) if e.subject == AGENT["sub"]]
    assert steps == ["start", "consent", "token_exchange", "complete"]


def test_the_consent_is_used_once(centre, operator, service, sms):
    _, subject_token = consented(centre, operator, service, sms)
    params = exchange_params(subject_token, operator, service)
    assert centre.exchange(**params).status_code == 200
    body = assert_error(centre.exchange(**params), 400, "invalid_grant")
    assert body["error_description"] == "The citizen's consent was already used or has expired."


@pytest.mark.parametrize("changes, error, description", [
    ({"subject_token": None}, "invalid_request", "Missing 'subject_token' parameter."),
    ({"subject_token_type": None}, "invalid_request", "Missing 'subject_token_type' parameter."),
    ({"actor_token": None}, "invalid_request", "Missing 'actor_token' parameter."),
    ({"actor_token_type": None}, "invalid_request", "Missing 'actor_token_type' parameter."),
    ({"subject_token_type": "urn:ietf:params:oauth:token-type:id_token"}, "invalid_request",
     "Unsupported 'subject_token_type': only access tokens are accepted."),
    ({"actor_token_type": "urn:ietf:params:oauth:token-type:jwt"}, "invalid_request",
     "Unsupported 'actor_token_type': only access tokens are accepted."),
    ({"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
     "invalid_request", "Unsupported 'requested_token_type': only access tokens are issued."),
    ({"audience": None}, "invalid_request", "Missing 'audience' parameter: the service to act in."),
    ({"resource": "https://labour.example/api"}, "invalid_target",
     "Name the service in 'audience'; 'resource' is not supported."),
    ({"subject_token": "not-a-token"}, "invalid_request",
     "The subject_token is invalid, expired or revoked."),
    ({"actor_token": "not-a-token"}, "invalid_request",
     "The actor_token is invalid, expired or revoked."),
    ({"audience": "demo-hr"}, "invalid_target", "The citizen consented to another service."),
])
def test_bad_exchange_requests(centre, operator, service, sms, changes, error, description):
    _, subject_token = consented(centre, operator, service, sms)
    body = assert_error(centre.exchange(**exchange_params(subject_token, operator, service,
                                                           **changes)), 400, error)
    assert body["error_description"] == description
    # Nothing was used up: the right request still works.
    assert centre.exchange(**exchange_params(subject_token, operator, service)).status_code == 200


def test_wrong_subject_and_actor_tokens_are_invalid_grant(app, centre, operator, service, sms):
    _, subject_token = consented(centre, operator, service, sms)
    other_operator = centre.operator_token("operator-2")
    level_1 = centre.operator_token("operator-1", acr=LEVEL_1, enrol=False)
    cases = [
        (exchange_params(operator, operator, service),
         "The subject_token is not a citizen's consent to assisted work."),
        (exchange_params(subject_token, other_operator, service),
         "The citizen did not allow this actor (may_act)."),
        (exchange_params(subject_token, level_1, service),
         "The operator's login does not hold level 2."),
    ]
    for params, description in cases:
        body = assert_error(centre.exchange(**params), 400, "invalid_grant")
        assert body["error_description"] == description
    run(app, "centres", "operators", "remove", "MCT-01", "operator-1")
    body = assert_error(centre.exchange(**exchange_params(subject_token, operator, service)),
                        400, "invalid_grant")
    assert body["error_description"] == "The actor is not an operator of this centre."


def test_tokens_of_another_centre_are_invalid_grant(app, issuer, client_factory, centre,
                                                    operator, service, sms):
    _, subject_token = consented(centre, operator, service, sms)
    other = Centre(app, issuer, client_factory, code="SLL-02")
    other_operator = other.operator_token("operator-3")
    body = assert_error(other.exchange(**exchange_params(subject_token, other_operator,
                                                         service)), 400, "invalid_grant")
    assert body["error_description"] == "The subject_token was issued to another client."


@pytest.mark.parametrize("grants, description", [
    (("authorization_code", "refresh_token"),
     "The client is not registered for token exchange."),
    (GRANTS, "Only a registered service centre may exchange tokens."),
])
def test_clients_that_may_not_exchange(issuer, client_factory, centre, operator, service, sms,
                                       grants, description):
    _, subject_token = consented(centre, operator, service, sms)
    stranger = RelyingParty(issuer, client_factory(name="Not a centre", grant_types=grants))
    body = assert_error(stranger.token(grant_type=TOKEN_EXCHANGE, **exchange_params(
        subject_token, operator, service)), 400, "unauthorized_client")
    assert body["error_description"] == description


def test_consent_codes(app, centre, operator, service, sms):
    first, first_code = started(centre, operator, service, sms)
    second, second_code = started(centre, operator, service, sms)
    wrong = centre.api(operator, f"/{second}/consent", {"code": first_code})
    body = assert_error(wrong, 400, "invalid_grant")
    assert body["error_description"] == "The code is not correct. Tries left: 4."
    for left in (3, 2, 1, 0):
        response = centre.api(operator, f"/{second}/consent", {"code": "000000"})
        description = response.json()["error_description"]
        assert description == f"The code is not correct. Tries left: {left}."
    refused = centre.api(operator, f"/{second}/consent", {"code": second_code})
    assert refused.json()["error_description"] == "This request no longer waits for consent."
    with app.app_context():
        work = db.session.execute(db.select(AssistedWork).filter_by(ref=first)).scalar_one()
        work.expires_at = utcnow()
        db.session.commit()
    expired = centre.api(operator, f"/{first}/consent", {"code": first_code})
    assert expired.json()["error_description"] == "The code has expired: start again."
    assert_error(centre.api(operator, f"/{first}/consent", {}), 400, "invalid_grant")


def test_the_api_is_for_operators_at_level_2(app, issuer, client_factory, centre, service,
                                             sms):
    body = {"national_id": AGENT["national_id"], "service": service["client_id"]}
    no_token = centre.api(None, body=body)
    assert_error(no_token, 401, "invalid_token")
    assert no_token.headers["WWW-Authenticate"] == 'Bearer realm="assisted-work"'
    assert_error(centre.api("garbage", body=body), 401, "invalid_token")
    level_1 = centre.api(centre.operator_token(acr=LEVEL_1), body=body)
    assert_error(level_1, 401, "insufficient_user_authentication")
    assert 'acr_values="urn:bawaba:acr:level-2"' in level_1.headers["WWW-Authenticate"]
    stranger = centre.operator_token("citizen-9", enrol=False)
    assert_error(centre.api(stranger, body=body), 403, "access_denied")
    other_rp = RelyingParty(issuer, client_factory())
    callback = sign_in(Browser(issuer), other_rp, sub="operator-1", acr=LEVEL_2)
    foreign = other_rp.exchange(callback["code"]).json()["access_token"]
    assert_error(centre.api(foreign, body=body), 403, "unauthorized_client")
    assert sms.outbox == []


def test_bad_starts_and_other_operators_work(centre, operator, service, sms):
    unknown = centre.api(operator, body={"national_id": "99887766",
                                         "service": service["client_id"]})
    assert assert_error(unknown, 400, "invalid_request")["error_description"] == \
        "The citizen cannot be reached for consent."
    assert_error(centre.api(operator, body={"national_id": AGENT["national_id"],
                                            "service": "no-such-service"}), 400,
                 "invalid_target")
    assert_error(centre.api(operator, body={"national_id": AGENT["national_id"],
                                            "service": centre.client["client_id"]}), 400,
                 "invalid_target")
    assert_error(requests.post(centre.issuer + "/assisted-work", data="x",
                               headers={"Authorization": f"Bearer {operator}"}, timeout=10),
                 400, "invalid_request")
    work, _ = started(centre, operator, service, sms)
    other = centre.operator_token("operator-2")
    assert_error(centre.api(other, f"/{work}/consent", {"code": "123456"}), 404, "not_found")
    assert centre.api(operator, f"/{work}", method="GET").json()["state"] == "awaiting_consent"
    assert_error(centre.api(operator, f"/{work}/complete"), 409, "invalid_request")
