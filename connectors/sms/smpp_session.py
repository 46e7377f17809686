"""One bound SMPP v3.4 transceiver session (§2.2, §4.1.5) with its reader thread.

The session connects, sends ``bind_transceiver`` and starts a reader thread that
matches responses to requests by sequence number, answers ``enquire_link`` and
``deliver_sm`` (handing delivery receipts to a callback), sends ``enquire_link``
when the link has been idle for ``enquire_link_interval`` seconds, and marks the
session dead when the link breaks or the SMS centre unbinds. PDUs are encoded by
``smpplib``; this module owns sockets, threads and time limits.
"""

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field

from smpplib import client as smpp_client
from smpplib import exceptions as smpp_exceptions
from smpplib import smpp

from connectors.errors import CredentialsRejectedError
from connectors.errors import UnavailableError
from connectors.sms.gateway import CONNECTOR
from connectors.sms.smpp_codes import BIND_CREDENTIAL_STATUSES
from connectors.sms.smpp_codes import CommandStatus

log = logging.getLogger(__name__)

# smpplib logs whole PDUs in hex at DEBUG level (they contain one-time codes) and
# every socket error at WARNING; this module logs what matters itself.
WIRE_LOGGER = "connectors.sms.smpp.wire"
logging.getLogger(WIRE_LOGGER).setLevel(logging.ERROR)

# What smpplib raises when the link fails: its own errors, socket errors, and
# ValueError/AttributeError when a PDU is garbled or the socket vanishes mid-call.
SMPP_FAILURES = (OSError, smpp_exceptions.ConnectionError, smpp_exceptions.PDUError,
                 smpp_exceptions.UnknownCommandError, ValueError, AttributeError)


class SessionLostError(UnavailableError):
    """The link broke; ``before_write`` is true when the request never left this process."""

    def __init__(self, message: str, *, before_write: bool):
        super().__init__(message, connector=CONNECTOR, code="link")
        self.before_write = before_write


@dataclass
class _Pending:
    event: threading.Event = field(default_factory=threading.Event)
    pdu: object = None


@dataclass(frozen=True)
class SessionParameters:
    host: str
    port: int
    system_id: str
    password: str
    system_type: str
    timeout: float
    enquire_link_interval: float


class SmppSession:
    """A bound transceiver session; build with :meth:`open`, then :meth:`request`."""

    def __init__(self, params: SessionParameters, on_deliver_sm: Callable[[object], None]):
        self.params = params
        self._on_deliver_sm = on_deliver_sm
        self._client = smpp_client.Client(params.host, params.port, timeout=params.timeout,
                                          logger_name=WIRE_LOGGER,
                                          allow_unknown_opt_params=True)
        self._send_lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        self._dead = threading.Event()
        self._closing = False
        self._last_received = time.monotonic()
        self._enquiry_sent_at: float | None = None
        self._reader: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return not self._dead.is_set()

    def open(self) -> "SmppSession":
        """Connect and bind as a transceiver, or raise ``UnavailableError``."""
        params = self.params
        try:
            self._client.connect()
            response = self._client.bind_transceiver(
                system_id=params.system_id, password=params.password,
                system_type=params.system_type)
        except smpp_exceptions.PDUError as exc:
            self._drop()
            status = exc.args[1] if len(exc.args) > 1 else CommandStatus.ESME_RUNKNOWNERR
            name = CommandStatus.name_of(status)
            if status in BIND_CREDENTIAL_STATUSES:
                raise CredentialsRejectedError(f"bind refused ({name})", connector=CONNECTOR,
                                               code=name) from None
            raise UnavailableError(f"bind failed ({name})", connector=CONNECTOR,
                                   code=name) from None
        except SMPP_FAILURES as exc:
            self._drop()
            raise UnavailableError(f"cannot bind to {params.host}:{params.port} "
                                   f"({type(exc).__name__})", connector=CONNECTOR,
                                   code="connection") from None
        log.info("SMPP bound to %s:%s as %s (%s)", params.host, params.port,
                 params.system_id, response.system_id)
        self._last_received = time.monotonic()
        self._reader = threading.Thread(target=self._read_loop, daemon=True,
                                        name=f"smpp-reader-{params.host}:{params.port}")
        self._reader.start()
        return self

    def request(self, command: str, *, first: bool = True, **fields):
        """Send a request PDU and return its response PDU (any status).

        Raises :class:`SessionLostError` when the link breaks (``before_write``
        tells whether the request left this process) and ``UnavailableError``
        when no response comes within the timeout (the session is then dropped).
        """
        with self._send_lock:
            if not self.alive:
                raise SessionLostError("session lost", before_write=True)
            try:
                pdu = smpp.make_pdu(command, client=self._client, **fields)
                pending = _Pending()
                self._pending[pdu.sequence] = pending
                self._client.send_pdu(pdu)
            except SMPP_FAILURES:
                self._mark_dead()
                raise SessionLostError("link broke while sending", before_write=first) from None
        if not pending.event.wait(self.params.timeout):
            self._pending.pop(pdu.sequence, None)
            self._mark_dead()
            self._drop()
            raise UnavailableError(f"no {command}_resp within {self.params.timeout} s",
                                   connector=CONNECTOR, code="timeout")
        if pending.pdu is None:
            raise SessionLostError("link broke before the response", before_write=False)
        return pending.pdu

    def close(self, *, unbind: bool = True) -> None:
        """Unbind (best effort) and disconnect; safe to call more than once."""
        if self._closing:
            return
        self._closing = True
        if unbind and self.alive:
            try:
                self.request("unbind")
            except UnavailableError:
                pass
        self._mark_dead()
        self._drop()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(self.params.timeout)

    def _drop(self) -> None:
        raw = getattr(self._client, "_socket", None)
        if raw is not None:
            try:
                raw.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self._client.disconnect()
        except OSError:
            pass

    def _mark_dead(self) -> None:
        self._dead.set()
        for pending in list(self._pending.values()):
            pending.event.set()
        self._pending.clear()

    def _send_reply(self, command: str, sequence: int, **fields) -> None:
        with self._send_lock:
            pdu = smpp.make_pdu(command, client=self._client, **fields)
            pdu.sequence = sequence
            self._client.send_pdu(pdu)

    def _read_loop(self) -> None:
        try:
            while self.alive:
                try:
                    pdu = self._client.read_pdu()
                except TimeoutError:
                    self._keep_alive()
                    continue
                self._last_received = time.monotonic()
                self._enquiry_sent_at = None
                self._dispatch(pdu)
        except SMPP_FAILURES as exc:
            if not self._closing:
                log.warning("SMPP link to %s:%s lost (%s)", self.params.host, self.params.port,
                            type(exc).__name__)
        finally:
            self._mark_dead()

    def _keep_alive(self) -> None:
        now = time.monotonic()
        if self._enquiry_sent_at is not None:
            if now - self._enquiry_sent_at >= self.params.timeout:
                raise smpp_exceptions.ConnectionError("enquire_link unanswered")
        elif now - self._last_received >= self.params.enquire_link_interval:
            with self._send_lock:
                self._client.send_pdu(smpp.make_pdu("enquire_link", client=self._client))
            self._enquiry_sent_at = now

    def _dispatch(self, pdu) -> None:
        command = pdu.command
        if command == "deliver_sm":
            status = CommandStatus.ESME_ROK
            try:
                self._on_deliver_sm(pdu)
            except Exception:  # a broken callback must not break the link
                log.exception("SMPP deliver_sm handler failed")
            self._send_reply("deliver_sm_resp", pdu.sequence, status=status)
        elif command == "enquire_link":
            self._send_reply("enquire_link_resp", pdu.sequence)
        elif command == "unbind":
            self._send_reply("unbind_resp", pdu.sequence)
            log.warning("SMPP centre %s:%s unbound", self.params.host, self.params.port)
            self._mark_dead()
        else:
            pending = self._pending.pop(pdu.sequence, None)
            if pending is not None:
                pending.pdu = pdu
                pending.event.set()
            elif command != "enquire_link_resp":
                log.warning("SMPP %s with unexpected sequence %s", command, pdu.sequence)
