"""Builds the configured social insurance connector from a settings mapping
(``SOCIAL_INSURANCE_*``).

==========================  ==========  ================================================
Key                         Default     Meaning
==========================  ==========  ================================================
SOCIAL_INSURANCE_BACKEND    ``http``    ``http``, or ``memory`` (tests, no network)
SOCIAL_INSURANCE_URL        (required)  base URL, e.g. ``http://127.0.0.1:8060``
SOCIAL_INSURANCE_API_KEY    (required)  sent as ``X-API-Key``
SOCIAL_INSURANCE_TIMEOUT    ``5``       seconds per connect / read
SOCIAL_INSURANCE_RETRIES    ``2``       extra attempts on transport failure / 5xx
SOCIAL_INSURANCE_BACKOFF    ``0.3``     seconds before the first retry, then doubled
SOCIAL_INSURANCE_CA_FILE    (none)      CA bundle for the fund's certificate
SOCIAL_INSURANCE_DATA       (packaged)  ``memory`` backend: path of an insured file
==========================  ==========  ================================================
"""

from collections.abc import Mapping

from connectors.settings import SettingsReader

from .directory import INSURED_FILE
from .http_client import HttpSocialInsurance
from .http_client import SocialInsuranceSettings
from .insurance import CONNECTOR
from .insurance import SocialInsurance
from .memory import InMemorySocialInsurance


def social_insurance_from_settings(settings: Mapping[str, object]) -> SocialInsurance:
    """The fund chosen by ``SOCIAL_INSURANCE_BACKEND``; ``ConfigurationError`` if bad."""
    read = SettingsReader(settings, CONNECTOR)
    backend = read.choice("SOCIAL_INSURANCE_BACKEND", ("http", "memory"), "http")
    if backend == "memory":
        return InMemorySocialInsurance(path=read.text("SOCIAL_INSURANCE_DATA",
                                                      str(INSURED_FILE)))
    ca_file = read.text("SOCIAL_INSURANCE_CA_FILE", None)
    return HttpSocialInsurance(SocialInsuranceSettings(
        base_url=read.text("SOCIAL_INSURANCE_URL"),
        api_key=read.text("SOCIAL_INSURANCE_API_KEY"),
        timeout=read.number("SOCIAL_INSURANCE_TIMEOUT", 5.0, minimum=0.001),
        retries=read.integer("SOCIAL_INSURANCE_RETRIES", 2),
        backoff=read.number("SOCIAL_INSURANCE_BACKOFF", 0.3),
        verify=ca_file or True,
    ))
