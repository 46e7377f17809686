"""The people-facing pages: chooser, consent, account, logout and error pages, in English and
Arabic, with their headers, CSRF protection, 303 after every form and consent withdrawal."""

import re

import pytest
import requests

from .helpers import Browser
from .helpers import query_of
from .helpers import sign_in
from .pages_support import assert_page
from .pages_support import assert_page_headers
from .pages_support import new_rp
from .pages_support import parse
from .pages_support import sibling_provider
from .pages_support import to_chooser
from .pages_support import to_consent
from .pages_support import tx_of


def logged_in(issuer, client_factory, **client_options):
    """A browser that has signed in to one relying party (consent given)."""
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory, **client_options)
    sign_in(browser, rp)
    return browser, rp


def page_of_kind(kind, issuer, client_factory):
    """Reach a page of each kind the way a person would; returns (page, language)."""
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory)
    lang = "ar" if kind.endswith("-ar") else "en"
    extra = {"ui_locales": "ar"} if lang == "ar" else {}
    kind = kind.removesuffix("-ar")
    if kind == "chooser":
        return to_chooser(browser, rp, **extra), lang
    if kind == "consent":
        return to_consent(browser, rp, **extra), lang
    if kind == "authorize-error":
        return browser.get("/authorize", params={"client_id": "no-such-client", **extra}), lang
    if kind == "not-found":
        return browser.get("/no-such-page"), lang
    if kind == "home":
        return browser.get("/"), lang
    browser, rp = logged_in(issuer, client_factory)
    if kind == "account":
        return browser.get("/"), lang
    if kind == "logout-confirm":
        return browser.get("/logout"), lang
    if kind == "logged-out":
        page = browser.get("/")
        response = browser.post("/account/logout", {"csrf_token": browser.csrf(page)})
        assert response.status_code == 303
        return browser.follow(response), lang
    raise AssertionError(kind)


KINDS = ["home", "chooser", "chooser-ar", "consent", "consent-ar", "authorize-error",
         "authorize-error-ar", "not-found", "account", "logout-confirm", "logged-out"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_is_accessible_self_contained_and_carries_the_headers(
        kind, issuer, client_factory):
    page, lang = page_of_kind(kind, issuer, client_factory)
    assert page.status_code in (200, 400, 404), (kind, page.status_code)
    html = assert_page(page, issuer, lang)
    stylesheets = [url for tag, url in html.resources if tag == "link"]
    assert stylesheets == ["/static/bawaba.css"]


def test_the_stylesheet_and_api_responses_carry_the_headers_too(issuer):
    css = requests.get(issuer + "/static/bawaba.css", timeout=5)
    assert css.status_code == 200
    assert_page_headers(css)
    assert "no-store" not in css.headers.get("Cache-Control", "")
    assert "@import" not in css.text and "url(" not in css.text  # nothing from elsewhere
    assert "margin-left" not in css.text and "padding-right" not in css.text  # RTL-aware
    api = requests.get(issuer + "/.well-known/openid-configuration", timeout=5)
    assert_page_headers(api)


def test_hsts_only_under_an_https_issuer(app, issuer):
    assert "Strict-Transport-Security" not in requests.get(issuer + "/", timeout=5).headers
    with sibling_provider(app, IDP_ISSUER="https://login.example") as other:
        response = requests.get(other + "/", timeout=5)
        assert response.headers["Strict-Transport-Security"] == (
            "max-age=63072000; includeSubDomains")
        assert response.headers["X-Frame-Options"] == "DENY"


def test_chooser_names_the_service_and_lists_the_methods(issuer, browser, client_factory):
    rp = new_rp(issuer, client_factory, name="Ministry of Housing")
    page = to_chooser(browser, rp)
    assert "<h1>Log in</h1>" in page.text
    assert "Log in to continue to <bdi>Ministry of Housing</bdi>." in page.text
    methods = [a["href"] for a in parse(page).links if a.get("class") == "method"]
    assert methods and all(href.startswith(f"/login/test?tx={tx_of(page)}") for href in methods)


def test_consent_names_the_service_and_explains_each_scope(issuer, browser, client_factory):
    rp = new_rp(issuer, client_factory, name="Ministry of Housing")
    page = to_consent(browser, rp, scope="openid email phone offline_access")
    assert "Share your information with <bdi>Ministry of Housing</bdi>?" in page.text
    titles = re.findall(r'<span class="scope-title">([^<]+)</span>', page.text)
    assert titles == ["Know that it is you", "Your email address", "Your mobile number",
                      "Stay connected when you are away"]
    assert page.text.count('class="scope-detail"') == 4
    assert re.search(r'<button type="submit" name="decision" value="allow"[^>]*>Allow<',
                     page.text)
    assert re.search(r'<button type="submit" name="decision" value="deny"[^>]*>Deny<',
                     page.text)


def test_consent_in_arabic(issuer, browser, client_factory):
    rp = new_rp(issuer, client_factory, name="وزارة الإسكان")
    page = to_consent(browser, rp, scope="openid profile", ui_locales="ar")
    assert_page(page, issuer, "ar")
    assert "هل تريد مشاركة معلوماتك مع <bdi>وزارة الإسكان</bdi>؟" in page.text
    assert "اسمك وبياناتك الأساسية" in page.text
    assert ">موافقة<" in page.text and ">رفض<" in page.text


def test_service_names_are_escaped(issuer, browser, client_factory):
    rp = new_rp(issuer, client_factory, name="<b>Evil</b> & co")
    page = to_consent(browser, rp)
    assert "<b>Evil</b>" not in page.text
    assert "<bdi>&lt;b&gt;Evil&lt;/b&gt; &amp; co</bdi>" in page.text


def test_consent_allow_and_deny_answer_with_303(issuer, client_factory):
    for decision, expected in (("allow", "code"), ("deny", "error")):
        browser = Browser(issuer)
        rp = new_rp(issuer, client_factory)
        page = to_consent(browser, rp)
        response = browser.post("/consent", {"csrf_token": browser.csrf(page), "tx": tx_of(page),
                                             "decision": decision})
        assert response.status_code == 303
        callback = query_of(browser.follow(response).headers["Location"])
        assert expected in callback
        if decision == "deny":
            assert callback["error"] == "access_denied"
            assert callback["state"] == rp.state


@pytest.mark.parametrize("token", [None, "", "not-a-token", "forged"])
def test_consent_without_a_valid_csrf_token_is_refused_and_changes_nothing(
        issuer, browser, client_factory, token):
    rp = new_rp(issuer, client_factory)
    page = to_consent(browser, rp)
    form = {"tx": tx_of(page), "decision": "allow"}
    if token == "forged":  # a valid token of another browser
        token = Browser(issuer).csrf(to_consent(Browser(issuer), rp))
    if token is not None:
        form["csrf_token"] = token
    response = browser.post("/consent", form)
    assert response.status_code == 400
    assert "Location" not in response.headers
    assert_page(response, issuer, "en")
    assert re.search(r"<code[^>]*>invalid_request</code>", response.text)
    assert "This form has expired or was sent from another page." in response.text
    assert "CSRF" not in response.text
    # Nothing was remembered: the same browser is asked for consent again.
    again = browser.authorize(rp.params())
    assert again.status_code == 200 and "/consent" in again.url


def test_csrf_refusal_speaks_the_language_of_the_journey(issuer, browser, client_factory):
    rp = new_rp(issuer, client_factory)
    page = to_consent(browser, rp, ui_locales="ar")
    response = browser.post("/consent", {"tx": tx_of(page), "decision": "allow",
                                         "csrf_token": "x"})
    assert response.status_code == 400
    assert_page(response, issuer, "ar")
    assert "انتهت صلاحية هذا النموذج" in response.text


def test_csrf_refusal_as_json_for_api_clients(issuer, client_factory):
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory)
    page = to_consent(browser, rp)
    response = browser.post("/consent", {"tx": tx_of(page), "decision": "allow"},
                            headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The form's CSRF token is missing, invalid or expired.",
    }


def test_account_page_lists_consents_with_each_scope_explained(issuer, client_factory):
    browser, rp = logged_in(issuer, client_factory, name="Traffic Department")
    page = browser.get("/")
    assert_page(page, issuer)
    assert "You are logged in as Test citizen-1." in page.text
    assert "<h3><bdi>Traffic Department</bdi></h3>" in page.text
    titles = re.findall(r'<span class="scope-title">([^<]+)</span>', page.text)
    assert titles == ["Know that it is you", "Your name and basic details"]
    forms = re.findall(r'<form method="post" action="([^"]+)"', page.text)
    assert forms == ["/account/consents/withdraw", "/account/logout"]
    assert f'name="client_id" value="{rp.client["client_id"]}"' in page.text


def test_withdrawn_consent_is_asked_again_and_ends_the_service_access(issuer, client_factory):
    browser, rp = logged_in(issuer, client_factory, name="Traffic Department")
    tokens = rp.exchange(sign_in(browser, rp)["code"]).json()
    assert "refresh_token" in tokens
    page = browser.get("/")
    response = browser.post("/account/consents/withdraw", {
        "csrf_token": browser.csrf(page), "client_id": rp.client["client_id"]})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = browser.get("/")
    assert "You withdrew your permission for Traffic Department." in page.text
    assert "<bdi>Traffic Department</bdi>" not in page.text
    assert "You have not allowed any service to use your information." in page.text
    # The next authorization asks again; the session itself is still there.
    again = browser.authorize(rp.params())
    assert again.status_code == 200 and "/consent" in again.url
    # The tokens issued under the withdrawn consent no longer work.
    refreshed = rp.refresh(tokens["refresh_token"])
    assert refreshed.status_code == 400
    assert refreshed.json()["error"] == "invalid_grant"
    assert rp.introspect(tokens["access_token"]).json() == {"active": False}


def test_withdrawal_without_a_csrf_token_changes_nothing(issuer, client_factory):
    browser, rp = logged_in(issuer, client_factory)
    response = browser.post("/account/consents/withdraw",
                            {"client_id": rp.client["client_id"]})
    assert response.status_code == 400
    assert_page(response, issuer)
    again = browser.get("/authorize", params=rp.params())
    assert again.status_code == 302 and "code" in query_of(again.headers["Location"])


def test_withdrawing_another_persons_or_unknown_consent_changes_nothing(issuer, client_factory):
    browser, rp = logged_in(issuer, client_factory)
    other_browser, other_rp = logged_in(issuer, client_factory)
    page = other_browser.get("/")
    for client_id in (rp.client["client_id"] + "x", ""):
        response = other_browser.post("/account/consents/withdraw", {
            "csrf_token": other_browser.csrf(page), "client_id": client_id})
        assert response.status_code == 303
    again = other_browser.get("/authorize", params=other_rp.params())
    assert again.status_code == 302 and "code" in query_of(again.headers["Location"])
    again = browser.get("/authorize", params=rp.params())
    assert again.status_code == 302 and "code" in query_of(again.headers["Location"])


def test_withdrawal_after_logout_changes_nothing(issuer, client_factory):
    browser, rp = logged_in(issuer, client_factory)
    token = browser.csrf(browser.get("/"))
    assert browser.post("/account/logout", {"csrf_token": token}).status_code == 303
    response = browser.post("/account/consents/withdraw", {
        "csrf_token": token, "client_id": rp.client["client_id"]})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = browser.authorize(rp.params())
    assert "/login" in page.url
    page = browser.login(page)
    assert page.status_code == 302 and "code" in query_of(page.headers["Location"])


def test_logout_forms_need_the_csrf_token_and_answer_with_303(issuer, client_factory):
    browser, rp = logged_in(issuer, client_factory)
    refused = browser.post("/account/logout", {})
    assert refused.status_code == 400
    assert_page(refused, issuer)
    assert "You are logged in" in browser.get("/").text  # still logged in
    confirm = browser.get("/logout")
    assert "<h1>Log out of Bawaba?</h1>" in confirm.text
    refused = browser.post("/logout/confirm", {"csrf_token": "x"})
    assert refused.status_code == 400
    assert "You are logged in" in browser.get("/").text
    response = browser.post("/logout/confirm", {"csrf_token": browser.csrf(confirm)})
    assert response.status_code == 303
    done = browser.follow(response)
    assert_page(done, issuer)
    assert "<h1>You are logged out</h1>" in done.text
    assert "You are logged in" not in browser.get("/").text


def test_logged_out_page_in_arabic(issuer):
    page = requests.get(issuer + "/logout/done", headers={"Accept-Language": "ar"}, timeout=5)
    assert_page(page, issuer, "ar")
    assert "تم تسجيل خروجك" in page.text


def test_form_fields_tie_label_hint_and_error_to_the_input(app):
    """The field macro the login pages build their forms with."""
    from flask import render_template_string

    source = ('{% from "macros/forms.html" import field %}'
              '{{ field("phone", "Mobile number", value="<x>", hint="8 digits", '
              'error="Enter a mobile number", autocomplete="tel", inputmode="tel") }}'
              '{{ field("code", "Code") }}')
    with app.test_request_context("/", headers={"Accept-Language": "ar"}):
        html = render_template_string(source)
    assert '<label for="phone">Mobile number</label>' in html
    assert '<p class="field-hint" id="phone-hint">8 digits</p>' in html
    assert ('<p class="field-error" id="phone-error"><span class="visually-hidden">خطأ: </span>'
            'Enter a mobile number</p>') in html
    phone = re.search(r'<input id="phone"[^>]*>', html).group(0)
    assert 'aria-describedby="phone-error phone-hint"' in phone
    assert 'aria-invalid="true"' in phone and 'value="&lt;x&gt;"' in phone
    assert 'autocomplete="tel"' in phone and "required" in phone
    code = re.search(r'<input id="code"[^>]*>', html).group(0)
    assert "aria-describedby" not in code and "aria-invalid" not in code
    assert '<label for="code">Code</label>' in html
