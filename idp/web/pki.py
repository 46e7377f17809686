"""PKI over HTTP: CRL distribution points (RFC 5280 §4.2.1.13; DER as
application/pkix-crl, RFC 2585 §4), CA certificates for AIA caIssuers
(application/pkix-cert), and the OCSP responder (RFC 6960 Appendix A.1: GET with the
base64 request in the path, POST with application/ocsp-request).

Also the glue the web and CLI layers share: settings, the token, the certificate authority
and validators built from configuration."""

import base64
import binascii
import json
import logging
import os
from datetime import timedelta
from functools import partial
from urllib.parse import unquote

from cryptography import x509
from cryptography.x509.ocsp import OCSPResponseStatus
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import csrf
from ..extensions import db
from ..models.certificates import GOOD
from ..models.certificates import CertificateStore
from ..models.types import utcnow
from ..pki import crl
from ..pki import ocsp
from ..pki.ca import CertificateAuthority
from ..pki.ca import Urls
from ..pki.errors import HierarchyMissingError
from ..pki.errors import PkiError
from ..pki.hsm import TokenError
from ..pki.kept_validators import KeptValidators
from ..pki.profiles import find_profile
from ..pki.revocation import RevocationChecker
from ..pki.revocation import http_fetch
from ..pki.validation import Validator

log = logging.getLogger(__name__)
bp = Blueprint("pki", __name__)

DEFAULTS = {
    "PKI_PKCS11_TOKEN_LABEL": None,  # default: PKCS11_TOKEN_LABEL (the signing token)
    "PKI_PKCS11_TOKEN_PIN": None,  # default: PKCS11_TOKEN_PIN
    "PKI_BASE_URL": None,  # where CRLs, OCSP and CA certificates are served; default IDP_ISSUER
    "PKI_COUNTRY": "XX",
    "PKI_ORGANIZATION": "Bawaba (development)",
    "PKI_CRL_VALIDITY_SECONDS": 86400,  # at most 24 h
    "PKI_OCSP_VALIDITY_SECONDS": 3600,
    # Validator
    "PKI_TRUST_ANCHORS": [],  # extra PEM files of trusted roots besides our own
    "PKI_MAX_CHAIN_DEPTH": 2,  # intermediates allowed between leaf and root
    "PKI_OCSP_RESPONDER_URL": None,  # used instead of the certificate's AIA when set
    "PKI_OCSP_REQUIRE_NONCE": True,
    "PKI_OCSP_CACHE_MAX_SECONDS": None,  # cap on caching a response (default: nextUpdate)
    "PKI_REVOCATION_FAIL_OPEN": False,  # accept when no status can be had (audited)
    "PKI_FETCH_TIMEOUT": 5,
}
OCSP_REQUEST = "application/ocsp-request"
OCSP_RESPONSE = "application/ocsp-response"


def init_app(app):
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
        current = app.config[key]
        if isinstance(value, (bool, int, list)) and isinstance(current, str):
            app.config[key] = json.loads(current)  # from the environment
    if app.config["PKI_CRL_VALIDITY_SECONDS"] > crl.MAX_VALIDITY.total_seconds():
        raise RuntimeError("PKI_CRL_VALIDITY_SECONDS must be at most 86400 (24 hours)")
    from . import pki_admin

    app.register_blueprint(bp)
    pki_admin.init_app(app)
    csrf.exempt(bp)


# Shared glue


def pki_token():
    """The token holding the CA keys. When it is the signing token, the key ring's Token
    object is reused: PKCS#11 allows one login per token and process."""
    cfg = current_app.config
    label = cfg["PKI_PKCS11_TOKEN_LABEL"] or cfg["PKCS11_TOKEN_LABEL"]
    pin = cfg["PKI_PKCS11_TOKEN_PIN"] or cfg["PKCS11_TOKEN_PIN"]
    if label == cfg["PKCS11_TOKEN_LABEL"] and cfg["IDP_KEY_BACKEND"] == "pkcs11":
        from ..oauth.keys import key_ring

        return key_ring().backend
    token = current_app.extensions.get("idp.pki.token")
    if token is None:
        from ..pki.hsm import Token

        token = Token(cfg["PKCS11_MODULE"], label, pin, cfg.get("SOFTHSM2_CONF"))
        current_app.extensions["idp.pki.token"] = token
    return token


def certificate_authority():
    cfg = current_app.config
    return CertificateAuthority(pki_token(), CertificateStore(),
                                cfg["PKI_BASE_URL"] or cfg["IDP_ISSUER"], cfg["PKI_COUNTRY"],
                                cfg["PKI_ORGANIZATION"])


def crl_validity():
    return timedelta(seconds=current_app.config["PKI_CRL_VALIDITY_SECONDS"])


def revocation_checker():
    """One checker per process, so OCSP answers and CRLs are cached across requests."""
    checker = current_app.extensions.get("idp.pki.revocation")
    if checker is None:
        cfg = current_app.config
        cap = cfg["PKI_OCSP_CACHE_MAX_SECONDS"]
        checker = RevocationChecker(
            fetch=revocation_fetch(cfg),
            responder_url=cfg["PKI_OCSP_RESPONDER_URL"],
            require_nonce=cfg["PKI_OCSP_REQUIRE_NONCE"],
            fail_open=cfg["PKI_REVOCATION_FAIL_OPEN"],
            cache_max=None if cap is None else timedelta(seconds=int(cap)),
            on_event=_audit_revocation_event,
        )
        current_app.extensions["idp.pki.revocation"] = checker
    return checker


def revocation_fetch(cfg):
    """How the checker reaches OCSP responders and CRLs: over HTTP, except this provider's
    own responder, which is answered in process. Asking it over HTTP would wait for a free
    worker of this same server, and with every worker validating a card at once (an empty
    OCSP cache after a start) none would ever be free."""
    remote = partial(http_fetch, timeout=cfg["PKI_FETCH_TIMEOUT"])
    own_responder = Urls((cfg["PKI_BASE_URL"] or cfg["IDP_ISSUER"]).rstrip("/")).ocsp

    def fetch(url, body=None, content_type=None):
        if url == own_responder and body is not None and content_type == OCSP_REQUEST:
            return _ocsp_response(body)
        return remote(url, body, content_type)

    return fetch


def validator(profile_name):
    """The validator a login method uses for certificates of one profile (card, sim):
    our root and any PKI_TRUST_ANCHORS, our issuing CAs as intermediates, the profile's
    policy, revocation by OCSP with CRL fallback. Kept per process while the CAs, their
    status and CRLs, the anchor files and the depth stay the same (one small query per
    call). The caller commits (fail-open audit)."""
    profile = find_profile(profile_name)
    cfg = current_app.config
    rows = CertificateStore().trust()
    files = tuple((path, *_stamp(path)) for path in cfg["PKI_TRUST_ANCHORS"])
    depth = cfg["PKI_MAX_CHAIN_DEPTH"]
    kept = current_app.extensions.setdefault("idp.pki.validators", KeptValidators())
    checker = revocation_checker()

    def build():
        roots = [(der, status) for _, role, der, status, *_ in rows if role == "root"]
        # A root revoked or on hold (its own record says so) anchors nothing.
        anchors = [der for der, status in roots if status == GOOD]
        for path in cfg["PKI_TRUST_ANCHORS"]:
            with open(path, "rb") as pem:
                anchors.extend(x509.load_pem_x509_certificates(pem.read()))
        if not anchors:
            raise HierarchyMissingError(
                "no trust anchor: every root is revoked or on hold" if roots else
                "no trust anchor: run `idp pki init` or set PKI_TRUST_ANCHORS")
        intermediates = [der for _, role, der, *_ in rows if role == "issuing"]
        return Validator(anchors, profile.policy, intermediates, depth, checker)

    return kept.get(profile.name, (rows, files, depth), checker, build)


def _stamp(path):
    status = os.stat(path)
    return status.st_mtime_ns, status.st_size


def _audit_revocation_event(event, **detail):
    audit.record(event, "warning", **detail)


# Public endpoints


@bp.get("/pki/crl/<name>.crl")
def crl_distribution_point(name):
    ca = certificate_authority()
    authority = ca.store.authority(name)
    if authority is None or authority.role == "ocsp":
        return _not_found()
    try:
        der = crl.current(ca, authority, utcnow(), crl_validity())
        db.session.commit()
    except IntegrityError:  # another request published the next CRL at the same moment
        db.session.rollback()
        der = crl.current(ca, authority, utcnow(), crl_validity())
    except (TokenError, PkiError) as error:
        db.session.rollback()
        log.error("cannot publish the CRL of %s: %s", name, error)
        return _json_error(503, "temporarily_unavailable", "The CRL cannot be published now.")
    response = Response(der, mimetype="application/pkix-crl")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/pki/ca/<name>.crt")
def ca_certificate(name):
    authority = CertificateStore().authority(name)
    if authority is None:
        return _not_found()
    response = Response(authority.certificate_der, mimetype="application/pkix-cert")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.post("/pki/ocsp")
def ocsp_post():
    if request.mimetype != OCSP_REQUEST:
        return _ocsp(ocsp.unsuccessful(OCSPResponseStatus.MALFORMED_REQUEST))
    return _ocsp_answer(request.stream.read(ocsp.MAX_REQUEST + 1))


@bp.get("/pki/ocsp/<path:encoded>")
def ocsp_get(encoded):
    try:
        der = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError):
        return _ocsp(ocsp.unsuccessful(OCSPResponseStatus.MALFORMED_REQUEST))
    return _ocsp_answer(der)


def _ocsp_answer(der):
    return _ocsp(_ocsp_response(der))


def _ocsp_response(der):
    validity = timedelta(seconds=current_app.config["PKI_OCSP_VALIDITY_SECONDS"])
    try:
        return ocsp.respond(certificate_authority(), der, utcnow(), validity)
    except (TokenError, PkiError) as error:  # bad input never raises: only our own trouble
        log.error("OCSP responder cannot sign: %s", error)
        return ocsp.unsuccessful(OCSPResponseStatus.TRY_LATER)


def _ocsp(body):
    response = Response(body, mimetype=OCSP_RESPONSE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _not_found():
    return _json_error(404, "not_found", "No such authority.")


def _json_error(status, error, description):
    response = current_app.json.response(error=error, error_description=description)
    response.status_code = status
    return response
