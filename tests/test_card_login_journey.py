"""ID card login over HTTP, as a browser with a card agent goes through it: the chooser
offers "ID card" for level 2, the page gets a challenge, a SoftHSM2 card signs it as the
agent would, the token is posted, the OIDC flow completes with acr level 2 and amr
sc hwk pin mfa. Every bad input gets a clear message in English and Arabic, an audit row
with the reason and the certificate, and no session."""

import html
import json
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.login.card_outcome import AGENT_MESSAGES
from idp.login.card_outcome import MESSAGES
from idp.login.card_outcome import fingerprint
from idp.models import Account
from idp.models import LoginSession
from idp.models.cards import AuthnEvidence
from idp.models.cards import CardChallenge
from idp.models.cards import LinkedCard
from idp.models.types import utcnow

from .card_support import AMR
from .card_support import audit_rows
from .card_support import callback_of
from .card_support import card_login  # noqa: F401  (fixture)
from .card_support import get_challenge
from .card_support import hierarchy  # noqa: F401  (fixture)
from .card_support import issue_card
from .card_support import make_citizen
from .card_support import new_rp
from .card_support import post_token
from .card_support import session_count
from .card_support import soft_cards  # noqa: F401  (fixture)
from .card_support import to_card_page
from .card_support import tx_of
from .card_support import web_eid_token
from .helpers import Browser
from .helpers import sibling_app
from .pki_support import NATIONAL_ID
from .pki_support import cli_json
from .test_card_challenge import foreign_certificate
from .token_helpers import decode

AGENT = "http://127.0.0.1:24727"


class Journey:
    """One browser's way through the card login for one relying party."""

    def __init__(self, app, issuer, rp, cards):
        self.app, self.issuer, self.rp, self.cards = app, issuer, rp, cards
        self.browser = Browser(issuer)
        self.page = None

    def open(self, lang="en"):
        self.page = to_card_page(self.browser, self.rp, ui_locales=lang)
        return self

    def other(self, lang="en"):
        return Journey(self.app, self.issuer, self.rp, self.cards).open(lang)

    def challenge(self):
        return get_challenge(self.browser, self.page)["nonce"]

    def card(self, **options):
        return issue_card(self.app, self.cards, **options)

    def sign(self, certificate, nonce, origin=None, **options):
        return web_eid_token(self.cards, certificate, origin or self.issuer, nonce, **options)

    def post(self, token):
        return post_token(self.browser, self.page, token)

    def finish(self, response):
        """Consent and return the relying party's callback."""
        page = self.browser.follow(response)
        if page.status_code == 200 and "/consent" in page.url:
            page = self.browser.consent(page)
        return callback_of(page)


@pytest.fixture
def journey(app, issuer, client_factory, hierarchy, card_login, soft_cards):  # noqa: F811
    make_citizen(app)
    return Journey(app, issuer, new_rp(issuer, client_factory), soft_cards)


def translated(app, message, lang):
    with app.test_request_context(), force_locale(lang):
        return str(message)


def sso_cookie_set(response):
    return "bawaba-sso=" in response.headers.get("Set-Cookie", "")


def assert_card_page(response, issuer):
    csp = response.headers["Content-Security-Policy"]
    assert csp.startswith(f"default-src 'self'; connect-src 'self' {AGENT}; ")
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts == [(' type="module" src="/static/card-login.js"', "")]
    assert not re.search(r"\son[a-z]+=", response.text)
    assert response.headers["Cache-Control"] == "no-store"


# The journey that works


def test_card_login_completes_the_flow_at_level_2(app, journey):
    page = journey.open().page
    assert_card_page(page, journey.issuer)
    certificate = journey.card()
    nonce = journey.challenge()
    response = journey.post(journey.sign(certificate, nonce))
    assert response.status_code == 303, response.text[:800]
    assert response.headers["Location"].startswith("/authorize/resume?tx=")
    assert sso_cookie_set(response)
    tokens = journey.rp.exchange(journey.finish(response)["code"]).json()
    claims = decode(tokens["id_token"], journey.issuer).claims
    assert claims["sub"] == f"citizen-{NATIONAL_ID}"
    assert claims["acr"] == LEVEL_2
    assert claims["amr"] == AMR
    with app.app_context():
        linked = db.session.scalars(db.select(LinkedCard)).all()
        assert [(c.serial, c.issuer, c.fingerprint, c.national_id) for c in linked] == [
            (format(certificate.serial_number, "x"), certificate.issuer.rfc4514_string(),
             fingerprint(certificate), NATIONAL_ID)]
        evidence = db.session.scalars(db.select(AuthnEvidence)).one()
        session = db.session.scalars(db.select(LoginSession)).one()
        assert session.evidence_ref == evidence.ref
        assert (session.method, session.acr, session.amr) == ("card", LEVEL_2, AMR)
        assert (evidence.method, evidence.subject, evidence.certificate_serial,
                evidence.certificate_issuer, evidence.algorithm, evidence.revocation_status,
                evidence.revocation_source) == (
            "card", claims["sub"], format(certificate.serial_number, "x"),
            certificate.issuer.rfc4514_string(), "ES256", "good", "ocsp")
        assert abs(evidence.revocation_checked_at - utcnow()) < timedelta(minutes=1)
        # The nonce is spent.
        assert db.session.scalars(db.select(CardChallenge)).one().used_at is not None
    detail = {"certificate_serial": format(certificate.serial_number, "x"),
              "certificate_issuer": certificate.issuer.rfc4514_string()}
    assert [r.detail for r in audit_rows(app, "card_linked")] == [detail]
    [accepted] = audit_rows(app, "certificate_login")
    assert accepted.subject == claims["sub"]
    assert accepted.detail == {**detail, "method": "card", "evidence": evidence.ref,
                               "revocation": "good", "revocation_source": "ocsp"}
    [login] = audit_rows(app, "login")
    assert (login.outcome, login.detail["method"], login.detail["acr"]) == (
        "success", "card", LEVEL_2)


def test_the_first_login_links_the_card_and_later_logins_use_the_link(app, journey):
    certificate = journey.card()
    for _ in range(2):
        journey.open()
        response = journey.post(journey.sign(certificate, journey.challenge()))
        journey.finish(response)
        journey.browser = Browser(journey.issuer)
    with app.app_context():
        [linked] = db.session.scalars(db.select(LinkedCard)).all()
        assert linked.last_used_at > linked.linked_at
        assert db.session.scalars(db.select(AuthnEvidence)).all()[1].revocation_status == "good"
    assert len(audit_rows(app, "card_linked")) == 1
    assert len(audit_rows(app, "certificate_login")) == 2


@pytest.mark.parametrize(("kind", "algorithm"), [("rsa2048", "PS256"), ("p384", "ES384")])
def test_rsa_and_p384_cards(app, journey, kind, algorithm):
    certificate = journey.open().card(kind=kind)
    response = journey.post(journey.sign(certificate, journey.challenge(), kind=kind,
                                         algorithm=algorithm))
    assert response.status_code == 303, response.text[:800]
    with app.app_context():
        assert db.session.scalars(db.select(AuthnEvidence)).one().algorithm == algorithm


def test_a_new_challenge_replaces_the_previous_one(app, journey):
    """After a wrong PIN the page asks for a new challenge; only the newest one counts."""
    certificate = journey.open().card()
    first = journey.challenge()
    second = journey.challenge()
    refused = journey.post(journey.sign(certificate, first))
    assert refused.status_code == 401
    third = journey.challenge()
    assert len({first, second, third}) == 3
    assert journey.post(journey.sign(certificate, third)).status_code == 303


# Bad input


def replayed(j):
    certificate = j.card()
    token = j.sign(certificate, j.challenge())
    cookies = j.browser.http.cookies.copy()
    assert j.post(token).status_code == 303
    j.browser.http.cookies = cookies  # as before the login: the nonce still in the cookie
    return token, "challenge_replayed", certificate


def from_another_session(j):
    certificate = j.card()
    j.challenge()
    return j.sign(certificate, j.other().challenge()), "signature_invalid", certificate


def without_challenge(j):
    certificate = j.card()
    return j.sign(certificate, "A" * 43 + "="), "challenge_missing", certificate


def wrong_origin(j):
    certificate = j.card()
    return (j.sign(certificate, j.challenge(), origin="https://evil.example"),
            "signature_invalid", certificate)


def expired_nonce(j):
    certificate = j.card()
    token = j.sign(certificate, j.challenge())
    with j.app.app_context():  # five minutes and a second pass
        db.session.execute(db.update(CardChallenge).values(
            expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    return token, "challenge_expired", certificate


def certificate_case(code, **issue):
    def case(j):
        certificate = j.card(**issue)
        return j.sign(certificate, j.challenge()), code, certificate
    return case


def revoked(reason, code):
    def case(j):
        certificate = j.card()
        cli_json(j.app, "revoke", "--serial", format(certificate.serial_number, "x"),
                 "--reason", reason)
        return j.sign(certificate, j.challenge()), code, certificate
    return case


def untrusted(j):
    certificate = foreign_certificate(j.card().public_key())
    return j.sign(certificate, j.challenge()), "certificate_untrusted", certificate


def locked(j):
    with j.app.app_context():
        db.session.execute(db.update(Account).values(locked_at=utcnow()))
        db.session.commit()
    return certificate_case("account_locked")(j)


def linked_elsewhere(j):
    certificate = j.card()
    other = make_citizen(j.app, national_id="29001019999")
    with j.app.app_context():
        account = db.session.scalars(db.select(Account).filter_by(sub=other)).one()
        db.session.add(LinkedCard(account_id=account.id, fingerprint=fingerprint(certificate),
                                  serial="1", issuer="CN=x", national_id="29001019999",
                                  not_after=utcnow()))
        db.session.commit()
    return j.sign(certificate, j.challenge()), "card_linked_elsewhere", certificate


def token_case(code, signed=None, **fields):
    """A token the card signed, with some fields changed afterwards (None removes one)."""
    def case(j):
        certificate = j.card()
        token = json.loads(j.sign(certificate, j.challenge(), signed=signed))
        token.update(fields)
        return json.dumps({k: v for k, v in token.items() if v is not None}), code, certificate
    return case


def raw_case(raw, code):
    def case(j):
        j.challenge()
        return raw, code, None
    return case


CASES = {
    "replayed": replayed,
    "from_another_session": from_another_session,
    "without_challenge": without_challenge,
    "wrong_origin": wrong_origin,
    "expired_nonce": expired_nonce,
    "expired_certificate": certificate_case("certificate_expired",
                                            now=utcnow() - timedelta(days=5 * 366)),
    "not_yet_valid_certificate": certificate_case("certificate_not_yet_valid",
                                                  now=utcnow() + timedelta(days=1)),
    "revoked": revoked("keyCompromise", "certificate_revoked"),
    "on_hold": revoked("certificateHold", "certificate_on_hold"),
    "untrusted": untrusted,
    "sim_as_card": certificate_case("wrong_policy", profile="sim"),
    "unknown_citizen": certificate_case("citizen_unknown", national_id="29001019999"),
    "locked_account": locked,
    "linked_elsewhere": linked_elsewhere,
    "malformed_json": raw_case('{"unverifiedCertificate": ' + '"x' * 60, "token_malformed"),
    "no_token": raw_case(None, "token_malformed"),
    "malformed_base64": token_case("token_base64_invalid", signature="not base64!"),
    "missing_field": token_case("token_field_missing", signature=None),
    "unknown_format": token_case("token_format_unsupported", format="web-eid:2.0"),
    "wrong_algorithm": token_case("algorithm_not_allowed", algorithm="HS256"),
    "algorithm_of_another_key": token_case("algorithm_key_mismatch", algorithm="RS256"),
    "signature_over_other_data": token_case("signature_invalid", signed=b"other data"),
}


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_refused_clearly_audited_and_leaves_no_session(app, journey, case, lang):
    journey.open(lang)
    token, code, certificate = CASES[case](journey)
    sessions = session_count(app)
    failures = len(audit_rows(app))
    response = journey.post(token)
    message, status = MESSAGES[code]
    assert response.status_code == status, (response.status_code, response.text[:800])
    assert_card_page(response, journey.issuer)
    alert = re.search(r'<div class="notice notice-error" role="alert" id="card-error"><p>(.*?)'
                      r"</p></div>", response.text).group(1)
    assert html.unescape(alert) == translated(app, message, lang)
    assert f'<html lang="{lang}"' in response.text
    assert not sso_cookie_set(response)
    assert session_count(app) == sessions
    rows = audit_rows(app)
    assert len(rows) == failures + 1
    expected = {"method": "card", "reason": code}
    if certificate is not None:
        expected.update(certificate_serial=format(certificate.serial_number, "x"),
                        certificate_issuer=certificate.issuer.rfc4514_string())
    assert (rows[-1].outcome, rows[-1].detail) == ("failure", expected)
    # Nothing half-logged-in: the authorization still asks for a login.
    assert journey.browser.get(f"/authorize/resume?tx={tx_of(journey.page)}").headers[
        "Location"].startswith("/login?tx=")


def test_refusals_never_tell_whether_a_citizen_exists(app, journey):
    texts = []
    for case in ("unknown_citizen", "locked_account", "linked_elsewhere"):
        with app.app_context():
            db.session.execute(db.delete(LinkedCard))
            db.session.execute(db.update(Account).values(locked_at=None))
            db.session.commit()
        journey.open()
        token, _, _ = CASES[case](journey)
        response = journey.post(token)
        texts.append((response.status_code, re.search(r'role="alert"[^>]*><p>(.*?)</p>',
                                                      response.text).group(1)))
    assert len(set(texts)) == 1, texts


# The challenge endpoint, agent reports, the page


def test_challenge_needs_csrf_a_live_transaction_and_json(app, journey):
    page = journey.open().page
    url = journey.issuer + "/login/card/challenge"
    http = journey.browser.http
    accept = {"Accept": "application/json"}
    refused = http.post(url, json={"tx": tx_of(page)}, headers=accept, timeout=10)
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    assert refused.json()["error_description"] == (
        "The form's CSRF token is missing, invalid or expired.")
    headers = {**accept, "X-CSRFToken": journey.browser.csrf(page)}
    expired = http.post(url, json={"tx": "not-a-tx"}, headers=headers, timeout=10)
    assert expired.status_code == 400 and expired.json() == {
        "error": "invalid_request",
        "error_description": "This sign-in has expired. Return to the service and start again."}
    form = http.post(url, data={"tx": tx_of(page)}, headers=headers, timeout=10)
    assert form.status_code == 400 and form.json()["error"] == "invalid_request"
    issued = http.post(url, json={"tx": tx_of(page)}, headers=headers, timeout=10)
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"
    body = issued.json()
    assert set(body) == {"nonce", "origin", "expires_in"}
    assert body["origin"] == journey.issuer and body["expires_in"] == 300
    assert len(body["nonce"]) == 44
    with app.app_context():
        assert db.session.scalars(db.select(CardChallenge)).one().transaction_id == tx_of(page)


@pytest.mark.parametrize(("reported", "reason", "tries"), [
    ({"error": "wrong_pin", "tries_left": 2}, "agent_wrong_pin", 2),
    ({"error": "wrong_pin", "tries_left": None}, "agent_wrong_pin", None),
    ({"error": "pin_blocked"}, "agent_pin_blocked", None),
    ({"error": "card_removed"}, "agent_card_removed", None),
    ({"error": "agent_not_running"}, "agent_agent_not_running", None),
    ({"error": "no_reader"}, "agent_no_reader", None),
    ({"error": "<script>", "tries_left": "many"}, "agent_other", None),
])
def test_agent_outcomes_the_page_reports_are_audited(app, journey, reported, reason, tries):
    page = journey.open().page
    response = journey.browser.http.post(
        journey.issuer + "/login/card/report", json={"tx": tx_of(page), **reported},
        headers={"X-CSRFToken": journey.browser.csrf(page), "Accept": "application/json"},
        timeout=10)
    assert response.status_code == 204
    [row] = audit_rows(app)
    assert (row.outcome, row.detail) == ("failure", {
        "method": "card", "reason": reason, "tries_left": tries, "reported_by": "page"})
    assert session_count(app) == 0


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_the_page_carries_every_agent_message_in_its_language(app, journey, lang):
    page = journey.open(lang).page
    assert f'<html lang="{lang}"' in page.text
    shown = dict(re.findall(r'<li data-code="([a-z_]+)">([^<]*)</li>', page.text))
    assert set(shown) == {*AGENT_MESSAGES, "wrong_pin_tries"}
    for code, message in AGENT_MESSAGES.items():
        assert html.unescape(shown[code]) == translated(app, message, lang), code
    assert "{tries}" in shown["wrong_pin_tries"]
    assert f'data-agent="{AGENT}"' in page.text


def test_static_scripts_are_served(issuer):
    for name in ("card-login.js", "card-agent.js"):
        response = Browser(issuer).get(f"/static/{name}")
        assert response.status_code == 200
        assert "javascript" in response.headers["Content-Type"]
    login = Browser(issuer).get("/static/card-login.js").text
    assert 'from "./card-agent.js"' in login
    assert "fetch(this.base + path" in Browser(issuer).get("/static/card-agent.js").text


# Configuration


def test_offered_only_when_configured(app, issuer, client_factory):
    rp = new_rp(issuer, client_factory)
    browser = Browser(issuer)
    chooser = browser.authorize(rp.params(acr_values=LEVEL_2))
    assert "/login/card" not in chooser.text
    assert browser.get(f"/login/card?tx={tx_of(chooser)}").status_code == 404
    with sibling_app(app, IDP_LOGIN_METHODS=["card"], IDP_ENABLE_TEST_LOGIN=False) as other:
        http = other.test_client()
        response = http.get("/authorize", query_string=rp.params(acr_values=LEVEL_2))
        page = http.get(response.headers["Location"])
        assert re.search(r'<a class="method" href="/login/card\?tx=[^"]+">ID card</a>',
                         page.get_data(as_text=True))


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("IDP_CARD_AGENT_URL", "http://agent.example:24727", "IDP_CARD_AGENT_URL"),
    ("IDP_CARD_AGENT_URL", "http://127.0.0.1", "IDP_CARD_AGENT_URL"),
    ("IDP_CARD_AGENT_URL", "http://127.0.0.1:24727/path", "IDP_CARD_AGENT_URL"),
    ("IDP_TRUSTED_PROXIES", ["10.0.0.300"], "IDP_TRUSTED_PROXIES"),
])
def test_bad_settings_refuse_to_start(app, setting, value, message):
    with pytest.raises(RuntimeError, match=message):
        with sibling_app(app, **{setting: value}):
            pass


def test_agent_url_setting_sets_the_page_csp(app):
    with sibling_app(app, IDP_LOGIN_METHODS=["card"], IDP_CARD_AGENT_URL="http://localhost:4000/",
                     IDP_TRUSTED_PROXIES="10.0.0.1, 192.168.0.0/16") as other:
        assert other.config["IDP_CARD_AGENT_ORIGIN"] == "http://localhost:4000"
        assert other.config["IDP_TRUSTED_PROXIES"] == ["10.0.0.1", "192.168.0.0/16"]
        with other.test_request_context():
            from idp.login.card_outcome import card_csp

            assert "connect-src 'self' http://localhost:4000;" in card_csp()


def test_token_json_is_what_the_card_agent_sends(journey):
    """The helper's token has exactly the fields the card agent documents."""
    certificate = journey.open().card()
    token = json.loads(journey.sign(certificate, journey.challenge()))
    assert sorted(token) == ["algorithm", "appVersion", "format", "signature",
                             "unverifiedCertificate"]
