"""ID card login in a real browser with the real card agent: headless Chromium through
Playwright on the provider's card page, `bawaba-card-agent` in its own process signing with
a SoftHSM2 card (token mode), the citizen typing the PIN on the agent's own page. The page's
JavaScript runs under the card page's Content-Security-Policy; the relying party's
redirect_uri is answered by the test."""

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from idp.authn.assurance import LEVEL_2

from .card_support import AMR
from .card_support import CARDS
from .card_support import PIN
from .card_support import audit_rows
from .card_support import card_login  # noqa: F401  (fixture)
from .card_support import hierarchy  # noqa: F401  (fixture)
from .card_support import issue_card
from .card_support import make_citizen
from .card_support import new_rp
from .card_support import session_count
from .card_support import soft_cards  # noqa: F401  (fixture)
from .helpers import REDIRECT_URI
from .helpers import query_of
from .test_browser import Visit
from .test_browser import chromium  # noqa: F401  (fixture)
from .token_helpers import decode

ROOT = Path(__file__).resolve().parent.parent
WAIT = 20


class CardAgent:
    """bawaba-card-agent as a citizen runs it, with one SoftHSM2 card present."""

    def __init__(self, cards, origin, label=CARDS["p256"], port=0):
        self.label = label
        command = [sys.executable, "-m", "card_agent", "--port", str(port), "--no-browser",
                   "--readers", "token", "--pkcs11-module", cards.module, "--token-label",
                   label, "--trusted-origin", origin]
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True,
                                        env={"PATH": "/usr/bin:/bin",
                                             "SOFTHSM2_CONF": str(cards.conf),
                                             "HOME": str(cards.conf.parent)})
        self.lines = []
        started = threading.Event()

        def read():
            for line in self.process.stdout:
                self.lines.append(line)
                if "listening on" in line:
                    started.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        started.wait(WAIT)
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", "".join(self.lines))
        assert match, "".join(self.lines)
        self.url = match.group(1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.reader.join(timeout=10)
        self.process.stdout.close()


@pytest.fixture
def agent(app, issuer, soft_cards, citizen, monkeypatch):  # noqa: F811
    running = CardAgent(soft_cards, issuer)
    monkeypatch.setitem(app.config, "IDP_CARD_AGENT_ORIGIN", running.url)
    yield running
    running.stop()


@pytest.fixture
def citizen(app, issuer, hierarchy, card_login, soft_cards):  # noqa: F811
    make_citizen(app)
    certificate = issue_card(app, soft_cards)
    soft_cards.store("p256", certificate)
    return certificate


@pytest.fixture
def visit(chromium, issuer):  # noqa: F811
    visits = []

    def open_visit(**options):
        visits.append(Visit(chromium, issuer, **options))
        return visits[-1]

    yield open_visit
    for v in visits:
        v.close()


def to_card_page(visit, rp):
    page = visit.page
    page.goto(rp.issuer + "/authorize?" + urlencode(rp.params(acr_values=LEVEL_2)))
    page.locator("a.method[href^='/login/card']").click()
    page.wait_for_url("**/login/card?tx=*")
    return page


def pin_window(page):
    """The address of the agent's PIN window, as the card page links to it."""
    link = page.locator("#card-pin-link a")
    link.wait_for(state="visible")
    return link.get_attribute("href")


def enter_pin(visit, page, pin, agent):
    """The citizen types the PIN in the agent's PIN window. The window's form is posted
    over HTTP with the agent's own Origin: in Chromium the agent's window sends
    `Origin: null` (it has Referrer-Policy: no-referrer) and the agent refuses that (see
    test_pin_typed_in_the_agents_window_in_the_browser)."""
    address = pin_window(page)
    form = requests.get(address, timeout=10)
    token = re.search(r'name="form_token" value="([^"]+)"', form.text).group(1)
    answer = requests.post(address, data={"form_token": token, "pin": pin, "action": "sign"},
                           headers={"Origin": agent.url}, timeout=30)
    assert answer.status_code == 200, answer.text


def test_login_with_the_card_agent_reaches_level_2(app, issuer, client_factory, citizen,
                                                  agent, visit):
    rp = new_rp(issuer, client_factory)
    tab = visit()
    page = to_card_page(tab, rp)
    assert page.locator("h1").inner_text() == "Log in with your ID card"
    page.locator("#card-start").click()
    enter_pin(tab, page, PIN, agent)
    page.wait_for_url("**/consent?tx=*")
    page.get_by_role("button", name="Allow", exact=True).click()
    page.wait_for_url(REDIRECT_URI + "*")
    claims = decode(rp.exchange(query_of(tab.callbacks[0])["code"]).json()["id_token"],
                    issuer).claims
    assert (claims["acr"], claims["amr"]) == (LEVEL_2, AMR)
    assert tab.csp_violations() == []
    assert tab.errors == []
    elsewhere = [u for u in tab.requests if not u.startswith((issuer + "/", agent.url + "/",
                                                              REDIRECT_URI))]
    assert elsewhere == []


def test_wrong_pin_is_explained_in_arabic_and_the_next_try_works(app, issuer, client_factory,
                                                                 citizen, agent, visit):
    rp = new_rp(issuer, client_factory)
    tab = visit(locale="ar")
    page = to_card_page(tab, rp)
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.locator("#card-start").click()
    enter_pin(tab, page, "000000", agent)
    status = page.locator("#card-status")
    status.filter(has_text="الرمز السري غير صحيح").wait_for()
    assert status.inner_text() == "الرمز السري غير صحيح. حاول مرة أخرى."
    deadline = time.monotonic() + WAIT
    while not audit_rows(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    [reported] = audit_rows(app)
    assert reported.detail == {"method": "card", "reason": "agent_wrong_pin", "tries_left": None,
                               "reported_by": "page"}
    assert session_count(app) == 0
    page.locator("#card-start").click()
    enter_pin(tab, page, PIN, agent)
    page.wait_for_url("**/consent?tx=*")
    assert session_count(app) == 1


def test_agent_not_running(app, issuer, client_factory, citizen, visit, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setitem(app.config, "IDP_CARD_AGENT_ORIGIN", closed)
    tab = visit()
    page = to_card_page(tab, new_rp(issuer, client_factory))
    page.locator("#card-start").click()
    status = page.locator("#card-status")
    status.filter(has_text="not running").wait_for()
    assert status.inner_text() == ("The Bawaba card agent is not running on this computer. "
                                   "Start it and try again.")
    assert page.locator("#card-start").is_visible()
    assert tab.csp_violations() == []
    deadline = time.monotonic() + WAIT
    while not audit_rows(app) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [r.detail["reason"] for r in audit_rows(app)] == ["agent_agent_not_running"]


def test_pin_typed_in_the_agents_window_in_the_browser(issuer, client_factory, citizen, agent,
                                                       visit):
    tab = visit()
    page = to_card_page(tab, new_rp(issuer, client_factory))
    page.locator("#card-start").click()
    window = tab.context.new_page()
    window.goto(pin_window(page))
    window.fill("#pin", PIN)
    with window.expect_navigation():
        window.locator("button[value=sign]").click()
    assert "Forbidden" not in window.content()
    page.wait_for_url("**/consent?tx=*")
