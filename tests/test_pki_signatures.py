"""Signature helpers for what cards and SIMs return: ECDSA as raw r||s (PKCS#11 CKM_ECDSA,
here from the SoftHSM2 token) and DER, RSA PKCS#1 v1.5 and PSS, Ed25519."""

import hashlib
import secrets

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric import utils

from idp.pki.errors import InvalidSignatureError
from idp.pki.errors import UnsupportedAlgorithmError
from idp.pki.signatures import verify_signature
from idp.web.pki import pki_token

DATA = b"challenge: 3f9a7c"


def test_raw_signature_from_the_token(app):
    with app.app_context():
        token = pki_token()  # the application's token (one login per token and process)
    key_id = f"card-{secrets.token_hex(4)}"
    public = token.generate_ec("secp384r1", key_id)
    try:
        raw = token.sign_ecdsa_digest(key_id, hashlib.sha384(DATA).digest())
        assert len(raw) == 96
        verify_signature(public, raw, DATA, "ecdsa-raw", "sha384")
        verify_signature(public, raw, hashlib.sha384(DATA).digest(), "ecdsa-raw", "sha384",
                         prehashed=True)
        with pytest.raises(InvalidSignatureError):
            verify_signature(public, raw, DATA + b"!", "ecdsa-raw", "sha384")
        with pytest.raises(InvalidSignatureError, match="must be 96 bytes"):
            verify_signature(public, raw[:-1], DATA, "ecdsa-raw", "sha384")
        with pytest.raises(InvalidSignatureError):  # raw bytes are not DER
            verify_signature(public, raw, DATA, "ecdsa-der", "sha384")
    finally:
        token.destroy(key_id)


def test_ecdsa_der_and_raw():
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.sign(DATA, ec.ECDSA(hashes.SHA256()))
    verify_signature(key.public_key(), der, DATA, "ecdsa-der")
    r, s = utils.decode_dss_signature(der)
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    verify_signature(key.public_key(), raw, DATA, "ecdsa-raw")
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    high_s = r.to_bytes(32, "big") + (n - s).to_bytes(32, "big")  # also valid in ECDSA
    verify_signature(key.public_key(), high_s, DATA, "ecdsa-raw")
    for bad in (b"\x00" * 64, r.to_bytes(32, "big") + (s + n).to_bytes(33, "big")[1:]):
        with pytest.raises(InvalidSignatureError):
            verify_signature(key.public_key(), bad, DATA, "ecdsa-raw")
    with pytest.raises(InvalidSignatureError):
        verify_signature(key.public_key(), der + b"\x00", DATA, "ecdsa-der")


def test_rsa_pkcs1v15_and_pss():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pkcs1 = key.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    verify_signature(key.public_key(), pkcs1, DATA, "rsa-pkcs1v15")
    pss = key.sign(DATA, padding.PSS(padding.MGF1(hashes.SHA256()), 32), hashes.SHA256())
    verify_signature(key.public_key(), pss, DATA, "rsa-pss")
    with pytest.raises(InvalidSignatureError):
        verify_signature(key.public_key(), pss, DATA, "rsa-pkcs1v15")
    with pytest.raises(InvalidSignatureError):
        verify_signature(key.public_key(), pkcs1, DATA, "rsa-pss")
    with pytest.raises(InvalidSignatureError):
        verify_signature(key.public_key(), pss, DATA, "rsa-pss", salt_length=20)


def test_ed25519():
    key = ed25519.Ed25519PrivateKey.generate()
    verify_signature(key.public_key(), key.sign(DATA), DATA, "ed25519")
    with pytest.raises(InvalidSignatureError):
        verify_signature(key.public_key(), key.sign(DATA), DATA[:-1], "ed25519")


@pytest.mark.parametrize(("scheme", "hash_name", "message"), [
    ("ecdsa-raw", "sha256", "ecdsa-raw needs a EllipticCurvePublicKey"),
    ("rsa-pkcs1v15", "md5", "unsupported hash 'md5'"),
    ("dsa", "sha256", "unknown scheme 'dsa'"),
])
def test_unsupported(scheme, hash_name, message):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(UnsupportedAlgorithmError, match=message):
        verify_signature(key.public_key(), b"sig", DATA, scheme, hash_name)


def test_prehashed_digest_of_the_wrong_length():
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidSignatureError, match="sha256 digest is 32 bytes"):
        verify_signature(key.public_key(), b"\x00" * 64, b"short", "ecdsa-raw", prehashed=True)
