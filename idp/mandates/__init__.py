"""Establishment mandates (docs/mandates.md): the permissions an agent may hold, creating
mandates (owner grants, certified letters), review, revocation and the SMS the agent gets
at each change. The chamber of commerce connector is built here from CHAMBER_*."""

import logging

from connectors.chamber import chamber_from_settings
from connectors.errors import ConfigurationError

log = logging.getLogger(__name__)

CHAMBER = "idp.chamber"
NOTIFIER = "idp.notifier"  # an SmsGateway for notices; default: the SMS login's gateway
# The chamber simulator's development settings (docs/mandates.md); test values, not secrets.
DEVELOPMENT_SETTINGS = {"CHAMBER_BACKEND": "http", "CHAMBER_URL": "http://127.0.0.1:8050",
                        "CHAMBER_API_KEY": "dev-chamber-key"}


def init_app(app):
    cfg = app.config
    configured = cfg.get("CHAMBER_URL") or cfg.get("CHAMBER_BACKEND") == "memory"
    if not configured:
        if cfg.get("TESTING"):
            return
        if cfg["IDP_ENV"] != "development":
            log.warning("CHAMBER_URL is not set: mandates from certified letters and owner "
                        "grants cannot be checked with the chamber of commerce")
            return
        log.warning("*** Mandates use the local chamber simulator (python -m connectors."
                    "chamber.simulator): CHAMBER_URL is not set. ***")
        for key, value in DEVELOPMENT_SETTINGS.items():
            if not cfg.get(key):
                cfg[key] = value
    if cfg.get("CHAMBER_BACKEND") == "memory" and cfg["IDP_ENV"] != "development" \
            and not cfg.get("TESTING"):
        raise RuntimeError("the in-memory chamber is for tests only")
    try:
        app.extensions[CHAMBER] = chamber_from_settings(cfg)
    except ConfigurationError as error:
        raise RuntimeError(f"{error.connector}: {error}") from None
