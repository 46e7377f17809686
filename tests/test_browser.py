"""The login journey in a real browser: headless Chromium through Playwright walks
authorize -> chooser -> test login -> consent -> the relying party, in English and in
Arabic, under the provider's Content-Security-Policy. The relying party's redirect_uri is
answered by the test (page.route), so nothing leaves the machine."""

import os
from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest

from .helpers import REDIRECT_URI
from .helpers import RelyingParty
from .helpers import query_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 20_000
RP_PAGE = "<!doctype html><title>Relying party</title><p>Back at the service.</p>"
WATCH_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});"""


@pytest.fixture(scope="module")
def chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: the browser tests need it. "
                    "Install the Debian package `chromium` (scripts/bootstrap.sh does).",
                    pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """A browser tab that records what the provider's pages do: console errors (CSP
    violations among them), every request, and the relying party callbacks."""

    def __init__(self, chromium, issuer, locale="en-US"):
        self.issuer = issuer
        self.context = chromium.new_context(locale=locale)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.errors = []
        self.requests = []
        self.callbacks = []
        self.page.on("console", self._console)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.route(REDIRECT_URI + "*", self._relying_party)

    def _console(self, message):
        if message.type == "error" or "Content Security Policy" in message.text:
            self.errors.append(message.text)

    def _relying_party(self, route):
        self.callbacks.append(route.request.url)
        route.fulfill(status=200, content_type="text/html", body=RP_PAGE)

    def close(self):
        self.context.close()

    def csp_violations(self):
        return [e for e in self.errors if "CSP" in e or "Content Security Policy" in e]

    def assert_clean(self):
        assert self.errors == [], self.errors
        elsewhere = [u for u in self.requests
                     if not (u.startswith(self.issuer + "/") or u.startswith(REDIRECT_URI))]
        assert elsewhere == [], elsewhere

    def root(self):
        html = self.page.locator("html")
        return html.get_attribute("lang"), html.get_attribute("dir")

    def heading(self):
        return self.page.locator("h1").inner_text().strip()


@pytest.fixture
def visit(chromium, issuer):
    visits = []

    def open_visit(**options):
        visits.append(Visit(chromium, issuer, **options))
        return visits[-1]

    yield open_visit
    for v in visits:
        v.close()


def assert_skip_link_comes_first(visit):
    visit.page.keyboard.press("Tab")
    focused = visit.page.evaluate(
        "() => [document.activeElement.className, document.activeElement.getAttribute('href'),"
        " document.activeElement.getBoundingClientRect().top >= 0]")
    assert focused == ["skip-link", "#main", True]


def walk(visit, rp, expected_lang, switch_to=None, **params):
    """authorize -> chooser -> test login -> consent -> the relying party."""
    page = visit.page
    page.goto(rp.issuer + "/authorize?" + urlencode(rp.params(**params)))
    assert urlsplit(page.url).path == "/login"
    tx = query_of(page.url)["tx"]
    if switch_to:
        page.locator(f"nav.language a[hreflang={switch_to}]").click()
        page.wait_for_load_state()
        assert urlsplit(page.url).path == "/login" and query_of(page.url)["tx"] == tx
    lang = visit.root()
    assert lang == (expected_lang, "rtl" if expected_lang == "ar" else "ltr")
    direction = page.evaluate("() => getComputedStyle(document.body).direction")
    assert direction == lang[1]
    assert visit.heading() == {"en": "Log in", "ar": "تسجيل الدخول"}[expected_lang]
    assert_skip_link_comes_first(visit)

    page.locator("a.method").first.click()
    page.wait_for_url("**/login/test?tx=*")
    page.fill("input[name=sub]", "citizen-7")
    page.click("button")

    page.wait_for_url("**/consent?tx=*")
    assert query_of(page.url)["tx"] == tx
    assert visit.root() == lang
    assert rp.client["client_name"] in visit.heading()
    assert page.locator(".scopes li").count() == 2
    allow = {"en": "Allow", "ar": "موافقة"}[expected_lang]
    page.get_by_role("button", name=allow, exact=True).click()

    page.wait_for_url(REDIRECT_URI + "*")
    assert len(visit.callbacks) == 1
    callback = query_of(visit.callbacks[0])
    assert callback["state"] == rp.state and callback["iss"] == rp.issuer
    tokens = rp.exchange(callback["code"])
    assert tokens.status_code == 200, tokens.text
    return tokens.json()


@pytest.mark.parametrize("lang, params, name", [
    ("en", {}, "Ministry of Interior"),
    ("ar", {"ui_locales": "ar"}, "وزارة الداخلية"),
])
def test_login_journey_in_chromium(visit, issuer, client_factory, lang, params, name):
    rp = RelyingParty(issuer, client_factory(name=name))
    v = visit()
    walk(v, rp, lang, **params)
    v.assert_clean()


def test_language_switch_in_chromium_keeps_the_journey(visit, issuer, client_factory):
    rp = RelyingParty(issuer, client_factory(name="Ministry of Interior"))
    v = visit(locale="en-GB")
    walk(v, rp, "ar", switch_to="ar")
    v.assert_clean()


def test_browser_arabic_preference_is_honoured(visit, issuer, client_factory):
    rp = RelyingParty(issuer, client_factory(name="Ministry of Interior"))
    v = visit(locale="ar-AE")
    walk(v, rp, "ar")
    v.assert_clean()


def test_pages_enforce_the_content_security_policy(visit, issuer):
    """The watch above is able to see a violation: an injected inline script is refused
    and reported."""
    v = visit()
    v.page.goto(issuer + "/")
    with v.page.expect_console_message(lambda m: m.text.startswith("CSP violation")) as seen:
        ran = v.page.evaluate("""() => {
            const s = document.createElement("script");
            s.textContent = "window.injected = true";
            document.body.appendChild(s);
            return window.injected === true;
        }""")
    assert ran is False
    assert "script-src" in seen.value.text
    assert v.csp_violations(), v.errors
    with pytest.raises(AssertionError):
        v.assert_clean()
