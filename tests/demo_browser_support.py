"""Support for the demo apps' journeys in headless Chromium with real logins: a provider
started as an operator starts it (`idp run`) offering SMS codes and the ID card, with the
SMS, civil registry and chamber of commerce simulators behind it, the card agent signing
with a SoftHSM2 card, and the steps a person takes in the browser: registering and
logging in with a code read from the SMS outbox, logging in with the card (PIN typed in
the agent's window), handing in a certified letter. Mandates are approved with
`idp mandates review approve`, as an administrator does."""

import json
import os
import subprocess
from dataclasses import dataclass

import pytest
import requests

from . import citizen_support
from . import mandate_support
from .card_support import CARDS
from .card_support import hierarchy  # noqa: F401  (fixture)
from .card_support import issue_card
from .card_support import soft_cards  # noqa: F401  (fixture)
from .citizen_support import IDP
from .citizen_support import PASSWORD
from .citizen_support import free_port
from .citizen_support import sms_provider
from .test_browser import Visit
from .test_card_login_browser import PIN
from .test_card_login_browser import CardAgent
from .test_card_login_browser import enter_pin

simulators = citizen_support.simulators
chamber_simulator = mandate_support.chamber_simulator
SMS_METHOD = "ID number, password and a code by text message"
WAIT_MS = 30_000


@dataclass
class Stack:
    provider: citizen_support.Provider
    agent: CardAgent
    chamber: object

    @property
    def issuer(self):
        return self.provider.issuer

    def idp(self, *args):
        """`idp …` run by an administrator against the provider's instance folder."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("IDP_", "PKCS11_", "SMS_", "OTP_", "CIVIL_REGISTRY_"))
               and k not in ("SECRET_KEY", "SOFTHSM2_CONF")}
        env["IDP_INSTANCE_PATH"] = str(self.provider.log.parent)
        done = subprocess.run([IDP, *args], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def letter(self, number):
        """A letter file the chamber certified, as its counter hands it out."""
        answer = requests.get(f"{self.chamber.url}/v1/letters/{number}/document",
                              headers={"X-API-Key": self.chamber.config.api_key}, timeout=5)
        answer.raise_for_status()
        return answer.json()["document"]

    def certify(self, **fields):
        return mandate_support.certify(self.chamber, **fields)

    def insert_card(self, cards, label):
        """The citizen at the computer changes: the agent is started again, on the same
        port, with another card present."""
        port = int(self.agent.url.rsplit(":", 1)[1])
        self.agent.stop()
        self.agent = CardAgent(cards, self.issuer, label=label, port=port)

    def approve_letters(self):
        """Approve every request waiting for review; their ids."""
        waiting = json.loads(self.idp("mandates", "review", "list", "--json"))
        for row in waiting:
            self.idp("mandates", "review", "approve", row["id"], "--by", "ops-1")
        return [row["id"] for row in waiting]


@pytest.fixture(scope="module")
def running_stack(app, live_server, simulators, chamber_simulator, soft_cards,  # noqa: F811
          tmp_path_factory):
    """The provider (SMS and ID card logins, mandates checked with the chamber) and the
    card agent trusting it. The suite's own provider (`live_server`) answers OCSP for
    the cards its CA issues."""
    agent_port = free_port()
    with sms_provider(app, simulators, tmp_path_factory.mktemp("demo-stack"),
                      IDP_LOGIN_METHODS=["sms", "card"],
                      IDP_CARD_AGENT_URL=f"http://127.0.0.1:{agent_port}",
                      CHAMBER_BACKEND="http", CHAMBER_URL=chamber_simulator.url,
                      CHAMBER_API_KEY=chamber_simulator.config.api_key) as provider:
        running = Stack(provider, CardAgent(soft_cards, provider.issuer, port=agent_port),
                        chamber_simulator)
        try:
            yield running
        finally:
            running.agent.stop()


@pytest.fixture
def demo_stack(app, running_stack, hierarchy, soft_cards):  # noqa: F811
    """The stack with an empty outbox, a fresh PKI and the first card for this test."""
    running_stack.provider.reset()
    if running_stack.agent.label != CARDS["p256"]:
        running_stack.insert_card(soft_cards, CARDS["p256"])
    yield running_stack
    running_stack.provider.reset()


def give_card(app, cards, person, names, kind="p256"):
    """The ID card the state issues to `person`: its certificate, from the card CA, on
    the SoftHSM2 token the agent reads."""
    certificate = issue_card(app, cards, kind=kind, national_id=person["national_id"],
                             names=names)
    cards.store(kind, certificate)
    return certificate


@pytest.fixture
def visits(chromium, running_stack):
    opened = []

    def open_visit(locale="en-GB"):
        opened.append(Visit(chromium, running_stack.issuer, locale=locale))
        return opened[-1]

    yield open_visit
    for visit in opened:
        visit.close()


# In the browser, on the provider's pages


def choose_sms(page):
    page.get_by_role("link", name=SMS_METHOD).click()
    page.wait_for_url("**/login/sms?tx=*")


def register(page, stack, person):
    """From the chooser: create the account (code from the outbox, a password); ends on
    the SMS login page of the same transaction."""
    choose_sms(page)
    page.locator("a[href^='/register']").click()
    page.wait_for_url("**/register?tx=*")
    page.fill("#national_id", person["national_id"])
    page.fill("#date_of_birth", person["date_of_birth"])
    page.locator("form[action='/register'] button[type=submit]").click()
    page.wait_for_url("**/register/code?tx=*")
    page.fill("#code", stack.provider.last_code(person["mobile"]))
    page.locator("form[action='/register/code'] button[type=submit]").click()
    page.wait_for_url("**/register/password?tx=*")
    page.fill("#password", PASSWORD)
    page.fill("#confirmation", PASSWORD)
    page.locator("form[action='/register/password'] button[type=submit]").click()
    page.wait_for_url("**/login/sms?tx=*")


def sms_login(page, stack, person, choose=True):
    """Level 1: national ID and password, then the code the SMS brought."""
    if choose:
        choose_sms(page)
    requests.delete(stack.provider.simulators.sms.http.url + "/outbox", timeout=5)
    page.fill("#national_id", person["national_id"])
    page.fill("#password", PASSWORD)
    page.locator("form[action='/login/sms'] button[type=submit]").click()
    page.wait_for_url("**/login/sms/code?tx=*")
    page.fill("#code", stack.provider.last_code(person["mobile"]))
    page.locator("form[action='/login/sms/code'] button[type=submit]").click()


def card_login_in(visit, page, stack):
    """Level 2: the chooser's ID card method, the card agent, the PIN in its window."""
    page.locator("a.method[href^='/login/card']").click()
    page.wait_for_url("**/login/card?tx=*")
    page.locator("#card-start").click()
    enter_pin(visit, page, PIN, stack.agent)


def hand_in_letter(visit, stack, person, document, new_account=True):
    """The agent's account page (level 1): register if needed, log in, hand in the
    letter file. Returns the page's notice."""
    page = visit.page
    page.goto(stack.issuer + "/account/login")
    page.wait_for_url("**/login?tx=*")
    if new_account:
        register(page, stack, person)
        sms_login(page, stack, person, choose=False)
    else:
        sms_login(page, stack, person)
    page.wait_for_url(stack.issuer + "/account/mandates")
    page.set_input_files("#letter", {"name": "letter.jws", "mimeType": "text/plain",
                                     "buffer": document.encode()})
    page.get_by_role("button", name="Hand in the letter").click()
    page.wait_for_url(stack.issuer + "/account/mandates")
    return page.locator(".notice").inner_text()


def allow_if_asked(page, app_url):
    """Consent is asked once per client and scope set; later logins go straight back."""
    page.wait_for_url(lambda url: "/consent?" in url or url.startswith(app_url),
                      timeout=WAIT_MS)
    if "/consent?" in page.url:
        page.get_by_role("button", name="Allow", exact=True).click()


def assert_stayed_on(visit, *origins):
    """No console error, no CSP violation, no request outside `origins`."""
    assert visit.errors == [], visit.errors
    elsewhere = [u for u in visit.requests if not u.startswith(tuple(o + "/" for o in origins))]
    assert elsewhere == [], elsewhere
