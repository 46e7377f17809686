"""Mobile ID login in a real browser: headless Chromium through Playwright on the
provider's pages, whose script polls the status endpoint under the Content-Security-Policy,
while the citizen, in another tab, compares the verification code and confirms with the
SIM PIN on the MSSP simulator's handset page. The relying party's redirect_uri is answered
by the test."""

from urllib.parse import urlencode
from urllib.parse import urlsplit

from idp.authn.assurance import LEVEL_2

from .helpers import REDIRECT_URI
from .helpers import query_of
from .mobile_id_support import AMR
from .mobile_id_support import audit_rows
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mobile_id_support import national_id_of
from .mobile_id_support import new_rp
from .mssp_support import CUSTOMER
from .mssp_support import SIMS
from .test_browser import Visit
from .test_browser import chromium  # noqa: F401  (fixture)
from .token_helpers import decode


def test_mobile_id_login_in_chromium_confirmed_on_the_handset_page(
        chromium, app, issuer, client_factory, mobile_id, mssp):  # noqa: F811
    sub = make_citizen(app, CUSTOMER)
    rp = new_rp(issuer, client_factory)
    visit = Visit(chromium, issuer)
    handset = chromium.new_context()
    try:
        page = visit.page
        page.goto(issuer + "/authorize?" + urlencode(rp.params(acr_values=LEVEL_2)))
        assert urlsplit(page.url).path == "/login"
        page.get_by_role("link", name="Mobile ID").click()
        page.wait_for_url("**/login/mobile-id?tx=*")
        page.fill("input[name=national_id]", national_id_of(CUSTOMER))
        page.fill("input[name=msisdn]", "9123 4567")  # a local number: Oman by default
        page.get_by_role("button", name="Send the request to my phone").click()
        page.wait_for_url("**/login/mobile-id/wait?tx=*")
        code = page.locator("#mobile-id-code").inner_text().strip()
        assert len(code) == 4 and code.isdigit()
        # Without JavaScript a button asks once; with it, the page asks by itself.
        assert page.locator("#mobile-id-wait").is_hidden()

        phone = handset.new_page()
        phone.goto(f"{mssp.url}/handset/{CUSTOMER}")
        request = phone.locator("section.request")
        assert request.locator(".code").inner_text().strip() == code
        assert code in request.locator(".text").inner_text()
        request.locator("input[name=pin]").fill(SIMS[CUSTOMER].pin)
        request.get_by_role("button", name="Confirm").click()

        page.wait_for_url("**/consent?tx=*", timeout=30_000)
        page.get_by_role("button", name="Allow", exact=True).click()
        page.wait_for_url(REDIRECT_URI + "*")
        callback = query_of(visit.callbacks[0])
        assert callback["state"] == rp.state
        tokens = rp.exchange(callback["code"])
        assert tokens.status_code == 200, tokens.text
        claims = decode(tokens.json()["id_token"], issuer).claims
        assert claims["sub"] == sub and claims["acr"] == LEVEL_2 and claims["amr"] == AMR
        assert [r.outcome for r in audit_rows(app, "login")] == ["success"]
        statuses = [u for u in visit.requests if u.endswith("/login/mobile-id/status")]
        assert statuses, visit.requests
        visit.assert_clean()
    finally:
        handset.close()
        visit.close()


def test_mobile_id_failure_is_shown_in_chromium(
        chromium, app, issuer, client_factory, mobile_id, mssp):  # noqa: F811
    make_citizen(app, CUSTOMER)
    rp = new_rp(issuer, client_factory)
    mssp.script(CUSTOMER, behaviour="cancel", delay=1)
    visit = Visit(chromium, issuer, locale="ar")
    try:
        page = visit.page
        page.goto(issuer + "/authorize?" + urlencode(rp.params(acr_values=LEVEL_2)))
        page.goto(issuer + "/login/mobile-id?tx=" + query_of(page.url)["tx"])
        page.fill("input[name=national_id]", national_id_of(CUSTOMER))
        page.fill("input[name=msisdn]", CUSTOMER)
        page.locator("form button[type=submit]").click()
        page.wait_for_url("**/login/mobile-id/wait?tx=*")
        failure = page.locator("#mobile-id-failure")
        failure.wait_for(state="visible", timeout=30_000)
        assert failure.inner_text().strip() == "لقد رفضت الطلب على هاتفك."
        assert page.locator("#mobile-id-waiting").is_hidden()
        assert page.locator("#mobile-id-retry a").is_visible()
        visit.assert_clean()
    finally:
        visit.close()
