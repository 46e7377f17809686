"""Mobile ID login over HTTP against the MSSP simulator as a real server: the relying party
asks for level 2, the citizen enters national ID and mobile number, the phone (scripted)
confirms with the SIM PIN, and the relying party receives a level-2 ID token whose
session rests on recorded evidence (MSSP transaction, certificate, OCSP status)."""

import base64
import secrets

from connectors.mssp import verification_code
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models.cards import AuthnEvidence
from idp.models.sessions import LoginSession

from .mobile_id_support import AMR
from .mobile_id_support import audit_rows
from .mobile_id_support import claims_of
from .mobile_id_support import finish
from .mobile_id_support import make_citizen
from .mobile_id_support import mobile_id_fixture  # noqa: F401
from .mobile_id_support import mobile_requests
from .mobile_id_support import mssp_fixture  # noqa: F401
from .mobile_id_support import new_rp
from .mobile_id_support import status
from .mobile_id_support import submit
from .mobile_id_support import to_form
from .mobile_id_support import wait_for_end
from .mssp_support import CUSTOMER
from .mssp_support import SIMS


def test_citizen_logs_in_with_mobile_id_and_the_rp_gets_a_level_2_id_token(
        app, issuer, browser, client_factory, mobile_id, mssp):
    sub = make_citizen(app, CUSTOMER)
    rp = new_rp(issuer, client_factory)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.3, pin=SIMS[CUSTOMER].pin)
    form = to_form(browser, rp)
    assert 'name="national_id"' in form.text and 'name="msisdn"' in form.text
    waiting = submit(browser, form)
    # The page shows the code the phone shows, derived from the challenge sent.
    [row] = mobile_requests(app)
    transaction = mssp.transaction(CUSTOMER, row.mssp_trans_id)
    assert transaction["code"] == waiting.code
    assert transaction["display_text"] == f"Log in to Test RP with Bawaba? Code {waiting.code}"
    [row] = mobile_requests(app)
    data = base64.b64decode(row.pending["data"])
    assert len(data) == 32 and verification_code(data) == waiting.code  # 256 random bits
    assert row.verification_code == waiting.code and row.state == "pending"
    assert waiting.tx in waiting.page.text and 'id="mobile-id-cancel"' in waiting.page.text
    answer = wait_for_end(browser, waiting)
    tokens = finish(browser, rp, answer)
    claims = claims_of(tokens["id_token"])
    assert claims["sub"] == sub and claims["acr"] == LEVEL_2 and claims["amr"] == AMR
    assert claims["nonce"] == rp.nonce and claims["aud"] == rp.client["client_id"]
    # The session rests on the evidence: MSSP transaction, certificate, OCSP status.
    [row] = mobile_requests(app)
    assert row.state == "done" and row.subject == sub and row.evidence_ref
    with app.app_context():
        session = db.session.scalars(db.select(LoginSession)).one()
        evidence = db.session.scalars(db.select(AuthnEvidence)).one()
        assert (session.method, session.acr, session.amr) == ("mobile-id", LEVEL_2, AMR)
        assert session.evidence_ref == evidence.ref == row.evidence_ref
        assert evidence.method == "mobile-id" and evidence.subject == sub
        assert evidence.revocation_status == "good" and evidence.revocation_source == "ocsp"
        assert "Mobile ID" in evidence.certificate_issuer
        assert evidence.algorithm == "ES256"
    assert row.mssp_trans_id == transaction["id"]
    [signature] = audit_rows(app, "mobile_id_signature")
    assert signature.subject == sub and signature.detail["mssp_trans_id"] == row.mssp_trans_id
    assert signature.detail["evidence"] == evidence.ref
    assert signature.detail["certificate_serial"] == evidence.certificate_serial
    [login] = audit_rows(app, "login")
    assert login.outcome == "success" and login.detail["method"] == "mobile-id"
    # The request was used once, with its transaction: asking again is refused.
    again = browser.http.post(issuer + "/login/mobile-id/status", data={"tx": waiting.tx},
                              headers={"X-CSRFToken": waiting.csrf,
                                       "Accept": "application/json"}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_request"


def test_status_stays_pending_until_the_phone_answers(app, issuer, browser, client_factory,
                                                       mobile_id, mssp):
    make_citizen(app, CUSTOMER)
    rp = new_rp(issuer, client_factory)
    waiting = submit(browser, to_form(browser, rp))
    assert status(browser, waiting) == {"state": "pending", "interval": 1}
    pending = mssp.transaction(CUSTOMER, mobile_requests(app)[-1].mssp_trans_id)
    answer = browser.http.post(
        f"{mssp.url}/handset/{CUSTOMER}/{pending['id']}/confirm",
        data={"pin": SIMS[CUSTOMER].pin}, allow_redirects=False, timeout=10)
    assert answer.status_code == 303
    tokens = finish(browser, rp, wait_for_end(browser, waiting))
    assert claims_of(tokens["id_token"])["acr"] == LEVEL_2


def test_the_form_is_prefilled_from_login_hint(app, issuer, browser, client_factory,
                                                mobile_id):
    rp = new_rp(issuer, client_factory)
    national = to_form(browser, rp, login_hint="10293847")
    assert 'value="10293847"' in national.text
    phone = to_form(browser, rp, login_hint="+96891234567")
    assert 'value="+96891234567"' in phone.text


def test_status_of_another_transaction_or_browser_is_refused(app, issuer, browser,
                                                              client_factory, mobile_id, mssp):
    from .helpers import Browser

    make_citizen(app, CUSTOMER)
    rp = new_rp(issuer, client_factory)
    mssp.script(CUSTOMER, behaviour="confirm_after", delay=0.2, pin=SIMS[CUSTOMER].pin)
    waiting = submit(browser, to_form(browser, rp))
    # Another browser knows the tx id but not the session cookie that binds the request.
    other = Browser(issuer)
    page = other.get(f"/login/mobile-id/wait?tx={waiting.tx}")
    assert page.status_code == 400
    answer = other.http.post(issuer + "/login/mobile-id/status", data={"tx": waiting.tx},
                             headers={"X-CSRFToken": waiting.csrf,
                                      "Accept": "application/json"}, timeout=10)
    assert answer.status_code == 400
    # A made-up transaction of this browser is no better.
    made_up = browser.http.post(issuer + "/login/mobile-id/status",
                                data={"tx": secrets.token_urlsafe(12)},
                                headers={"X-CSRFToken": waiting.csrf,
                                         "Accept": "application/json"}, timeout=10)
    assert made_up.status_code == 400
    assert made_up.json()["error"] == "invalid_request"
    # The browser that started it still logs in.
    assert finish(browser, rp, wait_for_end(browser, waiting))["id_token"]
