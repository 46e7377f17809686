"""The OCSP responder (RFC 6960) for the CAs of the hierarchy.

Each CA's answers are signed by its delegated responder certificate (§4.2.2.2,
id-kp-OCSPSigning, issued by that CA), sent along in the response. A request for a
serial the CA never issued is answered `unknown` (§2.2); a request for an issuer that is
not ours gets `unauthorized` (§2.3), an unreadable one `malformedRequest`. A nonce
(§4.4.1, RFC 8954: 1-32 octets) is echoed. producedAt is set by cryptography from the
system clock; thisUpdate and nextUpdate come from `now`."""

import hashlib
from datetime import timedelta

from asn1crypto import keys as asn1_keys
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.hazmat.primitives.serialization import PublicFormat
from cryptography.x509 import ocsp

from .ca import serial_text
from .errors import OcspMalformedRequestError
from .errors import OcspUnauthorizedError
from .signer import sign_ocsp_response

MAX_REQUEST = 8 * 1024
MAX_NONCE = 32
HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
          "sha512": hashlib.sha512}
CA_ROLES = ("root", "issuing")


def respond(ca, request_der, now, validity=timedelta(hours=1)):
    """DER OCSPResponse for a DER OCSPRequest. Never raises for bad input."""
    try:
        request, nonce = parse_request(request_der)
        issuer = find_issuer(ca, request)
    except OcspMalformedRequestError:
        return unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    except OcspUnauthorizedError:
        return unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    return answer(ca, issuer, request, nonce, now, validity).public_bytes(Encoding.DER)


def parse_request(der):
    if not isinstance(der, bytes) or not der or len(der) > MAX_REQUEST:
        raise OcspMalformedRequestError("empty or oversized request")
    try:
        request = ocsp.load_der_ocsp_request(der)
        algorithm = request.hash_algorithm.name
        extensions = request.extensions
    except (ValueError, x509.UnsupportedGeneralNameType) as error:
        raise OcspMalformedRequestError(f"unreadable request: {error}") from None
    except UnsupportedAlgorithm as error:  # a CertID hash we do not know
        raise OcspMalformedRequestError(f"unsupported hash: {error}") from None
    if algorithm not in HASHES:
        raise OcspMalformedRequestError(f"unsupported hash {algorithm}")
    nonce = None
    for extension in extensions:
        if isinstance(extension.value, x509.OCSPNonce):
            nonce = extension.value.nonce
            if not 1 <= len(nonce) <= MAX_NONCE:
                raise OcspMalformedRequestError("nonce must be 1-32 octets (RFC 8954)")
        elif extension.critical:
            raise OcspMalformedRequestError(f"unsupported critical extension {extension.oid}")
    return request, nonce


def key_hash(certificate, digest=hashlib.sha1):
    """Hash of the subjectPublicKey BIT STRING value (RFC 6960 §4.1.1 KeyHash)."""
    spki = asn1_keys.PublicKeyInfo.load(certificate.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
    return digest(bytes(spki["public_key"])).digest()


def cert_id_hashes(certificate, algorithm):
    """(issuerNameHash, issuerKeyHash) of a CA certificate (RFC 6960 §4.1.1)."""
    digest = HASHES[algorithm]
    return digest(certificate.subject.public_bytes()).digest(), key_hash(certificate, digest)


def find_issuer(ca, request):
    algorithm = request.hash_algorithm.name
    wanted = (request.issuer_name_hash, request.issuer_key_hash)
    for authority in ca.store.authorities():
        if authority.role in CA_ROLES and cert_id_hashes(authority.certificate,
                                                         algorithm) == wanted:
            return authority
    raise OcspUnauthorizedError("issuer is not one of ours")


def answer(ca, issuer, request, nonce, now, validity):
    row = ca.store.certificate(serial_text(request.serial_number), issuer=issuer)
    status, revoked_at, reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
    if row is not None and row.status == "revoked":
        status, revoked_at = ocsp.OCSPCertStatus.REVOKED, row.revoked_at
        if row.revocation_reason and row.revocation_reason != "unspecified":
            reason = x509.ReasonFlags(row.revocation_reason)
    elif row is not None:
        status = ocsp.OCSPCertStatus.GOOD
    builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
        issuer_name_hash=request.issuer_name_hash,
        issuer_key_hash=request.issuer_key_hash,
        serial_number=request.serial_number,
        algorithm=getattr(hashes, request.hash_algorithm.name.upper())(),
        cert_status=status,
        this_update=now,
        next_update=now + validity,
        revocation_time=revoked_at,
        revocation_reason=reason,
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), False)
    responder = ca.authority(f"{issuer.name}-ocsp")
    return sign_ocsp_response(builder, ca.key(responder), responder.certificate)


def unsuccessful(status):
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(Encoding.DER)
