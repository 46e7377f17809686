"""Logout token validation (OpenID Connect Back-Channel Logout 1.0 §2.6): typed
`logout+jwt` (§2.4), signed by the provider, for this client, recent, with the
back-channel logout event, without a nonce, naming a `sid` and/or `sub`, and used only
once (`jti`). Time is an argument."""

from dataclasses import dataclass

from .errors import ExpiredTokenError
from .errors import IssuedInFutureError
from .errors import MissingClaimError
from .errors import NotALogoutTokenError
from .errors import ReplayedTokenError
from .errors import TooOldError
from .errors import WrongAudienceError
from .errors import WrongIssuerError
from .jwt_keys import verify

EVENT = "http://schemas.openid.net/event/backchannel-logout"
LEEWAY = 60
MAX_AGE = 300  # seconds: the provider signs a fresh token for every late retry


@dataclass(frozen=True)
class LogoutRequest:
    """Whose sessions to end: every session with `sid`, or all of `sub` without one."""

    sub: str | None
    sid: str | None
    jti: str


def validate_logout_token(value, fetch_keys, issuer, client_id, algorithms, remember_once,
                          now, leeway=LEEWAY, max_age=MAX_AGE):
    """`remember_once(jti, expires_at)` records the token id and returns False if it was
    already recorded. Returns a LogoutRequest; a TokenError subclass names the failure."""
    _header, claims = verify(value, fetch_keys, algorithms, typ="logout+jwt")
    if claims.get("iss") != issuer:
        raise WrongIssuerError(f"iss {claims.get('iss')!r} is not the provider")
    aud = claims.get("aud")
    if client_id not in (aud if isinstance(aud, list) else [aud]):
        raise WrongAudienceError("this client is not an audience of the logout token")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not _number(iat):
        raise MissingClaimError("iat")
    if not _number(exp):
        raise MissingClaimError("exp")
    if iat > now + leeway:
        raise IssuedInFutureError("the logout token was issued in the future")
    if iat < now - max_age - leeway:
        raise TooOldError("the logout token was issued too long ago")
    if exp <= now - leeway:
        raise ExpiredTokenError("the logout token has expired")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise MissingClaimError("jti")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
        raise NotALogoutTokenError("the back-channel logout event is missing")
    if "nonce" in claims:
        raise NotALogoutTokenError("a logout token never carries a nonce")
    sub, sid = claims.get("sub"), claims.get("sid")
    if sub is None and sid is None:
        raise MissingClaimError("sid")
    for name, claim in (("sub", sub), ("sid", sid)):
        if claim is not None and (not isinstance(claim, str) or not claim):
            raise MissingClaimError(name)
    if not remember_once(jti, int(exp) + leeway):
        raise ReplayedTokenError("this logout token was already used")
    return LogoutRequest(sub=sub, sid=sid, jti=jti)


def _number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)
