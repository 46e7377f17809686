"""Configuration: defaults, then the instance `config.py`, then `IDP_*`/area environment
variables, then the mapping a test passes to `create_app`. Every setting has a default that
works on a development machine; outside development (IDP_ENV other than "development")
the provider refuses to start without a SECRET_KEY and an https issuer."""

import json
import os

DEFAULTS = {
    "IDP_ENV": "development",  # "production" (anything else) makes the checks below strict
    "IDP_ISSUER": "http://127.0.0.1:5000",
    "IDP_DATABASE_URL": None,  # default: SQLite in the instance folder
    # A pooled PostgreSQL connection idle this long is checked before use (database_checks.py).
    "IDP_DATABASE_CHECK_IDLE_SECONDS": 10,
    # IDP_INSTANCE_PATH (environment only): the instance folder; default <repo>/instance.
    # Lifetimes in seconds.
    "IDP_CODE_TTL": 60,
    "IDP_ACCESS_TOKEN_TTL": 600,
    "IDP_ID_TOKEN_TTL": 600,
    "IDP_REFRESH_TOKEN_TTL": 8 * 3600,
    "IDP_OFFLINE_REFRESH_TOKEN_TTL": 30 * 86400,
    "IDP_SESSION_IDLE_TTL": 30 * 60,
    "IDP_SESSION_ABSOLUTE_TTL": 10 * 3600,
    # Level 2 (ID card, Mobile ID) holds this long after the login; then the session and
    # the tokens issued from it state level 1 until a step-up (docs/claims.md).
    "IDP_LEVEL2_TTL": 15 * 60,
    "IDP_CLIENT_ASSERTION_MAX_AGE": 300,
    "IDP_BACKCHANNEL_TIMEOUT": 3,
    "IDP_BACKCHANNEL_MAX_ATTEMPTS": 6,
    # Signing keys: "pkcs11" (a PKCS#11 token, SoftHSM2 in development) or "file".
    "IDP_KEY_BACKEND": "pkcs11",
    "IDP_KEY_DIR": None,  # for the "file" backend; default: instance/keys
    "IDP_DEFAULT_ID_TOKEN_ALG": "ES256",
    "IDP_ACCESS_TOKEN_ALG": "ES256",
    "IDP_ACCESS_TOKEN_AUDIENCE": None,  # `aud` of access tokens; default: the issuer
    "IDP_KEY_CACHE_SECONDS": 30,
    # The most frequent successes answered in front of Flask (oauth/fast_paths.py).
    "IDP_FAST_PATHS": True,
    "PKCS11_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
    "PKCS11_TOKEN_LABEL": "bawaba-signing",
    "PKCS11_TOKEN_PIN": None,  # a secret: set in instance/config.py or the environment
    "SOFTHSM2_CONF": None,
    # Login methods offered: "sms" (national ID + password + SMS code, level 1; needs the
    # SMS_* and CIVIL_REGISTRY_* settings, which development points at the local simulators).
    "IDP_LOGIN_METHODS": ["sms"],
    "IDP_PASSWORD_MIN_LENGTH": 12,  # citizens' passwords; never below 8 (NIST SP 800-63B)
    # One-time SMS codes (idp/otp/codes.py; the limits cannot be loosened past these).
    "OTP_CODE_LIFETIME": 300,  # seconds, at most 300
    "OTP_MAX_TRIES": 5,  # per code, at most 5
    "OTP_RESEND_AFTER": 60,  # seconds before a new code, at least 60
    "OTP_SENDS_PER_NUMBER": 5,  # per OTP_SEND_WINDOW, at most 5
    "OTP_SENDS_PER_ADDRESS": 30,  # per OTP_SEND_WINDOW and IP address
    "OTP_SEND_WINDOW": 3600,  # seconds, at least 3600
    "OTP_MAX_FAILURES": 100,  # consecutive failures before an account locks, at most 100
    "OTP_HASH_KEY": None,  # key of the code HMACs; default: derived from SECRET_KEY
    "IDP_ENABLE_TEST_LOGIN": False,
    "IDP_RATE_LIMITS": True,  # False turns every rate limit off
    # Rate-limit counters. memory:// serves only the single-process development server;
    # `idp serve` with several workers must share them: redis://127.0.0.1:6379.
    "IDP_RATELIMIT_STORAGE_URI": "memory://",
    "IDP_RATELIMIT_KEY_PREFIX": "bawaba",
    # Limits (Flask-Limiter syntax) by rule; a setting may name only the rules it changes.
    # Per-address limits meet carrier-grade NAT: many citizens may share one address.
    "IDP_RATELIMIT_RULES": {
        "token": "600 per minute",  # per client (authenticated requests)
        "token_ip": "1200 per minute",  # per address
        "authorize": "600 per minute",  # per address
        "login": "120 per minute",  # login form POSTs, per address
        "introspect": "3000 per minute",  # per client
        "revoke": "600 per minute",  # per client
        "userinfo": "1200 per minute",  # per address
        "backchannel_authentication": "60 per minute",  # CIBA requests, per client
    },
    "BABEL_DEFAULT_LOCALE": "en",
    "IDP_LOCALES": ["en", "ar"],
    # `idp serve` behind reverse proxies: how many of them to trust for X-Forwarded-For
    # and X-Forwarded-Proto (0: use the connecting address).
    "IDP_PROXY_HOPS": 0,
    "WTF_CSRF_TIME_LIMIT": None,
    # Pages send Referrer-Policy: no-referrer, so browsers send no Referer and Flask-WTF's
    # https-only Referer check would refuse every form. CSRF rests on the token and on
    # SameSite=Lax cookies.
    "WTF_CSRF_SSL_STRICT": False,
    "SECRET_KEY": None,  # signs the session cookie (CSRF, authorization transactions)
}
SECRET_KEY_MIN_LENGTH = 32

ENV_PREFIXES = ("IDP_", "PKCS11_", "OTP_", "SMS_", "PKI_", "CIVIL_REGISTRY_", "MSSP_",
                "CHAMBER_")
ENV_EXACT = ("SECRET_KEY", "SOFTHSM2_CONF")


def from_environ(environ=os.environ):
    """Settings read from the environment. A setting whose default is a number, boolean or
    list is decoded as JSON; everything else stays a string."""
    settings = {}
    for name, raw in environ.items():
        if name.startswith("IDP_TEST_"):
            continue
        if name.startswith(ENV_PREFIXES) or name in ENV_EXACT:
            settings[name] = _decode(raw) if _is_structured(DEFAULTS.get(name)) else raw
    return settings


def _is_structured(default):
    return isinstance(default, (bool, int, list, dict))


def _decode(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def check(cfg, log):
    """Refuse unsafe settings outside development; in development, fall back to a random
    SECRET_KEY with a loud warning."""
    strict = cfg["IDP_ENV"] != "development" and not cfg.get("TESTING")
    if cfg.get("IDP_ENABLE_TEST_LOGIN") and not cfg.get("TESTING"):
        raise RuntimeError("IDP_ENABLE_TEST_LOGIN is only for the test suite")
    if not cfg.get("SECRET_KEY"):
        if strict:
            raise RuntimeError(f"SECRET_KEY is required outside development "
                               f"(IDP_ENV={cfg['IDP_ENV']})")
        log.warning("*** SECRET_KEY is not set: using a random development key. Sessions will "
                    "not survive a restart. Never run like this in production. ***")
        cfg["SECRET_KEY"] = os.urandom(32).hex()
    if strict and len(cfg["SECRET_KEY"]) < SECRET_KEY_MIN_LENGTH:
        raise RuntimeError(f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters")
    if strict and not cfg["IDP_ISSUER"].startswith("https://"):
        raise RuntimeError("IDP_ISSUER must be an https URL outside development")
