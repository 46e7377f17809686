"""The Web eID authentication token, format web-eid:1.0 (web-eid-authtoken-validation,
"Authentication token format"; Web eID system architecture, "Authentication").

    {"unverifiedCertificate": base64(DER of the authentication certificate),
     "algorithm": "ES256" | "ES384" | "ES512" | "RS256" | "PS256",
     "signature": base64(signature),
     "format": "web-eid:1.0",
     "appVersion": "https://…/bawaba-card-agent/<version>"}

The signed value is hash(origin) ‖ hash(challenge nonce), with the UTF-8 bytes of the
origin (ASCII serialisation, no trailing slash) and of the nonce string as sent by the
site, and `hash` the hash of the signature algorithm (SHA-256 for ES256/RS256/PS256). The
signature algorithm then signs that value as JWS does (RFC 7518 §3): ECDSA over its hash
with the signature as raw r ‖ s (§3.4), RSASSA-PKCS1-v1_5 or RSASSA-PSS with MGF1 and a
salt as long as the hash (§3.3, §3.5). Base64 is the standard alphabet with padding."""

import base64
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding

from .errors import BadRequestError

FORMAT = "web-eid:1.0"
EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
RSA_ALGORITHMS = ("RS256", "PS256")
HASHES = {"256": hashlib.sha256, "384": hashlib.sha384, "512": hashlib.sha512}
NONCE_MIN, NONCE_MAX = 44, 256  # 44 = base64 of 256 bits, the minimum the spec allows
NONCE = re.compile(r"[A-Za-z0-9+/=_\-]+")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Challenge:
    origin: str
    nonce: str


def check_origin(origin):
    """An origin as browsers serialise it: scheme://host[:port] in lower case, no default
    port, no path. https, or http on a loopback host (development)."""
    if not isinstance(origin, str) or not origin:
        raise BadRequestError("origin must be a non-empty string")
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        raise BadRequestError("origin is not a URL") from None
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise BadRequestError("origin must be https://host[:port]")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != {"https": 443, "http": 80}[parts.scheme]:
        netloc += f":{port}"
    if origin != f"{parts.scheme}://{netloc}":
        raise BadRequestError("origin must be scheme://host[:port], nothing more")
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        raise BadRequestError("origin must be https (http only on a loopback host)")
    return origin


def check_challenge(origin, nonce):
    check_origin(origin)
    if (not isinstance(nonce, str) or not NONCE_MIN <= len(nonce) <= NONCE_MAX
            or not NONCE.fullmatch(nonce)):
        raise BadRequestError(f"nonce must be {NONCE_MIN}-{NONCE_MAX} base64 characters")
    return Challenge(origin, nonce)


def algorithm_for(public_key, rsa_algorithm="RS256"):
    """The JWS algorithm a certificate's key signs with."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        algorithm = EC_ALGORITHMS.get(public_key.curve.name)
        if algorithm:
            return algorithm
    elif isinstance(public_key, rsa.RSAPublicKey):
        if rsa_algorithm not in RSA_ALGORITHMS:
            raise ValueError(f"unsupported RSA algorithm {rsa_algorithm}")
        return rsa_algorithm
    raise ValueError(f"unsupported key {type(public_key).__name__}")


def hash_function(algorithm):
    return HASHES[algorithm[-3:]]


def signed_value(algorithm, challenge):
    """hash(origin) ‖ hash(nonce): what the card's key signs."""
    digest = hash_function(algorithm)
    return (digest(challenge.origin.encode("utf-8")).digest()
            + digest(challenge.nonce.encode("utf-8")).digest())


def build_token(certificate, algorithm, signature, app_version):
    return {
        "unverifiedCertificate": base64.b64encode(certificate.public_bytes(Encoding.DER)).decode(),
        "algorithm": algorithm,
        "signature": base64.b64encode(signature).decode(),
        "format": FORMAT,
        "appVersion": app_version,
    }
