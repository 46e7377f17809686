"""Using the tokens of a local session: the ID token at login, refresh with rotation
(RFC 6749 §6; a new ID token must continue the session, OpenID Connect Core §12.2), and
userinfo, whose `sub` must be the ID token's (Core §5.3.2)."""

from flask import current_app

from .errors import SubjectMismatchError
from .errors import TokenError
from .id_token import Expected
from .id_token import validate_id_token
from .provider import provider
from .session import save_refresh
from .session import save_userinfo

EARLY = 30  # seconds before expiry when an access token is renewed


class DiscontinuityError(TokenError):
    """A refreshed ID token that does not continue the session (other auth_time)."""


def expected(**values):
    cfg = current_app.config
    return Expected(issuer=cfg["DEMO_ISSUER"], client_id=cfg["DEMO_CLIENT_ID"],
                    algorithms=provider().id_token_algorithms, **values)


def validate_login(token, state_data, now):
    """The claims of the ID token of a code exchange, checked against the request."""
    if "id_token" not in token or "access_token" not in token:
        raise TokenError("the token response has no ID token")
    return validate_id_token(token["id_token"], provider().fetch_keys, expected(
        nonce=state_data["nonce"], acr=state_data.get("acr"),
        max_age=state_data.get("max_age"), access_token=token["access_token"]), now)


def fetch_userinfo(access_token, sub):
    info = provider().userinfo(access_token)
    if info.get("sub") != sub:
        raise SubjectMismatchError("userinfo is about another person")
    return info


def refresh(local, now):
    """Rotate the session's tokens; ProviderError('invalid_grant') once the provider's
    session or grant has ended."""
    token = provider().refresh(local.refresh_token)
    claims = None
    if token.get("id_token"):
        claims = validate_id_token(token["id_token"], provider().fetch_keys, expected(
            subject=local.sub, access_token=token.get("access_token")), now)
        if claims.get("auth_time") != local.auth_time:
            raise DiscontinuityError("the refreshed ID token has another auth_time")
    save_refresh(local, token, claims, now)
    return token


def live_access_token(local, now):
    """The session's access token, renewed first when it is about to expire."""
    if local.access_expires_at is not None and local.access_expires_at - EARLY <= now \
            and local.refresh_token:
        return refresh(local, now)["access_token"]
    return local.access_token


def update_userinfo(local, now):
    info = fetch_userinfo(live_access_token(local, now), local.sub)
    save_userinfo(local, info)
    return info
