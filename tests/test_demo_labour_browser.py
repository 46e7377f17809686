"""The labour office e-services in headless Chromium with real logins: an agent of Al Noor
Trading registers with Bawaba, hands in the letter the chamber of commerce certified, and
an administrator approves it (`idp mandates review approve`). The agent then opens the
labour app, logs in at level 1 with an SMS code and chooses to act for the establishment;
opening the services sends the browser back to Bawaba to step up, where the agent logs in
with the ID card (the card agent signs with a SoftHSM2 card after the PIN), and returns to
issue a work permit that the history shows as the agent's act for the establishment.
An agent whose mandate lacks a service's permission is refused with a page saying so."""

import pytest

from clients_demo import labour
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2

from .citizen_support import AHMED
from .demo_browser_support import allow_if_asked
from .demo_browser_support import assert_stayed_on
from .demo_browser_support import card_login_in
from .demo_browser_support import chamber_simulator  # noqa: F401  (fixture)
from .demo_browser_support import demo_stack  # noqa: F401  (fixture)
from .demo_browser_support import give_card
from .demo_browser_support import hand_in_letter
from .demo_browser_support import hierarchy  # noqa: F401  (fixture)
from .demo_browser_support import running_stack  # noqa: F401  (fixture)
from .demo_browser_support import simulators  # noqa: F401  (fixture)
from .demo_browser_support import sms_login
from .demo_browser_support import soft_cards  # noqa: F401  (fixture)
from .demo_browser_support import visits  # noqa: F401  (fixture)
from .demo_support import demo_apps
from .mandate_support import LETTER
from .mandate_support import SAHIL
from .test_browser import chromium  # noqa: F401  (fixture)

AHMED_CARD_NAMES = ("Ahmed", "Al Harthy")
SCOPES = ("openid", "profile", "establishment")


@pytest.fixture
def labour_app(client_factory, tmp_path, demo_stack):  # noqa: F811
    with demo_apps(demo_stack.issuer, client_factory, tmp_path) as start:
        yield start(labour.create_app, "demo-labour", scopes=SCOPES,
                    DEMO_SCOPE=" ".join(SCOPES))


def agent_with_mandate(app, stack, soft_cards, visits, document):  # noqa: F811
    """Ahmed registered with Bawaba, holding his ID card and the mandate `document`
    certifies, approved by an administrator; the mandate's id."""
    give_card(app, soft_cards, AHMED, AHMED_CARD_NAMES)
    notice = hand_in_letter(visits(), stack, AHMED, document)
    assert "We received the letter" in notice, notice
    [mandate] = stack.approve_letters()
    return mandate


def log_in_at_level_1(page, stack, demo, mandate):
    """The app's own login link: SMS codes, then the establishment on the acting page."""
    page.goto(demo.url + "/")
    page.locator("a.login").click()
    page.wait_for_url(stack.issuer + "/login?*")
    sms_login(page, stack, AHMED)
    page.wait_for_url(stack.issuer + "/login/acting?*")
    page.check(f"input[value='{mandate}']")
    page.get_by_role("button", name="Continue").click()
    allow_if_asked(page, demo.url)
    page.wait_for_url(demo.url + "/")
    assert page.locator(".level").get_attribute("data-acr") == LEVEL_1


def step_up_with_the_card(visit, page, stack, demo, mandate):
    """Opening the services at level 1: back to Bawaba, where only the ID card can give
    level 2, then the establishment again for this login."""
    page.get_by_role("link", name="Open the services").click()
    page.wait_for_url(stack.issuer + "/login?*")
    methods = page.locator("a.method")
    assert methods.count() == 1 and "/login/card" in methods.first.get_attribute("href")
    card_login_in(visit, page, stack)
    page.wait_for_url(stack.issuer + "/login/acting?*")
    page.check(f"input[value='{mandate}']")
    page.get_by_role("button", name="Continue").click()
    allow_if_asked(page, demo.url)
    page.wait_for_url(demo.url + "/services")
    assert page.locator(".level").get_attribute("data-acr") == LEVEL_2


def test_agent_steps_up_with_the_id_card_and_issues_a_work_permit(
        app, demo_stack, soft_cards, visits, labour_app):  # noqa: F811
    stack, demo = demo_stack, labour_app
    mandate = agent_with_mandate(app, stack, soft_cards, visits, stack.letter(LETTER))
    visit = visits()
    page = visit.page
    log_in_at_level_1(page, stack, demo, mandate)
    step_up_with_the_card(visit, page, stack, demo, mandate)

    acting = page.locator("section.acting-for .establishment")
    assert acting.inner_text() == "Al Noor Trading LLC"
    assert acting.get_attribute("data-cr") == "1234567"
    page.get_by_role("link", name="Issue a work permit", exact=True).click()
    page.wait_for_url(demo.url + "/services/work-permit")
    page.fill("#worker", "20456789")
    page.fill("#details", "Electrician")
    page.get_by_role("button", name="Submit the request").click()
    page.wait_for_url(demo.url + "/requests/LAB-*")
    reference = page.locator("dd.reference").inner_text()
    assert page.locator("dd.establishment").inner_text() == "Al Noor Trading LLC"
    assert page.locator("dd.acr").inner_text() == LEVEL_2

    page.get_by_role("link", name="Request history").first.click()
    page.wait_for_url(demo.url + "/requests")
    row = page.locator("table.history tbody tr", has_text=reference)
    assert row.locator("td.agent").inner_text() == AHMED["name"]
    assert row.locator("td.establishment").inner_text() == "Al Noor Trading LLC (1234567)"
    assert row.locator("td.service").inner_text() == "Issue a work permit"
    assert_stayed_on(visit, stack.issuer, stack.agent.url, demo.url)


def test_agent_whose_mandate_lacks_the_permission_is_refused(
        app, demo_stack, soft_cards, visits, labour_app):  # noqa: F811
    stack, demo = demo_stack, labour_app
    document = stack.certify(cr_number=SAHIL, owner_national_id="10384756",
                             permissions=["visa.cancel"])
    mandate = agent_with_mandate(app, stack, soft_cards, visits, document)
    visit = visits()
    page = visit.page
    log_in_at_level_1(page, stack, demo, mandate)
    step_up_with_the_card(visit, page, stack, demo, mandate)

    services = page.locator("ul.services")
    assert services.get_by_role("link").all_inner_texts() == ["Cancel a visa"]
    page.goto(demo.url + "/services/work-permit")
    assert page.locator("h1").inner_text() == "Issue a work permit"
    refusal = page.locator(".error-message").inner_text()
    assert refusal == ("Your mandate for Sahil Contracting does not cover this service "
                       "(work_permit.issue). Ask the establishment's owner to add it.")
    page.get_by_role("link", name="Request history").first.click()
    assert page.locator("table.history").count() == 0
