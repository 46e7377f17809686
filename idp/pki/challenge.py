"""Web eID authentication (web-eid-authtoken-validation, "Authentication token format";
Web eID system architecture, "Authentication"): challenge nonces, and the validation of the
authentication token a card agent returns, format web-eid:1.0:

    {"unverifiedCertificate": base64(DER), "algorithm": "ES256", "signature": base64,
     "format": "web-eid:1.0", "appVersion": "https://…"}

Challenge nonces are 32 random bytes (256 bits) in standard base64 (44 characters), valid
for five minutes and good for one attempt. The store keeps the SHA-256 digest of a nonce
with the login transaction and the origin it was issued for, never the nonce; taking a
nonce marks it used in one database statement, so single use holds across workers. The
caller keeps the nonce with the browser's login transaction and hands it back: the token
never says which nonce or origin it signed.

A token is checked in this order, cheap checks first, each failure its own exception
(`idp.pki.errors`):
1. a JSON object of 100-10000 characters (as web-eid-authtoken-validation-java);
2. unverifiedCertificate, algorithm, signature, format and appVersion present, non-empty
   strings;
3. format web-eid:1 or web-eid:1.<minor> (minor versions stay backward compatible);
4. algorithm one of RFC 7518 §3.3-3.5: ES256/384/512, PS256/384/512, RS256/384/512;
5. certificate and signature valid base64 (standard alphabet, padded); the certificate
   readable, its key fit for the algorithm (ES256 P-256, ES384 P-384, ES512 P-521; RS and
   PS RSA);
6. the certificate accepted by the login method's Validator at `now`: validity, key,
   purpose, policy (the card policy, so a SIM certificate is refused), path to the
   ID-card CA, revocation (validation.py);
7. the signature made by the certificate's key over hash(origin) ‖ hash(nonce), rebuilt
   from the origin and nonce the provider stored, `hash` being the algorithm's hash over
   the UTF-8 bytes: ECDSA as raw r ‖ s (§3.4), RSASSA-PKCS1-v1_5 (§3.3), RSASSA-PSS with
   MGF1 and a salt as long as the hash (§3.5)."""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import rsa

from .errors import AlgorithmKeyMismatchError
from .errors import AlgorithmNotAllowedError
from .errors import ChallengeExpiredError
from .errors import ChallengeMissingError
from .errors import ChallengeOriginError
from .errors import ChallengeReplayedError
from .errors import ChallengeTransactionError
from .errors import ChallengeUnknownError
from .errors import MalformedTokenError
from .errors import TokenEncodingError
from .errors import TokenFieldMissingError
from .errors import TokenFieldTypeError
from .errors import TokenFormatError
from .errors import WeakCertificateKeyError
from .signatures import HASHES
from .signatures import verify_signature
from .validation import ValidatedCertificate
from .validation import load_certificate

NONCE_BYTES = 32
NONCE_LIFETIME = timedelta(minutes=5)
TOKEN_MIN, TOKEN_MAX = 100, 10000
MAX_APP_VERSION = 512
FIELDS = ("unverifiedCertificate", "algorithm", "signature", "format", "appVersion")
FORMAT = re.compile(r"web-eid:1(?:\.[0-9]{1,4})?")
# JWS algorithm: (signature scheme of signatures.py, hash)
ALGORITHMS = {
    "ES256": ("ecdsa-raw", "sha256"), "ES384": ("ecdsa-raw", "sha384"),
    "ES512": ("ecdsa-raw", "sha512"),
    "PS256": ("rsa-pss", "sha256"), "PS384": ("rsa-pss", "sha384"),
    "PS512": ("rsa-pss", "sha512"),
    "RS256": ("rsa-pkcs1v15", "sha256"), "RS384": ("rsa-pkcs1v15", "sha384"),
    "RS512": ("rsa-pkcs1v15", "sha512"),
}
CURVES = {"ES256": "secp256r1", "ES384": "secp384r1", "ES512": "secp521r1"}


@dataclass(frozen=True)
class Challenge:
    nonce: str
    transaction: str
    origin: str
    expires_at: datetime


@dataclass(frozen=True)
class CardAuthentication:
    certificate: ValidatedCertificate
    algorithm: str
    app_version: str

    @property
    def national_id(self):
        return self.certificate.national_id


# Challenges


def nonce_digest(nonce):
    return hashlib.sha256(nonce.encode("utf-8")).hexdigest()


def issue_challenge(store, transaction, origin, now, lifetime=NONCE_LIFETIME):
    """A fresh nonce for one login transaction on one origin. `store.add(digest,
    transaction, origin, created_at, expires_at)` records it."""
    nonce = base64.b64encode(secrets.token_bytes(NONCE_BYTES)).decode("ascii")
    expires_at = now + lifetime
    store.add(nonce_digest(nonce), transaction, origin, now, expires_at)
    return Challenge(nonce, transaction, origin, expires_at)


def take_challenge(store, nonce, transaction, origin, now):
    """Spend the nonce the caller kept for `transaction`; the Challenge it was issued as.
    `store.take(digest, now)` marks it used and returns (record, first use) or
    (None, False); a record has transaction_id, origin and expires_at. Any attempt spends
    the nonce, successful or not."""
    if not isinstance(nonce, str) or not nonce:
        raise ChallengeMissingError("no nonce was kept for this transaction")
    record, first_use = store.take(nonce_digest(nonce), now)
    if record is None:
        raise ChallengeUnknownError("no such nonce")
    if not first_use:
        raise ChallengeReplayedError("the nonce was used before")
    if not isinstance(transaction, str) or not hmac.compare_digest(
            record.transaction_id.encode(), transaction.encode()):
        raise ChallengeTransactionError("the nonce belongs to another transaction")
    if record.origin != origin:
        raise ChallengeOriginError(f"the nonce was issued for {record.origin}")
    if now > record.expires_at:
        raise ChallengeExpiredError(f"the nonce expired at {record.expires_at.isoformat()}")
    return Challenge(nonce, record.transaction_id, record.origin, record.expires_at)


# Authentication tokens


def parse_token(raw):
    """The token's fields, checked for presence and type (steps 1 and 2)."""
    if not isinstance(raw, str) or not TOKEN_MIN <= len(raw) <= TOKEN_MAX:
        raise MalformedTokenError(f"the token must be {TOKEN_MIN}-{TOKEN_MAX} characters")
    try:
        token = json.loads(raw)
    except (ValueError, RecursionError):
        raise MalformedTokenError("the token is not JSON") from None
    if not isinstance(token, dict):
        raise MalformedTokenError("the token is not a JSON object")
    for name in FIELDS:
        if token.get(name) is None:
            raise TokenFieldMissingError(f"{name} is missing")
    for name in FIELDS:
        if not isinstance(token[name], str) or not token[name]:
            raise TokenFieldTypeError(f"{name} must be a non-empty string")
    if len(token["appVersion"]) > MAX_APP_VERSION:
        raise TokenFieldTypeError("appVersion is too long")
    return token


def validate_token(raw, challenge, validator, now):
    """The CardAuthentication a token proves for `challenge` (the provider's own record
    of the nonce and origin), validated at `now` with the login method's `validator`."""
    token = parse_token(raw)
    if not FORMAT.fullmatch(token["format"]):
        raise TokenFormatError(f"unsupported format {token['format'][:40]!r}")
    algorithm = token["algorithm"]
    if algorithm not in ALGORITHMS:
        raise AlgorithmNotAllowedError(f"algorithm {algorithm[:20]!r} is not allowed")
    der = decode_base64(token["unverifiedCertificate"], "unverifiedCertificate")
    signature = decode_base64(token["signature"], "signature")
    certificate = load_certificate(der)
    check_algorithm(algorithm, certificate)
    validated = validator.validate(certificate, now)
    scheme, hash_name = ALGORITHMS[algorithm]
    verify_signature(certificate, signature, signed_value(hash_name, challenge), scheme,
                     hash_name)
    return CardAuthentication(validated, algorithm, token["appVersion"])


def signed_value(hash_name, challenge):
    """hash(origin) ‖ hash(nonce): what the card's key signed."""
    digest = HASHES[hash_name]
    return _hash(digest, challenge.origin) + _hash(digest, challenge.nonce)


def check_algorithm(algorithm, certificate):
    try:
        key = certificate.public_key()
    except (UnsupportedAlgorithm, ValueError) as error:
        raise WeakCertificateKeyError(f"unsupported key: {error}") from None
    if algorithm in CURVES:
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise AlgorithmKeyMismatchError(f"{algorithm} needs an EC key")
        if key.curve.name != CURVES[algorithm]:
            raise AlgorithmKeyMismatchError(f"{algorithm} needs {CURVES[algorithm]}, "
                                            f"the key is on {key.curve.name}")
    elif not isinstance(key, rsa.RSAPublicKey):
        raise AlgorithmKeyMismatchError(f"{algorithm} needs an RSA key")


def _hash(algorithm, text):
    context = hashes.Hash(algorithm())
    context.update(text.encode("utf-8"))
    return context.finalize()


def decode_base64(value, name):
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise TokenEncodingError(f"{name} is not valid base64") from None
