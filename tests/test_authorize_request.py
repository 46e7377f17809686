"""The authorization request (RFC 6749 §3.1 and §4.1.1, OpenID Connect Core §3.1.2.1):
which requests are refused, with which error, and where the error goes. Until the client
and its exact redirect URI are known good an error is a page; after that it is a redirect
with `state` and `iss` (RFC 9207)."""

from urllib.parse import urlencode

import pytest

from .authorize_support import assert_code
from .authorize_support import assert_error_page
from .authorize_support import assert_error_redirect
from .authorize_support import start
from .helpers import REDIRECT_URI
from .helpers import RelyingParty
from .helpers import query_of
from .helpers import sign_in


@pytest.fixture
def rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


@pytest.fixture
def signed_in(rp, browser):
    """A browser with a session and remembered consent for `rp`."""
    sign_in(browser, rp)
    return browser


# Response type: the code flow only.


@pytest.mark.parametrize("response_type", [
    "token", "id_token", "code id_token", "code token", "id_token token", "none", "CODE",
    "code ", "cöde", 'co"de', "code\\",
])
def test_other_response_types_are_unsupported(rp, browser, response_type):
    response = start(browser, rp.params(response_type=response_type))
    assert_error_redirect(response, rp, "unsupported_response_type")


@pytest.mark.parametrize("response_type", [None, ""])
def test_missing_response_type_is_invalid_request(rp, browser, response_type):
    response = start(browser, rp.params(response_type=response_type))
    assert_error_redirect(response, rp, "invalid_request",
                          description="Missing 'response_type' parameter.")


def test_response_type_for_client_without_code_grant_is_unauthorized(issuer, browser,
                                                                     client_factory):
    rp = RelyingParty(issuer, client_factory(grant_types=("client_credentials",)))
    response = start(browser, rp.params())
    assert_error_redirect(response, rp, "unauthorized_client")


# PKCE S256 for every client (RFC 7636, Security BCP §2.1.1).


@pytest.mark.parametrize("overrides, description", [
    ({"code_challenge": None}, "PKCE is required: missing 'code_challenge'."),
    ({"code_challenge_method": None}, "'code_challenge_method' must be 'S256'."),
    ({"code_challenge_method": "plain"}, "'code_challenge_method' must be 'S256'."),
    ({"code_challenge_method": "s256"}, "'code_challenge_method' must be 'S256'."),
    ({"code_challenge": "too-short"}, "Invalid 'code_challenge'."),
    ({"code_challenge": "a" * 129}, "Invalid 'code_challenge'."),
])
def test_pkce_s256_is_required(rp, browser, overrides, description):
    response = start(browser, rp.params(**overrides))
    assert_error_redirect(response, rp, "invalid_request", description=description)


def test_public_client_needs_pkce_too(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    response = start(browser, rp.params(code_challenge=None))
    assert_error_redirect(response, rp, "invalid_request")


# The client and its redirect URI: errors are pages, never redirects.


@pytest.mark.parametrize("redirect_uri", [
    REDIRECT_URI + "/",
    REDIRECT_URI + "?x=1",
    REDIRECT_URI + "#x",
    "https://RP.example/callback",
    "https://rp.example/Callback",
    "http://rp.example/callback",
    "https://rp.example:443/callback",
    "https://rp.example/callback/../callback",
    "https://attacker.example/callback",
    "",
])
def test_redirect_uri_must_match_exactly(rp, browser, redirect_uri):
    response = start(browser, rp.params(redirect_uri=redirect_uri))
    assert_error_page(response, "invalid_request")


def test_missing_redirect_uri_is_a_page(rp, browser):
    response = start(browser, rp.params(redirect_uri=None))
    assert_error_page(response, "invalid_request", description="Missing &#39;redirect_uri&#39;")


def test_registered_query_in_redirect_uri_is_kept_byte_exact(issuer, browser, client_factory):
    registered = "https://rp.example/cb?tenant=a%20b&flag"
    rp = RelyingParty(issuer, client_factory(redirect_uris=(registered,)), registered)
    response = start(browser, rp.params(prompt="none"))
    location = response.headers["Location"]
    assert location.startswith(registered + "&error=login_required&"), location
    callback = sign_in(browser, rp)
    assert callback["tenant"] == "a b" and callback["flag"] == ""


def test_redirect_uri_with_other_query_than_registered_is_a_page(issuer, browser,
                                                                  client_factory):
    registered = "https://rp.example/cb?tenant=a"
    rp = RelyingParty(issuer, client_factory(redirect_uris=(registered,)), registered)
    for other in ("https://rp.example/cb?tenant=b", "https://rp.example/cb",
                  "https://rp.example/cb?tenant=a&x=1"):
        assert_error_page(start(browser, rp.params(redirect_uri=other)), "invalid_request")


@pytest.mark.parametrize("client_id, description", [
    (None, "Missing &#39;client_id&#39; parameter."),
    ("", "Missing &#39;client_id&#39; parameter."),
    ("no-such-client", "The client does not exist on this server."),
    ("x" * 500, "The client does not exist on this server."),
])
def test_unknown_or_missing_client_is_a_page(rp, browser, client_id, description):
    response = start(browser, rp.params(client_id=client_id))
    assert_error_page(response, "invalid_client", description=description)


def test_redirect_uri_of_another_client_is_a_page(rp, issuer, browser, client_factory):
    other = client_factory(redirect_uris=("https://other.example/cb",))
    response = start(browser, rp.params(redirect_uri="https://other.example/cb"))
    assert_error_page(response, "invalid_request")
    response = start(browser, rp.params(client_id=other["client_id"]))
    assert_error_page(response, "invalid_request")


@pytest.mark.parametrize("overrides", [
    {"client_id": "no-such-client", "response_type": "token"},
    {"client_id": "no-such-client", "code_challenge": None},
    {"client_id": "no-such-client", "request": "x"},
    {"redirect_uri": "https://attacker.example/cb", "response_type": "token"},
    {"redirect_uri": "https://attacker.example/cb", "code_challenge_method": "plain"},
    {"redirect_uri": "https://attacker.example/cb", "scope": "openid admin"},
    {"redirect_uri": "https://attacker.example/cb", "prompt": "none"},
    {"redirect_uri": None, "response_type": None},
])
def test_errors_before_client_and_redirect_uri_are_known_never_redirect(rp, browser,
                                                                         overrides):
    response = start(browser, rp.params(**overrides))
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert 'href="https://attacker' not in response.text


# Repeated and malformed parameters.


@pytest.mark.parametrize("name", [
    "client_id", "redirect_uri", "response_type", "state", "scope", "code_challenge",
    "nonce", "prompt",
])
def test_repeated_parameter_is_a_page(rp, browser, name):
    params = list(rp.params(prompt="consent").items())
    params.append((name, rp.params(prompt="login")[name]))
    response = browser.get("/authorize?" + urlencode(params))
    assert_error_page(response, "invalid_request",
                      description=f"Repeated parameter: &#39;{name}&#39;.")


def test_parameter_in_both_query_and_body_is_repeated(rp, browser):
    params = rp.params()
    response = browser.post("/authorize?" + urlencode({"state": rp.state}), params)
    assert_error_page(response, "invalid_request",
                      description="Repeated parameter: &#39;state&#39;.")


def test_authorization_request_by_post(rp, browser):
    """OpenID Connect Core §3.1.2.1: the endpoint accepts form-encoded POST."""
    sign_in(browser, rp)
    response = browser.post("/authorize", rp.params())
    code = assert_code(response, rp)
    assert rp.exchange(code).status_code == 200


@pytest.mark.parametrize("name", ["client_id", "redirect_uri", "state", "nonce", "scope"])
def test_nul_character_is_refused_without_redirect(rp, browser, name):
    response = start(browser, rp.params(**{name: rp.params()[name] + "\x00"}))
    assert_error_page(response, "invalid_request",
                      description="Parameters may not contain control characters.")


def test_empty_parameters_count_as_omitted(rp, signed_in):
    """RFC 6749 §3.1: a parameter sent without a value is treated as omitted."""
    response = start(signed_in, rp.params(prompt="", max_age="", claims="", acr_values="",
                                          login_hint="", id_token_hint=""))
    assert_code(response, rp)
    response = start(signed_in, rp.params(state=""))
    assert "state" not in query_of(response.headers["Location"])


# Request objects and response modes are not supported.


@pytest.mark.parametrize("name, error", [
    ("request", "request_not_supported"),
    ("request_uri", "request_uri_not_supported"),
    ("registration", "registration_not_supported"),
])
def test_request_objects_are_not_supported(rp, browser, name, error):
    response = start(browser, rp.params(**{name: "eyJhbGciOiJub25lIn0.e30."}))
    assert_error_redirect(response, rp, error)


@pytest.mark.parametrize("mode", ["fragment", "form_post", "jwt", "query.jwt", "QUERY"])
def test_response_mode_other_than_query_is_refused(rp, browser, mode):
    response = start(browser, rp.params(response_mode=mode))
    assert_error_redirect(response, rp, "invalid_request",
                          description="Only response_mode=query is supported.")


def test_response_mode_query_is_accepted(rp, signed_in):
    assert_code(start(signed_in, rp.params(response_mode="query")), rp)


# Scope.


@pytest.mark.parametrize("scope", ["openid email", "openid admin", "openid phone profile"])
def test_scope_not_registered_for_client_is_invalid_scope(issuer, browser, client_factory,
                                                         scope):
    rp = RelyingParty(issuer, client_factory(scopes=("openid", "profile")))
    response = start(browser, rp.params(scope=scope))
    assert_error_redirect(response, rp, "invalid_scope",
                          description="The client may not request this scope.")


def test_missing_scope_is_invalid_scope(rp, browser):
    response = start(browser, rp.params(scope=None))
    assert_error_redirect(response, rp, "invalid_scope",
                          description="The 'scope' parameter is required.")


# state and iss.

STATES = [
    "a b",
    "ü日本語",
    "a&b=c",
    "x+y",
    "100%",
    "%41%42",
    "=&+% ü/?#",
    "  leading and trailing  ",
    "'\"<script>",
]


@pytest.mark.parametrize("state", STATES)
def test_state_is_echoed_byte_exact_on_success(issuer, browser, client_factory, state):
    rp = RelyingParty(issuer, client_factory())
    rp.state = state
    callback = sign_in(browser, rp)
    assert callback["state"] == state
    assert callback["iss"] == issuer
    assert rp.exchange(callback["code"]).status_code == 200


@pytest.mark.parametrize("state", STATES)
def test_state_is_echoed_byte_exact_on_error(rp, browser, state):
    rp.state = state
    response = start(browser, rp.params(prompt="none"))
    assert_error_redirect(response, rp, "login_required")


def test_iss_is_in_every_redirect(rp, browser):
    """RFC 9207 §2: success and error responses both carry iss."""
    callback = sign_in(browser, rp)
    assert callback["iss"] == rp.issuer
    denied = start(browser, rp.params(response_type="token"))
    assert query_of(denied.headers["Location"])["iss"] == rp.issuer



def test_repeated_parameter_with_a_non_ascii_name_gets_the_error_page(issuer, browser):
    response = browser.get("/authorize?%C3%A9t%C3%A9=1&%C3%A9t%C3%A9=2&client_id=x")
    assert response.status_code == 400
    assert "invalid_request" in response.text
