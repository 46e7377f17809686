"""Builds the configured civil registry from a settings mapping (``CIVIL_REGISTRY_*``).

==========================  ==========  ================================================
Key                         Default     Meaning
==========================  ==========  ================================================
CIVIL_REGISTRY_BACKEND      ``http``    ``http``, or ``memory`` (tests, no network)
CIVIL_REGISTRY_URL          (required)  base URL, e.g. ``http://127.0.0.1:8030``
CIVIL_REGISTRY_API_KEY      (required)  sent as ``X-API-Key``
CIVIL_REGISTRY_TIMEOUT      ``5``       seconds per connect / read
CIVIL_REGISTRY_RETRIES      ``2``       extra attempts on transport failure / 5xx
CIVIL_REGISTRY_BACKOFF      ``0.3``     seconds before the first retry, then doubled
CIVIL_REGISTRY_CA_FILE      (none)      CA bundle for the registry's certificate
CIVIL_REGISTRY_DATA         (packaged)  ``memory`` backend: path of a citizens file
==========================  ==========  ================================================
"""

from collections.abc import Mapping

from connectors.civil_registry.directory import CITIZENS_FILE
from connectors.civil_registry.http_client import HttpCivilRegistry
from connectors.civil_registry.http_client import RegistrySettings
from connectors.civil_registry.memory import InMemoryCivilRegistry
from connectors.civil_registry.registry import CONNECTOR
from connectors.civil_registry.registry import CivilRegistry
from connectors.settings import SettingsReader


def civil_registry_from_settings(settings: Mapping[str, object]) -> CivilRegistry:
    """The registry chosen by ``CIVIL_REGISTRY_BACKEND``; ``ConfigurationError`` if bad."""
    read = SettingsReader(settings, CONNECTOR)
    backend = read.choice("CIVIL_REGISTRY_BACKEND", ("http", "memory"), "http")
    if backend == "memory":
        return InMemoryCivilRegistry(path=read.text("CIVIL_REGISTRY_DATA", str(CITIZENS_FILE)))
    ca_file = read.text("CIVIL_REGISTRY_CA_FILE", None)
    return HttpCivilRegistry(RegistrySettings(
        base_url=read.text("CIVIL_REGISTRY_URL"),
        api_key=read.text("CIVIL_REGISTRY_API_KEY"),
        timeout=read.number("CIVIL_REGISTRY_TIMEOUT", 5.0, minimum=0.001),
        retries=read.integer("CIVIL_REGISTRY_RETRIES", 2),
        backoff=read.number("CIVIL_REGISTRY_BACKOFF", 0.3),
        verify=ca_file or True,
    ))
