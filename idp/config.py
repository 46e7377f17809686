"""Configuration: defaults, then the instance `config.py`, then `IDP_*`/area environment
variables, then the mapping a test passes to `create_app`."""

import json
import os

DEFAULTS = {
    "IDP_ENV": "development",
    "IDP_ISSUER": "http://127.0.0.1:5000",
    "IDP_DATABASE_URL": None,  # default: SQLite in the instance folder
    # Lifetimes in seconds.
    "IDP_CODE_TTL": 60,
    "IDP_ACCESS_TOKEN_TTL": 600,
    "IDP_ID_TOKEN_TTL": 600,
    "IDP_REFRESH_TOKEN_TTL": 8 * 3600,
    "IDP_OFFLINE_REFRESH_TOKEN_TTL": 30 * 86400,
    "IDP_SESSION_IDLE_TTL": 30 * 60,
    "IDP_SESSION_ABSOLUTE_TTL": 10 * 3600,
    "IDP_CLIENT_ASSERTION_MAX_AGE": 300,
    "IDP_BACKCHANNEL_TIMEOUT": 3,
    "IDP_BACKCHANNEL_MAX_ATTEMPTS": 6,
    # Signing keys: "pkcs11" (a PKCS#11 token, SoftHSM2 in development) or "file".
    "IDP_KEY_BACKEND": "pkcs11",
    "IDP_KEY_DIR": None,  # for the "file" backend; default: instance/keys
    "IDP_DEFAULT_ID_TOKEN_ALG": "ES256",
    "IDP_ACCESS_TOKEN_ALG": "ES256",
    "IDP_KEY_CACHE_SECONDS": 30,
    "PKCS11_MODULE": None,
    "PKCS11_TOKEN_LABEL": None,
    "PKCS11_TOKEN_PIN": None,
    "SOFTHSM2_CONF": None,
    "IDP_LOGIN_METHODS": [],
    "IDP_ENABLE_TEST_LOGIN": False,
    "IDP_RATE_LIMITS": True,
    "BABEL_DEFAULT_LOCALE": "en",
    "IDP_LOCALES": ["en", "ar"],
    "WTF_CSRF_TIME_LIMIT": None,
    "SECRET_KEY": None,
}

ENV_PREFIXES = ("IDP_", "PKCS11_", "OTP_", "SMS_", "PKI_")
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
