"""The outside systems behind citizens' registration and SMS login, built once per
application from its configuration: the SMS gateway (SMS_* settings), the civil registry
(CIVIL_REGISTRY_* settings) and the one-time code service (OTP_* settings).

Where the settings are missing:
- development (IDP_ENV=development): the local simulators (`python -m connectors.simulators`,
  started by `make run`), with a loud warning;
- tests (TESTING): the SMS method is not offered, so an application built for other
  features is unchanged;
- anywhere else: the provider refuses to start. So does the in-memory SMS gateway or
  registry (test fakes) outside tests."""

import hashlib
import hmac
import logging
from dataclasses import dataclass

from connectors.civil_registry import civil_registry_from_settings
from connectors.errors import ConfigurationError
from connectors.sms import sms_gateway_from_settings

from ..models import citizens as store
from ..otp.codes import CodePolicy
from ..otp.service import OtpService

log = logging.getLogger(__name__)

# The simulators' development settings (docs/connectors.md); test values, not secrets.
DEVELOPMENT_SETTINGS = {
    "SMS_TRANSPORT": "smpp",
    "SMS_SMPP_HOST": "127.0.0.1",
    "SMS_SMPP_PORT": 2775,
    "SMS_SMPP_SYSTEM_ID": "bawaba",
    "SMS_SMPP_PASSWORD": "simulate",
    "CIVIL_REGISTRY_BACKEND": "http",
    "CIVIL_REGISTRY_URL": "http://127.0.0.1:8030",
    "CIVIL_REGISTRY_API_KEY": "dev-registry-key",
}
EXTENSION = "idp.citizens"


@dataclass
class Connections:
    gateway: object
    registry: object
    otp: OtpService
    password_min_length: int


def configure(app):
    """Build the connections for `app`; None when the SMS method is left out (tests
    without SMS settings). Raises RuntimeError for settings that cannot work."""
    cfg = app.config
    strict = cfg["IDP_ENV"] != "development" and not cfg.get("TESTING")
    if not cfg.get("SMS_TRANSPORT") or not _registry_configured(cfg):
        if cfg.get("TESTING"):
            return None
        if strict:
            raise RuntimeError("IDP_LOGIN_METHODS offers sms, but SMS_TRANSPORT and "
                               "CIVIL_REGISTRY_URL are not both set")
        log.warning("*** SMS login uses the local simulators (python -m connectors."
                    "simulators): SMS_TRANSPORT or CIVIL_REGISTRY_URL is not set. ***")
        for key, value in DEVELOPMENT_SETTINGS.items():
            cfg.setdefault(key, value)
            if cfg[key] in (None, ""):
                cfg[key] = value
    if strict and "memory" in (cfg.get("SMS_TRANSPORT"), cfg.get("CIVIL_REGISTRY_BACKEND")):
        raise RuntimeError("the in-memory SMS gateway and civil registry are for tests only")
    try:
        policy = code_policy(cfg)
        min_length = int(cfg["IDP_PASSWORD_MIN_LENGTH"])
    except (TypeError, ValueError) as error:
        raise RuntimeError(f"OTP_* or IDP_PASSWORD_MIN_LENGTH: {error}") from None
    if min_length < 8:
        raise RuntimeError("IDP_PASSWORD_MIN_LENGTH must be at least 8")
    try:
        gateway = sms_gateway_from_settings(cfg)
        registry = civil_registry_from_settings(cfg)
    except ConfigurationError as error:
        raise RuntimeError(f"{error.connector}: {error}") from None
    otp = OtpService(store, gateway, hash_key(cfg), policy)
    return Connections(gateway, registry, otp, min_length)


def _registry_configured(cfg):
    if cfg.get("CIVIL_REGISTRY_BACKEND") == "memory":
        return True
    return bool(cfg.get("CIVIL_REGISTRY_URL"))


def code_policy(cfg):
    return CodePolicy(
        lifetime=int(cfg["OTP_CODE_LIFETIME"]),
        max_tries=int(cfg["OTP_MAX_TRIES"]),
        resend_after=int(cfg["OTP_RESEND_AFTER"]),
        sends_per_number=int(cfg["OTP_SENDS_PER_NUMBER"]),
        sends_per_address=int(cfg["OTP_SENDS_PER_ADDRESS"]),
        send_window=int(cfg["OTP_SEND_WINDOW"]),
        max_failures=int(cfg["OTP_MAX_FAILURES"]),
    )


def hash_key(cfg):
    """The key of the code HMACs: OTP_HASH_KEY, else derived from SECRET_KEY."""
    if cfg.get("OTP_HASH_KEY"):
        return cfg["OTP_HASH_KEY"].encode()
    return hmac.new(cfg["SECRET_KEY"].encode(), b"bawaba otp code digests",
                    hashlib.sha256).digest()


def connections(app):
    return app.extensions[EXTENSION]
