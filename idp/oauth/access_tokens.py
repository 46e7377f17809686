"""Reading back the JWT access tokens this provider issued (RFC 9068 §4): signature, type,
issuer and expiry from the token, revocation from storage."""

from flask import current_app

from ..models.tokens import find_access_token
from .keys import InvalidJwtError
from .keys import key_ring


def load_access_token(value, now):
    """The stored row of a valid, live access token, or None."""
    if not isinstance(value, str) or value.count(".") != 2 or len(value) > 4096:
        return None
    try:
        claims = key_ring().verify(value, typ="at+jwt")
    except InvalidJwtError:
        return None
    if claims.get("iss") != current_app.config["IDP_ISSUER"]:
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now.timestamp():
        return None
    row = find_access_token(claims.get("jti"))
    if row is None or not row.is_active(now):
        return None
    return row
