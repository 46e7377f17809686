"""Revocation status of one certificate: OCSP (RFC 6960) from the certificate's AIA or a
configured responder, falling back to the CRL at its distribution point (RFC 5280 §6.3).

An OCSP answer is accepted only when it is for the certificate asked about, signed by the
issuer or by a responder certificate the issuer issued for id-kp-OCSPSigning
(§4.2.2.2), current (thisUpdate not in the future, nextUpdate not past, and not older
than `max_age` without a nextUpdate), and carries our nonce (§4.4.1) when nonces are
required. Answers are cached until nextUpdate (optionally capped). With neither source
usable the check fails closed, unless `fail_open` is set, which is reported to `on_event`.
A responder's `unknown` is final: the CRL of a CA that does not know a certificate proves
nothing about it."""

import hashlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

import requests
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from .errors import CertificateOnHoldError
from .errors import CertificateRevokedError
from .errors import PkiError
from .errors import RevocationSourceError
from .errors import RevocationUnknownError
from .ocsp import key_hash
from .signatures import scheme_for
from .signatures import verify_signature

MAX_RESPONSE = 10 * 1024 * 1024
MAX_ISSUERS = 256  # issuer key hashes remembered


@dataclass(frozen=True)
class Status:
    state: str  # good, revoked, unknown
    source: str  # ocsp, crl
    expires: datetime | None = None
    reason: str | None = None
    revoked_at: datetime | None = None


def http_fetch(url, body=None, content_type=None, timeout=5):
    """GET (or POST body) over http(s); the response body, or RevocationSourceError."""
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise RevocationSourceError(f"not an http(s) URL: {url!r}")
    try:
        if body is None:
            response = requests.get(url, timeout=timeout, stream=True)
        else:
            response = requests.post(url, data=body, headers={"Content-Type": content_type},
                                     timeout=timeout, stream=True)
        if response.status_code != 200:
            raise RevocationSourceError(f"{url} answered HTTP {response.status_code}")
        content = response.raw.read(MAX_RESPONSE + 1, decode_content=True)
    except requests.RequestException as error:
        raise RevocationSourceError(f"{url} unreachable: {type(error).__name__}") from None
    if len(content) > MAX_RESPONSE:
        raise RevocationSourceError(f"{url} answered more than {MAX_RESPONSE} bytes")
    return content


class RevocationChecker:
    def __init__(self, fetch=http_fetch, responder_url=None, require_nonce=True,
                 fail_open=False, cache_max=None, max_age=timedelta(days=1),
                 skew=timedelta(minutes=5), on_event=None):
        self.fetch, self.responder_url = fetch, responder_url
        self.require_nonce, self.fail_open = require_nonce, fail_open
        self.cache_max, self.max_age, self.skew = cache_max, max_age, skew
        self.on_event = on_event or (lambda event, **detail: None)
        self._answers = {}  # (issuer key hash, serial) -> Status
        self._crls = {}  # url -> CertificateRevocationList
        self._issuer_hashes = {}  # issuer certificate -> SHA-256 of its key
        self._lock = threading.Lock()

    def forget(self):
        """Drop every cached answer and CRL (the trusted CAs changed)."""
        with self._lock:
            self._answers.clear()
            self._crls.clear()
            self._issuer_hashes.clear()

    def check(self, certificate, issuer, now, bypass_cache=False):
        """The certificate's Status; raises CertificateRevokedError (CertificateOnHoldError)
        or RevocationUnknownError."""
        key = (self._issuer_key_hash(issuer), certificate.serial_number)
        with self._lock:
            cached = None if bypass_cache else self._answers.get(key)
        if cached is not None and now < cached.expires:
            return _apply(cached, certificate)
        problems = []
        url = self.responder_url or ocsp_url(certificate)
        if url:
            try:
                status = self.ask_ocsp(certificate, issuer, url, now)
            except RevocationSourceError as error:
                problems.append(f"OCSP: {error.detail}")
            else:
                if status.expires is not None:
                    with self._lock:
                        self._answers[key] = status
                return _apply(status, certificate)
        for url in crl_urls(certificate):
            try:
                return _apply(self.crl_status(certificate, issuer, url, now, bypass_cache),
                              certificate)
            except RevocationSourceError as error:
                problems.append(f"CRL: {error.detail}")
        detail = "; ".join(problems) or "no OCSP responder and no CRL distribution point"
        serial = format(certificate.serial_number, "x")
        if self.fail_open:
            self.on_event("revocation_fail_open", serial=serial, problems=detail)
            return Status("unknown", "none")
        raise RevocationUnknownError(f"certificate {serial}: {detail}")

    def _issuer_key_hash(self, issuer):
        digest = self._issuer_hashes.get(issuer)
        if digest is None:
            digest = key_hash(issuer, hashlib.sha256)
            with self._lock:
                if len(self._issuer_hashes) >= MAX_ISSUERS:
                    self._issuer_hashes.clear()
                self._issuer_hashes[issuer] = digest
        return digest

    # OCSP

    def ask_ocsp(self, certificate, issuer, url, now):
        nonce = os.urandom(16)
        request = (ocsp.OCSPRequestBuilder()
                   .add_certificate(certificate, issuer, hashes.SHA256())
                   .add_extension(x509.OCSPNonce(nonce), False).build())
        body = self.fetch(url, request.public_bytes(Encoding.DER), "application/ocsp-request")
        try:
            response = ocsp.load_der_ocsp_response(body)
        except ValueError:
            raise RevocationSourceError(f"{url} sent an unreadable OCSP response") from None
        if response.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
            raise RevocationSourceError(f"{url} answered {response.response_status.name}")
        self._check_signer(response, issuer, now)
        single = next((r for r in response.responses
                       if r.serial_number == request.serial_number
                       and r.issuer_key_hash == request.issuer_key_hash
                       and r.issuer_name_hash == request.issuer_name_hash), None)
        if single is None:
            raise RevocationSourceError("the OCSP response is about another certificate")
        self._check_nonce(response, nonce)
        expires = self._check_times(single.this_update_utc, single.next_update_utc, now,
                                    "OCSP response")
        state = single.certificate_status.name.lower()
        reason = single.revocation_reason.value if single.revocation_reason else None
        return Status(state, "ocsp", expires, reason, single.revocation_time_utc)

    def _check_signer(self, response, issuer, now):
        if _is_responder(issuer, response):
            signer = issuer
        else:
            signer = next((c for c in response.certificates if _is_responder(c, response)),
                          None)
            if signer is None:
                raise RevocationSourceError("the OCSP responder certificate is missing")
            try:
                signer.verify_directly_issued_by(issuer)
                eku = signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
            except (ValueError, TypeError, x509.ExtensionNotFound):
                raise RevocationSourceError(
                    "the OCSP responder is not authorised by the issuer") from None
            if ExtendedKeyUsageOID.OCSP_SIGNING not in eku:
                raise RevocationSourceError(
                    "the OCSP responder certificate lacks id-kp-OCSPSigning")
            if not signer.not_valid_before_utc <= now <= signer.not_valid_after_utc:
                raise RevocationSourceError("the OCSP responder certificate is not valid now")
        try:
            algorithm = response.signature_hash_algorithm
            verify_signature(signer, response.signature, response.tbs_response_bytes,
                             scheme_for(signer), algorithm.name if algorithm else "sha256")
        except (PkiError, UnsupportedAlgorithm):
            raise RevocationSourceError("the OCSP response signature does not verify") from None

    def _check_nonce(self, response, nonce):
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            echoed = None
        if echoed is None and not self.require_nonce:
            return
        if echoed != nonce:
            raise RevocationSourceError("the OCSP response does not carry our nonce")

    def _check_times(self, this_update, next_update, now, what):
        if this_update > now + self.skew:
            raise RevocationSourceError(f"the {what} is from the future")
        if next_update is None:
            if this_update < now - self.max_age:
                raise RevocationSourceError(f"the {what} is too old")
            return None
        if now > next_update:
            raise RevocationSourceError(f"the {what} is stale (nextUpdate passed)")
        if self.cache_max is not None:
            return min(next_update, now + self.cache_max)
        return next_update

    # CRL

    def crl_status(self, certificate, issuer, url, now, bypass_cache=False):
        with self._lock:
            crl = None if bypass_cache else self._crls.get(url)
        if crl is None or now > crl.next_update_utc:
            body = self.fetch(url)
            try:
                crl = (x509.load_pem_x509_crl(body) if body.lstrip().startswith(b"-----")
                       else x509.load_der_x509_crl(body))
            except ValueError:
                raise RevocationSourceError(f"{url} sent an unreadable CRL") from None
        status = check_crl(certificate, issuer, crl, now, self.skew)
        with self._lock:
            self._crls[url] = crl
        return status


def check_crl(certificate, issuer, crl, now, skew=timedelta(minutes=5)):
    """The certificate's status from a complete CRL issued by its issuer (RFC 5280 §6.3.3)."""
    if crl.issuer != issuer.subject or certificate.issuer != issuer.subject:
        raise RevocationSourceError("the CRL is from another issuer")
    try:
        usage = issuer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.crl_sign:
        raise RevocationSourceError("the CRL issuer may not sign CRLs (keyUsage lacks cRLSign)")
    try:
        extensions = list(crl.extensions)
    except (ValueError, TypeError, x509.DuplicateExtension):
        raise RevocationSourceError("the CRL has malformed extensions") from None
    for extension in extensions:
        if extension.critical:
            raise RevocationSourceError(
                f"unsupported critical CRL extension {extension.oid.dotted_string}")
    try:
        crl.extensions.get_extension_for_class(x509.CRLNumber)
    except x509.ExtensionNotFound:
        raise RevocationSourceError("the CRL has no cRLNumber") from None
    if not crl.is_signature_valid(issuer.public_key()):
        raise RevocationSourceError("the CRL signature does not verify")
    if crl.last_update_utc > now + skew:
        raise RevocationSourceError("the CRL is from the future")
    if crl.next_update_utc is None or now > crl.next_update_utc:
        raise RevocationSourceError("the CRL is stale (nextUpdate passed)")
    entry = crl.get_revoked_certificate_by_serial_number(certificate.serial_number)
    if entry is None:
        return Status("good", "crl", crl.next_update_utc)
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.value
    except x509.ExtensionNotFound:
        reason = "unspecified"
    return Status("revoked", "crl", crl.next_update_utc, reason, entry.revocation_date_utc)


def ocsp_url(certificate):
    return next(iter(_access(certificate, x509.AuthorityInformationAccessOID.OCSP)), None)


def crl_urls(certificate):
    try:
        points = certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints)
    except x509.ExtensionNotFound:
        return []
    return [name.value for point in points.value for name in point.full_name or ()
            if isinstance(name, x509.UniformResourceIdentifier)]


def _access(certificate, method):
    try:
        aia = certificate.extensions.get_extension_for_class(x509.AuthorityInformationAccess)
    except x509.ExtensionNotFound:
        return []
    return [a.access_location.value for a in aia.value if a.access_method == method
            and isinstance(a.access_location, x509.UniformResourceIdentifier)]


def _apply(status, certificate):
    serial = format(certificate.serial_number, "x")
    if status.state == "revoked":
        error = CertificateOnHoldError if status.reason == "certificateHold" else (
            CertificateRevokedError)
        raise error(f"certificate {serial} revoked ({status.reason}, {status.source})",
                    reason=status.reason, revoked_at=status.revoked_at)
    if status.state != "good":
        raise RevocationUnknownError(f"the OCSP responder does not know certificate {serial}")
    return status


def _is_responder(certificate, response):
    if response.responder_name is not None:
        return certificate.subject == response.responder_name
    return key_hash(certificate) == response.responder_key_hash
