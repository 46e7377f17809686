"""TLS client-certificate login behind a TLS-terminating proxy: the proxy forwards the
certificate URL-encoded in IDP_CLIENT_CERT_HEADER (nginx $ssl_client_escaped_cert); the
provider takes it only from IDP_TRUSTED_PROXIES, judged by the connecting address, and
validates it as it validates card tokens."""

import re
from urllib.parse import quote

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from werkzeug.middleware.proxy_fix import ProxyFix

from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.login.card_outcome import MESSAGES
from idp.models import LoginSession
from idp.models.cards import AuthnEvidence
from idp.models.cards import LinkedCard

from .card_support import AMR
from .card_support import audit_rows
from .card_support import card_login  # noqa: F401  (fixture)
from .card_support import hierarchy  # noqa: F401  (fixture)
from .card_support import issue_card
from .card_support import make_citizen
from .card_support import new_rp
from .card_support import session_count
from .card_support import soft_cards  # noqa: F401  (fixture)
from .card_support import to_card_page
from .card_support import tx_of
from .helpers import CSRF
from .helpers import Browser
from .helpers import query_of
from .helpers import sibling_app
from .pki_support import NATIONAL_ID
from .pki_support import cli_json
from .test_card_login_journey import translated
from .token_helpers import decode

HEADER = "X-Client-Cert"


@pytest.fixture
def tls(app, monkeypatch, issuer, client_factory, hierarchy, card_login, soft_cards):  # noqa: F811
    monkeypatch.setitem(app.config, "IDP_CLIENT_CERT_HEADER", HEADER)
    monkeypatch.setitem(app.config, "IDP_TRUSTED_PROXIES", ["127.0.0.1"])
    make_citizen(app)
    browser = Browser(issuer)
    rp = new_rp(issuer, client_factory)
    return browser, rp, to_card_page(browser, rp)


def escaped(certificate):
    """As nginx's $ssl_client_escaped_cert: the PEM, URL-encoded."""
    return quote(certificate.public_bytes(Encoding.PEM).decode(), safe="")


def post_tls(browser, page, value=None):
    headers = {} if value is None else {HEADER: value}
    return browser.post("/login/card/tls", {"csrf_token": browser.csrf(page),
                                            "tx": tx_of(page)}, headers=headers)


def assert_refused(app, response, code, certificate=None):
    message, status = MESSAGES[code]
    assert response.status_code == status, response.text[:500]
    alert = re.search(r'role="alert" id="card-error"><p>(.*?)</p>', response.text).group(1)
    assert alert.replace("&#39;", "'") == translated(app, message, "en")
    assert "bawaba-sso=" not in response.headers.get("Set-Cookie", "")
    assert session_count(app) == 0
    [row] = audit_rows(app)
    expected = {"method": "card-tls", "reason": code}
    if certificate is not None:
        expected.update(certificate_serial=format(certificate.serial_number, "x"),
                        certificate_issuer=certificate.issuer.rfc4514_string())
    assert (row.outcome, row.detail) == ("failure", expected)


def test_certificate_from_a_trusted_proxy_logs_in_at_level_2(app, tls, soft_cards):  # noqa: F811
    browser, rp, page = tls
    assert 'action="/login/card/tls"' in page.text
    certificate = issue_card(app, soft_cards)
    response = post_tls(browser, page, escaped(certificate))
    assert response.status_code == 303, response.text[:500]
    callback = query_of(browser.consent(browser.follow(response)).headers["Location"])
    claims = decode(rp.exchange(callback["code"]).json()["id_token"], browser.issuer).claims
    assert (claims["sub"], claims["acr"], claims["amr"]) == (
        f"citizen-{NATIONAL_ID}", LEVEL_2, AMR)
    with app.app_context():
        evidence = db.session.scalars(db.select(AuthnEvidence)).one()
        assert (evidence.method, evidence.algorithm, evidence.revocation_status) == (
            "card-tls", None, "good")
        session = db.session.scalars(db.select(LoginSession)).one()
        assert (session.method, session.evidence_ref) == ("card-tls", evidence.ref)
        assert db.session.scalars(db.select(LinkedCard)).one().serial == format(
            certificate.serial_number, "x")


def test_header_from_an_untrusted_address_is_refused(app, tls, soft_cards, monkeypatch):  # noqa: F811
    monkeypatch.setitem(app.config, "IDP_TRUSTED_PROXIES", ["10.9.9.9", "192.168.0.0/16"])
    browser, _, page = tls
    certificate = issue_card(app, soft_cards)
    assert_refused(app, post_tls(browser, page, escaped(certificate)), "untrusted_proxy")


@pytest.mark.parametrize("value", [None, "", "%20"])
def test_no_certificate_presented(app, tls, value):
    browser, _, page = tls
    assert_refused(app, post_tls(browser, page, value), "client_certificate_missing")


def test_garbage_instead_of_a_certificate(app, tls):
    browser, _, page = tls
    assert_refused(app, post_tls(browser, page, quote("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                      "-----END CERTIFICATE-----\n")),
                   "certificate_malformed")


def test_same_validator_as_card_tokens(app, tls, soft_cards):  # noqa: F811
    browser, _, page = tls
    sim = issue_card(app, soft_cards, profile="sim")
    assert_refused(app, post_tls(browser, page, escaped(sim)), "wrong_policy", sim)


def test_revoked_certificate(app, tls, soft_cards):  # noqa: F811
    browser, _, page = tls
    certificate = issue_card(app, soft_cards)
    cli_json(app, "revoke", "--serial", format(certificate.serial_number, "x"),
             "--reason", "keyCompromise")
    assert_refused(app, post_tls(browser, page, escaped(certificate)), "certificate_revoked",
                   certificate)


def test_unknown_citizen(app, tls, soft_cards):  # noqa: F811
    browser, _, page = tls
    stranger = issue_card(app, soft_cards, national_id="29001019999")
    assert_refused(app, post_tls(browser, page, escaped(stranger)), "citizen_unknown",
                   stranger)


def test_off_unless_a_header_is_configured(app, issuer, client_factory, card_login):  # noqa: F811
    browser = Browser(issuer)
    page = to_card_page(browser, new_rp(issuer, client_factory))
    assert "/login/card/tls" not in page.text
    response = browser.post("/login/card/tls", {"csrf_token": browser.csrf(page),
                                                "tx": tx_of(page)},
                            headers={HEADER: "anything"})
    assert response.status_code == 404
    assert audit_rows(app) == []


@pytest.mark.parametrize(("trusted", "status"), [(["10.0.0.5"], 303),
                                                 (["203.0.113.9"], 403)])
def test_behind_proxy_fix_the_connecting_address_decides(app, issuer, client_factory,
                                                         hierarchy, soft_cards,  # noqa: F811
                                                         trusted, status):
    """With IDP_PROXY_HOPS the request's address is the forwarded client's; the header is
    still taken only from the proxy that connected."""
    make_citizen(app)
    certificate = issue_card(app, soft_cards)
    rp = new_rp(issuer, client_factory)
    with sibling_app(app, IDP_LOGIN_METHODS=["card"], IDP_CLIENT_CERT_HEADER=HEADER,
                     IDP_TRUSTED_PROXIES=trusted) as other:
        other.wsgi_app = ProxyFix(other.wsgi_app, x_for=1)
        http = other.test_client()
        environ = {"REMOTE_ADDR": "10.0.0.5"}
        forwarded = {"X-Forwarded-For": "203.0.113.9"}
        start = http.get("/authorize", query_string=rp.params(acr_values=LEVEL_2),
                         environ_base=environ, headers=forwarded)
        tx = query_of(start.headers["Location"])["tx"]
        page = http.get(f"/login/card?tx={tx}", environ_base=environ, headers=forwarded)
        token = CSRF.search(page.get_data(as_text=True)).group(1)
        response = http.post("/login/card/tls", data={"csrf_token": token, "tx": tx},
                             environ_base=environ,
                             headers={**forwarded, HEADER: escaped(certificate)})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    [row] = [r for r in audit_rows(app) if r.detail.get("method") == "card-tls"]
    assert row.ip == "203.0.113.9"
    assert row.outcome == ("success" if status == 303 else "failure")
