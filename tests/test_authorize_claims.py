"""What the ID token and userinfo say, as the request asked (OpenID Connect Core §3.1.2.1,
§5.5): `nonce`, the `claims` parameter, and the assurance (`acr_values`, an essential
`acr` claim) with the login methods offered to reach it."""

import json

import pytest

from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .authorize_support import assert_code
from .authorize_support import assert_error_redirect
from .authorize_support import id_token_claims
from .authorize_support import offered_methods
from .authorize_support import set_profile
from .authorize_support import start
from .helpers import RelyingParty
from .helpers import sign_in

BOTH_LEVELS = ["Test login (level-1)", "Test login (level-2)"]
LEVEL_2_ONLY = ["Test login (level-2)"]
ESSENTIAL_LEVEL_2 = json.dumps({"id_token": {"acr": {"essential": True, "values": [LEVEL_2]}}})


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def claims_of(rp, browser, **overrides):
    callback = sign_in(browser, rp, **overrides)
    return id_token_claims(rp, callback["code"])


# nonce


def test_nonce_goes_into_id_token(rp, browser):
    claims, _ = claims_of(rp, browser, nonce="n-0S6 WzA2Mj+ü")
    assert claims["nonce"] == "n-0S6 WzA2Mj+ü"


def test_no_nonce_no_nonce_claim(rp, browser):
    claims, _ = claims_of(rp, browser, nonce=None)
    assert "nonce" not in claims


# The claims parameter


@pytest.mark.parametrize("value, description", [
    ("{not json", "The 'claims' parameter is not valid JSON."),
    ("[]", "The 'claims' parameter must hold 'userinfo' and/or 'id_token'."),
    ('"userinfo"', "The 'claims' parameter must hold 'userinfo' and/or 'id_token'."),
    ('{"access_token": {}}', "The 'claims' parameter must hold 'userinfo' and/or 'id_token'."),
    ('{"userinfo": []}', "'claims.userinfo' must be an object."),
    ('{"id_token": {"email": 1}}', "The 'claims' parameter holds an invalid claim request."),
    ('{"id_token": {"é\\"": "x"}}', "The 'claims' parameter holds an invalid claim request."),
    ('{"userinfo": {"email": {"essential": "yes"}}}',
     "The 'claims' parameter holds an invalid claim request."),
    ('{"userinfo": {"email": {"values": "a"}}}',
     "The 'claims' parameter holds an invalid claim request."),
])
def test_malformed_claims_parameter_is_invalid_request(rp, browser, value, description):
    response = start(browser, rp.params(claims=value))
    assert_error_redirect(response, rp, "invalid_request", description=description)


def test_claims_userinfo_member_releases_claim_without_its_scope(app, rp, browser):
    set_profile(app, "citizen-1", email="c1@example.org", phone_number="+971500000001")
    claims, tokens = claims_of(rp, browser, scope="openid",
                               claims=json.dumps({"userinfo": {"email": None}}))
    assert "email" not in claims
    info = rp.userinfo(tokens["access_token"]).json()
    assert info == {"sub": "citizen-1", "email": "c1@example.org"}


def test_claims_id_token_member_puts_claim_in_id_token(app, rp, browser):
    claims, tokens = claims_of(rp, browser, scope="openid",
                               claims=json.dumps({"id_token": {"name": None}}))
    assert claims["name"] == "Test citizen-1"
    assert rp.userinfo(tokens["access_token"]).json() == {"sub": "citizen-1"}


def test_claims_parameter_cannot_reach_past_the_clients_scopes(app, issuer, browser,
                                                              client_factory):
    """A client registered without `phone` cannot get the phone number by naming it."""
    rp = RelyingParty(issuer, client_factory(scopes=("openid", "profile")))
    set_profile(app, "citizen-1", name="Test citizen-1", phone_number="+971500000001")
    requested = {"phone_number": None, "name": None}
    claims, tokens = claims_of(rp, browser,
                               claims=json.dumps({"id_token": requested, "userinfo": requested}))
    assert "phone_number" not in claims and claims["name"] == "Test citizen-1"
    info = rp.userinfo(tokens["access_token"]).json()
    assert "phone_number" not in info


def test_claims_parameter_cannot_set_provider_claims(rp, browser):
    claims, _ = claims_of(rp, browser, claims=json.dumps(
        {"id_token": {"sub": {"value": "someone-else"}, "acr": {"value": "x"}}}))
    assert claims["sub"] == "citizen-1"
    assert claims["acr"] == LEVEL_1


def test_claims_parameter_is_part_of_consent(rp, browser):
    """Consent covers what the `claims` parameter reaches: remembered consent to
    `openid profile` does not release the email address."""
    sign_in(browser, rp)
    email = json.dumps({"userinfo": {"email": None}})
    response = start(browser, rp.params(prompt="none", claims=email))
    assert_error_redirect(response, rp, "consent_required")
    page = browser.authorize(rp.params(claims=email))
    assert "/consent?" in page.url and "Your email address" in page.text
    assert_code(browser.consent(page), rp)
    assert_code(start(browser, rp.params(prompt="none", claims=email)), rp)


# Assurance: acr_values, essential acr, and the login methods offered


def test_chooser_offers_every_method_when_no_acr_is_required(rp, browser):
    assert offered_methods(browser.authorize(rp.params())) == BOTH_LEVELS
    assert offered_methods(browser.authorize(rp.params(acr_values=LEVEL_1))) == BOTH_LEVELS


@pytest.mark.parametrize("overrides", [
    {"acr_values": LEVEL_2},
    {"acr_values": f"urn:unknown {LEVEL_2}"},
    {"claims": ESSENTIAL_LEVEL_2},
    {"claims": json.dumps({"userinfo": {"acr": {"essential": True, "value": LEVEL_2}}})},
])
def test_chooser_offers_only_methods_reaching_the_required_acr(rp, browser, overrides):
    assert offered_methods(browser.authorize(rp.params(**overrides))) == LEVEL_2_ONLY


def test_voluntary_acr_claim_is_not_a_requirement(rp, browser):
    voluntary = json.dumps({"id_token": {"acr": {"values": [LEVEL_2]}}})
    assert offered_methods(browser.authorize(rp.params(claims=voluntary))) == BOTH_LEVELS


def test_essential_acr_steps_up_a_level_1_session(rp, browser):
    sign_in(browser, rp, acr=LEVEL_1)
    page = browser.authorize(rp.params(claims=ESSENTIAL_LEVEL_2))
    assert offered_methods(page) == LEVEL_2_ONLY
    code = assert_code(browser.login(page, acr=LEVEL_2), rp)
    claims, tokens = id_token_claims(rp, code)
    assert claims["acr"] == LEVEL_2
    introspected = rp.introspect(tokens["access_token"]).json()
    assert introspected["acr"] == LEVEL_2


def test_level_2_session_satisfies_level_1_and_level_2(rp, browser):
    sign_in(browser, rp, acr=LEVEL_2)
    for acr_values in (LEVEL_1, LEVEL_2, f"{LEVEL_2} {LEVEL_1}"):
        code = assert_code(start(browser, rp.params(acr_values=acr_values)), rp)
        claims, _ = id_token_claims(rp, code)
        assert claims["acr"] == LEVEL_2


def test_lower_login_for_higher_requirement_never_yields_a_code(rp, browser):
    """A login method that ends below the required acr (here the test method told to
    report level-1) ends the request with unmet_authentication_requirements: never a
    code with a lower acr, and no endless return to the login page."""
    page = browser.authorize(rp.params(acr_values=LEVEL_2))
    response = browser.login(page, acr=LEVEL_1)
    assert_error_redirect(response, rp, "unmet_authentication_requirements",
                          description="The login did not reach the assurance the service "
                                      "requires.")


def test_level_1_session_with_level_2_required_and_prompt_none_is_login_required(rp, browser):
    sign_in(browser, rp, acr=LEVEL_1)
    for overrides in ({"acr_values": LEVEL_2}, {"claims": ESSENTIAL_LEVEL_2}):
        response = start(browser, rp.params(prompt="none", **overrides))
        assert_error_redirect(response, rp, "login_required")


@pytest.mark.parametrize("overrides", [
    {"acr_values": "urn:example:acr:gold"},
    {"acr_values": "urn:example:acr:gold urn:example:acr:silver"},
    {"claims": json.dumps({"id_token": {"acr": {"essential": True, "value": "loa-9"}}})},
])
def test_acr_no_method_can_satisfy_is_unmet_authentication_requirements(rp, browser,
                                                                       overrides):
    sign_in(browser, rp, acr=LEVEL_2)
    response = start(browser, rp.params(**overrides))
    assert_error_redirect(response, rp, "unmet_authentication_requirements",
                          description="No supported acr value was requested.")


def test_required_acr_no_registered_method_reaches(app, rp, browser):
    """With only a level-1 method configured, a level-2 request cannot be met."""
    authenticators = app.extensions["idp.authenticators"]
    level_2 = authenticators.pop("test-level-2")
    try:
        response = start(browser, rp.params(acr_values=LEVEL_2))
    finally:
        authenticators["test-level-2"] = level_2
    assert_error_redirect(response, rp, "unmet_authentication_requirements",
                          description="No login method can satisfy the requested acr.")
