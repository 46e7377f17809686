"""Support for the ID card login tests: SoftHSM2 tokens personalised as ID cards (key pairs
made on the token, certificates issued by the PKI core's card CA from requests the token
signed), Web eID authentication tokens signed by them as the card agent signs, citizens'
accounts, and the card login method offered by the test provider."""

import base64
import hashlib
import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import Account
from idp.models import AuditEvent
from idp.models import LoginSession
from idp.models.types import utcnow
from idp.pki.profiles import check_citizen
from idp.web.pki import certificate_authority

from .helpers import RelyingParty
from .helpers import query_of
from .pki_support import NATIONAL_ID
from .pki_support import init_hierarchy

TOOL = Path(__file__).with_name("softhsm_card.py")
PIN = "123456"
CARDS = {"p256": "card-p256", "p384": "card-p384", "rsa2048": "card-rsa2048"}
APP_VERSION = "https://bawaba.example/bawaba-card-agent/test"
HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
AMR = ["sc", "hwk", "pin", "mfa"]


class SoftCards:
    """Card tokens in their own SoftHSM2 directory and the process that uses them."""

    def __init__(self, directory, module):
        tokens = directory / "tokens"
        tokens.mkdir(parents=True)
        conf = directory / "softhsm2.conf"
        conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                        "log.level = ERROR\n")
        self.conf, self.module = conf, module
        env = {**os.environ, "SOFTHSM2_CONF": str(conf)}
        for label in CARDS.values():
            subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label,
                            "--so-pin", secrets.token_hex(8), "--pin", PIN], env=env,
                           check=True, capture_output=True)
        self.process = subprocess.Popen([sys.executable, str(TOOL), module], env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        self.csrs = {kind: self.ask(op="keygen", label=label, pin=PIN, key=kind)["csr"]
                     for kind, label in CARDS.items()}

    def ask(self, **request):
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        assert "error" not in reply, reply
        return reply

    def sign(self, kind, algorithm, data):
        reply = self.ask(op="sign", label=CARDS[kind], pin=PIN, algorithm=algorithm,
                         data=data.hex())
        return bytes.fromhex(reply["signature"])

    def store(self, kind, certificate):
        """Put the certificate on the card, as a card issuer does, for the card agent."""
        self.ask(op="store", label=CARDS[kind], pin=PIN,
                 certificate=certificate.public_bytes(Encoding.DER).hex())

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


@pytest.fixture(scope="session")
def soft_cards(token_config, tmp_path_factory):
    cards = SoftCards(tmp_path_factory.mktemp("cards"), token_config["PKCS11_MODULE"])
    yield cards
    cards.close()


@pytest.fixture
def hierarchy(app, issuer):
    return init_hierarchy(app)


@pytest.fixture
def card_login(app, issuer):
    """The card login method offered by the test provider for one test, as
    IDP_LOGIN_METHODS = ["card"] offers it."""
    from idp.login import card

    card.offer(app)
    yield
    app.extensions["idp.authenticators"].pop("card", None)


def issue_card(app, cards, kind="p256", profile="card", national_id=NATIONAL_ID, now=None,
               names=("Amina", "Haddad")):
    """The certificate the CA issues for a card's key (at `now`, default the present)."""
    with app.app_context():
        citizen = check_citizen(national_id, *names)
        _, certificate = certificate_authority().issue(profile, cards.csrs[kind], citizen,
                                                       now or utcnow())
        db.session.commit()
    return certificate


def signed_value(algorithm, origin, nonce):
    digest = HASHES[algorithm[-3:]]
    return digest(origin.encode()).digest() + digest(nonce.encode()).digest()


def web_eid_token(cards, certificate, origin, nonce, kind="p256", algorithm="ES256",
                  signed=None, **fields):
    """The token's JSON as the agent sends it: the card signs hash(origin) ‖ hash(nonce)
    (or `signed`); fields override (None removes one)."""
    value = signed if signed is not None else signed_value(algorithm, origin, nonce)
    token = {
        "unverifiedCertificate": base64.b64encode(certificate.public_bytes(Encoding.DER))
        .decode(),
        "algorithm": algorithm,
        "signature": base64.b64encode(cards.sign(kind, algorithm, value)).decode(),
        "format": "web-eid:1.0",
        "appVersion": APP_VERSION,
    }
    token.update(fields)
    return json.dumps({k: v for k, v in token.items() if v is not None})


def make_citizen(app, national_id=NATIONAL_ID, sub=None, locked=False):
    with app.app_context():
        account = Account(sub=sub or f"citizen-{national_id}", national_id=national_id,
                          profile={"name": "Amina Haddad", "given_name": "Amina",
                                   "family_name": "Haddad"},
                          locked_at=utcnow() if locked else None)
        db.session.add(account)
        db.session.commit()
        return account.sub


# The journey over HTTP


def tx_of(page):
    return parse_qs(urlsplit(page.url).query)["tx"][0]


def to_card_page(browser, rp, **params):
    """Authorize at level 2 and follow the chooser's ID card link."""
    chooser = browser.authorize(rp.params(acr_values=LEVEL_2, **params))
    assert chooser.status_code == 200 and urlsplit(chooser.url).path == "/login", chooser.url
    link = f'href="/login/card?tx={tx_of(chooser)}"'
    assert link in chooser.text, chooser.text
    page = browser.get(f"/login/card?tx={tx_of(chooser)}")
    page.url = browser.issuer + f"/login/card?tx={tx_of(chooser)}"
    assert page.status_code == 200, page.text[:500]
    return page


def get_challenge(browser, page, tx=None):
    response = browser.http.post(browser.issuer + "/login/card/challenge",
                                 json={"tx": tx or tx_of(page)},
                                 headers={"X-CSRFToken": browser.csrf(page),
                                          "Accept": "application/json"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def post_token(browser, page, token, tx=None):
    return browser.post("/login/card/token", {"csrf_token": browser.csrf(page),
                                              "tx": tx or tx_of(page), "token": token})


def new_rp(issuer, client_factory):
    return RelyingParty(issuer, client_factory())


def audit_rows(app, event="login"):
    with app.app_context():
        return list(db.session.scalars(db.select(AuditEvent).filter_by(event=event)
                                       .order_by(AuditEvent.id)))


def session_count(app):
    with app.app_context():
        return db.session.execute(db.select(db.func.count()).select_from(LoginSession)
                                  ).scalar_one()


def callback_of(response):
    assert response.status_code in (302, 303), (response.status_code, response.text[:800])
    return query_of(response.headers["Location"])
