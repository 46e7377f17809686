"""The manpower licensing journey in a real browser: headless Chromium (Playwright) opens
the app, is sent to the provider, logs in with Mobile ID (the citizen confirms with the SIM
PIN on the MSSP simulator's handset page, in another tab), and applies. The app asks the
civil registry simulator for the marital status and the social insurance simulator for
the income, over HTTP, and decides at once: an approved applicant pays the fee on the
payment simulator's page and downloads the issued licence; a single applicant is refused
with the reason shown. Real logins only; no request leaves the app, the provider and the
payment simulator."""

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from clients_demo import manpower
from clients_demo import payment_sim
from connectors.civil_registry.directory import CITIZENS_FILE
from connectors.civil_registry.registry import parse_person
from connectors.civil_registry.simulator import RegistrySimulator
from connectors.civil_registry.simulator import RegistrySimulatorConfig
from connectors.social_insurance.simulator import SocialInsuranceSimulator
from connectors.social_insurance.simulator import SocialInsuranceSimulatorConfig
from idp.authn.assurance import LEVEL_2
from idp.citizens.profile import claims_from_person
from idp.extensions import db
from idp.models import Account
from idp.models.types import utcnow

from .demo_support import demo_apps
from .demo_support import served
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401  (fixture)
from .mobile_id_support import mssp_fixture  # noqa: F401  (fixture)
from .mssp_support import CUSTOMER
from .mssp_support import SECOND
from .mssp_support import SIMS
from .test_browser import chromium  # noqa: F401  (fixture)

SCOPES = ("openid", "profile", "national_id")
TIMEOUT_MS = 20_000
WATCH_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});"""
LICENCE_NUMBER = re.compile(r"HWL-\d{4}-\d{8}")


class Counted:
    """Counts the lookups a simulator answers (its scripted-failure control is asked once
    per lookup)."""

    def __init__(self, simulator):
        self.calls = 0
        take = simulator.control.take

        def counted():
            self.calls += 1
            return take()

        simulator.control.take = counted


@pytest.fixture(scope="module")
def registry():
    simulator = RegistrySimulator(RegistrySimulatorConfig(port=0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture(scope="module")
def fund():
    simulator = SocialInsuranceSimulator(SocialInsuranceSimulatorConfig(port=0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def payments():
    with served(payment_sim.create_app, lambda url: {"PAYMENT_BASE_URL": url}) as url:
        yield url


@pytest.fixture
def manpower_app(issuer, client_factory, tmp_path, registry, fund, payments):
    with demo_apps(issuer, client_factory, tmp_path) as start:
        yield start(manpower.create_app, "demo-manpower", scopes=SCOPES,
                    DEMO_SCOPE=" ".join(SCOPES), **registry.settings(), **fund.settings(),
                    PAYMENT_URL=payments)


def registered_citizen(app, msisdn):
    """The account of a SIM's owner as registration leaves it: the civil registry's
    claims (name, birthdate, national ID) in the profile."""
    national_id = SIMS[msisdn].national_id
    citizens = json.loads(Path(CITIZENS_FILE).read_text(encoding="utf-8"))["citizens"]
    person = parse_person(next(c for c in citizens if c["national_id"] == national_id))
    sub = make_citizen(app, msisdn)
    with app.app_context():
        account = db.session.scalars(db.select(Account).filter_by(sub=sub)).one()
        account.profile = claims_from_person(person, utcnow())
        db.session.commit()
    return person


class Citizen:
    """A browser tab on the app and a phone (the handset page) in another context."""

    def __init__(self, browser, mssp, msisdn):
        self.mssp, self.msisdn = mssp, msisdn
        self.context = browser.new_context(locale="en-GB", accept_downloads=True)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.errors, self.requests, self.failed = [], [], []
        self.page.on("console", lambda m: self.errors.append(m.text)
                     if m.type == "error" else None)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("response", lambda r: self.failed.append(r.url)
                     if r.status >= 400 else None)
        self.phone = browser.new_context(locale="en-GB")
        self.phone.set_default_timeout(TIMEOUT_MS)

    def log_in_with_mobile_id(self, issuer):
        """From the provider's chooser to the consent given."""
        page = self.page
        page.wait_for_url(issuer + "/login?*")
        page.get_by_role("link", name="Mobile ID").click()
        page.wait_for_url("**/login/mobile-id?tx=*")
        page.fill("input[name=national_id]", SIMS[self.msisdn].national_id)
        page.fill("input[name=msisdn]", self.msisdn)
        page.get_by_role("button", name="Send the request to my phone").click()
        page.wait_for_url("**/login/mobile-id/wait?tx=*")
        code = page.locator("#mobile-id-code").inner_text().strip()

        handset = self.phone.new_page()
        handset.goto(f"{self.mssp.url}/handset/{self.msisdn}")
        request = handset.locator("section.request")
        assert request.locator(".code").inner_text().strip() == code
        request.locator("input[name=pin]").fill(SIMS[self.msisdn].pin)
        request.get_by_role("button", name="Confirm").click()

        page.wait_for_url("**/consent?tx=*", timeout=30_000)
        page.get_by_role("button", name="Allow", exact=True).click()

    def apply(self, demo, issuer, person):
        page = self.page
        page.goto(demo.url + "/")
        assert page.locator("h1").inner_text() == "Licence to recruit a household worker"
        page.get_by_role("link", name="Start an application").click()
        self.log_in_with_mobile_id(issuer)
        page.wait_for_url(demo.url + "/apply")
        assert page.locator(".level").get_attribute("data-acr") == LEVEL_2
        # The provider released the national ID and birthdate: nothing to type.
        assert page.locator("#national_id").inner_text().startswith(person.national_id)
        assert page.locator("#birthdate").inner_text().startswith(
            person.birthdate.isoformat())
        page.get_by_role("button", name="Check my eligibility").click()
        page.wait_for_url(demo.url + "/applications/MPA-*")

    def fact(self, name):
        return self.page.locator(f"dd.{name}").inner_text().strip()

    def close(self):
        self.phone.close()
        self.context.close()

    def assert_clean(self, issuer, *origins):
        # The provider's and the payment simulator's pages declare no icon, so Chromium
        # may probe their /favicon.ico (a 404 seen only as a console message).
        probes = [e for e in self.errors if e.startswith("Failed to load resource")]
        assert [e for e in self.errors if e not in probes] == [], self.errors
        assert [u for u in self.failed if not u.endswith("/favicon.ico")] == [], self.failed
        seen = {f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" for u in self.requests}
        assert seen <= {issuer, *origins}, seen


def test_an_approved_applicant_pays_and_downloads_the_licence(
        chromium, app, issuer, mobile_id, mssp, registry, fund, payments,  # noqa: F811
        manpower_app):
    person = registered_citizen(app, CUSTOMER)
    registry_lookups, fund_lookups = Counted(registry), Counted(fund)
    citizen = Citizen(chromium, mssp, CUSTOMER)
    try:
        page = citizen.page
        citizen.apply(manpower_app, issuer, person)
        assert (registry_lookups.calls, fund_lookups.calls) == (1, 1)
        assert citizen.fact("decision") == "Approved"
        assert citizen.fact("marital-status") == "married"  # civil registry simulator
        assert citizen.fact("income") == "950.000"  # social insurance simulator
        assert citizen.fact("fee") == "30.000 OMR"
        reference = page.locator("h1 .reference").inner_text().strip()
        assert page.url == f"{manpower_app.url}/applications/{reference}"

        page.get_by_role("button", name="Pay the fee").click()
        page.wait_for_url(payments + "/pay/*")
        assert page.locator("dd.amount").inner_text() == "30.000 OMR"
        page.locator("button[value=pay]").click()

        page.wait_for_url(manpower_app.url + f"/licences/{reference}")
        assert "Your licence has been issued." in page.locator("body").inner_text()
        number = citizen.fact("licence-number")
        assert LICENCE_NUMBER.fullmatch(number)
        assert citizen.fact("holder") == person.name_en.full
        assert citizen.fact("national-id") == person.national_id

        with page.expect_download() as started:
            page.get_by_role("link", name="Download the licence").click()
        download = started.value
        assert download.suggested_filename == f"licence-{number}.txt"
        text = Path(download.path()).read_text(encoding="utf-8")
        assert "Licence to recruit a household worker" in text
        assert re.search(rf"Licence number / رقم الترخيص:\s+{number}\n", text)
        assert re.search(rf"Licence holder / حامل الترخيص:\s+{person.name_en.full}\n", text)
        assert re.search(r"National ID / الرقم المدني:\s+10293847\n", text)
        assert re.search(rf"Application / الطلب:\s+{reference}\n", text)
        assert re.search(r"Fee paid / الرسوم المدفوعة:\s+30\.000 OMR\n", text)
        assert (registry_lookups.calls, fund_lookups.calls) == (1, 1)
    finally:
        citizen.close()
    citizen.assert_clean(issuer, manpower_app.url, payments)


def test_a_single_applicant_is_refused_with_the_reason(
        chromium, app, issuer, mobile_id, mssp, registry, fund, manpower_app):  # noqa: F811
    person = registered_citizen(app, SECOND)
    fund_lookups = Counted(fund)
    citizen = Citizen(chromium, mssp, SECOND)
    try:
        page = citizen.page
        citizen.apply(manpower_app, issuer, person)
        assert fund_lookups.calls == 1
        assert citizen.fact("decision") == "Rejected"
        assert citizen.fact("marital-status") == "single"
        assert citizen.fact("income") == "620.000"
        assert citizen.fact("status") == "rejected"
        assert page.locator("ul.reasons li").all_inner_texts() == [
            "The applicant must be married, widowed or divorced."]
        assert page.get_by_role("button", name="Pay the fee").count() == 0

        page.locator("nav.language a[hreflang=ar]").click()
        page.wait_for_url(manpower_app.url + "/applications/MPA-*")
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("ul.reasons li").all_inner_texts() == [
            "يجب أن يكون مقدم الطلب متزوجاً أو أرملاً أو مطلقاً."]
    finally:
        citizen.close()
    citizen.assert_clean(issuer, manpower_app.url)
