"""The refresh_token grant (RFC 6749 §6) with rotation and reuse detection (OAuth 2.0
Security BCP, RFC 9700 §4.14.2), a fresh ID token (OpenID Connect Core §12.2), and
offline_access only with consent (OpenID Connect Core §11)."""

import re

from idp.authn.assurance import LEVEL_1

from .helpers import RelyingParty
from .helpers import query_of
from .helpers import sign_in
from .token_helpers import active
from .token_helpers import assert_error
from .token_helpers import decode
from .token_helpers import expire_refresh_token
from .token_helpers import half_hash
from .token_helpers import log_out
from .token_helpers import obtain_tokens


def _refreshed(rp, refresh_token, **extra):
    response = rp.refresh(refresh_token, **extra)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    return response.json()


def test_each_refresh_rotates_the_refresh_token(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    first = obtain_tokens(browser, rp)
    second = _refreshed(rp, first["refresh_token"])
    third = _refreshed(rp, second["refresh_token"])
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert len({first["access_token"], second["access_token"], third["access_token"]}) == 3
    assert third["token_type"] == "Bearer"
    assert third["scope"] == "openid profile"
    assert rp.userinfo(third["access_token"]).status_code == 200
    # The rotated tokens are no longer active; the newest is.
    assert not active(rp, first["refresh_token"])
    assert not active(rp, second["refresh_token"])
    assert active(rp, third["refresh_token"])


def test_reusing_a_rotated_token_revokes_the_family(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    first = obtain_tokens(browser, rp)
    second = _refreshed(rp, first["refresh_token"])
    third = _refreshed(rp, second["refresh_token"])

    assert_error(rp.refresh(first["refresh_token"]), 400, "invalid_grant")

    assert_error(rp.refresh(third["refresh_token"]), 400, "invalid_grant")
    for token in (first, second, third):
        assert not active(rp, token["access_token"])
        assert not active(rp, token["refresh_token"])
    assert_error(rp.userinfo(third["access_token"]), 401, "invalid_token")


def test_other_sign_ins_survive_a_revoked_family(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    stolen = obtain_tokens(browser, rp)
    kept = obtain_tokens(browser, RelyingParty(issuer, rp.client))
    _refreshed(rp, stolen["refresh_token"])
    assert_error(rp.refresh(stolen["refresh_token"]), 400, "invalid_grant")
    assert active(rp, kept["access_token"])
    assert _refreshed(rp, kept["refresh_token"])["access_token"]


def test_scope_can_be_narrowed_but_the_grant_keeps_its_scope(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp, scope="openid profile email")
    narrow = _refreshed(rp, tokens["refresh_token"], scope="openid email")
    assert narrow["scope"] == "openid email"
    assert decode(narrow["access_token"], issuer).claims["scope"] == "openid email"
    # RFC 6749 §6: a new refresh token has the scope of the one it replaces.
    again = _refreshed(rp, narrow["refresh_token"])
    assert again["scope"] == "openid profile email"
    assert rp.introspect(again["refresh_token"]).json()["scope"] == "openid profile email"


def test_scope_cannot_be_widened(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp)
    for scope in ("openid profile email", "openid offline_access", "unknown"):
        assert_error(rp.refresh(tokens["refresh_token"], scope=scope), 400, "invalid_scope")
    # The refused requests did not use the refresh token up.
    assert _refreshed(rp, tokens["refresh_token"])["scope"] == "openid profile"


def test_refresh_token_of_another_client_is_invalid_grant(issuer, browser, client_factory):
    owner = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, owner)
    other = RelyingParty(issuer, client_factory(name="Other RP"))
    assert_error(other.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    public = RelyingParty(issuer, client_factory(name="Public RP", public=True))
    assert_error(public.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    assert _refreshed(owner, tokens["refresh_token"])["access_token"]


def test_unknown_missing_or_expired_refresh_token(app, issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    assert_error(rp.refresh("garbage"), 400, "invalid_grant")
    assert_error(rp.refresh("x" * 5000), 400, "invalid_grant")
    body = assert_error(rp.token(grant_type="refresh_token"), 400, "invalid_request")
    assert body["error_description"] == "Missing 'refresh_token' in request."
    tokens = obtain_tokens(browser, rp)
    expire_refresh_token(app, tokens["refresh_token"])
    assert_error(rp.refresh(tokens["refresh_token"]), 400, "invalid_grant")


def test_refresh_ends_with_the_sso_session(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp)
    log_out(browser)
    assert_error(rp.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    assert not active(rp, tokens["access_token"])
    assert_error(rp.userinfo(tokens["access_token"]), 401, "invalid_token")


def test_offline_access_outlives_the_sso_session(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp, scope="openid offline_access", prompt="consent")
    assert tokens["scope"] == "openid offline_access"
    log_out(browser)
    refreshed = _refreshed(rp, tokens["refresh_token"])
    assert rp.userinfo(refreshed["access_token"]).json()["sub"] == "citizen-1"
    claims = decode(refreshed["id_token"], issuer).claims
    assert claims["sub"] == "citizen-1"
    assert "sid" not in claims  # the session it came from is over


def test_refresh_returns_a_new_id_token(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(extra=["--id-token-alg", "RS256"]))
    tokens = obtain_tokens(browser, rp)
    original = decode(tokens["id_token"], issuer, "RS256").claims
    refreshed = _refreshed(rp, tokens["refresh_token"])
    claims = decode(refreshed["id_token"], issuer, "RS256").claims
    for name in ("iss", "sub", "aud", "azp", "auth_time", "acr", "amr", "sid"):
        assert claims[name] == original[name], name
    assert claims["acr"] == LEVEL_1
    assert claims["iat"] >= original["iat"]
    assert refreshed["id_token"] != tokens["id_token"]
    assert claims["at_hash"] == half_hash(refreshed["access_token"], "RS256")
    assert "nonce" not in claims


def test_no_id_token_when_the_narrowed_scope_drops_openid(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    tokens = obtain_tokens(browser, rp)
    refreshed = _refreshed(rp, tokens["refresh_token"], scope="profile")
    assert "id_token" not in refreshed
    assert refreshed["scope"] == "profile"


def test_client_without_refresh_grant_gets_no_refresh_token(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(grant_types=("authorization_code",)))
    tokens = obtain_tokens(browser, rp)
    assert "refresh_token" not in tokens
    body = assert_error(rp.refresh("anything"), 400, "unauthorized_client")
    assert "refresh_token" in body["error_description"]


def test_public_client_refreshes_with_rotation(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory(public=True))
    tokens = obtain_tokens(browser, rp)
    refreshed = _refreshed(rp, tokens["refresh_token"])
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert_error(rp.refresh(tokens["refresh_token"]), 400, "invalid_grant")
    assert_error(rp.refresh(refreshed["refresh_token"]), 400, "invalid_grant")


def _consent_items(browser, rp, scope):
    page = browser.authorize(rp.params(scope=scope, prompt="consent"))
    if "/login" in page.url:
        page = browser.login(page)
    assert "/consent" in page.url, page.url
    listed = re.search(r'<ul class="scopes">(.*?)</ul>', page.text, re.S)
    assert listed, page.text[:800]
    return re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)


def test_consent_screen_lists_offline_access(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    without = _consent_items(browser, rp, "openid")
    offline = _consent_items(browser, rp, "openid offline_access")
    assert len(without) == 1
    assert len(offline) == 2
    assert without[0] in offline
    assert all(item.strip() for item in offline) and offline[0] != offline[1]


def test_offline_access_needs_consent_even_with_prompt_none(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    obtain_tokens(browser, rp)  # consented to "openid profile" only
    page = browser.authorize(rp.params(scope="openid profile offline_access", prompt="none"))
    assert page.status_code == 302, page.text[:500]
    callback = query_of(page.headers["Location"])
    assert callback["error"] == "consent_required"
    assert callback["state"] == rp.state


def test_remembered_offline_consent_allows_prompt_none(issuer, browser, client_factory):
    rp = RelyingParty(issuer, client_factory())
    obtain_tokens(browser, rp, scope="openid offline_access")
    callback = sign_in(browser, rp, scope="openid offline_access", prompt="none")
    tokens = rp.exchange(callback["code"]).json()
    assert tokens["scope"] == "openid offline_access"
    assert "refresh_token" in tokens
