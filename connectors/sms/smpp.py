"""SMS over SMPP v3.4, as operators' SMS centres speak it.

``submit_sm`` (§4.4) on a ``bind_transceiver`` session, with
``registered_delivery`` asking for a delivery receipt on final state; receipts
arrive as ``deliver_sm`` with esm_class "SMSC delivery receipt" (§5.2.12,
Appendix B) and are reported through ``on_delivery``. Arabic text goes as UCS-2
(data_coding 8). Long messages go, as configured, as concatenated segments with a
user data header (``udh``, esm_class UDHI), as segments carrying the ``sar_*``
TLVs (``sar``), or whole in one ``message_payload`` TLV (``payload``).

The session is opened on first use and reopened when the link breaks. A message
is never resubmitted after any of its PDUs may have reached the SMS centre; if a
later segment of a long message is refused, the error is raised and the handset
may get an incomplete message.
Receipts are tracked in this process only (an SMS centre may route a receipt to
any bound session of the same system_id), so durable tracking belongs in the
``on_delivery`` callback.
"""

import enum
import itertools
import logging
import re
import threading
from dataclasses import dataclass

from connectors.errors import ConfigurationError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError
from connectors.msisdn import DEFAULT_REGION
from connectors.msisdn import normalise_msisdn
from connectors.sms.encoding import concatenation_header
from connectors.sms.encoding import encode_text
from connectors.sms.gateway import CONNECTOR
from connectors.sms.gateway import DeliveryCallback
from connectors.sms.gateway import DeliveryReport
from connectors.sms.gateway import SmsGateway
from connectors.sms.gateway import SmsReceipt
from connectors.sms.gateway import SmsStatus
from connectors.sms.smpp_codes import OUTAGE_STATUSES
from connectors.sms.smpp_codes import PASSWORD_MAX
from connectors.sms.smpp_codes import SYSTEM_ID_MAX
from connectors.sms.smpp_codes import SYSTEM_TYPE_MAX
from connectors.sms.smpp_codes import THROTTLING_STATUSES
from connectors.sms.smpp_codes import CommandStatus
from connectors.sms.smpp_codes import EsmClass
from connectors.sms.smpp_codes import Npi
from connectors.sms.smpp_codes import RegisteredDelivery
from connectors.sms.smpp_codes import Ton
from connectors.sms.smpp_receipts import ReceiptTracker
from connectors.sms.smpp_receipts import parse_receipt
from connectors.sms.smpp_receipts import pdu_text
from connectors.sms.smpp_session import SessionLostError
from connectors.sms.smpp_session import SessionParameters
from connectors.sms.smpp_session import SmppSession

log = logging.getLogger(__name__)


class LongMessageMode(enum.Enum):
    """How a message longer than one SMS is submitted."""

    UDH = "udh"
    SAR = "sar"
    PAYLOAD = "payload"


@dataclass(frozen=True)
class SmppSettings:
    """Connection and submission settings (see ``connectors.sms.factory`` for keys)."""

    host: str
    port: int
    system_id: str
    password: str
    system_type: str = ""
    sender: str = "Bawaba"
    timeout: float = 10.0
    enquire_link_interval: float = 30.0
    long_messages: LongMessageMode = LongMessageMode.UDH
    allow_gsm7: bool = True
    default_region: str | None = DEFAULT_REGION

    def __post_init__(self):
        for name, value, limit in (("system_id", self.system_id, SYSTEM_ID_MAX),
                                   ("password", self.password, PASSWORD_MAX),
                                   ("system_type", self.system_type, SYSTEM_TYPE_MAX)):
            if not value.isascii() or len(value) >= limit:
                raise ConfigurationError(f"SMPP {name} must be ASCII, at most {limit - 1} "
                                         "characters", connector=CONNECTOR)
        if not self.system_id:
            raise ConfigurationError("SMPP system_id is required", connector=CONNECTOR)
        if self.timeout <= 0 or self.enquire_link_interval <= 0:
            raise ConfigurationError("SMPP timeouts must be positive", connector=CONNECTOR)
        source_address(self.sender)


def source_address(sender: str) -> tuple[Ton, Npi, str]:
    """TON, NPI and address for a sender: digits (``+`` = international) or up to 11
    alphanumerics."""
    if re.fullmatch(r"\+\d{3,15}", sender):
        return Ton.INTERNATIONAL, Npi.ISDN, sender[1:]
    if re.fullmatch(r"\d{3,15}", sender):
        return Ton.UNKNOWN, Npi.ISDN, sender
    if re.fullmatch(r"[A-Za-z0-9 .\-]{1,11}", sender):
        return Ton.ALPHANUMERIC, Npi.UNKNOWN, sender
    raise ConfigurationError("SMS sender must be a number or 1-11 letters and digits",
                             connector=CONNECTOR)


def check_status(status: int, command: str) -> None:
    """Map a response's command_status to a connector error."""
    if status == CommandStatus.ESME_ROK:
        return
    name = CommandStatus.name_of(status)
    if status in THROTTLING_STATUSES:
        raise ThrottledError(f"{command} throttled ({name})", connector=CONNECTOR, code=name)
    if status in OUTAGE_STATUSES or status == CommandStatus.ESME_RINVBNDSTS:
        raise UnavailableError(f"{command} failed ({name})", connector=CONNECTOR, code=name)
    raise RejectedError(f"{command} refused ({name})", connector=CONNECTOR, code=name)


class SmppSmsGateway(SmsGateway):
    """:class:`SmsGateway` over one SMPP transceiver session (opened on first use)."""

    def __init__(self, settings: SmppSettings, *, on_delivery: DeliveryCallback | None = None):
        self.settings = settings
        self.on_delivery = on_delivery
        self._session: SmppSession | None = None
        self._session_lock = threading.Lock()
        self._references = itertools.count(1)
        self._receipts = ReceiptTracker()

    def send(self, to_msisdn: str, text: str, *, reference: str) -> SmsReceipt:
        destination = normalise_msisdn(to_msisdn, default_region=self.settings.default_region,
                                       field="to_msisdn", connector=CONNECTOR)
        try:
            encoded = encode_text(text, allow_gsm7=self.settings.allow_gsm7)
        except ValueError as exc:
            raise RejectedError(f"message not sendable ({exc})", connector=CONNECTOR,
                                code="length") from None
        for attempt in (1, 2):
            session = self._open_session()
            try:
                part_ids = self._submit(session, destination[1:], encoded)
            except SessionLostError as exc:
                if exc.before_write and attempt == 1:
                    self._discard(session)
                    continue
                raise
            break
        for report in self._receipts.track(part_ids):
            self._report(report)
        log.info("SMS %s submitted over SMPP as %s (%d part(s))", reference, part_ids[0],
                 len(part_ids))
        return SmsReceipt(part_ids[0], SmsStatus.ACCEPTED, tuple(part_ids))

    @property
    def connected(self) -> bool:
        """True while a bound session is up (health checks; sessions open on demand)."""
        session = self._session
        return session is not None and session.alive

    def _submit(self, session: SmppSession, destination: str, encoded) -> list[str]:
        ton, npi, source = source_address(self.settings.sender)
        common = dict(
            source_addr_ton=ton, source_addr_npi=npi, source_addr=source,
            dest_addr_ton=Ton.INTERNATIONAL, dest_addr_npi=Npi.ISDN,
            destination_addr=destination, data_coding=encoded.data_coding,
            registered_delivery=RegisteredDelivery.RECEIPT_ON_FINAL)
        mode = self.settings.long_messages
        if len(encoded.segments) == 1:
            parts = [dict(short_message=encoded.payload)]
        elif mode is LongMessageMode.PAYLOAD:
            parts = [dict(message_payload=encoded.payload)]
        elif mode is LongMessageMode.SAR:
            ref = next(self._references) & 0xFFFF
            parts = [dict(short_message=segment, sar_msg_ref_num=ref,
                          sar_total_segments=len(encoded.segments), sar_segment_seqnum=number)
                     for number, segment in enumerate(encoded.segments, 1)]
        else:
            ref = next(self._references) & 0xFF
            parts = [dict(short_message=concatenation_header(ref, len(encoded.segments), number)
                          + segment, esm_class=EsmClass.UDHI)
                     for number, segment in enumerate(encoded.segments, 1)]
        part_ids = []
        for number, part in enumerate(parts):
            response = session.request("submit_sm", first=number == 0, **common, **part)
            check_status(response.status, "submit_sm")
            message_id = pdu_text(response.message_id)
            if not message_id:
                raise UnavailableError("submit_sm_resp without message_id", connector=CONNECTOR,
                                       code="protocol")
            part_ids.append(message_id)
        return part_ids

    def _open_session(self) -> SmppSession:
        with self._session_lock:
            if self._session is None or not self._session.alive:
                if self._session is not None:
                    self._session.close(unbind=False)
                s = self.settings
                params = SessionParameters(s.host, s.port, s.system_id, s.password,
                                           s.system_type, s.timeout, s.enquire_link_interval)
                self._session = SmppSession(params, self._on_deliver_sm).open()
            return self._session

    def _discard(self, session: SmppSession) -> None:
        with self._session_lock:
            session.close(unbind=False)
            if self._session is session:
                self._session = None

    def _on_deliver_sm(self, pdu) -> None:
        report = parse_receipt(pdu)
        if report is None:
            log.info("SMPP deliver_sm that is not a delivery receipt ignored")
            return
        self._report(self._receipts.receive(report))

    def _report(self, report: DeliveryReport | None) -> None:
        if report is not None and self.on_delivery is not None:
            self.on_delivery(report)

    def delivery_status(self, message_id: str) -> SmsStatus:
        status = self._receipts.status(message_id)
        if status is None:
            raise NotFoundError("message not sent by this process", connector=CONNECTOR,
                                code="unknown_message")
        return status

    def close(self) -> None:
        with self._session_lock:
            if self._session is not None:
                self._session.close()
                self._session = None
