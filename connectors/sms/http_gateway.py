"""SMS through a generic HTTPS gateway (JSON API with an API key header).

The wire protocol, which the simulator implements (``docs/connectors.md``):

- ``POST {url}`` with headers ``{api_key_header}: {api_key}`` and
  ``Idempotency-Key: {reference}``, body ``{"to", "from", "text", "reference"}``
  plus ``"callback_url"`` when delivery reports are wanted. Success is 200, 201
  or 202 with ``{"message_id", "status"}``.
- ``GET {url}/{message_id}`` answers ``{"message_id", "status"}`` or 404.
- Delivery reports are POSTed by the gateway to ``callback_url`` as
  ``{"message_id", "status", "error_code", "done_at"}``; the receiving endpoint
  decodes them with :func:`parse_delivery_report`.

Answers map to errors as follows: transport failures and 5xx are retried with
backoff (the idempotency key keeps a retried submission from being sent twice),
then ``UnavailableError``; 401/403 ``CredentialsRejectedError``; 429
``ThrottledError`` (with ``Retry-After``); 404 on submission ``UnavailableError``
(wrong URL); other 4xx ``RejectedError`` carrying the gateway's ``error`` code.
"""

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from urllib.parse import quote

from connectors.errors import ConfigurationError
from connectors.errors import InvalidDataError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import UnavailableError
from connectors.json_http import JsonHttpClient
from connectors.msisdn import DEFAULT_REGION
from connectors.msisdn import normalise_msisdn
from connectors.sms.gateway import CONNECTOR
from connectors.sms.gateway import DeliveryReport
from connectors.sms.gateway import SmsGateway
from connectors.sms.gateway import SmsReceipt
from connectors.sms.gateway import SmsStatus

log = logging.getLogger(__name__)

ACCEPTED_STATUSES = (HTTPStatus.OK, HTTPStatus.CREATED, HTTPStatus.ACCEPTED)


class GatewayStatus(enum.Enum):
    """Message statuses in the gateway's JSON."""

    ACCEPTED = "accepted"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def sms_status(self) -> SmsStatus:
        return {
            GatewayStatus.ACCEPTED: SmsStatus.ACCEPTED, GatewayStatus.QUEUED: SmsStatus.ACCEPTED,
            GatewayStatus.SENT: SmsStatus.ENROUTE, GatewayStatus.DELIVERED: SmsStatus.DELIVERED,
            GatewayStatus.FAILED: SmsStatus.UNDELIVERABLE,
            GatewayStatus.EXPIRED: SmsStatus.EXPIRED, GatewayStatus.REJECTED: SmsStatus.REJECTED,
            GatewayStatus.UNKNOWN: SmsStatus.UNKNOWN,
        }[self]


@dataclass(frozen=True)
class HttpGatewaySettings:
    url: str
    api_key: str
    api_key_header: str = "X-API-Key"
    sender: str = "Bawaba"
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 0.5
    callback_url: str | None = None
    verify: bool | str = True
    default_region: str | None = DEFAULT_REGION

    def __post_init__(self):
        if not self.url.startswith(("https://", "http://")):
            raise ConfigurationError("SMS gateway URL must be http(s)", connector=CONNECTOR)
        if not self.api_key:
            raise ConfigurationError("SMS gateway API key is required", connector=CONNECTOR)


def _status(body: dict) -> SmsStatus:
    try:
        return GatewayStatus(body.get("status")).sms_status
    except ValueError:
        raise UnavailableError("gateway answered an unknown status", connector=CONNECTOR,
                               code="protocol") from None


def _message_id(body: dict) -> str:
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not message_id or len(message_id) > 128:
        raise UnavailableError("gateway answered without message_id", connector=CONNECTOR,
                               code="protocol")
    return message_id


def parse_delivery_report(body: object) -> DeliveryReport:
    """Decode a delivery report POSTed by the gateway; ``InvalidDataError`` if malformed."""
    if not isinstance(body, dict):
        raise InvalidDataError("delivery report is not a JSON object", connector=CONNECTOR)
    try:
        report = DeliveryReport(_message_id(body), _status(body))
    except UnavailableError as exc:
        raise InvalidDataError(f"malformed delivery report: {exc}", connector=CONNECTOR) from None
    error_code = body.get("error_code")
    done_at = body.get("done_at")
    try:
        done = datetime.fromisoformat(done_at) if isinstance(done_at, str) else None
    except ValueError:
        raise InvalidDataError("malformed delivery report: done_at", connector=CONNECTOR,
                               field="done_at") from None
    return DeliveryReport(report.message_id, report.status,
                          error_code if isinstance(error_code, str) else None, done)


class HttpSmsGateway(SmsGateway):
    """:class:`SmsGateway` over the JSON HTTPS API described in the module docstring."""

    def __init__(self, settings: HttpGatewaySettings, *,
                 sleep: Callable[[float], None] | None = None):
        self.settings = settings
        extra = {} if sleep is None else {"sleep": sleep}
        self._http = JsonHttpClient(
            connector=CONNECTOR, timeout=settings.timeout, retries=settings.retries,
            backoff=settings.backoff, verify=settings.verify,
            headers={settings.api_key_header: settings.api_key, "Accept": "application/json"},
            **extra)

    def send(self, to_msisdn: str, text: str, *, reference: str) -> SmsReceipt:
        destination = normalise_msisdn(to_msisdn, default_region=self.settings.default_region,
                                       field="to_msisdn", connector=CONNECTOR)
        if not text:
            raise RejectedError("empty message", connector=CONNECTOR, code="length")
        payload = {"to": destination, "from": self.settings.sender, "text": text,
                   "reference": reference}
        if self.settings.callback_url:
            payload["callback_url"] = self.settings.callback_url
        response = self._http.request("POST", self.settings.url, json=payload,
                                      headers={"Idempotency-Key": reference})
        response.raise_for_common()
        if response.status == HTTPStatus.NOT_FOUND:
            raise UnavailableError("gateway URL not found (HTTP 404)", connector=CONNECTOR,
                                   code="404")
        if response.status not in ACCEPTED_STATUSES:
            code = response.error_code()
            raise RejectedError(f"gateway refused the message ({code})", connector=CONNECTOR,
                                code=code)
        body = response.json_object()
        message_id = _message_id(body)
        receipt = SmsReceipt(message_id, _status(body), (message_id,))
        log.info("SMS %s submitted over HTTP as %s", reference, receipt.message_id)
        return receipt

    def delivery_status(self, message_id: str) -> SmsStatus:
        url = f"{self.settings.url.rstrip('/')}/{quote(message_id, safe='')}"
        response = self._http.request("GET", url)
        response.raise_for_common()
        if response.status == HTTPStatus.NOT_FOUND:
            raise NotFoundError("gateway does not know the message", connector=CONNECTOR,
                                code="404")
        if response.status != HTTPStatus.OK:
            raise UnavailableError(f"status query failed (HTTP {response.status})",
                                   connector=CONNECTOR, code=str(response.status))
        return _status(response.json_object())

    def close(self) -> None:
        self._http.close()
