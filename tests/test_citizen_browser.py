"""A test citizen registers and logs in with SMS codes in headless Chromium (Playwright),
in English and in Arabic, starting from a relying party's authorization request and ending
back at it with a level-1 ID token; the codes are read from the SMS simulator's outbox.
No console errors, no Content-Security-Policy violations, nothing loaded from elsewhere."""

from urllib.parse import urlencode
from urllib.parse import urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.authn.assurance import LEVEL_1

from . import citizen_support
from . import test_browser
from .citizen_support import AHMED
from .citizen_support import FATMA
from .citizen_support import PASSWORD
from .helpers import REDIRECT_URI
from .helpers import RelyingParty
from .helpers import query_of

simulators = citizen_support.simulators
provider = citizen_support.provider
sms = citizen_support.sms
chromium = test_browser.chromium

TEXT = {
    "en": {"chooser": "Log in", "method": "ID number, password and a code by text message",
           "login": "Log in with your ID number", "register": "Create your Bawaba account",
           "code": "Enter the code", "password": "Choose your password",
           "ready": "Your Bawaba account is ready.", "allow": "Allow"},
    "ar": {"chooser": "تسجيل الدخول", "method": "الرقم المدني وكلمة المرور ورمز برسالة نصية",
           "login": "تسجيل الدخول بالرقم المدني", "register": "أنشئ حسابك في بوابة",
           "code": "أدخل الرمز", "password": "اختر كلمة المرور",
           "ready": "حسابك في بوابة جاهز.", "allow": "موافقة"},
}


@pytest.mark.parametrize("lang, locale, person", [("en", "en-GB", AHMED), ("ar", "ar-OM", FATMA)])
def test_register_and_log_in_in_chromium(chromium, sms, client_factory, lang, locale, person):
    text = TEXT[lang]
    rp = RelyingParty(sms.issuer, client_factory(name="Ministry of Housing",
                                                 scopes=("openid", "profile", "phone")))
    visit = test_browser.Visit(chromium, sms.issuer, locale=locale)
    page = visit.page
    try:
        page.goto(sms.issuer + "/authorize?" + urlencode(rp.params(scope="openid profile")))
        assert urlsplit(page.url).path == "/login"
        assert visit.root() == (lang, "rtl" if lang == "ar" else "ltr")
        assert visit.heading() == text["chooser"]
        page.get_by_role("link", name=text["method"]).click()
        page.wait_for_url("**/login/sms?tx=*")
        assert visit.heading() == text["login"]

        page.locator("a[href^='/register']").click()
        page.wait_for_url("**/register?tx=*")
        assert visit.heading() == text["register"]
        page.fill("#national_id", person["national_id"])
        page.fill("#date_of_birth", person["date_of_birth"])
        page.locator("form[action='/register'] button[type=submit]").click()
        page.wait_for_url("**/register/code?tx=*")
        assert visit.heading() == text["code"]
        assert page.locator("#code").get_attribute("autocomplete") == "one-time-code"
        page.fill("#code", sms.last_code(person["mobile"]))
        page.locator("form[action='/register/code'] button[type=submit]").click()

        page.wait_for_url("**/register/password?tx=*")
        assert visit.heading() == text["password"]
        page.fill("#password", PASSWORD)
        page.fill("#confirmation", PASSWORD)
        page.locator("form[action='/register/password'] button[type=submit]").click()

        page.wait_for_url("**/login/sms?tx=*")
        assert text["ready"] in page.locator(".notice").inner_text()
        page.fill("#national_id", person["national_id"])
        page.fill("#password", PASSWORD)
        page.locator("form[action='/login/sms'] button[type=submit]").click()
        page.wait_for_url("**/login/sms/code?tx=*")
        assert visit.root() == (lang, "rtl" if lang == "ar" else "ltr")
        page.fill("#code", sms.last_code(person["mobile"]))
        page.locator("form[action='/login/sms/code'] button[type=submit]").click()

        page.wait_for_url("**/consent?tx=*")
        page.get_by_role("button", name=text["allow"], exact=True).click()
        page.wait_for_url(REDIRECT_URI + "*")
        callback = query_of(visit.callbacks[0])
        assert callback["state"] == rp.state
        tokens = rp.exchange(callback["code"])
        assert tokens.status_code == 200, tokens.text
        keys = KeySet.import_key_set(requests.get(sms.issuer + "/jwks", timeout=5).json())
        claims = jwt.decode(tokens.json()["id_token"], keys).claims
        assert claims["acr"] == LEVEL_1
        assert claims["amr"] == ["pwd", "sms", "otp", "mfa"]
        visit.assert_clean()
    finally:
        visit.close()
