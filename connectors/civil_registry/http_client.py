"""The civil registry's HTTP API client.

``POST {base_url}/v1/persons/lookup`` with ``X-API-Key`` and the body
``{"national_id", "date_of_birth"}``; 200 ``{"person": {...}}`` (record shape as in
``citizens.json``) or 404 when nothing matches both values. The lookup is a read,
so transport failures and 5xx are retried (``JsonHttpClient``); 401/403 become
``CredentialsRejectedError``, 429 ``ThrottledError``, other 4xx ``RejectedError``.
POST keeps national IDs out of URLs and access logs.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus

from connectors.civil_registry.registry import CONNECTOR
from connectors.civil_registry.registry import CivilRegistry
from connectors.civil_registry.registry import Person
from connectors.civil_registry.registry import check_date_of_birth
from connectors.civil_registry.registry import normalise_national_id
from connectors.civil_registry.registry import parse_person
from connectors.errors import ConfigurationError
from connectors.errors import InvalidDataError
from connectors.errors import RejectedError
from connectors.json_http import JsonHttpClient

log = logging.getLogger(__name__)

LOOKUP_PATH = "/v1/persons/lookup"


@dataclass(frozen=True)
class RegistrySettings:
    base_url: str
    api_key: str
    timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.3
    verify: bool | str = True

    def __post_init__(self):
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError("civil registry URL must be http(s)", connector=CONNECTOR)
        if not self.api_key:
            raise ConfigurationError("civil registry API key is required", connector=CONNECTOR)


class HttpCivilRegistry(CivilRegistry):
    """:class:`CivilRegistry` over the registry's JSON API."""

    def __init__(self, settings: RegistrySettings, *,
                 sleep: Callable[[float], None] | None = None):
        self.settings = settings
        extra = {} if sleep is None else {"sleep": sleep}
        self._http = JsonHttpClient(
            connector=CONNECTOR, timeout=settings.timeout, retries=settings.retries,
            backoff=settings.backoff, verify=settings.verify,
            headers={"X-API-Key": settings.api_key, "Accept": "application/json"}, **extra)

    def lookup(self, national_id: str, date_of_birth: date) -> Person | None:
        national_id = normalise_national_id(national_id)
        date_of_birth = check_date_of_birth(date_of_birth)
        response = self._http.request(
            "POST", self.settings.base_url.rstrip("/") + LOOKUP_PATH,
            json={"national_id": national_id, "date_of_birth": date_of_birth.isoformat()})
        response.raise_for_common()
        if response.status == HTTPStatus.NOT_FOUND:
            return None
        if response.status != HTTPStatus.OK:
            code = response.error_code()
            raise RejectedError(f"registry refused the lookup ({code})", connector=CONNECTOR,
                                code=code)
        person = parse_person(response.json_object().get("person"))
        if person.national_id != national_id or person.birthdate != date_of_birth:
            raise InvalidDataError("registry answered a different record", connector=CONNECTOR,
                                   field="national_id")
        return person

    def close(self) -> None:
        self._http.close()
