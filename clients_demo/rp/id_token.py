"""ID token validation (OpenID Connect Core §3.1.3.7, §3.1.3.8; refresh: §12.2), in the
order of the specification, cheap checks first. Time is an argument."""

import base64
import hashlib
import hmac
from dataclasses import dataclass

from . import assurance
from .errors import AtHashMismatchError
from .errors import ExpiredTokenError
from .errors import InsufficientAcrError
from .errors import IssuedInFutureError
from .errors import MissingClaimError
from .errors import NonceMismatchError
from .errors import StaleAuthenticationError
from .errors import SubjectMismatchError
from .errors import WrongAudienceError
from .errors import WrongIssuerError
from .jwt_keys import verify

LEEWAY = 60
HASHES = {"ES256": hashlib.sha256, "RS256": hashlib.sha256, "EdDSA": hashlib.sha512}


@dataclass(frozen=True)
class Expected:
    """What this relying party asked for, and who it is."""

    issuer: str
    client_id: str
    algorithms: tuple
    nonce: str | None = None  # None only on refresh (§12.2: no nonce then)
    acr: str | None = None  # the acr_values it sent
    max_age: int | None = None
    access_token: str | None = None
    subject: str | None = None  # on refresh: the session's sub


def validate_id_token(value, fetch_keys, expected, now, leeway=LEEWAY):
    """The claims of a valid ID token; a TokenError subclass names the first failure."""
    header, claims = verify(value, fetch_keys, expected.algorithms, typ=None)
    if claims.get("iss") != expected.issuer:
        raise WrongIssuerError(f"iss {claims.get('iss')!r} is not the provider")
    _check_audience(claims, expected.client_id)
    _check_times(claims, now, leeway)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise MissingClaimError("sub")
    if expected.subject is not None and sub != expected.subject:
        raise SubjectMismatchError("the ID token is about another person")
    if expected.nonce is not None:
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
                claims["nonce"], expected.nonce):
            raise NonceMismatchError("the nonce is not the one this login sent")
    _check_acr(claims, expected.acr)
    _check_auth_time(claims, expected.max_age, now, leeway)
    if expected.access_token is not None and "at_hash" in claims:
        if claims["at_hash"] != half_hash(expected.access_token, header['alg']):
            raise AtHashMismatchError("at_hash does not match the access token")
    return claims


def half_hash(value, alg):
    digest = HASHES.get(alg, hashlib.sha256)(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def _check_audience(claims, client_id):
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise WrongAudienceError("this client is not an audience of the token")
    azp = claims.get("azp")
    if (len(audiences) > 1 and azp is None) or (azp is not None and azp != client_id):
        raise WrongAudienceError("the token was issued to another party (azp)")


def _check_times(claims, now, leeway):
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _number(exp):
        raise MissingClaimError("exp")
    if not _number(iat):
        raise MissingClaimError("iat")
    if exp <= now - leeway:
        raise ExpiredTokenError("the token has expired")
    if iat > now + leeway:
        raise IssuedInFutureError("the token was issued in the future")


def _check_acr(claims, required):
    acr = claims.get("acr")
    if not assurance.is_known(acr):
        raise MissingClaimError("acr")
    if not assurance.satisfies(acr, required):
        raise InsufficientAcrError(f"acr {acr} does not satisfy {required}")


def _check_auth_time(claims, max_age, now, leeway):
    auth_time = claims.get("auth_time")
    if auth_time is None and max_age is None:
        return
    if not _number(auth_time):
        raise MissingClaimError("auth_time")
    if auth_time > now + leeway:
        raise IssuedInFutureError("auth_time is in the future")
    if max_age is not None and now - auth_time > max_age + leeway:
        raise StaleAuthenticationError("the authentication is older than max_age")


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)
