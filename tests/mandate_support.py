"""Support for the mandate tests: the chamber of commerce simulator as a real server, the
suite's provider pointed at it (through the real HTTP client) with an in-memory SMS
gateway for the agents' notices, people with national IDs, logins for the account pages,
and an administrator's API client. Test modules bind the fixtures by assignment."""

import json
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.chamber.http_client import ChamberSettings
from connectors.chamber.http_client import HttpChamber
from connectors.chamber.simulator import ChamberSimulator
from connectors.chamber.simulator import ChamberSimulatorConfig
from connectors.sms.memory import InMemorySmsGateway
from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.mandates import CHAMBER
from idp.mandates import NOTIFIER
from idp.models import Account
from idp.models import AuditEvent
from idp.models import Mandate
from idp.models.types import utcnow

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in

# People of connectors/civil_registry/citizens.json; the chamber lists the owners.
OWNER = {"sub": "owner-1", "national_id": "10475869", "phone": "+96893456789"}  # Al Noor
OTHER_OWNER = {"sub": "owner-2", "national_id": "10384756", "phone": "+96892345678"}  # Sahil
AGENT = {"sub": "agent-1", "national_id": "10293847", "phone": "+96891234567"}
NOBODY = {"sub": "agent-2", "national_id": "10567890", "phone": "+96872123456"}
AL_NOOR = "1234567"
SAHIL = "2345678"
STRUCK_OFF = "3456789"
SUSPENDED = "4567890"
LETTER = "OCCI-2026-000101"  # Ahmed for Al Noor, valid
WITHDRAWN = "OCCI-2026-000102"


@pytest.fixture(scope="session")
def chamber_simulator():
    simulator = ChamberSimulator(ChamberSimulatorConfig(port=0)).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def chamber(app, chamber_simulator):
    """The suite's provider asks the simulator; notices go to an in-memory gateway."""
    client = HttpChamber(ChamberSettings(base_url=chamber_simulator.url,
                                         api_key=chamber_simulator.config.api_key,
                                         timeout=3, retries=0))
    sms = InMemorySmsGateway()
    saved = {k: app.extensions.get(k) for k in (CHAMBER, NOTIFIER)}
    app.extensions[CHAMBER], app.extensions[NOTIFIER] = client, sms
    chamber_simulator.sms = sms
    requests.post(chamber_simulator.url + "/control", json={"mode": "normal"}, timeout=5)
    yield chamber_simulator
    requests.post(chamber_simulator.url + "/control", json={"mode": "normal"}, timeout=5)
    for key, value in saved.items():
        if value is None:
            app.extensions.pop(key, None)
        else:
            app.extensions[key] = value
    client.close()


def make_person(app, person, roles=()):
    with app.app_context():
        db.session.add(Account(sub=person["sub"], national_id=person["national_id"],
                               roles=list(roles),
                               profile={"name": f"Test {person['sub']}",
                                        "phone_number": person["phone"],
                                        "phone_number_verified": True}))
        db.session.commit()


@pytest.fixture
def people(app):
    for person in (OWNER, OTHER_OWNER, AGENT, NOBODY):
        make_person(app, person)


def account_login(browser, person, acr=LEVEL_2):
    """Log in for the account pages (level 2 asked); returns the mandates page."""
    page = browser.follow(browser.get("/account/login?level=2"))
    assert "/login?tx=" in page.url, page.url
    page = browser.login(page, sub=person["sub"], acr=acr)
    assert page.status_code == 200 and page.url.endswith("/account/mandates"), page.url
    return page


def grant(browser, page, cr=AL_NOOR, agent=AGENT["national_id"],
          permissions=("work_permit.issue", "visa.cancel"), starts=None, ends=None):
    today = utcnow().date()
    data = {"csrf_token": browser.csrf(page), "cr_number": cr, "agent_national_id": agent,
            "permissions": list(permissions),
            "starts_on": (starts or today).isoformat(),
            "ends_on": (ends or today + timedelta(days=90)).isoformat()}
    return browser.post("/account/mandates/grant", data)


def hand_in(browser, page, document):
    return browser.post("/account/mandates/letter", {"csrf_token": browser.csrf(page)},
                        files={"letter": ("letter.jws", document.encode(), "text/plain")})


def letter_document(simulator, number=LETTER):
    return simulator.directory.letter(number)["document"]


def certify(simulator, **fields):
    today = utcnow().date()
    body = {"cr_number": AL_NOOR, "owner_national_id": OWNER["national_id"],
            "agent_national_id": AGENT["national_id"], "permissions": ["work_permit.issue"],
            "valid_from": today.isoformat(),
            "valid_until": (today + timedelta(days=30)).isoformat(), **fields}
    answer = requests.post(simulator.url + "/v1/letters", json=body, timeout=5,
                           headers={"X-API-Key": simulator.config.api_key})
    assert answer.status_code == 201, answer.text
    return answer.json()["document"]


def mandates(app):
    with app.app_context():
        return db.session.scalars(db.select(Mandate).order_by(Mandate.id)).all()


def events(app, *names):
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if names:
            query = query.where(AuditEvent.event.in_(names))
        return [(e.event, e.outcome, e.subject, e.detail) for e in db.session.scalars(query)]


def alert(page):
    start = page.text.find('role="alert"')
    return page.text[start:start + 400] if start >= 0 else ""


def admin_token(app, issuer, client_factory, sub="admin-1", acr=LEVEL_2, roles=("admin",)):
    rp = RelyingParty(issuer, client_factory())
    callback = sign_in(Browser(issuer), rp, sub=sub, acr=acr)
    response = rp.exchange(callback["code"])
    assert response.status_code == 200, response.text
    with app.app_context():
        account = db.session.execute(db.select(Account).filter_by(sub=sub)).scalar_one()
        account.roles = list(roles)
        db.session.commit()
    return response.json()["access_token"]


class AdminApi:
    def __init__(self, issuer, token=None):
        self.base = issuer + "/admin/api/mandates"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path="", **params):
        return requests.get(self.base + path, params=params, headers=self.headers, timeout=10)

    def post(self, path, body=None):
        return requests.post(self.base + path, json=body if body is not None else {},
                             headers=self.headers, timeout=10)


def tx_of(page):
    return parse_qs(urlsplit(page.url).query)["tx"][0]


def json_of(output):
    return json.loads(output)


__all__ = ["LEVEL_1"]
