"""Certificate signing requests (RFC 2986) made on a card or SIM. Only the public key and
the proof of possession (the request's self-signature) are used; the subject, attributes
and requested extensions are ignored (the profile decides them)."""

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import CsrMalformedError
from .errors import CsrSignatureError
from .errors import WeakKeyError

MAX_SIZE = 16 * 1024
CURVES = ("secp256r1", "secp384r1")
RSA_SIZES = range(2048, 4097)


def load_csr(data):
    """The request from PEM or DER bytes, its signature and key checked."""
    if isinstance(data, str):
        data = data.encode()
    if not isinstance(data, bytes) or not data or len(data) > MAX_SIZE:
        raise CsrMalformedError("empty or oversized request")
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            csr = x509.load_pem_x509_csr(data)
        else:
            csr = x509.load_der_x509_csr(data)
    except ValueError as error:
        raise CsrMalformedError(f"unreadable request: {error}") from None
    try:
        key = csr.public_key()
    except UnsupportedAlgorithm as error:
        raise WeakKeyError(f"unsupported key: {error}") from None
    except ValueError as error:
        raise CsrMalformedError(f"unreadable key: {error}") from None
    check_key(key)
    try:
        valid = csr.is_signature_valid
    except (UnsupportedAlgorithm, ValueError) as error:
        raise CsrSignatureError(f"signature cannot be checked: {error}") from None
    if not valid:
        raise CsrSignatureError("the request's signature does not verify with its key")
    return csr


def check_key(key):
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in CURVES:
            raise WeakKeyError(f"curve {key.curve.name} is not allowed")
        return
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        if key.key_size not in RSA_SIZES or key.key_size % 8:
            raise WeakKeyError(f"RSA-{key.key_size} is not allowed")
        if numbers.e < 65537 or numbers.e % 2 == 0:
            raise WeakKeyError(f"RSA public exponent {numbers.e} is not allowed")
        return
    raise WeakKeyError(f"key type {type(key).__name__} is not allowed")
