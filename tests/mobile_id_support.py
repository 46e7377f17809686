"""Support for the Mobile ID login and CIBA tests: the MSSP simulator as a separate process
(mssp_support.py), its SIMs personalised per test with certificates of a fresh PKI
hierarchy (the test database is emptied after each test), the provider offering Mobile
ID against it, citizens, and the login journey over HTTP."""

import base64
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from connectors.mssp.simulator import DEV_AP_ID
from connectors.mssp.simulator import DEV_AP_PASSWORD
from connectors.mssp.simulator import DEV_MSSP_ID
from connectors.mssp.simulator import DEV_SIGNATURE_PROFILE
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.mobileid.operators import EXTENSION
from idp.models import Account
from idp.models import AuditEvent
from idp.models import Citizen
from idp.models import LoginSession
from idp.models.certificates import CertificateStore
from idp.models.certificates import IssuedCertificate
from idp.models.mobile_id import CibaRequest
from idp.models.mobile_id import MobileIdRequest
from idp.models.types import utcnow

from .helpers import RelyingParty
from .helpers import query_of
from .mssp_support import CUSTOMER
from .mssp_support import SIMS
from .mssp_support import Forms
from .mssp_support import shared_simulator
from .mssp_support import wait_until
from .pki_support import init_hierarchy

AMR = ["hwk", "pin", "mca", "mfa"]
POLL_INTERVAL = 0.2
GENERIC = ("We could not log you in with Mobile ID. Check your national ID number and mobile "
           "number")


def national_id_of(msisdn):
    return SIMS[msisdn].national_id


def mssp_settings(simulator, **overrides):
    settings = {"MSSP_OPERATORS": "dev", "MSSP_DEV_URL": simulator.url,
                "MSSP_DEV_AP_ID": DEV_AP_ID, "MSSP_DEV_AP_PASSWORD": DEV_AP_PASSWORD,
                "MSSP_DEV_MSSP_ID": DEV_MSSP_ID,
                "MSSP_DEV_SIGNATURE_PROFILE": DEV_SIGNATURE_PROFILE,
                "MSSP_DEV_POLL_INTERVAL": POLL_INTERVAL, "MSSP_DEV_READ_TIMEOUT": 2,
                "MSSP_DEV_CONNECT_TIMEOUT": 2}
    settings.update(overrides)
    return settings


@dataclass
class MobileId:
    """The provider offering Mobile ID against the simulator, for one test."""

    app: object
    mssp: object
    authorities: dict

    def configure(self, **settings):
        """Rebuild the operators' clients with some MSSP settings changed."""
        from idp.mobileid import operators

        self.app.config.update(mssp_settings(self.mssp, **settings))
        operators.configure(self.app)

    def revoke(self, msisdn):
        """Revoke the SIM's current certificate with the PKI core's CLI."""
        from .pki_support import cli_json

        with self.app.app_context():
            serial = db.session.scalars(
                db.select(IssuedCertificate.serial)
                .filter_by(national_id=national_id_of(msisdn))
                .order_by(IssuedCertificate.id.desc())).first()
        return cli_json(self.app, "revoke", "--serial", serial, "--reason", "keyCompromise")


@pytest.fixture(name="mssp")
def mssp_fixture(app, tmp_path_factory):
    return shared_simulator(app, tmp_path_factory)


@pytest.fixture(name="mobile_id")
def mobile_id_fixture(app, issuer, mssp):
    """Mobile ID offered by the test provider, as IDP_LOGIN_METHODS = ["mobile-id"] with
    the MSSP_* settings of the simulator offers it; SIMs personalised by the PKI of this
    test."""
    from idp.login import mobile_id as method

    with app.app_context():
        existing = CertificateStore().authorities()
    authorities = init_hierarchy(app) if not existing else {
        a.name: a.certificate for a in existing}
    for msisdn, sim in SIMS.items():  # every SIM: the MSSP tests share the simulator
        if sim.certificate:
            mssp.personalise(app, msisdn, authorities)
    mssp.authorities = authorities
    saved = {k: v for k, v in app.config.items() if k.startswith(("MSSP_", "IDP_CIBA_"))}
    app.config.update(mssp_settings(mssp), IDP_CIBA_INTERVAL=1)
    method.offer(app)
    yield MobileId(app, mssp, authorities)
    app.extensions["idp.authenticators"].pop("mobile-id", None)
    operators = app.extensions.pop(EXTENSION, None)
    if operators is not None:
        operators.close()
    for key in [k for k in app.config if k.startswith(("MSSP_", "IDP_CIBA_"))]:
        del app.config[key]
    app.config.update(saved)


def make_citizen(app, msisdn=CUSTOMER, national_id=None, locked=False, phone=None):
    """The account (and registered citizen, with the mobile number on record) of a SIM's
    owner; returns the account's sub."""
    sim = SIMS[msisdn]
    national_id = national_id or sim.national_id
    with app.app_context():
        account = Account(sub=f"citizen-{national_id}", national_id=national_id,
                          profile={"name": f"{sim.given_name} {sim.family_name}",
                                   "given_name": sim.given_name,
                                   "family_name": sim.family_name},
                          locked_at=utcnow() if locked else None)
        db.session.add(account)
        db.session.flush()
        db.session.add(Citizen(account_id=account.id, national_id=national_id,
                               password_hash="$argon2id$not-used-here",
                               phone_number=phone or msisdn))
        db.session.commit()
        return account.sub


# The login journey over HTTP


def tx_of(url):
    return parse_qs(urlsplit(url).query)["tx"][0]


@dataclass
class Waiting:
    """The waiting page of one login attempt."""

    tx: str
    page: object
    code: str
    csrf: str


def to_form(browser, rp, **params):
    """Authorize at level 2 and follow the chooser's Mobile ID link to the form."""
    chooser = browser.authorize(rp.params(acr_values=LEVEL_2, **params))
    assert chooser.status_code == 200 and urlsplit(chooser.url).path == "/login", chooser.url
    tx = tx_of(chooser.url)
    assert f'href="/login/mobile-id?tx={tx}"' in chooser.text, chooser.text
    form = browser.get(f"/login/mobile-id?tx={tx}")
    assert form.status_code == 200, form.text[:500]
    form.url = f"{browser.issuer}/login/mobile-id?tx={tx}"
    return form


def submit(browser, form, msisdn=CUSTOMER, national_id=None):
    """Send the form; the waiting page (or the refused form as a response)."""
    tx = tx_of(form.url)
    response = browser.post("/login/mobile-id", {
        "csrf_token": browser.csrf(form), "tx": tx, "msisdn": msisdn,
        "national_id": national_id_of(msisdn) if national_id is None else national_id})
    if response.status_code != 303:
        return response
    assert response.headers["Location"] == f"/login/mobile-id/wait?tx={tx}"
    page = browser.get(response.headers["Location"])
    assert page.status_code == 200, page.text[:500]
    forms = Forms(page.text)
    assert len(forms.codes) == 1, page.text
    return Waiting(tx, page, forms.codes[0], browser.csrf(page))


def status(browser, waiting):
    answer = browser.http.post(browser.issuer + "/login/mobile-id/status",
                               data={"tx": waiting.tx},
                               headers={"X-CSRFToken": waiting.csrf,
                                        "Accept": "application/json"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    return answer.json()


def wait_for_end(browser, waiting, timeout=30):
    """Ask the status endpoint until the request is no longer pending."""
    return wait_until(lambda: (lambda s: s if s["state"] != "pending" else None)(
        status(browser, waiting)), timeout=timeout)


def finish(browser, rp, answer):
    """From a `done` status: the consent page, the callback and the token response."""
    assert answer["state"] == "done", answer
    page = browser.follow(browser.get(answer["location"]))
    if page.status_code == 200 and "/consent" in page.url:
        page = browser.consent(page)
    assert page.status_code in (302, 303), (page.status_code, page.text[:500])
    callback = query_of(page.headers["Location"])
    response = rp.exchange(callback["code"])
    assert response.status_code == 200, response.text
    return response.json()


def claims_of(token):
    """The claims of a JWT, unverified (test_token_* check the signatures)."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def new_rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


class _Alert(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth, self.text = 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth or dict(attrs).get("role") == "alert":
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data.strip())


def alert_text(page):
    """The text of the page's role=alert elements."""
    parser = _Alert()
    parser.feed(page.text)
    return " ".join(t for t in parser.text if t)


# Records


def audit_rows(app, event="login", outcome=None):
    with app.app_context():
        query = db.select(AuditEvent).filter_by(event=event).order_by(AuditEvent.id)
        if outcome:
            query = query.filter_by(outcome=outcome)
        return list(db.session.scalars(query))


def failure_reasons(app):
    return [row.detail["reason"] for row in audit_rows(app, "login", "failure")]


def session_count(app):
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(LoginSession)
                                  ).scalar_one()


def mobile_requests(app):
    with app.app_context():
        return list(db.session.scalars(db.select(MobileIdRequest).order_by(MobileIdRequest.id)))


def ciba_requests(app):
    with app.app_context():
        return list(db.session.scalars(db.select(CibaRequest).order_by(CibaRequest.id)))
