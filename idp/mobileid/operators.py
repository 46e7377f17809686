"""The MSSP clients of this provider, one per operator of ``MSSP_OPERATORS``, built once per
app from its settings (connectors/mssp/factory.py). A development provider without
``MSSP_OPERATORS`` uses the local MSSP simulator (``python -m connectors.mssp.simulator``)
and says so loudly."""

import logging

from flask import current_app

from connectors.errors import ConfigurationError
from connectors.mssp import mobile_id_operators_from_settings

log = logging.getLogger(__name__)
EXTENSION = "idp.mobile_id.operators"
SIMULATOR_URL = "http://127.0.0.1:8040"


def configure(app):
    """Build the operators' clients from app.config; RuntimeError when the settings are
    wrong or missing outside development."""
    settings = dict(app.config)
    if not settings.get("MSSP_OPERATORS"):
        if app.config["IDP_ENV"] != "development":
            raise RuntimeError("Mobile ID login needs MSSP_OPERATORS and the MSSP_<OP>_* "
                               "settings (docs/mobile-id.md)")
        settings.update(simulator_settings())
        log.warning("*** Mobile ID login uses the local MSSP simulator at %s: MSSP_OPERATORS "
                    "is not set. ***", SIMULATOR_URL)
    try:
        operators = mobile_id_operators_from_settings(settings)
    except ConfigurationError as error:
        raise RuntimeError(f"Mobile ID: {error}") from None
    if not operators.clients:
        raise RuntimeError("Mobile ID: MSSP_OPERATORS names no operator")
    previous = app.extensions.get(EXTENSION)
    if previous is not None:
        previous.close()
    app.extensions[EXTENSION] = operators
    return operators


def simulator_settings():
    """The simulator's own development credentials (connectors/mssp/simulator.py)."""
    return {"MSSP_OPERATORS": "dev", "MSSP_DEV_URL": SIMULATOR_URL,
            "MSSP_DEV_AP_ID": "bawaba-dev", "MSSP_DEV_AP_PASSWORD": "dev-mssp-password",
            "MSSP_DEV_MSSP_ID": "http://mssp.dev.bawaba.test",
            "MSSP_DEV_SIGNATURE_PROFILE": "urn:bawaba:mssp:profile:authentication"}


def operators():
    """The operators' clients, or None when Mobile ID is not configured."""
    return current_app.extensions.get(EXTENSION)
