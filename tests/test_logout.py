"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): registered
post_logout_redirect_uri by exact match, state, confirmation without an id_token_hint, and
a session that is really over afterwards."""

from urllib.parse import urlsplit

from idp.extensions import db
from idp.models import LoginSession

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import query_of
from .helpers import sign_in

AFTER = "https://rp.example/logged-out"


def logout_client(client_factory, **options):
    extra = ["--post-logout-redirect-uri", AFTER, *options.pop("extra", [])]
    return client_factory(extra=extra, **options)


def signed_in(issuer, browser, client):
    rp = RelyingParty(issuer, client)
    tokens = rp.exchange(sign_in(browser, rp)["code"]).json()
    return rp, tokens


def silent(browser, rp):
    response = browser.get("/authorize", params=rp.params(prompt="none"))
    assert response.status_code == 302, response.text
    return query_of(response.headers["Location"])


def assert_error_page(response, text=None):
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Location" not in response.headers
    assert "invalid_request" in response.text
    if text:
        assert text in response.text


def sso_cleared(response):
    return any(h.startswith("bawaba-sso=;") and "Max-Age=0" in h
               for h in response.raw.headers.getlist("Set-Cookie"))


def test_logout_with_hint_returns_to_the_registered_uri_with_state(issuer, browser,
                                                                   client_factory):
    rp, tokens = signed_in(issuer, browser, logout_client(client_factory))
    response = browser.get("/logout", params={"id_token_hint": tokens["id_token"],
                                              "post_logout_redirect_uri": AFTER,
                                              "state": "a b&c=d"})
    assert response.status_code == 303
    assert response.headers["Location"] == AFTER + "?state=a+b%26c%3Dd"
    assert query_of(response.headers["Location"]) == {"state": "a b&c=d"}
    assert sso_cleared(response)
    assert "bawaba-sso" not in browser.http.cookies
    assert silent(browser, rp)["error"] == "login_required"
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    assert rp.userinfo(tokens["access_token"]).status_code == 401


def test_logout_by_form_post_and_without_state(issuer, browser, client_factory):
    rp, tokens = signed_in(issuer, browser, logout_client(client_factory))
    response = browser.post("/logout", {"id_token_hint": tokens["id_token"],
                                        "post_logout_redirect_uri": AFTER,
                                        "client_id": rp.client["client_id"]})
    assert response.status_code == 303
    assert response.headers["Location"] == AFTER
    assert silent(browser, rp)["error"] == "login_required"


def test_unregistered_post_logout_redirect_uri_shows_a_page(issuer, browser, client_factory):
    rp, tokens = signed_in(issuer, browser, logout_client(client_factory))
    for uri in ("https://evil.example/logged-out", AFTER + "/", AFTER + "?x=1",
                AFTER.upper(), "https://rp.example/logged-ou", rp.redirect_uri):
        response = browser.get("/logout", params={"id_token_hint": tokens["id_token"],
                                                  "post_logout_redirect_uri": uri,
                                                  "state": "s"})
        assert_error_page(response, "post_logout_redirect_uri")
    assert "code" in silent(browser, rp)  # still logged in


def test_post_logout_redirect_uri_needs_a_known_client(issuer, browser, client_factory):
    rp, _ = signed_in(issuer, browser, logout_client(client_factory))
    response = browser.get("/logout", params={"post_logout_redirect_uri": AFTER})
    assert_error_page(response)
    response = browser.get("/logout", params={"post_logout_redirect_uri": AFTER,
                                              "client_id": "no-such-client"})
    assert_error_page(response)
    other = client_factory()  # registered, but not with this post-logout URI
    response = browser.get("/logout", params={"post_logout_redirect_uri": AFTER,
                                              "client_id": other["client_id"]})
    assert_error_page(response)
    assert "code" in silent(browser, rp)


def test_client_id_must_match_the_hint_audience(issuer, browser, client_factory):
    rp, tokens = signed_in(issuer, browser, logout_client(client_factory))
    other = logout_client(client_factory)
    response = browser.get("/logout", params={"id_token_hint": tokens["id_token"],
                                              "client_id": other["client_id"],
                                              "post_logout_redirect_uri": AFTER})
    assert_error_page(response, "client_id")
    assert "code" in silent(browser, rp)


def test_invalid_hints_are_refused(issuer, browser, client_factory):
    rp, tokens = signed_in(issuer, browser, logout_client(client_factory))
    header, payload, signature = tokens["id_token"].split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    for hint in ("not-a-jwt", f"{header}.{payload}.{flipped}", f"{header}.{payload}.",
                 tokens["access_token"]):
        response = browser.get("/logout", params={"id_token_hint": hint,
                                                  "post_logout_redirect_uri": AFTER})
        assert_error_page(response, "id_token_hint")
    assert "code" in silent(browser, rp)


def test_without_hint_the_person_confirms(issuer, browser, client_factory):
    rp, _ = signed_in(issuer, browser, logout_client(client_factory))
    page = browser.get("/logout", params={"client_id": rp.client["client_id"],
                                          "post_logout_redirect_uri": AFTER, "state": "s1"})
    assert page.status_code == 200
    assert "Test RP" in page.text
    assert 'action="/logout/confirm"' in page.text
    assert "code" in silent(browser, rp)  # showing the page logs nobody out
    response = browser.post("/logout/confirm", {"csrf_token": browser.csrf(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == AFTER + "?state=s1"
    assert sso_cleared(response)
    assert silent(browser, rp)["error"] == "login_required"


def test_confirmation_without_a_client_ends_on_the_logged_out_page(issuer, browser,
                                                                   client_factory):
    rp, _ = signed_in(issuer, browser, logout_client(client_factory))
    page = browser.get("/logout")
    assert page.status_code == 200
    response = browser.post("/logout/confirm", {"csrf_token": browser.csrf(page)})
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == "/logout/done"
    done = browser.get(response.headers["Location"])
    assert done.status_code == 200
    assert silent(browser, rp)["error"] == "login_required"


def test_forged_confirmation_is_refused(issuer, browser, client_factory):
    rp, _ = signed_in(issuer, browser, logout_client(client_factory))
    page = browser.get("/logout")
    assert page.status_code == 200
    for data in ({}, {"csrf_token": "forged"}, {"csrf_token": browser.csrf(page) + "x"}):
        response = browser.post("/logout/confirm", data)
        assert_error_page(response)
        assert not sso_cleared(response)
    # A cross-site page has the cookie but not the token (and no Flask session either).
    stranger = Browser(issuer)
    stranger.http.cookies.set("bawaba-sso", browser.http.cookies["bawaba-sso"],
                              domain=urlsplit(issuer).hostname, path="/")
    response = stranger.post("/logout/confirm", {"csrf_token": browser.csrf(page)})
    assert_error_page(response)
    assert "code" in silent(browser, rp)


def test_hint_for_another_session_asks_for_confirmation(issuer, browser, client_factory):
    client = logout_client(client_factory)
    _, old = signed_in(issuer, browser, client)
    browser.get("/logout", params={"id_token_hint": old["id_token"]})
    rp, _ = signed_in(issuer, browser, client)  # a new session, new sid
    page = browser.get("/logout", params={"id_token_hint": old["id_token"],
                                          "post_logout_redirect_uri": AFTER})
    assert page.status_code == 200
    assert 'action="/logout/confirm"' in page.text
    assert "code" in silent(browser, rp)


def test_logout_without_a_session_still_returns_to_the_client(issuer, browser,
                                                               client_factory):
    rp, tokens = signed_in(issuer, browser, logout_client(client_factory))
    params = {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": AFTER,
              "state": "again"}
    assert browser.get("/logout", params=params).status_code == 303
    fresh = Browser(issuer)
    response = fresh.get("/logout", params=params)
    assert response.status_code == 303
    assert response.headers["Location"] == AFTER + "?state=again"
    confirm = fresh.post("/logout/confirm", {})
    assert_error_page(confirm)


def test_hint_of_every_id_token_alg_is_accepted(issuer, client_factory):
    for alg in ("RS256", "EdDSA"):
        browser = Browser(issuer)
        rp, tokens = signed_in(issuer, browser,
                               logout_client(client_factory, extra=["--id-token-alg", alg]))
        response = browser.get("/logout", params={"id_token_hint": tokens["id_token"],
                                                  "post_logout_redirect_uri": AFTER})
        assert response.status_code == 303, (alg, response.text[:300])
        assert silent(browser, rp)["error"] == "login_required"


def test_account_page_logout(app, issuer, browser, client_factory):
    rp, _ = signed_in(issuer, browser, logout_client(client_factory))
    home = browser.get("/")
    assert home.status_code == 200
    response = browser.post("/account/logout", {"csrf_token": browser.csrf(home)})
    assert response.status_code == 303
    assert sso_cleared(response)
    assert silent(browser, rp)["error"] == "login_required"
    with app.app_context():
        ended = db.session.execute(db.select(LoginSession)).scalars().all()
        assert ended and all(s.ended_at is not None for s in ended)
