"""The social insurance fund's HTTP API client.

``POST {base_url}/v1/income/lookup`` with ``X-API-Key`` and the body ``{"national_id"}``;
200 ``{"income": {...}}`` (record shape as in ``insured.json``) or 404 ``not_found`` for a
person the fund has no record of (:class:`InsuredPersonNotFoundError`). The lookup is a
read, so transport failures and 5xx are retried (``JsonHttpClient``), then
``UnavailableError``; 401/403 become ``CredentialsRejectedError``, 429
``ThrottledError``, other 4xx ``RejectedError``. POST keeps national IDs out of URLs and
access logs."""

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from connectors.errors import ConfigurationError
from connectors.errors import InvalidDataError
from connectors.errors import RejectedError
from connectors.json_http import JsonHttpClient

from .insurance import CONNECTOR
from .insurance import InsuredIncome
from .insurance import InsuredPersonNotFoundError
from .insurance import SocialInsurance
from .insurance import normalise_national_id
from .insurance import parse_income

LOOKUP_PATH = "/v1/income/lookup"


@dataclass(frozen=True)
class SocialInsuranceSettings:
    base_url: str
    api_key: str
    timeout: float = 5.0
    retries: int = 2
    backoff: float = 0.3
    verify: bool | str = True

    def __post_init__(self):
        if not self.base_url.startswith(("https://", "http://")):
            raise ConfigurationError("social insurance URL must be http(s)",
                                     connector=CONNECTOR)
        if not self.api_key:
            raise ConfigurationError("social insurance API key is required",
                                     connector=CONNECTOR)


class HttpSocialInsurance(SocialInsurance):
    """:class:`SocialInsurance` over the fund's JSON API."""

    def __init__(self, settings: SocialInsuranceSettings, *,
                 sleep: Callable[[float], None] | None = None):
        self.settings = settings
        extra = {} if sleep is None else {"sleep": sleep}
        self._http = JsonHttpClient(
            connector=CONNECTOR, timeout=settings.timeout, retries=settings.retries,
            backoff=settings.backoff, verify=settings.verify,
            headers={"X-API-Key": settings.api_key, "Accept": "application/json"}, **extra)

    def insured_income(self, national_id: str) -> InsuredIncome:
        national_id = normalise_national_id(national_id)
        response = self._http.request("POST", self.settings.base_url.rstrip("/") + LOOKUP_PATH,
                                      json={"national_id": national_id})
        response.raise_for_common()
        if response.status == HTTPStatus.NOT_FOUND and response.error_code() == "not_found":
            raise InsuredPersonNotFoundError()
        if response.status != HTTPStatus.OK:
            code = response.error_code()
            raise RejectedError(f"social insurance refused the lookup ({code})",
                                connector=CONNECTOR, code=code)
        income = parse_income(response.json_object().get("income"))
        if income.national_id != national_id:
            raise InvalidDataError("social insurance answered a different record",
                                   connector=CONNECTOR, field="national_id")
        return income

    def close(self) -> None:
        self._http.close()
