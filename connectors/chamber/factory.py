"""Builds the configured chamber of commerce connector from a settings mapping
(``CHAMBER_*``).

==================  ==========  ===================================================
Key                 Default     Meaning
==================  ==========  ===================================================
CHAMBER_BACKEND     ``http``    ``http``, or ``memory`` (tests, no network)
CHAMBER_URL         (required)  base URL, e.g. ``http://127.0.0.1:8050``
CHAMBER_API_KEY     (required)  sent as ``X-API-Key``
CHAMBER_TIMEOUT     ``5``       seconds per connect / read
CHAMBER_RETRIES     ``2``       extra attempts on transport failure / 5xx
CHAMBER_BACKOFF     ``0.3``     seconds before the first retry, then doubled
CHAMBER_KEYS_CACHE  ``300``     seconds the chamber's letter-signing keys are kept
CHAMBER_CA_FILE     (none)      CA bundle for the chamber's certificate
==================  ==========  ===================================================
"""

from collections.abc import Mapping

from connectors.settings import SettingsReader

from .chamber import CONNECTOR
from .chamber import Chamber
from .http_client import ChamberSettings
from .http_client import HttpChamber
from .memory import InMemoryChamber


def chamber_from_settings(settings: Mapping[str, object]) -> Chamber:
    """The chamber chosen by ``CHAMBER_BACKEND``; ``ConfigurationError`` if settings are bad."""
    read = SettingsReader(settings, CONNECTOR)
    backend = read.choice("CHAMBER_BACKEND", ("http", "memory"), "http")
    if backend == "memory":
        return InMemoryChamber()
    ca_file = read.text("CHAMBER_CA_FILE", None)
    return HttpChamber(ChamberSettings(
        base_url=read.text("CHAMBER_URL"),
        api_key=read.text("CHAMBER_API_KEY"),
        timeout=read.number("CHAMBER_TIMEOUT", 5.0, minimum=0.001),
        retries=read.integer("CHAMBER_RETRIES", 2),
        backoff=read.number("CHAMBER_BACKOFF", 0.3),
        keys_cache=read.number("CHAMBER_KEYS_CACHE", 300.0),
        verify=ca_file or True,
    ))
