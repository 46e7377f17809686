"""Rate limits on the endpoints worth hammering: the token endpoint per client and per
address, the authorization endpoint and login forms per address, introspection and
revocation per client, userinfo per address (IDP_RATELIMIT_RULES, in the `limits`
library's notation). Counting is a moving window, every rule of a request in one step
(ratelimit_windows.py); the limits of each endpoint are resolved once at start, so a
request no rule covers costs a dictionary lookup.

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

from flask import g
from flask import request
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from . import audit
from .authn import registry
from .config import DEFAULTS
from .extensions import db
from .ratelimit_windows import windows_from_url

log = logging.getLogger(__name__)

DESCRIPTION = "Too many requests. Retry after the number of seconds in Retry-After."
AUDIT_ONCE_SECONDS = 60  # a breach is audited once per rule, key and minute
LOGIN = None  # stands for "a login form POST" in RULES


def ip_key():
    return request.remote_addr or "-"


def client_key():
    return audit.claimed_client_id() or "-"


# Rule name: (the endpoints whose requests count, or LOGIN; whose allowance they use).
RULES = {
    "token": (("oauth.token",), client_key),
    "token_ip": (("oauth.token",), ip_key),
    "authorize": (("oauth.authorization", "oauth.resume"), ip_key),
    "login": (LOGIN, ip_key),
    "introspect": (("oauth.introspect",), client_key),
    "revoke": (("oauth.revoke",), client_key),
    "userinfo": (("oauth.userinfo",), ip_key),
    # Each CIBA request may push a prompt to a person's phone.
    "backchannel_authentication": (("ciba.backchannel_authentication",), client_key),
}


class RateLimitExceededError(TooManyRequests):
    description = DESCRIPTION


class RateLimiter:
    """The limits of each endpoint, resolved once at start. A request is checked against
    every limit that applies to it in one step (ratelimit_windows.py), shortest window
    first; the first full one refuses it. A per-client hit is taken back after a 401 (the
    client did not authenticate)."""

    def __init__(self, config):
        limits = _limits(config)
        self.prefix = config["IDP_RATELIMIT_KEY_PREFIX"]
        self.windows = windows_from_url(config["IDP_RATELIMIT_STORAGE_URI"], self.prefix)
        self.by_endpoint = {}
        self.login = []
        for name, (endpoints, key) in RULES.items():
            checks = [(item, name, key) for item in parse_many(limits[name])]
            if endpoints is LOGIN:
                self.login += checks
            else:
                for endpoint in endpoints:
                    self.by_endpoint.setdefault(endpoint, []).extend(checks)
        # Shortest window first; rules of the same window in the order of RULES.
        for checks in (self.login, *self.by_endpoint.values()):
            checks.sort(key=lambda check: check[0].get_expiry())

    def reset(self):
        self.windows.reset()

    def check(self):
        checks = self.by_endpoint.get(request.endpoint)
        if checks is None and request.method == "POST" and _login_form_post():
            checks = self.login
        if not checks:
            return
        keys, windows, per_client = [], [], []
        for item, name, key in checks:
            value = key()
            window = self._window(item, name, value)
            keys.append(value)
            windows.append(window)
            if key is client_key:
                per_client.append(window[0])
        now = time.time()
        breach = self.windows.acquire(windows, now)
        if breach is not None:
            item, name, _ = checks[breach.index]
            g.rate_limit_retry_after = max(1, math.ceil(breach.retry_at - now))
            log.info("ratelimit %s (%s) exceeded at endpoint: %s", item, name, request.endpoint)
            _audit_breach(self, item, name, keys[breach.index])
            raise RateLimitExceededError()
        g.rate_limit_per_client = per_client

    def admit(self, endpoint, client_id, address):
        """For a request answered without Flask whose client authenticated: count it in
        every window of endpoint and return True, or return False, counting none, when one
        is full (the full stack then refuses it as check() does, and audits the breach)."""
        windows = []
        for item, name, key in self.by_endpoint.get(endpoint, ()):
            if key not in (client_key, ip_key):
                return False
            windows.append(self._window(item, name, client_id if key is client_key
                                        else address or "-"))
        return not windows or self.windows.acquire(windows, time.time()) is None

    def _window(self, item, name, value):
        return f"{self.prefix}/{name}/{value}", item.amount, item.get_expiry()

    def count_after(self, response):
        """Take back the per-client hits of a request whose client did not authenticate."""
        if response.status_code == 401:
            for key in g.pop("rate_limit_per_client", ()):
                self.windows.release(key)
        retry_after = g.get("rate_limit_retry_after")
        if response.status_code == 429 and retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response


def _login_form_post():
    """A POST to the blueprint of any registered login method."""
    methods = {a.endpoint.split(".")[0] for a in registry.available()}
    return request.blueprint in methods


def init_app(app):
    if not app.config["IDP_RATE_LIMITS"]:
        return
    storage = app.config["IDP_RATELIMIT_STORAGE_URI"]
    limiter = RateLimiter(app.config)
    if storage.startswith("memory:") and app.config["IDP_ENV"] != "development" \
            and not app.config.get("TESTING"):
        log.warning("IDP_RATELIMIT_STORAGE_URI is %s: each worker process counts on its own; "
                    "share the counters through Redis (redis://HOST:6379)", storage)
    app.extensions["idp.limiter"] = limiter
    app.before_request(limiter.check)
    app.after_request(limiter.count_after)


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


def _audit_breach(limiter, item, name, key):
    once = (f"{limiter.prefix}/audited/{name}/{key}", 1, AUDIT_ONCE_SECONDS)
    if limiter.windows.acquire([once], time.time()) is None:
        by_client = RULES[name][1] is client_key and key != "-"
        audit.record("rate_limited", "failure", client_id=key if by_client else None, rule=name,
                     limit=str(item), endpoint=request.endpoint)
        db.session.commit()
