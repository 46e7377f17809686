"""The administrators' REST API for the certificate authority (JSON): the hierarchy,
issuance, revocation, hold and release, list, search and show.

Bearer access tokens of this provider (RFC 6750) whose subject holds the `admin` role and
whose acr is level 2. A missing or dead token gets 401 invalid_token; a weaker
authentication 401 insufficient_user_authentication with the acr needed (RFC 9470 §3);
a subject without the role 403 access_denied. Every call is audited (`pki_admin`), refused
ones included. Domain failures carry the PKI error code (idp.pki.errors)."""

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from flask import Blueprint
from flask import g
from flask import jsonify
from flask import request
from werkzeug.exceptions import BadRequest

from .. import audit
from ..authn.assurance import LEVEL_2
from ..authn.assurance import satisfies
from ..extensions import csrf
from ..extensions import db
from ..models.accounts import find_account
from ..models.certificates import STATUSES
from ..models.types import utcnow
from ..oauth.access_tokens import load_access_token
from ..pki import crl
from ..pki import errors
from ..pki.ca import serial_text
from ..pki.hsm import TokenError
from ..pki.profiles import check_citizen
from .pki import certificate_authority
from .pki import crl_validity

bp = Blueprint("pki_admin", __name__, url_prefix="/pki/api")

ADMIN_ROLE = "admin"
STATUS = {
    errors.UnknownCertificateError: 404,
    errors.HierarchyMissingError: 409,
    errors.AlreadyRevokedError: 409,
    errors.NotOnHoldError: 409,
}


class ApiError(Exception):
    def __init__(self, status, error, description, headers=None):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}


def init_app(app):
    app.register_blueprint(bp)
    csrf.exempt(bp)  # bearer tokens, no cookies


@bp.before_request
def authenticate():
    g.pki_admin = None
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiError(401, "invalid_token", "Missing access token.",
                       {"WWW-Authenticate": 'Bearer realm="pki"'})
    row = load_access_token(value.strip(), utcnow())
    account = find_account(row.subject) if row is not None and row.subject else None
    if account is None or account.locked_at is not None:
        raise _challenge(401, "invalid_token", "The access token is invalid or expired.")
    g.pki_admin = account.sub
    if not satisfies(row.acr, [LEVEL_2]):
        raise _challenge(401, "insufficient_user_authentication",
                         "Administration needs a level 2 authentication.",
                         f', acr_values="{LEVEL_2}"')
    if ADMIN_ROLE not in (account.roles or []):
        raise ApiError(403, "access_denied", "This account is not a PKI administrator.")


@bp.errorhandler(ApiError)
def api_error(error):
    return _error(error.status, error.error, error.description, error.headers)


@bp.errorhandler(errors.PkiError)
def pki_error(error):
    db.session.rollback()
    return _error(STATUS.get(type(error), 400), error.code, error.detail)


@bp.errorhandler(TokenError)
def token_error(error):
    db.session.rollback()
    return _error(503, "temporarily_unavailable", "The key store is not available.")


@bp.get("/authorities")
def authorities():
    rows = certificate_authority().store.authorities()
    _audit("list_authorities")
    return _ok([{"name": r.name, "role": r.role, "parent": r.parent.name if r.parent else None,
                 "subject": r.certificate.subject.rfc4514_string(),
                 "serial": serial_text(r.certificate.serial_number),
                 "not_after": r.certificate.not_valid_after_utc.isoformat(),
                 "pem": _pem(r.certificate_der)} for r in rows])


@bp.get("/certificates")
def search():
    args = request.args
    status = args.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "invalid_request", f"status must be one of {', '.join(STATUSES)}.")
    serial = serial_text(args["serial"]) if "serial" in args else None
    rows = certificate_authority().store.search(national_id=args.get("national_id"),
                                                serial=serial, status=status,
                                                profile=args.get("profile"))
    _audit("search", **{k: v for k, v in args.items() if k in (
        "national_id", "serial", "status", "profile")})
    return _ok([r.to_dict() for r in rows])


@bp.get("/certificates/<serial>")
def show(serial):
    row = certificate_authority().find(serial)
    _audit("show", serial=row.serial)
    return _ok({**row.to_dict(), "pem": _pem(row.der)})


@bp.post("/certificates")
def issue():
    body = _json()
    citizen = check_citizen(body.get("national_id"), body.get("given_name"),
                            body.get("family_name"))
    if not isinstance(body.get("csr"), str):
        raise errors.CsrMalformedError("csr must be a PEM string")
    row, certificate = certificate_authority().issue(body.get("profile"), body["csr"], citizen,
                                                     utcnow())
    _audit("issue", serial=row.serial, profile=row.profile, national_id=row.national_id)
    return _ok({**row.to_dict(), "pem": _pem(row.der)}, 201)


@bp.post("/certificates/<serial>/revoke")
def revoke(serial):
    reason = _json().get("reason", "unspecified")
    if not isinstance(reason, str):
        raise errors.InvalidReasonError("reason must be a string")
    row = crl.revoke(certificate_authority(), serial, reason, utcnow(), crl_validity())
    _audit("revoke", serial=row.serial, reason=reason, national_id=row.national_id)
    return _ok(row.to_dict())


@bp.post("/certificates/<serial>/release")
def release(serial):
    row = crl.release(certificate_authority(), serial, utcnow(), crl_validity())
    _audit("release", serial=row.serial, national_id=row.national_id)
    return _ok(row.to_dict())


def _json():
    if not request.is_json:
        raise ApiError(400, "invalid_request", "Send a JSON object (application/json).")
    try:
        body = request.get_json()
    except BadRequest:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "The body must be a JSON object.")
    return body


def _audit(action, **detail):
    audit.record("pki_admin", subject=g.pki_admin, action=action, **detail)


def _ok(data, status=200):
    db.session.commit()
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status, error, description, headers=None):
    db.session.rollback()
    audit.record("pki_admin", "failure", subject=g.get("pki_admin"), action=request.endpoint,
                 status=status, error=error)
    db.session.commit()
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


def _challenge(status, error, description, extra=""):
    header = f'Bearer realm="pki", error="{error}", error_description="{description}"{extra}'
    return ApiError(status, error, description, {"WWW-Authenticate": header})


def _pem(der):
    return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM).decode()
