"""A demo app journey in a real browser: headless Chromium (Playwright) opens the labour
office e-services, is sent to the provider, logs in at level 2 with the test login,
chooses the establishment it holds a mandate for, consents, submits a work-permit request,
reads it in Arabic and logs out, under the apps' and the provider's
Content-Security-Policy, with no request leaving the two origins."""

import os
from urllib.parse import urlsplit

import pytest
import requests

from clients_demo import labour
from idp.authn.assurance import LEVEL_2

from .demo_support import demo_apps
from .demo_support import make_mandate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 20_000
WATCH_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});"""


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need it.",
                    pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def start_demo(issuer, client_factory, tmp_path):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start


def test_labour_journey_in_chromium(app, chromium, issuer, start_demo):
    mandate = make_mandate(app, "agent-7")
    scopes = ("openid", "profile", "establishment")
    demo = start_demo(labour.create_app, "demo-labour", scopes=scopes,
                      DEMO_SCOPE=" ".join(scopes))
    context = chromium.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors, requests_seen, failed = [], [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests_seen.append(r.url))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    try:
        page.goto(demo.url + "/")
        assert page.locator("h1").inner_text() == "Labour office e-services"
        page.get_by_role("link", name="Open the services").click()

        page.wait_for_url(issuer + "/login?*")
        page.locator("a.method").first.click()
        page.wait_for_url("**/login/test?tx=*")
        page.fill("input[name=sub]", "agent-7")
        page.fill("input[name=acr]", LEVEL_2)
        page.click("button")
        page.wait_for_url(issuer + "/login/acting?*")
        page.check(f"input[value='{mandate}']")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(issuer + "/consent?*")
        page.get_by_role("button", name="Allow", exact=True).click()

        page.wait_for_url(demo.url + "/services")
        assert page.locator(".level").get_attribute("data-acr") == LEVEL_2
        assert page.locator(".user-name").inner_text() == "Test agent-7"
        page.get_by_role("link", name="Issue a work permit", exact=True).click()
        page.fill("#worker", "20456789")
        page.fill("#details", "Electrician")
        page.get_by_role("button", name="Submit the request").click()
        page.wait_for_url(demo.url + "/requests/LAB-*")
        reference = page.locator("dd.reference").inner_text()

        page.locator("nav.language a[hreflang=ar]").click()
        page.wait_for_url(demo.url + "/requests/LAB-*")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
        assert page.locator("h1").inner_text() == "إصدار تصريح عمل"
        page.get_by_role("link", name="سجل الطلبات").first.click()
        assert reference in page.locator("table.history").inner_text()

        page.get_by_role("button", name="تسجيل الخروج").click()
        page.wait_for_url(demo.url + "/logged-out?state=*")
        assert page.locator("h1").inner_text() == "تم تسجيل خروجك."
    finally:
        context.close()
    assert failed == [], failed
    # The provider's pages declare no icon, so Chromium probes its /favicon.ico (a 404 that
    # Playwright reports only as a console message); the apps' pages declare theirs.
    probes = [e for e in errors if e.startswith("Failed to load resource")]
    assert [e for e in errors if e not in probes] == [], errors
    assert len(probes) <= 1
    if probes:
        assert requests.get(issuer + "/favicon.ico", timeout=5).status_code == 404
    origins = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in requests_seen}
    assert origins <= {issuer, demo.url}, origins
