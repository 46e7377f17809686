"""Bearer access tokens presented to an app's API routes (RFC 6750 §2.1), read as JWT
access tokens (RFC 9068 §4): typed `at+jwt`, signed by the provider, right issuer and
audience, unexpired, and issued to this client (the provider's audience is itself, shared
by every client). Introspection (RFC 7662) then confirms it is still active."""

from .errors import ExpiredTokenError
from .errors import MissingClaimError
from .errors import WrongAudienceError
from .errors import WrongClientError
from .errors import WrongIssuerError
from .jwt_keys import verify

LEEWAY = 30


def validate_access_token(value, fetch_keys, issuer, audience, client_id, algorithms, now,
                          leeway=LEEWAY):
    _header, claims = verify(value, fetch_keys, algorithms, typ="at+jwt")
    if claims.get("iss") != issuer:
        raise WrongIssuerError(f"iss {claims.get('iss')!r} is not the provider")
    aud = claims.get("aud")
    if audience not in (aud if isinstance(aud, list) else [aud]):
        raise WrongAudienceError("the access token is not meant for this service")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise MissingClaimError("exp")
    if exp <= now - leeway:
        raise ExpiredTokenError("the access token has expired")
    if claims.get("client_id") != client_id:
        raise WrongClientError("the access token was issued to another client")
    if not isinstance(claims.get("sub"), str):
        raise MissingClaimError("sub")
    return claims
