"""Requiring a login, an assurance level and a recent authentication.

Browser pages: a visitor without a session, or with a session whose `acr` is lower (or
whose `auth_time` is older than `max_age`), is sent back to the provider with
`acr_values` (and `max_age`), then returns to the page (OpenID Connect Core §3.1.2.1).

API routes (paths under /api/): the caller presents a Bearer access token (RFC 6750
§2.1); a token whose `acr`/`auth_time` falls short gets RFC 9470 §3:
401 `WWW-Authenticate: Bearer error="insufficient_user_authentication", acr_values="…"`
(and `max_age="…"`), so the client can send the person to step up."""

import functools
import logging

from flask import current_app
from flask import g
from flask import jsonify
from flask import redirect
from flask import request
from flask import url_for

from . import assurance
from .access_token import validate_access_token
from .errors import InactiveTokenError
from .errors import TokenError
from .provider import ProviderError
from .provider import ProviderUnavailableError
from .provider import provider
from .session import current_session

log = logging.getLogger(__name__)
API_PREFIX = "/api/"


def now():
    return int(current_app.extensions["demo_clock"]())


def is_api_request():
    return request.path.startswith(API_PREFIX)


def requires_login(view):
    return requires_acr(None)(view)


def requires_acr(level, max_age=None):
    """Decorate a view: the person must have authenticated at `level` (an acr URI, or
    None for any level), within `max_age` seconds when given."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if is_api_request():
                claims = g.token_claims = bearer_claims()
                if not _enough(claims.get("acr"), claims.get("auth_time"), level, max_age):
                    return insufficient_user_authentication(level, max_age)
                return view(*args, **kwargs)
            local = current_session()
            if local is None or not _enough(local.acr, local.auth_time, level, max_age):
                return redirect(login_url(level, max_age), 303)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def login_url(level=None, max_age=None, next_path=None):
    target = next_path or (request.full_path.rstrip("?") if request.method == "GET"
                           else request.path)
    return url_for("rp.login", next=target,
                   acr=assurance.short_name(level) if level else None, max_age=max_age)


def _enough(acr, auth_time, level, max_age):
    if not assurance.satisfies(acr, level):
        return False
    if max_age is None:
        return True
    return isinstance(auth_time, int) and now() - auth_time <= max_age


def insufficient_user_authentication(level, max_age=None):
    """RFC 9470 §3: the challenge that tells the client what to ask the provider for."""
    params = ['error="insufficient_user_authentication"',
              'error_description="A stronger or more recent login is required."']
    if level:
        params.append(f'acr_values="{level}"')
    if max_age is not None:
        params.append(f'max_age="{int(max_age)}"')
    return api_error(401, "insufficient_user_authentication",
                     "A stronger or more recent login is required.",
                     "Bearer " + ", ".join(params))


class ApiRefusal(Exception):
    """Raised with the JSON error response an API request gets (see init_app)."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


def init_app(app):
    app.register_error_handler(ApiRefusal, lambda refusal: refusal.response)


def api_error(status, code, description, challenge=None):
    response = jsonify(error=code, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    if challenge:
        response.headers["WWW-Authenticate"] = challenge
    return response


def bearer_claims():
    """The claims of the request's valid, active access token; ApiRefusal with the
    RFC 6750 §3 answer otherwise."""
    realm = current_app.config["DEMO_NAME"]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise ApiRefusal(api_error(401, "invalid_token", "An access token is required.",
                                   f'Bearer realm="{realm}"'))
    cfg = current_app.config
    rp = provider()
    try:
        claims = validate_access_token(value.strip(), rp.fetch_keys, cfg["DEMO_ISSUER"],
                                       cfg["DEMO_ACCESS_TOKEN_AUDIENCE"], cfg["DEMO_CLIENT_ID"],
                                       rp.access_token_algorithms(), now())
        status = rp.introspect(value.strip())
        if status.get("active") is not True:
            raise InactiveTokenError("introspection: not active")
    except TokenError as error:
        log.info("access token refused: %s", error)
        raise ApiRefusal(api_error(
            401, "invalid_token", "The access token is invalid or has expired.",
            f'Bearer realm="{realm}", error="invalid_token"')) from None
    except (ProviderError, ProviderUnavailableError) as error:
        log.warning("access token not checked: %s", error)
        raise ApiRefusal(api_error(503, "temporarily_unavailable",
                                   "The login service cannot be reached; try again later.")
                         ) from None
    # Introspection states what is true now (a revoked mandate, for instance).
    return {**claims, **{k: v for k, v in status.items() if k != "active"}}
