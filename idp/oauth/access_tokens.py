"""Reading back the JWT access tokens this provider issued (RFC 9068 §4): header `typ`
and `alg` first (RFC 8725 §3.1, §3.11), then signature, issuer and expiry from the
token, and revocation from storage."""

import base64
import binascii
import json

from flask import current_app

from ..models.tokens import find_access_token
from .keys import InvalidJwtError
from .keys import key_ring

MAX_LENGTH = 4096


def load_access_token(value, now):
    """The stored row of a valid, live access token, or None."""
    claims = verified_claims(value, now)
    if claims is None:
        return None
    row = find_access_token(claims.get("jti"))
    if row is None or not row.is_active(now):
        return None
    return row


def verified_claims(value, now):
    """The claims of an access token this provider signed and that has not expired, or
    None; whether its row is still live is the caller's to check."""
    if not isinstance(value, str) or value.count(".") != 2 or len(value) > MAX_LENGTH:
        return None
    header = _header(value)
    if header.get("typ") != "at+jwt" or header.get("alg") != _alg():
        return None  # an ID token, a logout token or a foreign JWT: never an access token
    try:
        claims = key_ring().verify(value, typ="at+jwt")
    except InvalidJwtError:
        return None
    if claims.get("iss") != current_app.config["IDP_ISSUER"]:
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        return None
    return claims


def _alg():
    return current_app.config["IDP_ACCESS_TOKEN_ALG"]


def _header(value):
    segment = value.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, binascii.Error):
        return {}
    return header if isinstance(header, dict) else {}
