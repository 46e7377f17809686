"""JSON over HTTP(S) for connectors: explicit timeouts, bounded retries, error mapping.

Used by the HTTPS SMS gateway and the civil registry client. Transport failures
(refused connection, DNS failure, TLS failure, timeout) and 5xx answers are retried
``retries`` times with exponential backoff (``backoff``, ``2 * backoff``, ...), then
become :class:`~connectors.errors.UnavailableError`. Only use it for requests that
are safe to repeat (idempotent, or carrying an idempotency key).

Every other answer is returned to the caller, who maps 4xx answers with
:meth:`JsonResponse.raise_for_common` plus its own rules (404 = not found, ...).
Redirects are never followed. ``sleep`` is an argument so tests need not wait.
"""

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from http import HTTPStatus

import requests

from connectors.errors import CredentialsRejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JsonResponse:
    """An HTTP answer: status, decoded JSON body (``None`` if absent or not JSON), headers."""

    status: int
    body: object
    headers: Mapping[str, str] = field(default_factory=dict)
    connector: str | None = None

    def json_object(self) -> dict:
        """The body as a JSON object, or :class:`UnavailableError` (garbled answer)."""
        if not isinstance(self.body, dict):
            raise UnavailableError(f"HTTP {self.status} answer is not a JSON object",
                                   connector=self.connector, code=str(self.status))
        return self.body

    def error_code(self) -> str:
        """The ``error`` member of a JSON error body, else the HTTP status as text."""
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), str):
            return self.body["error"][:64]
        return str(self.status)

    def raise_for_common(self) -> None:
        """Map answers that mean the same for every service: 401/403 and 429."""
        if self.status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            raise CredentialsRejectedError(f"credentials refused (HTTP {self.status})",
                                           connector=self.connector, code=str(self.status))
        if self.status == HTTPStatus.TOO_MANY_REQUESTS:
            raise ThrottledError("throttled (HTTP 429)", connector=self.connector,
                                 code=self.error_code(),
                                 retry_after=parse_retry_after(self.headers.get("Retry-After")))
        if 300 <= self.status < 400:
            raise UnavailableError(f"unexpected redirect (HTTP {self.status})",
                                   connector=self.connector, code=str(self.status))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in delta-seconds form (RFC 9110 §10.2.3)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


class JsonHttpClient:
    """Sends JSON requests to one service; one ``requests.Session`` per thread."""

    def __init__(self, *, connector: str, timeout: float, retries: int = 2,
                 backoff: float = 0.5, headers: Mapping[str, str] | None = None,
                 verify: bool | str = True, sleep: Callable[[float], None] = time.sleep):
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retries < 0:
            raise ValueError("retries must not be negative")
        self.connector = connector
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.headers = dict(headers or {})
        self.verify = verify
        self.sleep = sleep
        self._local = threading.local()

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = False
            self._local.session = session
        return session

    def request(self, method: str, url: str, *, json: object = None,
                headers: Mapping[str, str] | None = None) -> JsonResponse:
        """Send one request, retrying transport failures and 5xx answers."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                answer = self._session().request(
                    method, url, json=json, headers={**self.headers, **(headers or {})},
                    timeout=(self.timeout, self.timeout), allow_redirects=False,
                    verify=self.verify)
            except requests.Timeout:
                failure = UnavailableError("timed out", connector=self.connector, code="timeout")
            except requests.ConnectionError:
                failure = UnavailableError("connection failed", connector=self.connector,
                                           code="connection")
            except requests.RequestException as exc:
                raise UnavailableError(f"request failed ({type(exc).__name__})",
                                       connector=self.connector, code="request") from None
            else:
                response = self._decode(answer)
                if response.status < 500:
                    return response
                failure = UnavailableError(f"server error (HTTP {response.status})",
                                           connector=self.connector, code=str(response.status))
            log.warning("%s: %s %s attempt %d/%d failed: %s", self.connector, method, url,
                        attempt + 1, attempts, failure)
        raise failure

    def _decode(self, answer: requests.Response) -> JsonResponse:
        body = None
        if answer.content and "json" in answer.headers.get("Content-Type", ""):
            try:
                body = answer.json()
            except ValueError:
                body = None
        return JsonResponse(answer.status_code, body, answer.headers, self.connector)

    def close(self) -> None:
        """Close this thread's session (other threads' sessions close when collected)."""
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None
