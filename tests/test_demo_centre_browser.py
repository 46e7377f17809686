"""Assisted work at a service centre in headless Chromium (Playwright): the operator logs
in to the console with Mobile ID (level 2, confirmed with the SIM PIN on the MSSP
simulator's handset page), starts assisted work for a walk-in citizen, enters the code the
citizen read in the SMS (the SMS simulator's outbox), and files a licence application in
the manpower app, which receives a token whose `act` names the operator and the centre;
then the work is completed. The citizen got an SMS at each step."""


from . import citizen_support
from .mandate_support import AGENT
from .mandate_support import make_person
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mssp_support import SECOND
from .mssp_support import SIMS
from .test_browser import chromium  # noqa: F401  (fixture)
from .test_demo_centre import BIRTHDATE
from .test_demo_centre import CENTRE_NAME
from .test_demo_centre import CENTRE_NAME_AR
from .test_demo_centre import cli
from .test_demo_centre import console_for
from .test_demo_centre import fund  # noqa: F401  (fixture)
from .test_demo_centre import manpower_app  # noqa: F401  (fixture)
from .test_demo_centre import outbox  # noqa: F401  (fixture)
from .test_demo_centre import start_centre_console  # noqa: F401  (fixture)
from .test_demo_centre import start_demo  # noqa: F401  (fixture)

simulators = citizen_support.simulators
TIMEOUT_MS = 30_000
WATCH_CSP = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});"""


def test_an_operator_logged_in_with_mobile_id_serves_a_citizen_in_chromium(
        app, issuer, chromium, mobile_id, mssp, start_centre_console,  # noqa: F811
        manpower_app, outbox):  # noqa: F811
    operator = make_citizen(app, SECOND)
    make_person(app, AGENT)
    console = console_for(start_centre_console, {"demo-manpower": {
        "title": "Manpower licensing", "api": manpower_app.url + "/api/applications"}})
    cli(app, "centres", "add", "MCT-01", "--name", CENTRE_NAME, "--name-ar", CENTRE_NAME_AR,
        "--client-id", console.client["client_id"])
    cli(app, "centres", "operators", "add", "MCT-01", operator)

    context = chromium.new_context(locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(WATCH_CSP)
    handset = chromium.new_context()
    errors = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(console.url + "/")
        page.locator("a.button", has_text="Console").click()
        page.wait_for_url(issuer + "/login?*")
        page.get_by_role("link", name="Mobile ID").click()
        page.wait_for_url("**/login/mobile-id?tx=*")
        page.fill("input[name=national_id]", SIMS[SECOND].national_id)
        page.fill("input[name=msisdn]", SECOND)
        page.get_by_role("button", name="Send the request to my phone").click()
        page.wait_for_url("**/login/mobile-id/wait?tx=*")
        code = page.locator("#mobile-id-code").inner_text().strip()

        phone = handset.new_page()
        phone.goto(f"{mssp.url}/handset/{SECOND}")
        request = phone.locator("section.request")
        assert request.locator(".code").inner_text().strip() == code
        request.locator("input[name=pin]").fill(SIMS[SECOND].pin)
        request.get_by_role("button", name="Confirm").click()

        page.wait_for_url(lambda url: "/consent?" in url or url.startswith(
            console.url + "/console"), timeout=TIMEOUT_MS)
        if "/consent?" in page.url:
            page.get_by_role("button", name="Allow", exact=True).click()
        page.wait_for_url(console.url + "/console")

        page.fill("#national_id", AGENT["national_id"])
        page.select_option("#service", "demo-manpower")
        page.get_by_role("button", name="Start assisted work").click()
        page.wait_for_url(console.url + "/work/asw_*")
        assert page.locator("dd.stated-state").inner_text() == "awaiting_consent"

        page.fill("#code", outbox.code())  # the citizen reads it from their SMS
        page.get_by_role("button", name="Confirm the consent").click()
        page.locator("text=The citizen consented.").wait_for()
        page.fill("#birthdate", BIRTHDATE)
        page.get_by_role("button", name="Submit the request for the citizen").click()
        page.locator("dd.decision").wait_for()
        assert page.locator("dd.decision").inner_text() == "Approved"
        assert page.locator("dd.actor").inner_text() == operator
        assert page.locator("dd.centre").inner_text() == "MCT-01"
        reference = page.locator("dd.result-reference").inner_text()

        page.get_by_role("button", name="Complete the work").click()
        page.locator(".completed").wait_for()
    finally:
        handset.close()
        context.close()
    csp = [e for e in errors if e.startswith("CSP violation")]
    assert csp == [], csp

    # What the manpower app received: the acting token's act, as it recorded it.
    recorded = manpower_app.app.extensions["demo_store"].one(
        "SELECT a.sub, s.operator_sub, s.centre_id, s.centre_client_id FROM "
        "manpower_applications a JOIN manpower_assisted s USING (reference) "
        "WHERE reference = ?", reference)
    assert tuple(recorded) == (AGENT["sub"], operator, "MCT-01", console.client["client_id"])
    texts = outbox.wait_for(4)
    assert len(texts) == 4
    for text, said in zip(texts, ("asks to act for you", "you allowed", "submitted your request",
                                  "completed the work"), strict=True):
        assert CENTRE_NAME in text and said in text, text
