"""MSSP client: ETSI TS 102 204 MSS_Signature and MSS_StatusQuery, asynchronous client-server
mode, over the JSON/REST binding described in ``wire.py``.

One :class:`MsspClient` per operator. :meth:`MsspClient.start` sends the signature
request and returns a :class:`PendingSignature` (plain data: it may be stored between
HTTP requests with :meth:`PendingSignature.to_dict`); :meth:`MsspClient.poll` asks once
and returns :class:`PollResult` (``outstanding`` or ``signed`` with a
:class:`MobileSignature`); :meth:`MsspClient.wait` polls every ``poll_interval``.
Every failure is a :class:`~connectors.mssp.errors.MobileIdError`, never a transport
error. A signature request is never retried (it would ask the phone twice); a failed
status query leaves the transaction pending, so polling again is allowed.

The connector only reads the answer: the caller must still check that the signature
verifies over ``data`` with the leaf certificate and validate that certificate (path,
policy, revocation, national ID) with the PKI core.
"""

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from datetime import timedelta

import requests
from cryptography import x509

from connectors.errors import ConfigurationError
from connectors.errors import InvalidDataError
from connectors.msisdn import normalise_msisdn
from connectors.mssp import wire
from connectors.mssp.codes import Outcome
from connectors.mssp.codes import StatusCode
from connectors.mssp.errors import CONNECTOR
from connectors.mssp.errors import MalformedAnswerError
from connectors.mssp.errors import MsspUnavailableError
from connectors.mssp.errors import TransactionExpiredError
from connectors.mssp.errors import UnknownClientError
from connectors.mssp.errors import status_error

log = logging.getLogger(__name__)

MAX_ANSWER = 256 * 1024
DEADLINE_GRACE = timedelta(seconds=10)  # after TimeOut, before we stop believing "504"


@dataclass(frozen=True)
class MsspSettings:
    """One operator's MSSP, as Bawaba (the application provider, AP) is registered there."""

    operator: str
    base_url: str
    ap_id: str
    ap_password: str = field(repr=False)
    signature_profile: str
    mssp_id: str = ""
    client_cert: str | None = None  # PEM file; with client_key, mutual TLS
    client_key: str | None = None
    ca_file: str | None = None  # CA bundle for the MSSP's server certificate
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    poll_interval: float = 2.0
    transaction_timeout: int = 120  # TimeOut sent to the MSSP, in seconds
    msisdn_prefixes: tuple[str, ...] = ()

    def __post_init__(self):
        def bad(message):
            return ConfigurationError(f"MSSP {self.operator}: {message}", connector=CONNECTOR)

        if not self.base_url.startswith(("https://", "http://")):
            raise bad("URL must be http(s)")
        if not self.ap_id or not self.ap_password or not self.signature_profile:
            raise bad("AP_ID, AP password and signature profile are required")
        if self.client_key and not self.client_cert:
            raise bad("a client key needs a client certificate")
        if min(self.connect_timeout, self.read_timeout, self.poll_interval) <= 0:
            raise bad("timeouts and the polling interval must be positive")
        if not 1 <= self.transaction_timeout <= 600:
            raise bad("transaction timeout must be 1-600 seconds")

    @property
    def service_url(self) -> str:
        return self.base_url.rstrip("/") + wire.SERVICE_PATH


@dataclass(frozen=True)
class PendingSignature:
    """A signature request the MSSP accepted; what polling needs."""

    operator: str
    msisdn: str
    data: bytes
    ap_trans_id: str
    mssp_trans_id: str
    started_at: datetime
    deadline: datetime

    @property
    def verification_code(self) -> str:
        return wire.verification_code(self.data)

    def to_dict(self) -> dict:
        return {"operator": self.operator, "msisdn": self.msisdn,
                "data": wire.b64encode(self.data), "ap_trans_id": self.ap_trans_id,
                "mssp_trans_id": self.mssp_trans_id,
                "started_at": self.started_at.isoformat(), "deadline": self.deadline.isoformat()}

    @classmethod
    def from_dict(cls, value: dict) -> "PendingSignature":
        return cls(value["operator"], value["msisdn"], wire.b64decode(value["data"], 4096),
                   value["ap_trans_id"], value["mssp_trans_id"],
                   datetime.fromisoformat(value["started_at"]),
                   datetime.fromisoformat(value["deadline"]))


@dataclass(frozen=True)
class MobileSignature:
    """The SIM's signature over ``data`` (see ``wire.py`` for its format) and the chain the
    MSSP sent, leaf first. Not validated: see the module documentation."""

    operator: str
    msisdn: str
    data: bytes
    signature: bytes
    chain: tuple[x509.Certificate, ...]
    status: StatusCode
    mssp_trans_id: str
    signature_format: str = wire.PKCS1_FORMAT

    @property
    def certificate(self) -> x509.Certificate:
        return self.chain[0]


@dataclass(frozen=True)
class PollResult:
    outcome: Outcome  # OUTSTANDING or SIGNED
    signature: MobileSignature | None = None


class MsspClient:
    """Talks to one operator's MSSP; thread-safe (one HTTP session per thread)."""

    def __init__(self, settings: MsspSettings, *,
                 sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        self._local = threading.local()

    def start(self, msisdn: str, data: bytes, display_text: str, *,
              now: datetime) -> PendingSignature:
        """Ask the MSSP to have ``data`` signed on the phone of ``msisdn``, which shows
        ``display_text`` (it should carry the verification code)."""
        msisdn = normalise_msisdn(msisdn, connector=CONNECTOR)
        _check_request(data, display_text)
        s = self.settings
        ap_trans_id = new_trans_id()
        body = self._post(wire.signature_request(
            ap_id=s.ap_id, ap_password=s.ap_password, ap_trans_id=ap_trans_id, now=now,
            mssp_id=s.mssp_id, msisdn=msisdn, data=data, display_text=display_text,
            signature_profile=s.signature_profile, timeout=s.transaction_timeout))
        mssp_trans_id = wire.read_signature_response(body, ap_trans_id=ap_trans_id,
                                                     msisdn=msisdn)
        deadline = now + timedelta(seconds=s.transaction_timeout) + DEADLINE_GRACE
        return PendingSignature(s.operator, msisdn, data, ap_trans_id, mssp_trans_id, now,
                                deadline)

    def poll(self, pending: PendingSignature, *, now: datetime) -> PollResult:
        """One MSS_StatusReq. Past the deadline an outstanding transaction is expired."""
        s = self.settings
        ap_trans_id = new_trans_id()
        body = self._post(wire.status_request(
            ap_id=s.ap_id, ap_password=s.ap_password, ap_trans_id=ap_trans_id, now=now,
            mssp_id=s.mssp_id, mssp_trans_id=pending.mssp_trans_id))
        answer = wire.read_status_response(body, ap_trans_id=ap_trans_id,
                                           msisdn=pending.msisdn,
                                           mssp_trans_id=pending.mssp_trans_id)
        if answer.status is StatusCode.OUTSTANDING_TRANSACTION:
            if now >= pending.deadline:
                raise TransactionExpiredError("no answer before the deadline", code="deadline")
            return PollResult(Outcome.OUTSTANDING)
        if answer.signature is None:
            raise status_error(answer.status)
        return PollResult(Outcome.SIGNED, MobileSignature(
            pending.operator, pending.msisdn, pending.data, answer.signature, answer.chain,
            answer.status, pending.mssp_trans_id))

    def wait(self, pending: PendingSignature, *,
             clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> MobileSignature:
        """Poll every ``poll_interval`` until the phone answers or the deadline passes."""
        while True:
            result = self.poll(pending, now=clock())
            if result.signature is not None:
                return result.signature
            self.sleep(self.settings.poll_interval)

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
            self._local.session = None

    # HTTP

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            s = self.settings
            session = requests.Session()
            session.trust_env = False
            session.verify = s.ca_file or True
            if s.client_cert:
                session.cert = (s.client_cert, s.client_key) if s.client_key else s.client_cert
            self._local.session = session
        return session

    def _post(self, message: dict) -> dict:
        s = self.settings
        kind = next(iter(message))
        try:
            response = self._session().post(
                s.service_url, json=message, timeout=(s.connect_timeout, s.read_timeout),
                allow_redirects=False, stream=True, headers={"Accept": "application/json"})
            try:
                raw = _read_limited(response)
            finally:
                response.close()
        except requests.exceptions.SSLError:
            raise self._unavailable(kind, "TLS handshake failed", "tls") from None
        except requests.Timeout:
            raise self._unavailable(kind, "timed out", "timeout") from None
        except requests.ConnectionError:
            raise self._unavailable(kind, "connection failed", "connection") from None
        except (requests.RequestException, OSError) as exc:
            raise self._unavailable(kind, f"request failed ({type(exc).__name__})",
                                    "request") from None
        return self._decode(kind, response, raw)

    def _unavailable(self, kind, text, code):
        log.warning("mssp %s: %s: %s", self.settings.operator, kind, text)
        return MsspUnavailableError(f"{kind}: {text}", code=code)

    def _decode(self, kind: str, response: requests.Response, raw: bytes) -> dict:
        status = response.status_code
        if len(raw) > MAX_ANSWER:
            raise MalformedAnswerError(f"{kind}: answer too large", code="malformed")
        body = None
        if "json" in response.headers.get("Content-Type", "") and raw:
            try:
                body = json.loads(raw)
            except (ValueError, RecursionError):
                body = None
        if isinstance(body, dict) and "Fault" in body:
            wire.raise_for_fault(body)
        if status >= 500:
            raise self._unavailable(kind, f"HTTP {status}", str(status))
        if status in (401, 403):
            raise UnknownClientError(f"{kind}: credentials refused (HTTP {status})",
                                     code=str(status))
        if status != 200:
            raise MalformedAnswerError(f"{kind}: unexpected HTTP {status}", code=str(status))
        if not isinstance(body, dict):
            raise MalformedAnswerError(f"{kind}: answer is not a JSON object",
                                       code="malformed")
        return body


def _read_limited(response: requests.Response) -> bytes:
    """At most MAX_ANSWER + 1 bytes of the body (requests maps urllib3 errors here)."""
    raw = bytearray()
    for chunk in response.iter_content(chunk_size=16 * 1024):
        raw += chunk
        if len(raw) > MAX_ANSWER:
            break
    return bytes(raw)


def new_trans_id() -> str:
    return "A" + secrets.token_hex(16)


def _check_request(data: bytes, display_text: str) -> None:
    if not isinstance(data, bytes) or not 1 <= len(data) <= wire.MAX_DATA:
        raise InvalidDataError(f"data to be signed must be 1-{wire.MAX_DATA} bytes",
                               connector=CONNECTOR, field="data")
    if not isinstance(display_text, str) or not 1 <= len(display_text) <= wire.MAX_DISPLAY \
            or any(ord(c) < 32 and c != "\n" for c in display_text):
        raise InvalidDataError(f"display text must be 1-{wire.MAX_DISPLAY} printable "
                               "characters", connector=CONNECTOR, field="display_text")
