"""Registration and SMS login end to end over HTTP, with the SMS simulator (SMPP and the
HTTPS gateway API) and the civil registry simulator running as real servers, codes read
from the simulator's outbox, then the OpenID Connect code flow: the ID token carries the
level-1 acr and amr pwd, sms, otp, mfa; the claims come from the registry."""

import time

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from idp.authn.assurance import LEVEL_1
from idp.extensions import db
from idp.models import Account
from idp.models import AuditEvent
from idp.models import Citizen
from idp.models import OtpChallenge

from . import citizen_support
from .citizen_support import AHMED
from .citizen_support import FATMA
from .citizen_support import PASSWORD
from .citizen_support import Citizen as CitizenBrowser
from .citizen_support import sms_provider
from .helpers import RelyingParty
from .helpers import query_of

simulators = citizen_support.simulators
provider = citizen_support.provider
sms = citizen_support.sms

SCOPES = ("openid", "profile", "phone", "national_id")
AMR = ["pwd", "sms", "otp", "mfa"]


def decode(token, issuer):
    keys = KeySet.import_key_set(requests.get(issuer + "/jwks", timeout=5).json())
    return jwt.decode(token, keys).claims


def audit_events(app, event=None):
    with app.app_context():
        query = db.select(AuditEvent).order_by(AuditEvent.id)
        if event:
            query = query.where(AuditEvent.event == event)
        return [(e.event, e.outcome, e.subject, e.client_id, e.ip, e.detail)
                for e in db.session.scalars(query)]


def code_flow(sms, client_factory, person, scopes=SCOPES, **params):
    """Authorize at the provider, register and log in on its pages, consent, and
    exchange the code; returns (tokens, relying party, browser)."""
    rp = RelyingParty(sms.issuer, client_factory(scopes=scopes))
    browser = CitizenBrowser(sms)
    page = browser.authorize(rp.params(scope=" ".join(scopes), **params))
    assert "/login?tx=" in page.url
    assert 'href="/login/sms?tx=' in page.text
    tx = page.url.split("tx=")[1]
    browser.register(person, tx=tx)
    page = browser.login(person, tx=tx)
    assert "/consent" in page.url, page.text[:800]
    answer = browser.consent(page)
    callback = query_of(answer.headers["Location"])
    assert callback["state"] == rp.state
    tokens = rp.exchange(callback["code"])
    assert tokens.status_code == 200, tokens.text
    return tokens.json(), rp, browser


def test_register_log_in_and_the_id_token_carries_level_1(sms, client_factory, app):
    started = int(time.time())
    tokens, rp, _ = code_flow(sms, client_factory, AHMED, acr_values=LEVEL_1)
    claims = decode(tokens["id_token"], sms.issuer)
    assert claims["acr"] == LEVEL_1
    assert claims["amr"] == AMR
    assert claims["iss"] == sms.issuer and claims["aud"] == rp.client["client_id"]
    assert claims["auth_time"] >= started - 1
    assert claims["nonce"] == rp.nonce

    info = rp.userinfo(tokens["access_token"]).json()
    assert info == {
        "sub": claims["sub"],
        "name": "Ahmed bin Salim bin Said Al Harthy",
        "given_name": "Ahmed",
        "family_name": "Al Harthy",
        "name#ar": "أحمد بن سالم بن سعيد الحارثي",
        "given_name#ar": "أحمد",
        "family_name#ar": "الحارثي",
        "birthdate": "1985-03-14",
        "gender": "male",
        "nationality": "OM",
        "phone_number": "+96891234567",
        "phone_number_verified": True,
        "national_id": "10293847",
        "updated_at": info["updated_at"],
    }
    with app.app_context():
        citizen = db.session.scalars(db.select(Citizen)).one()
        assert citizen.password_hash.startswith("$argon2id$")
        assert citizen.phone_number == "+96891234567" and citizen.account.sub == claims["sub"]
        assert citizen.failed_attempts == 0 and citizen.last_login_at is not None

    events = audit_events(app)
    kinds = [(e[0], e[1]) for e in events]
    for expected in [("code_sent", "success"), ("registration", "success"),
                     ("login", "success")]:
        assert expected in kinds, kinds
    registration = next(e for e in events if e[0] == "registration")
    login = next(e for e in events if e[0] == "login")
    assert registration[2] == login[2] == claims["sub"]
    assert registration[3] == login[3] == rp.client["client_id"]  # the client
    assert registration[4] == login[4] == "127.0.0.1"  # the address
    assert login[5]["acr"] == LEVEL_1 and login[5]["method"] == "sms"
    text = repr(events)
    assert PASSWORD not in text
    assert sms.last_code(AHMED["mobile"]) not in text


def test_scopes_release_only_their_claims(sms, client_factory):
    tokens, rp, _ = code_flow(sms, client_factory, FATMA, scopes=("openid", "profile"))
    info = rp.userinfo(tokens["access_token"]).json()
    assert info["name"] == "Fatma bint Khalfan bin Nasser Al Balushi"
    assert info["name#ar"] == "فاطمة بنت خلفان بن ناصر البلوشية"
    assert info["gender"] == "female" and info["nationality"] == "OM"
    assert "national_id" not in info and "phone_number" not in info


def test_the_national_id_claim_in_the_id_token_by_request(sms, client_factory):
    claims = '{"id_token": {"national_id": {"essential": true}, "name#ar": null}}'
    tokens, _, _ = code_flow(sms, client_factory, AHMED, claims=claims)
    id_token = decode(tokens["id_token"], sms.issuer)
    assert id_token["national_id"] == "10293847"
    assert id_token["name#ar"] == "أحمد بن سالم بن سعيد الحارثي"


def test_the_consent_page_names_the_national_id_scope(sms, client_factory):
    rp = RelyingParty(sms.issuer, client_factory(scopes=SCOPES))
    browser = CitizenBrowser(sms)
    page = browser.authorize(rp.params(scope="openid national_id"))
    tx = page.url.split("tx=")[1]
    browser.register(AHMED, tx=tx)
    page = browser.login(AHMED, tx=tx)
    assert "See your national ID number" in page.text


def test_discovery_advertises_the_method_scope_and_claims(sms):
    meta = requests.get(sms.issuer + "/.well-known/openid-configuration", timeout=5).json()
    assert meta["acr_values_supported"] == [LEVEL_1]
    assert "national_id" in meta["scopes_supported"]
    for claim in ("national_id", "nationality", "name#ar", "phone_number_verified"):
        assert claim in meta["claims_supported"]
    from authlib.oidc.discovery import OpenIDProviderMetadata

    OpenIDProviderMetadata(meta).validate()


def test_login_without_a_relying_party_opens_the_account_page(sms, app):
    browser = CitizenBrowser(sms)
    browser.register(AHMED)
    page = browser.login(AHMED)
    assert page.status_code == 200 and page.url.rstrip("/") == sms.issuer
    assert "You are logged in as Ahmed bin Salim bin Said Al Harthy." in page.text
    logout = browser.csrf(page)
    done = browser.follow(browser.post("/account/logout", {"csrf_token": logout}))
    assert done.status_code == 200
    assert [e[1] for e in audit_events(app, "logout")] == ["success"]


def test_the_codes_name_the_service_and_purpose_in_both_languages(sms):
    browser = CitizenBrowser(sms)
    browser.register(AHMED)
    browser.start_login(AHMED)
    login, registration = sms.outbox(AHMED["mobile"])[:2]
    assert "is your code to create your Bawaba account." in registration["text"]
    assert "لإنشاء حسابك في بوابة" in registration["text"]
    assert "is your code to log in to Bawaba." in login["text"]
    assert "لتسجيل الدخول إلى بوابة" in login["text"]
    assert login["data_coding"] == 8 and login["parts"] > 1  # UCS-2, concatenated
    assert login["transport"] == "smpp"


def test_the_https_gateway_transport(app, simulators, client_factory, tmp_path):
    with sms_provider(app, simulators, tmp_path, transport="http") as served:
        served.reset()
        tokens, _, _ = code_flow(served, client_factory, FATMA)
        assert decode(tokens["id_token"], served.issuer)["amr"] == AMR
        assert served.outbox(FATMA["mobile"])[0]["transport"] == "http"


def test_codes_are_stored_only_as_digests(sms, app):
    browser = CitizenBrowser(sms)
    browser.start_registration(AHMED)
    code = sms.last_code(AHMED["mobile"])
    with app.app_context():
        rows = db.session.scalars(db.select(OtpChallenge)).all()
        values = [str(getattr(r, c.name)) for r in rows for c in OtpChallenge.__table__.columns]
    assert rows and not any(code in v for v in values)


def test_registering_again_after_the_code_says_log_in(sms, app):
    CitizenBrowser(sms).register(AHMED)
    again = CitizenBrowser(sms)
    page = again.start_registration(AHMED)
    page = again.enter_code("register", sms.last_code(AHMED["mobile"]))
    assert "/login/sms" in page.url
    assert "You already have a Bawaba account. Log in with your ID number and password." \
        in page.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Account.id))) == 1


@pytest.mark.parametrize("language, expected", [
    ("en", "Create your Bawaba account"), ("ar", "أنشئ حسابك في بوابة"),
])
def test_pages_in_both_languages(sms, language, expected):
    page = CitizenBrowser(sms, language).get("/register")
    assert page.status_code == 200 and expected in page.text
