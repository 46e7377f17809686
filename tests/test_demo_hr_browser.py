"""The HR platform in headless Chromium with real logins: an employee opens "My job",
creates a Bawaba account and logs in at level 1 with SMS codes, and reads the job data;
filing a grievance sends the browser back to Bawaba to step up with the ID card (the card
agent signs with a SoftHSM2 card after the PIN); the grievance gets a number, which the
employee tracks. A reviewer, at level 2 with their own card, decides it, and the employee
tracking the number again reads the decision and its result."""

import pytest

from clients_demo import hr
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import Account

from .card_support import CARDS
from .citizen_support import AHMED
from .citizen_support import FATMA
from .demo_browser_support import allow_if_asked
from .demo_browser_support import assert_stayed_on
from .demo_browser_support import card_login_in
from .demo_browser_support import demo_stack  # noqa: F401  (fixture)
from .demo_browser_support import give_card
from .demo_browser_support import hierarchy  # noqa: F401  (fixture)
from .demo_browser_support import register
from .demo_browser_support import running_stack  # noqa: F401  (fixture)
from .demo_browser_support import simulators  # noqa: F401  (fixture)
from .demo_browser_support import sms_login
from .demo_browser_support import soft_cards  # noqa: F401  (fixture)
from .demo_browser_support import visits  # noqa: F401  (fixture)
from .demo_support import demo_apps
from .mandate_support import chamber_simulator  # noqa: F401  (fixture)
from .test_browser import chromium  # noqa: F401  (fixture)

DESCRIPTION = "My overtime since March has not been paid."
RESULT = "Upheld: the overtime is paid with the June salary."


@pytest.fixture
def hr_app(client_factory, tmp_path, demo_stack):  # noqa: F811
    with demo_apps(demo_stack.issuer, client_factory, tmp_path) as start:
        yield start(hr.create_app, "demo-hr", HR_REVIEWERS=[])


def first_login(page, stack, demo, person):
    """"My job" without a session: Bawaba's chooser, a new account, an SMS login."""
    page.goto(demo.url + "/")
    page.get_by_role("link", name="My job").first.click()
    page.wait_for_url(stack.issuer + "/login?*")
    register(page, stack, person)
    sms_login(page, stack, person, choose=False)
    allow_if_asked(page, demo.url)
    page.wait_for_url(demo.url + "/job")
    assert page.locator(".level").get_attribute("data-acr") == LEVEL_1


def step_up(visit, page, stack, demo, path):
    page.wait_for_url(stack.issuer + "/login?*")
    methods = page.locator("a.method")
    assert methods.count() == 1 and "/login/card" in methods.first.get_attribute("href")
    card_login_in(visit, page, stack)
    allow_if_asked(page, demo.url)
    page.wait_for_url(demo.url + path)
    assert page.locator(".level").get_attribute("data-acr") == LEVEL_2


def track(page, number):
    page.get_by_role("link", name="Grievances").first.click()
    page.fill("#number", number.lower())
    page.get_by_role("button", name="Track").click()
    page.wait_for_url(f"**/grievances/{number}")


def sub_of(app, person):
    with app.app_context():
        return db.session.execute(db.select(Account.sub).filter_by(
            national_id=person["national_id"])).scalar_one()


def test_employee_files_a_grievance_at_level_2_and_tracks_it_to_its_result(
        app, demo_stack, soft_cards, visits, hr_app):  # noqa: F811
    stack, demo = demo_stack, hr_app
    give_card(app, soft_cards, AHMED, ("Ahmed", "Al Harthy"))
    employee = visits()
    page = employee.page
    first_login(page, stack, demo, AHMED)
    assert page.locator("h1").inner_text() == "My job"
    assert page.locator("dd.name").inner_text() == AHMED["name"]
    assert page.locator("dd.employee-number").inner_text().startswith("E")
    assert page.locator("dd.ministry").inner_text().startswith("Ministry of ")

    page.get_by_role("link", name="Grievances").first.click()
    page.get_by_role("link", name="File a grievance").click()
    step_up(employee, page, stack, demo, "/grievances/new")
    page.select_option("#subject", "Allowances")
    page.fill("#description", DESCRIPTION)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(demo.url + "/grievances/GRV-*")
    assert page.locator(".notice").inner_text() == "Your grievance has been filed."
    number = page.locator("dd.number").inner_text()

    track(page, number)
    assert page.locator("dd.status").inner_text() == "Under review"
    assert page.locator("dd.result").inner_text() == "Not decided yet."

    give_card(app, soft_cards, FATMA, ("Fatma", "Al Balushi"), kind="p384")
    stack.insert_card(soft_cards, CARDS["p384"])
    reviewer = visits()
    desk = reviewer.page
    first_login(desk, stack, demo, FATMA)
    demo.app.config["HR_REVIEWERS"].append(sub_of(app, FATMA))
    desk.goto(demo.url + "/review")
    step_up(reviewer, desk, stack, demo, "/review")
    case = desk.locator(f"section.review[data-number='{number}']")
    case.locator("textarea").fill(RESULT)
    case.get_by_role("button", name="Uphold").click()
    desk.wait_for_url(demo.url + "/review")
    assert desk.locator(f"section.review[data-number='{number}']").count() == 0

    track(page, number)
    assert page.locator("dd.status").inner_text() == "Upheld"
    assert page.locator("dd.result").inner_text() == RESULT
    for visit in (employee, reviewer):
        assert_stayed_on(visit, stack.issuer, stack.agent.url, demo.url)
