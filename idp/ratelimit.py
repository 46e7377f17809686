"""Rate limits (Flask-Limiter) on the endpoints worth hammering: the token endpoint per
client and per address, the authorization endpoint and login forms per address,
introspection and revocation per client, userinfo per address (IDP_RATELIMIT_RULES).

A limited request gets HTTP 429 (RFC 6585 §4) with `Retry-After` (RFC 9110 §10.2.3); API
clients read `{"error": "slow_down", ...}`. RFC 6749 has no error code for this. `slow_down`
is the code the IANA OAuth Extensions Error Registry holds for "the client is asking too
often" at the token endpoint (RFC 8628 §3.5); `temporarily_unavailable` (RFC 6749 §4.1.2.1)
would blame the server and belongs to authorization redirects, and the `too_many_requests`
some providers send is registered nowhere. Browsers get the error page in their language
(errors.py). The first breach per rule, key and minute is audited.

Counters live in IDP_RATELIMIT_STORAGE_URI. `memory://` serves the single-process development
server only: `idp serve` runs several workers, which must share their counters through
Redis (`redis://127.0.0.1:6379`), or each worker would allow the full limit.

A per-client counter counts only requests in which the client authenticated (no 401), so
nobody can use up a client's allowance by sending its client_id with a wrong secret; failed
attempts count against the sender's address. Addresses are `request.remote_addr`: behind a
reverse proxy, the deployment must set the real client address (werkzeug ProxyFix)."""

import logging
import math
import time

from flask import current_app
from flask import request
from flask_limiter import ApplicationLimit
from flask_limiter import Limiter
from limits import parse
from limits import parse_many

from . import audit
from .authn import registry
from .config import DEFAULTS
from .extensions import db

log = logging.getLogger(__name__)

DESCRIPTION = "Too many requests. Retry after the number of seconds in Retry-After."
AUDIT_ONCE = parse("1 per minute")


def ip_key():
    return request.remote_addr or "-"


def client_key():
    return audit.claimed_client_id() or "-"


def endpoint_in(*endpoints):
    return lambda: request.endpoint in endpoints


def login_form_post():
    """A POST to the blueprint of any registered login method."""
    methods = {a.endpoint.split(".")[0] for a in registry.available()}
    return request.method == "POST" and request.blueprint in methods


# Rule name: (does this request count, whose allowance it uses).
RULES = {
    "token": (endpoint_in("oauth.token"), client_key),
    "token_ip": (endpoint_in("oauth.token"), ip_key),
    "authorize": (endpoint_in("oauth.authorization", "oauth.resume"), ip_key),
    "login": (login_form_post, ip_key),
    "introspect": (endpoint_in("oauth.introspect"), client_key),
    "revoke": (endpoint_in("oauth.revoke"), client_key),
    "userinfo": (endpoint_in("oauth.userinfo"), ip_key),
}


def init_app(app):
    if not app.config["IDP_RATE_LIMITS"]:
        return
    limits = _limits(app.config)
    storage = app.config["IDP_RATELIMIT_STORAGE_URI"]
    if storage.startswith("memory:") and app.config["IDP_ENV"] != "development" \
            and not app.config.get("TESTING"):
        log.warning("IDP_RATELIMIT_STORAGE_URI is %s: each worker process counts on its own; "
                    "share the counters through Redis (redis://HOST:6379)", storage)
    limiter = Limiter(
        ip_key,
        storage_uri=storage,
        strategy="moving-window",
        key_prefix=app.config["IDP_RATELIMIT_KEY_PREFIX"],
        application_limits=[_rule(name, limits[name]) for name in RULES],
        on_breach=_audit_breach,
    )
    limiter.init_app(app)
    app.extensions["idp.limiter"] = limiter
    app.after_request(_retry_after)


def _limits(config):
    if not isinstance(config["IDP_RATELIMIT_RULES"], dict):
        raise RuntimeError("IDP_RATELIMIT_RULES must map rule names to limits")
    limits = {**DEFAULTS["IDP_RATELIMIT_RULES"], **config["IDP_RATELIMIT_RULES"]}
    for name, value in limits.items():
        if name not in RULES:
            raise RuntimeError(f"IDP_RATELIMIT_RULES: unknown rule {name!r}")
        try:
            parse_many(value)
        except (TypeError, ValueError):
            raise RuntimeError(f"IDP_RATELIMIT_RULES[{name!r}]: not a rate limit: "
                               f"{value!r}") from None
    return limits


def _rule(name, limit):
    applies, key = RULES[name]
    return ApplicationLimit(
        limit_provider=limit,
        key_function=key,
        scope=name,
        exempt_when=lambda: not applies(),
        deduct_when=_counts_for_client if key is client_key else None,
        error_message=DESCRIPTION,
    )


def _counts_for_client(response):
    return response.status_code not in (401, 429)


def _audit_breach(request_limit):
    *_, key, name = request_limit.request_args
    limiter = current_app.extensions["idp.limiter"].limiter
    if limiter.hit(AUDIT_ONCE, "audited", *request_limit.request_args):
        by_client = RULES[name][1] is client_key and key != "-"
        audit.record("rate_limited", "failure", client_id=key if by_client else None, rule=name,
                     limit=str(request_limit.limit), endpoint=request.endpoint)
        db.session.commit()


def _retry_after(response):
    limit = current_app.extensions["idp.limiter"].current_limit
    if response.status_code == 429 and limit is not None and limit.breached:
        wait = math.ceil(limit.window.reset_time - time.time())
        response.headers["Retry-After"] = str(max(1, wait))
    return response
