"""Acting tokens presented to an app's API: a service centre's operator acts for a citizen
with the token Bawaba issued by token exchange (RFC 8693 §4.1, docs/service-centres.md).
It is a JWT access token (RFC 9068 §4: typed `at+jwt`, signed by the provider, right
issuer, unexpired) whose `aud` names this app, whose `sub` is the citizen and whose `act`
names the operator (`act.sub`) and the centre (`act.centre`); it was issued to the centre's
client (`client_id` is `act.client_id`), not to this app.

The app does not introspect it: introspecting another client's token needs the
`introspection` scope. Its lifetime (`exp`) bounds it instead."""

from flask import current_app
from flask import request

from .access_token import LEEWAY
from .errors import ExpiredTokenError
from .errors import MissingClaimError
from .errors import TokenError
from .errors import WrongAudienceError
from .errors import WrongClientError
from .errors import WrongIssuerError
from .jwt_keys import verify
from .provider import ProviderUnavailableError
from .provider import provider
from .stepup import ApiRefusal
from .stepup import api_error
from .stepup import now


class NotActingError(TokenError):
    """A token without `act`: the person's own token, not an operator acting for them."""


def validate_acting_token(value, fetch_keys, issuer, audience, algorithms, now,
                          leeway=LEEWAY):
    """The claims of an acting token for `audience` (this app's client_id)."""
    _header, claims = verify(value, fetch_keys, algorithms, typ="at+jwt")
    if claims.get("iss") != issuer:
        raise WrongIssuerError(f"iss {claims.get('iss')!r} is not the provider")
    aud = claims.get("aud")
    if audience not in (aud if isinstance(aud, list) else [aud]):
        raise WrongAudienceError("the acting token is not meant for this service")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise MissingClaimError("exp")
    if exp <= now - leeway:
        raise ExpiredTokenError("the acting token has expired")
    if not isinstance(claims.get("sub"), str):
        raise MissingClaimError("sub")
    act = claims.get("act")
    if not isinstance(act, dict):
        raise NotActingError("the token has no act claim")
    if not isinstance(act.get("sub"), str) or not isinstance(act.get("client_id"), str):
        raise MissingClaimError("act")
    if not isinstance(act.get("centre"), dict) or not isinstance(act["centre"].get("id"), str):
        raise MissingClaimError("act.centre")
    if claims.get("client_id") != act["client_id"]:
        raise WrongClientError("the acting token was not issued to the acting centre's client")
    return claims


def acting_claims():
    """The claims of the request's valid acting token; ApiRefusal with the RFC 6750 §3
    answer otherwise."""
    cfg = current_app.config
    realm = cfg["DEMO_NAME"]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiRefusal(api_error(401, "invalid_token", "An access token is required.",
                                   f'Bearer realm="{realm}"'))
    rp = provider()
    try:
        return validate_acting_token(value.strip(), rp.fetch_keys, cfg["DEMO_ISSUER"],
                                     cfg["DEMO_CLIENT_ID"], rp.access_token_algorithms(), now())
    except TokenError as error:
        current_app.logger.info("acting token refused: %s", error)
        raise ApiRefusal(api_error(
            401, "invalid_token", "The access token is not an acting token for this service.",
            f'Bearer realm="{realm}", error="invalid_token"')) from None
    except ProviderUnavailableError as error:
        current_app.logger.warning("acting token not checked: %s", error)
        raise ApiRefusal(api_error(503, "temporarily_unavailable",
                                   "The login service cannot be reached; try again later.")
                         ) from None
