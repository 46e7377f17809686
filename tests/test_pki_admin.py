"""The administrators' REST API over real HTTP: access tokens of an admin at acr level 2
only; issuance, revocation, hold and release, search and show; every call audited."""

import pytest
import requests
from cryptography import x509

from idp.authn.assurance import LEVEL_1
from idp.authn.assurance import LEVEL_2
from idp.extensions import db
from idp.models import Account
from idp.models import AuditEvent
from idp.models.accounts import find_account
from idp.models.types import utcnow

from .helpers import Browser
from .helpers import RelyingParty
from .helpers import sign_in
from .pki_support import NATIONAL_ID
from .pki_support import citizen_key
from .pki_support import init_hierarchy
from .pki_support import make_csr


def access_token(app, issuer, client_factory, sub, acr, roles=()):
    rp = RelyingParty(issuer, client_factory())
    callback = sign_in(Browser(issuer), rp, sub=sub, acr=acr)
    response = rp.exchange(callback["code"])
    assert response.status_code == 200, response.text
    with app.app_context():
        account = find_account(sub)
        account.roles = list(roles)
        db.session.commit()
    return response.json()["access_token"]


@pytest.fixture
def admin(app, issuer, client_factory):
    token = access_token(app, issuer, client_factory, "admin-1", LEVEL_2, ["admin"])
    return Api(issuer, token)


class Api:
    def __init__(self, issuer, token=None):
        self.base = issuer + "/pki/api"
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, **params):
        return requests.get(self.base + path, params=params, headers=self.headers, timeout=10)

    def post(self, path, json=None, data=None, content_type=None):
        headers = dict(self.headers)
        if content_type:
            headers["Content-Type"] = content_type
        return requests.post(self.base + path, json=json, data=data, headers=headers,
                             timeout=10)

    def issue(self, profile="card", national_id=NATIONAL_ID, **extra):
        body = {"profile": profile, "csr": make_csr().decode(), "national_id": national_id,
                "given_name": "Amina", "family_name": "Haddad", **extra}
        return self.post("/certificates", body)


def assert_error(response, status, error, description=None):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    if description:
        assert description in body["error_description"]
    return body


def audit_rows(app):
    with app.app_context():
        rows = db.session.execute(db.select(AuditEvent).filter_by(event="pki_admin")
                                  .order_by(AuditEvent.id)).scalars().all()
        return [(r.outcome, r.subject, r.detail) for r in rows]


def test_issue_search_show_revoke_and_release(app, admin):
    h = init_hierarchy(app)
    issued = admin.issue()
    assert issued.status_code == 201, issued.text
    assert issued.headers["Cache-Control"] == "no-store"
    data = issued.json()
    certificate = x509.load_pem_x509_certificate(data["pem"].encode())
    certificate.verify_directly_issued_by(h["card"])
    assert data["national_id"] == NATIONAL_ID and data["status"] == "good"
    serial = data["serial"]

    found = admin.get("/certificates", national_id=NATIONAL_ID)
    assert [c["serial"] for c in found.json()] == [serial]
    assert admin.get("/certificates", status="revoked").json() == []
    shown = admin.get(f"/certificates/{serial}").json()
    assert shown["pem"] == data["pem"]

    held = admin.post(f"/certificates/{serial}/revoke", {"reason": "certificateHold"})
    assert held.status_code == 200 and held.json()["status"] == "hold"
    assert [c["serial"] for c in admin.get("/certificates", status="hold").json()] == [serial]
    released = admin.post(f"/certificates/{serial}/release", {})
    assert released.json()["status"] == "good"
    revoked = admin.post(f"/certificates/{serial}/revoke", {"reason": "keyCompromise"})
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["revocation_reason"] == "keyCompromise"

    authorities = admin.get("/authorities").json()
    assert [a["name"] for a in authorities] == [
        "root", "card", "sim", "root-ocsp", "card-ocsp", "sim-ocsp"]
    assert x509.load_pem_x509_certificate(authorities[0]["pem"].encode()) == h["root"]

    rows = audit_rows(app)
    assert [(o, s, d["action"]) for o, s, d in rows] == [
        ("success", "admin-1", action) for action in (
            "issue", "search", "search", "show", "revoke", "search", "release", "revoke",
            "list_authorities")]
    assert rows[0][2]["serial"] == serial and rows[4][2]["reason"] == "certificateHold"


def test_bad_requests(app, admin):
    init_hierarchy(app)
    serial = admin.issue().json()["serial"]
    cases = [
        (admin.issue(profile="server"), 400, "unknown_profile"),
        (admin.issue(national_id="x"), 400, "invalid_citizen_data"),
        (admin.issue(csr="-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"), 400, "csr_malformed"),
        (admin.issue(csr=12), 400, "csr_malformed"),
        (admin.issue(csr=make_csr(citizen_key("rsa1024")).decode()), 400, "weak_key"),
        (admin.post("/certificates", data="{", content_type="application/json"), 400,
         "invalid_request"),
        (admin.post("/certificates", ["not", "an", "object"]), 400, "invalid_request"),
        (admin.post("/certificates", data="profile=card"), 400, "invalid_request"),
        (admin.post("/certificates/abc123/revoke", {"reason": "keyCompromise"}), 404,
         "unknown_certificate"),
        (admin.post(f"/certificates/{serial}/revoke", {"reason": "stolen"}), 400,
         "invalid_reason"),
        (admin.post(f"/certificates/{serial}/revoke", {"reason": 7}), 400, "invalid_reason"),
        (admin.post(f"/certificates/{serial}/release", {}), 409, "not_on_hold"),
        (admin.get("/certificates/not-hex"), 404, "unknown_certificate"),
        (admin.get("/certificates", status="lost"), 400, "invalid_request"),
    ]
    for response, status, error in cases:
        assert_error(response, status, error)
    admin.post(f"/certificates/{serial}/revoke", {"reason": "superseded"})
    assert_error(admin.post(f"/certificates/{serial}/revoke", {"reason": "superseded"}), 409,
                 "already_revoked")
    failures = [d for o, _, d in audit_rows(app) if o == "failure"]
    assert len(failures) == len(cases) + 1
    assert failures[0] == {"action": "pki_admin.issue", "status": 400,
                           "error": "unknown_profile"}


def test_issue_needs_the_hierarchy(admin):
    assert_error(admin.issue(), 409, "hierarchy_missing")


def test_who_may_call(app, issuer, client_factory):
    init_hierarchy(app)
    anonymous = Api(issuer).get("/certificates")
    assert_error(anonymous, 401, "invalid_token", "Missing access token.")
    assert anonymous.headers["WWW-Authenticate"] == 'Bearer realm="pki"'
    assert_error(Api(issuer, "not-a-token").get("/certificates"), 401, "invalid_token")

    weak = Api(issuer, access_token(app, issuer, client_factory, "admin-2", LEVEL_1, ["admin"]))
    response = weak.issue()
    assert_error(response, 401, "insufficient_user_authentication")
    assert f'acr_values="{LEVEL_2}"' in response.headers["WWW-Authenticate"]

    citizen = Api(issuer, access_token(app, issuer, client_factory, "citizen-9", LEVEL_2))
    assert_error(citizen.issue(), 403, "access_denied")
    assert_error(citizen.get("/certificates"), 403, "access_denied")

    locked_token = access_token(app, issuer, client_factory, "admin-3", LEVEL_2, ["admin"])
    with app.app_context():
        db.session.execute(db.update(Account).filter_by(sub="admin-3")
                           .values(locked_at=utcnow()))
        db.session.commit()
    assert_error(Api(issuer, locked_token).get("/certificates"), 401, "invalid_token")

    assert admin_certificates(app) == []
    rows = audit_rows(app)
    assert [(o, s, d["status"], d["error"]) for o, s, d in rows] == [
        ("failure", None, 401, "invalid_token"),
        ("failure", None, 401, "invalid_token"),
        ("failure", "admin-2", 401, "insufficient_user_authentication"),
        ("failure", "citizen-9", 403, "access_denied"),
        ("failure", "citizen-9", 403, "access_denied"),
        ("failure", None, 401, "invalid_token"),
    ]


def admin_certificates(app):
    from idp.models.certificates import IssuedCertificate

    with app.app_context():
        return db.session.execute(db.select(IssuedCertificate).filter(
            IssuedCertificate.profile.in_(("card", "sim")))).scalars().all()
