"""Acting for an establishment at login, over HTTP: a relying party asks with the
`establishment` scope or an RFC 9396 `bawaba_mandate` entry; an agent holding mandates
chooses "myself" or one establishment; the tokens keep the agent in `sub` and state the
establishment with exactly the granted permissions (`represents`, `authorization_details`)
while, and only while, the mandate is in force. A client can never inject delegation."""

import json
from datetime import timedelta

import pytest

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.mandates import service
from idp.models import AuditEvent
from idp.models import Mandate
from idp.models.types import utcnow

from .authorize_support import assert_code
from .authorize_support import assert_error_redirect
from .authorize_support import start
from .authorize_support import tx_of
from .helpers import RelyingParty
from .mandate_support import AGENT
from .mandate_support import NOBODY
from .mandate_support import make_person
from .token_helpers import decode

SCOPES = ("openid", "profile", "establishment", "offline_access")
AL_NOOR = {"cr": "1234567", "name": "Al Noor Trading LLC", "name_ar": "شركة النور للتجارة"}
SAHIL = {"cr": "2345678", "name": "Sahil Contracting", "name_ar": "الساحل للمقاولات"}
MANDATE_TYPE = "bawaba_mandate"


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory(scopes=SCOPES))


@pytest.fixture
def agent(app):
    make_person(app, AGENT)
    make_person(app, NOBODY)


def make_mandate(app, establishment, permissions, agent=AGENT, source="owner", **extra):
    now = utcnow()
    with app.app_context():
        mandate = Mandate(
            agent_national_id=agent["national_id"], agent_sub=agent["sub"],
            establishment_cr=establishment["cr"], establishment_name=establishment["name"],
            establishment_name_ar=establishment["name_ar"], permissions=list(permissions),
            starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=30),
            status="active", source=source, granted_by="owner-1",
            evidence_ref="owner-grant:ev-1" if source == "owner" else "chamber-letter:L-1",
            created_at=now, **extra)
        db.session.add(mandate)
        db.session.commit()
        return mandate.ref


@pytest.fixture
def mandates(app, agent):
    return {"noor": make_mandate(app, AL_NOOR, ["work_permit.issue", "visa.cancel"]),
            "sahil": make_mandate(app, SAHIL, ["absence_report.file"], source="letter")}


def scope(*extra):
    return " ".join(("openid", "profile", *extra))


def to_acting_page(browser, rp, **params):
    page = browser.authorize(rp.params(**params))
    assert "/login?tx=" in page.url, page.url
    page = browser.login(page, sub=AGENT["sub"], acr=LEVEL_2)
    assert page.status_code == 200 and "/login/acting?tx=" in page.url, (page.url,
                                                                          page.text[:300])
    return page


def choose(browser, page, value):
    return browser.post("/login/acting", {"csrf_token": browser.csrf(page),
                                          "tx": tx_of(page), "acting": value})


def finish(browser, rp, response):
    page = browser.follow(response)
    if page.status_code == 200 and "/consent" in page.url:
        assert "Know the establishment you choose to act for" in page.text
        page = browser.consent(page)
    code = assert_code(page, rp)
    tokens = rp.exchange(code)
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


def claims(rp, tokens):
    return (decode(tokens["id_token"], rp.issuer).claims,
            decode(tokens["access_token"], rp.issuer).claims)


def expected_represents(establishment, permissions, mandate_id, evidence):
    return {"type": "establishment", "id": establishment["cr"], "name": establishment["name"],
            "name#ar": establishment["name_ar"], "permissions": permissions,
            "mandate_id": mandate_id, "evidence": evidence}


def test_discovery_advertises_representation(issuer):
    import requests

    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=5).json()
    assert "establishment" in metadata["scopes_supported"]
    assert "represents" in metadata["claims_supported"]
    assert metadata["authorization_details_types_supported"] == [MANDATE_TYPE]


def test_an_agent_acts_for_an_establishment_with_exactly_its_permissions(app, rp, browser,
                                                                        mandates):
    page = to_acting_page(browser, rp, scope=scope("establishment"))
    for ref in mandates.values():
        assert f'value="{ref}"' in page.text
    assert 'value="self"' in page.text
    tokens = finish(browser, rp, choose(browser, page, mandates["noor"]))
    id_token, access = claims(rp, tokens)
    represents = expected_represents(AL_NOOR, ["work_permit.issue", "visa.cancel"],
                                     mandates["noor"], "owner-grant:ev-1")
    assert (id_token["sub"], access["sub"]) == (AGENT["sub"], AGENT["sub"])
    assert id_token["represents"] == represents == access["represents"]
    assert "authorization_details" not in access
    introspected = rp.introspect(tokens["access_token"]).json()
    assert introspected["active"] is True and introspected["represents"] == represents
    with app.app_context():
        [event] = db.session.scalars(db.select(AuditEvent).filter_by(event="acting")).all()
        assert (event.subject, event.detail["mandate"]) == (AGENT["sub"], mandates["noor"])


def test_authorization_details_narrow_the_choice_and_the_permissions(rp, browser, mandates):
    details = json.dumps([{"type": MANDATE_TYPE, "actions": ["work_permit.issue",
                                                             "profession.change"]}])
    page = to_acting_page(browser, rp, authorization_details=details)
    assert mandates["noor"] in page.text and mandates["sahil"] not in page.text
    tokens = finish(browser, rp, choose(browser, page, mandates["noor"]))
    id_token, access = claims(rp, tokens)
    assert access["represents"]["permissions"] == ["work_permit.issue"]
    assert access["authorization_details"] == [{
        "type": MANDATE_TYPE, "identifier": AL_NOOR["cr"], "name": AL_NOOR["name"],
        "actions": ["work_permit.issue"], "mandate_id": mandates["noor"],
        "evidence": "owner-grant:ev-1"}]
    assert id_token["represents"]["permissions"] == ["work_permit.issue"]
    assert "authorization_details" not in id_token
    assert "establishment" not in access["scope"].split()


def test_authorization_details_may_name_the_establishment(rp, browser, mandates):
    details = json.dumps([{"type": MANDATE_TYPE, "identifier": SAHIL["cr"]}])
    page = to_acting_page(browser, rp, authorization_details=details)
    assert mandates["sahil"] in page.text and mandates["noor"] not in page.text
    tokens = finish(browser, rp, choose(browser, page, mandates["sahil"]))
    _, access = claims(rp, tokens)
    assert access["represents"]["evidence"] == "chamber-letter:L-1"
    assert access["authorization_details"][0]["actions"] == ["absence_report.file"]


def test_acting_for_myself_states_no_representation(rp, browser, mandates):
    page = to_acting_page(browser, rp, scope=scope("establishment"))
    tokens = finish(browser, rp, choose(browser, page, "self"))
    id_token, access = claims(rp, tokens)
    assert "represents" not in id_token and "represents" not in access
    assert "represents" not in rp.introspect(tokens["access_token"]).json()


@pytest.mark.parametrize("value", ["mdt_forged", "other-agent", "sahil-by-details"])
def test_choosing_an_establishment_without_a_fitting_mandate_is_refused(app, rp, browser,
                                                                       mandates, value):
    other = make_mandate(app, SAHIL, ["visa.cancel"], agent=NOBODY)
    params = {"scope": scope("establishment")}
    if value == "sahil-by-details":
        params = {"authorization_details": json.dumps(
            [{"type": MANDATE_TYPE, "identifier": AL_NOOR["cr"]}])}
    page = to_acting_page(browser, rp, **params)
    chosen = {"mdt_forged": "mdt_forged", "other-agent": other,
              "sahil-by-details": mandates["sahil"]}[value]
    response = choose(browser, page, chosen)
    assert response.status_code == 400
    assert "You hold no mandate in force for this establishment" in response.text
    with app.app_context():
        [event] = db.session.scalars(db.select(AuditEvent).filter_by(event="acting")).all()
        assert (event.outcome, event.detail["reason"]) == ("failure", "no_fitting_mandate")
    # The request still waits for a valid choice.
    tokens = finish(browser, rp, choose(browser, page, "self"))
    assert "represents" not in claims(rp, tokens)[1]


def test_without_fitting_mandates_nobody_is_asked(rp, browser, agent):
    page = browser.authorize(rp.params(scope=scope("establishment")))
    page = browser.login(page, sub=AGENT["sub"], acr=LEVEL_2)
    if "/consent" in page.url:
        page = browser.consent(page)
    tokens = rp.exchange(assert_code(page, rp)).json()
    assert "represents" not in claims(rp, tokens)[1]


def test_prompt_none_with_a_choice_to_make_is_interaction_required(rp, browser, mandates):
    finish(browser, rp, choose(browser, to_acting_page(browser, rp, scope=scope(
        "establishment")), "self"))
    response = start(browser, rp.params(scope=scope("establishment"), prompt="none"))
    assert_error_redirect(response, rp, "interaction_required",
                          description="The person must choose whom they act for.")
    code = assert_code(start(browser, rp.params(prompt="none")), rp)  # no representation asked
    assert rp.exchange(code).status_code == 200


@pytest.mark.parametrize("change", ["revoked", "expired"])
def test_a_revoked_or_ended_mandate_stops_refresh_and_introspection(app, rp, browser,
                                                                   mandates, change):
    page = to_acting_page(browser, rp, scope=scope("establishment", "offline_access"))
    tokens = finish(browser, rp, choose(browser, page, mandates["noor"]))
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    tokens = refreshed.json()
    assert decode(tokens["access_token"], rp.issuer).claims["represents"]["mandate_id"] == \
        mandates["noor"]
    with app.app_context():
        mandate = db.session.execute(db.select(Mandate).filter_by(ref=mandates["noor"])
                                     ).scalar_one()
        if change == "revoked":
            service.revoke(mandate.ref, "owner-1", "ended", utcnow())
        else:
            mandate.ends_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert rp.introspect(tokens["access_token"]).json() == {"active": False}
    assert rp.introspect(tokens["refresh_token"]).json() == {"active": False}
    refused = rp.refresh(tokens["refresh_token"])
    assert refused.status_code == 400
    assert refused.json() == {"error": "invalid_grant", "error_description":
                              "The mandate this grant acts under is no longer in force."}


def test_a_mandate_revoked_before_the_code_is_exchanged_yields_no_token(app, rp, browser,
                                                                       mandates):
    page = to_acting_page(browser, rp, scope=scope("establishment"))
    page = browser.follow(choose(browser, page, mandates["noor"]))
    if "/consent" in page.url:
        page = browser.consent(page)
    code = assert_code(page, rp)
    with app.app_context():
        service.revoke(mandates["noor"], "owner-1", "ended", utcnow())
        db.session.commit()
    response = rp.exchange(code)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_claims_and_parameters_cannot_inject_delegation(rp, browser, mandates):
    forged = {"type": "establishment", "id": SAHIL["cr"], "permissions": ["visa.cancel"]}
    claims_parameter = json.dumps({
        "id_token": {"represents": {"essential": True, "value": forged},
                     "act": {"essential": True, "value": {"sub": "operator-9"}}},
        "userinfo": {"represents": {"value": forged}, "may_act": None}})
    page = browser.authorize(rp.params(scope=scope(), claims=claims_parameter,
                                       represents=json.dumps(forged), act="operator-9"))
    page = browser.login(page, sub=AGENT["sub"], acr=LEVEL_2)
    if "/consent" in page.url:
        page = browser.consent(page)
    tokens = rp.exchange(assert_code(page, rp)).json()
    id_token, access = claims(rp, tokens)
    for stated in (id_token, access, rp.introspect(tokens["access_token"]).json(),
                   rp.userinfo(tokens["access_token"]).json()):
        assert not {"represents", "act", "may_act", "authorization_details"} & set(stated)


@pytest.mark.parametrize("details, description", [
    ("{", "'authorization_details' is not valid JSON."),
    ("{}", "'authorization_details' must be a non-empty JSON array."),
    ("[]", "'authorization_details' must be a non-empty JSON array."),
    ('["x"]', "Each entry must be an object with a 'type'."),
    ('[{"type": "payment_initiation"}]',
     "Unsupported authorization details type: 'payment_initiation'."),
    (json.dumps([{"type": MANDATE_TYPE}, {"type": MANDATE_TYPE}]),
     "Ask for one 'bawaba_mandate' entry: one establishment per authorization."),
    (json.dumps([{"type": MANDATE_TYPE, "mandate_id": "mdt_x"}]),
     "'bawaba_mandate' does not take 'mandate_id'."),
    (json.dumps([{"type": MANDATE_TYPE, "evidence": "chamber-letter:x"}]),
     "'bawaba_mandate' does not take 'evidence'."),
    (json.dumps([{"type": MANDATE_TYPE, "name": "Anything LLC"}]),
     "'bawaba_mandate' does not take 'name'."),
    (json.dumps([{"type": MANDATE_TYPE, "actions": ["visa.issue"]}]),
     "'actions' must be a non-empty list of mandate permissions."),
    (json.dumps([{"type": MANDATE_TYPE, "identifier": "12"}]),
     "'identifier' must be a commercial-registration number (7 to 10 digits)."),
])
def test_bad_authorization_details_are_refused(rp, browser, details, description):
    response = start(browser, rp.params(authorization_details=details))
    assert_error_redirect(response, rp, "invalid_authorization_details",
                          description=description)


def test_a_client_not_registered_for_establishments_cannot_ask(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    response = start(browser, rp.params(authorization_details=json.dumps(
        [{"type": MANDATE_TYPE}])))
    assert_error_redirect(response, rp, "invalid_authorization_details",
                          description="The client may not request 'bawaba_mandate' "
                                      "authorization details.")
    response = start(browser, rp.params(scope=scope("establishment")))
    assert_error_redirect(response, rp, "invalid_scope")
