"""Checking the signatures cards and SIMs return (and the CA's own artefacts).

Schemes: ECDSA with the signature as raw r||s (IEEE P1363; what PKCS#11 CKM_ECDSA and many
MSSPs return) or as a DER ECDSA-Sig-Value (RFC 3279 §2.2.3; X.509, CMS); RSASSA-PKCS1-v1_5
and RSASSA-PSS (RFC 8017 §8); Ed25519 (RFC 8032). `prehashed=True` when `data` is already
the digest the card signed."""

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric import utils

from .errors import InvalidSignatureError
from .errors import UnsupportedAlgorithmError

HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
SCHEMES = ("ecdsa-raw", "ecdsa-der", "rsa-pkcs1v15", "rsa-pss", "ed25519")


def verify_signature(key, signature, data, scheme, hash_name="sha256", prehashed=False,
                     salt_length=None):
    """Raise InvalidSignatureError unless signature is key's signature over data.
    key: a public key or a certificate. salt_length (PSS): default the digest length."""
    key = key.public_key() if hasattr(key, "public_key") else key
    if scheme not in SCHEMES:
        raise UnsupportedAlgorithmError(f"unknown scheme {scheme!r}")
    if not isinstance(signature, bytes) or not isinstance(data, bytes):
        raise InvalidSignatureError("signature and data must be bytes")
    if scheme == "ed25519":
        _need(key, ed25519.Ed25519PublicKey, scheme)
        return _verify(lambda: key.verify(signature, data))
    algorithm = _hash(hash_name, prehashed, data)
    if scheme.startswith("ecdsa"):
        _need(key, ec.EllipticCurvePublicKey, scheme)
        if scheme == "ecdsa-raw":
            signature = raw_to_der(signature, key.curve)
        return _verify(lambda: key.verify(signature, data, ec.ECDSA(algorithm)))
    _need(key, rsa.RSAPublicKey, scheme)
    if scheme == "rsa-pkcs1v15":
        return _verify(lambda: key.verify(signature, data, padding.PKCS1v15(), algorithm))
    digest = HASHES[hash_name]()
    pss = padding.PSS(mgf=padding.MGF1(digest),
                      salt_length=digest.digest_size if salt_length is None else salt_length)
    return _verify(lambda: key.verify(signature, data, pss, algorithm))


def scheme_for(key):
    """The scheme X.509 uses with this kind of key (CRLs, OCSP responses)."""
    key = key.public_key() if hasattr(key, "public_key") else key
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ecdsa-der"
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa-pkcs1v15"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "ed25519"
    raise UnsupportedAlgorithmError(f"unsupported key {type(key).__name__}")


def raw_to_der(signature, curve):
    """r||s (each exactly the curve's byte length) to a DER ECDSA-Sig-Value."""
    size = (curve.key_size + 7) // 8
    if len(signature) != 2 * size:
        raise InvalidSignatureError(f"raw ECDSA signature must be {2 * size} bytes")
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    return utils.encode_dss_signature(r, s)


def _hash(hash_name, prehashed, data):
    if hash_name not in HASHES:
        raise UnsupportedAlgorithmError(f"unsupported hash {hash_name!r}")
    algorithm = HASHES[hash_name]()
    if prehashed:
        if len(data) != algorithm.digest_size:
            raise InvalidSignatureError(f"a {hash_name} digest is {algorithm.digest_size} bytes")
        return utils.Prehashed(algorithm)
    return algorithm


def _need(key, cls, scheme):
    if not isinstance(key, cls):
        raise UnsupportedAlgorithmError(f"{scheme} needs a {cls.__name__}")


def _verify(check):
    try:
        check()
    except InvalidSignature:
        raise InvalidSignatureError("the signature does not verify") from None
    except ValueError as error:  # malformed signature encoding
        raise InvalidSignatureError(f"malformed signature: {error}") from None
