"""Errors reach people as a friendly page in their language with an error code and a
request reference, and API clients as JSON; never a stack trace."""

import logging
import re

import pytest
import requests

from .helpers import Browser
from .pages_support import assert_page
from .pages_support import assert_page_headers
from .pages_support import sibling_provider

JSON = {"Accept": "application/json"}


def reference_of(page):
    match = re.search(r"<dt>[^<]+</dt><dd><code dir=\"ltr\">([0-9a-f]{16})</code></dd>",
                      page.text)
    assert match, page.text[:1500]
    return match.group(1)


def allowed(response):
    return set(response.headers["Allow"].split(", "))


def assert_error_page(page, issuer, status, code, lang="en"):
    assert page.status_code == status
    assert "Location" not in page.headers
    assert_page(page, issuer, lang)
    assert re.search(f'<code dir="ltr">{code}</code>', page.text), page.text[:1500]
    reference_of(page)


@pytest.mark.parametrize("path", ["/no-such-page", "/login/nothing", "/static/nothing.css"])
def test_unknown_page_is_a_friendly_404(issuer, path):
    page = requests.get(issuer + path, timeout=5)
    assert_error_page(page, issuer, 404, "not_found")
    assert "We could not find this page." in page.text
    assert "Technical detail" not in page.text


def test_404_in_arabic(issuer):
    page = requests.get(issuer + "/no-such-page", headers={"Accept-Language": "ar"}, timeout=5)
    assert_error_page(page, issuer, 404, "not_found", "ar")
    assert "تعذّر العثور على هذه الصفحة." in page.text
    assert "<dt>الرقم المرجعي</dt>" in page.text


def test_404_as_json(issuer):
    for path, headers in (("/no-such-page", JSON), ("/.well-known/nothing", {})):
        response = requests.get(issuer + path, headers=headers, timeout=5)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {"error": "not_found",
                                   "error_description": response.json()["error_description"]}
        assert "not found" in response.json()["error_description"].lower()
        assert_page_headers(response)


def test_wrong_method_is_a_friendly_405_naming_the_allowed_methods(issuer):
    page = requests.put(issuer + "/logout/done", timeout=5)
    assert_error_page(page, issuer, 405, "invalid_request")
    assert allowed(page) == {"GET", "HEAD", "OPTIONS"}
    assert "This page cannot be used this way." in page.text


def test_405_as_json(issuer):
    for method, path, headers, allow in (("GET", "/token", {}, {"OPTIONS", "POST"}),
                                         ("DELETE", "/logout/done", JSON,
                                          {"GET", "HEAD", "OPTIONS"})):
        response = requests.request(method, issuer + path, headers=headers, timeout=5)
        assert response.status_code == 405
        assert allowed(response) == allow
        body = response.json()
        assert body["error"] == "invalid_request"
        assert body["error_description"] == "The method is not allowed for the requested URL."


def test_authorization_error_page_explains_and_keeps_the_technical_detail(issuer, browser):
    page = browser.get("/authorize", params={"client_id": "no-such-client",
                                             "ui_locales": "ar"})
    assert_error_page(page, issuer, 400, "invalid_client", "ar")
    assert "الخدمة التي وجّهتك إلى هنا غير مسجّلة في بوابة." in page.text
    assert ('<span lang="en" dir="ltr">The client does not exist on this server.</span>'
            in page.text)


@pytest.mark.parametrize("lang, text", [
    ("en", "This login has expired. Go back to the service you came from and start again."),
    ("ar", "انتهت صلاحية عملية تسجيل الدخول هذه."),
])
def test_expired_login_is_explained_in_the_persons_language(issuer, lang, text):
    browser = Browser(issuer)
    browser.http.headers["Accept-Language"] = lang
    page = browser.get("/authorize/resume?tx=gone")
    assert_error_page(page, issuer, 400, "invalid_request", lang)
    assert text in page.text
    assert "Technical detail" not in page.text  # the message already says it


def fail(app):
    def boom():
        raise RuntimeError("secret internals: db password hunter2")

    app.add_url_rule("/boom", "boom", boom, methods=["GET", "POST"])


@pytest.fixture
def failing(app):
    with sibling_provider(app, setup=fail) as issuer:
        yield issuer


def test_unexpected_exception_is_a_generic_500_with_a_reference(failing, caplog):
    caplog.set_level(logging.ERROR, logger="idp.errors")
    page = requests.get(failing + "/boom", timeout=5)
    assert_error_page(page, failing, 500, "server_error")
    assert "Something went wrong on our side." in page.text
    for secret in ("Traceback", "RuntimeError", "hunter2", "secret internals", "boom()"):
        assert secret not in page.text
    reference = reference_of(page)
    logged = [r for r in caplog.records if r.name == "idp.errors" and reference in r.getMessage()]
    assert len(logged) == 1
    assert logged[0].exc_info and logged[0].exc_info[0] is RuntimeError
    assert "hunter2" in caplog.text and "Traceback" in caplog.text


def test_unexpected_exception_in_arabic_and_as_json(failing, caplog):
    caplog.set_level(logging.ERROR, logger="idp.errors")
    page = requests.get(failing + "/boom", headers={"Accept-Language": "ar"}, timeout=5)
    assert_error_page(page, failing, 500, "server_error", "ar")
    assert "حدث خطأ من جهتنا." in page.text
    response = requests.get(failing + "/boom", headers=JSON, timeout=5)
    assert response.status_code == 500
    assert response.json() == {"error": "server_error",
                               "error_description": "Unexpected server error."}
    assert_page_headers(response)


def test_unexpected_exception_on_a_form_post_is_still_the_page(failing, caplog):
    caplog.set_level(logging.ERROR, logger="idp.errors")
    browser = Browser(failing)
    # CSRF comes first: a POST without a token never reaches the view.
    refused = browser.post("/boom", {})
    assert refused.status_code == 400
    assert not [r for r in caplog.records if r.name == "idp.errors"]
