"""Signing X.509 structures with keys that never leave the PKCS#11 token.

cryptography's builders only sign with software keys, so each structure is built and signed
with a throwaway software key of the same curve and hash; the to-be-signed bytes
(RFC 5280 §4.1 tbsCertificate, §5.1 tbsCertList; RFC 6960 §4.2.1 tbsResponseData) are then
signed by the token and the final DER is reassembled with asn1crypto: the signed structure
is SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }, and only the BIT STRING changes.
The token returns ECDSA signatures as raw r||s (PKCS#11 CKM_ECDSA); X.509 wants the DER
ECDSA-Sig-Value (RFC 3279 §2.2.3)."""

import hashlib

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import ocsp

from .errors import SigningError

CURVES = {
    "secp256r1": (ec.SECP256R1, hashes.SHA256, hashlib.sha256),
    "secp384r1": (ec.SECP384R1, hashes.SHA384, hashlib.sha384),
}


class CaKey:
    """An ECDSA key in the token: its CKA_ID, curve and public key."""

    def __init__(self, token, key_id, curve, public_key):
        if curve not in CURVES:
            raise ValueError(f"unsupported CA curve {curve}")
        self.token, self.key_id, self.curve, self.public_key = token, key_id, curve, public_key

    @property
    def hash_algorithm(self):
        return CURVES[self.curve][1]()

    def throwaway(self):
        return ec.generate_private_key(CURVES[self.curve][0]())

    def sign(self, data):
        """DER ECDSA-Sig-Value over data, made by the token."""
        raw = self.token.sign_ecdsa_digest(self.key_id, CURVES[self.curve][2](data).digest())
        half = len(raw) // 2
        r, s = int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        signature = encode_dss_signature(r, s)
        try:  # a faulty token must not put an invalid signature into circulation
            self.public_key.verify(signature, data, ec.ECDSA(self.hash_algorithm))
        except InvalidSignature:
            raise SigningError(f"token key {self.key_id} made an invalid signature") from None
        return signature


def sign_certificate(builder, key):
    draft = builder.sign(key.throwaway(), key.hash_algorithm)
    value = asn1_x509.Certificate.load(draft.public_bytes(Encoding.DER))
    value["signature_value"] = key.sign(draft.tbs_certificate_bytes)
    return x509.load_der_x509_certificate(value.dump())


def sign_crl(builder, key):
    draft = builder.sign(key.throwaway(), key.hash_algorithm)
    value = asn1_crl.CertificateList.load(draft.public_bytes(Encoding.DER))
    value["signature"] = key.sign(draft.tbs_certlist_bytes)
    return x509.load_der_x509_crl(value.dump())


def sign_ocsp_response(builder, key, responder):
    """A successful OCSPResponse (RFC 6960 §4.2.1) signed by key, the private key of the
    responder certificate, which goes with the response; the ResponderID is by name
    (§4.2.2.3) because the builder checks a byKey ResponderID against the signing key."""
    stand_in = key.throwaway()
    draft_cert = (
        x509.CertificateBuilder()
        .subject_name(responder.subject)
        .issuer_name(responder.subject)
        .public_key(stand_in.public_key())
        .serial_number(1)
        .not_valid_before(responder.not_valid_before_utc)
        .not_valid_after(responder.not_valid_after_utc)
        .sign(stand_in, key.hash_algorithm)
    )
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.NAME, draft_cert)
    draft = builder.certificates([responder]).sign(stand_in, key.hash_algorithm)
    outer = asn1_ocsp.OCSPResponse.load(draft.public_bytes(Encoding.DER))
    basic = asn1_ocsp.BasicOCSPResponse.load(outer["response_bytes"]["response"].contents)
    basic["signature"] = key.sign(draft.tbs_response_bytes)
    value = asn1_ocsp.OCSPResponse({
        "response_status": "successful",
        "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
    })
    return ocsp.load_der_ocsp_response(value.dump())
