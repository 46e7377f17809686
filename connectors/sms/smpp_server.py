"""The SMS simulator's SMPP v3.4 server: a small SMS centre for development and tests.

It accepts ``bind_transceiver``, ``bind_transmitter`` and ``bind_receiver`` with
the configured system_id and password (§4.1), answers ``submit_sm`` with a message
id (§4.4), reassembles long messages (user data header, ``sar_*`` TLVs or
``message_payload``) into one outbox entry, sends delivery receipts as
``deliver_sm`` (Appendix B) when ``registered_delivery`` asks for them, and
answers ``enquire_link`` and ``unbind``. Scripted failures come from
:class:`connectors.simulation.Control`: ``down`` → ESME_RSYSERR (binds too),
``throttle`` → ESME_RTHROTTLED, ``reject`` → ESME_RSUBMITFAIL, ``slow`` → late
``submit_sm_resp``, ``undeliverable`` → accepted with an ``UNDELIV`` receipt.
"""

import hmac
import logging
import re
import secrets
import socket
import socketserver
import threading
from collections.abc import Callable
from datetime import UTC
from datetime import datetime

from connectors.simulation import Control
from connectors.simulation import FailureMode
from connectors.sms.outbox import Outbox
from connectors.sms.outbox import OutboxMessage
from connectors.sms.smpp_codes import CommandId
from connectors.sms.smpp_codes import CommandStatus
from connectors.sms.smpp_codes import DataCoding
from connectors.sms.smpp_codes import EsmClass
from connectors.sms.smpp_codes import MessageState
from connectors.sms.smpp_codes import ReceiptStat
from connectors.sms.smpp_codes import Tag
from connectors.sms.smpp_codes import Ton
from connectors.sms.smpp_wire import HEADER
from connectors.sms.smpp_wire import MAX_PDU_LENGTH
from connectors.sms.smpp_wire import MalformedPduError
from connectors.sms.smpp_wire import Pdu
from connectors.sms.smpp_wire import cstring
from connectors.sms.smpp_wire import decode_text
from connectors.sms.smpp_wire import deliver_sm_body
from connectors.sms.smpp_wire import parse_bind
from connectors.sms.smpp_wire import parse_submit_sm
from connectors.sms.smpp_wire import tlv
from connectors.sms.smpp_wire import user_data

log = logging.getLogger(__name__)

BINDS = {CommandId.BIND_TRANSMITTER: "tx", CommandId.BIND_RECEIVER: "rx",
         CommandId.BIND_TRANSCEIVER: "trx"}
FAILURE_STATUS = {FailureMode.DOWN: CommandStatus.ESME_RSYSERR,
                  FailureMode.THROTTLE: CommandStatus.ESME_RTHROTTLED,
                  FailureMode.REJECT: CommandStatus.ESME_RSUBMITFAIL}
SUPPORTED_CODINGS = frozenset(int(coding) for coding in DataCoding)
SMSC_NAME = "BawabaSim"


class _TcpServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmppServer:
    """An SMPP server on ``host:port`` (``port=0`` picks a free port)."""

    def __init__(self, *, outbox: Outbox, control: Control, system_id: str, password: str,
                 host: str = "127.0.0.1", port: int = 2775,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.outbox = outbox
        self.control = control
        self.system_id = system_id
        self.password = password
        self.clock = clock
        self._tcp = _TcpServer((host, port), _Handler)
        self._tcp.simulator = self
        self.host = host
        self.port = self._tcp.server_address[1]
        self._connections: set[_Handler] = set()
        self._partials: dict[tuple, dict[int, tuple[str, bytes]]] = {}
        self.enquire_links = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._tcp.serve_forever, daemon=True,
                                        name=f"smpp-{host}:{self.port}")

    def start(self) -> "SmppServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()
        self.drop_connections()
        self._thread.join()

    def drop_connections(self) -> None:
        """Close every ESME connection (as an SMS centre restart would)."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.drop()

    def count_enquire_link(self) -> None:
        with self._lock:
            self.enquire_links += 1

    @property
    def connection_count(self) -> int:
        with self._lock:
            return len(self._connections)

    def check_credentials(self, system_id: str, password: str) -> CommandStatus:
        if not hmac.compare_digest(system_id.encode(), self.system_id.encode()):
            return CommandStatus.ESME_RINVSYSID
        if not hmac.compare_digest(password.encode(), self.password.encode()):
            return CommandStatus.ESME_RINVPASWD
        return CommandStatus.ESME_ROK

    def register(self, connection: "_Handler", present: bool) -> None:
        with self._lock:
            (self._connections.add if present else self._connections.discard)(connection)

    def assemble(self, key: tuple, total: int, number: int, message_id: str,
                 octets: bytes) -> list[tuple[str, bytes]] | None:
        """Keep a segment; return all segments in order once the last one arrives."""
        with self._lock:
            parts = self._partials.setdefault(key, {})
            parts[number] = (message_id, octets)
            if len(parts) < total:
                return None
            del self._partials[key]
        return [parts[n] for n in sorted(parts)]


class _Handler(socketserver.BaseRequestHandler):
    """One ESME connection."""

    def setup(self):
        self.simulator: SmppServer = self.server.simulator
        self.bound: str | None = None
        self.sequence = 0
        self.write_lock = threading.Lock()
        self.simulator.register(self, True)

    def finish(self):
        self.simulator.register(self, False)

    def drop(self) -> None:
        try:
            self.request.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def handle(self):
        try:
            while True:
                pdu = self._read()
                if pdu is None or not self._dispatch(pdu):
                    break
        except OSError:
            pass

    def _read(self) -> Pdu | None:
        header = self._exactly(HEADER.size)
        if header is None:
            return None
        length, command_id, status, sequence = HEADER.unpack(header)
        if not HEADER.size <= length <= MAX_PDU_LENGTH:
            self._send(CommandId.GENERIC_NACK, CommandStatus.ESME_RINVCMDLEN, sequence)
            return None
        body = self._exactly(length - HEADER.size)
        return None if body is None else Pdu(command_id, status, sequence, body)

    def _exactly(self, size: int) -> bytes | None:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, command_id: int, status: int, sequence: int, body: bytes = b"") -> None:
        with self.write_lock:
            self.request.sendall(Pdu(command_id, status, sequence, body).encode())

    def _dispatch(self, pdu: Pdu) -> bool:
        """Answer one PDU; False ends the connection."""
        command = pdu.command_id
        if command in BINDS:
            self._bind(pdu)
        elif command == CommandId.SUBMIT_SM:
            self._submit(pdu)
        elif command == CommandId.ENQUIRE_LINK:
            self.simulator.count_enquire_link()
            self._send(CommandId.ENQUIRE_LINK_RESP, CommandStatus.ESME_ROK, pdu.sequence)
        elif command == CommandId.UNBIND:
            self._send(CommandId.UNBIND_RESP, CommandStatus.ESME_ROK, pdu.sequence)
            return False
        elif command not in (CommandId.DELIVER_SM_RESP, CommandId.ENQUIRE_LINK_RESP,
                             CommandId.GENERIC_NACK):
            self._send(CommandId.GENERIC_NACK, CommandStatus.ESME_RINVCMDID, pdu.sequence)
        return True

    def _bind(self, pdu: Pdu) -> None:
        response = pdu.command_id | 0x80000000
        if self.bound is not None:
            self._send(response, CommandStatus.ESME_RALYBND, pdu.sequence)
            return
        try:
            bind = parse_bind(pdu.body)
        except MalformedPduError:
            self._send(response, CommandStatus.ESME_RINVCMDLEN, pdu.sequence)
            return
        if self.simulator.control.snapshot()["mode"] == FailureMode.DOWN.value:
            status = CommandStatus.ESME_RSYSERR
        else:
            status = self.simulator.check_credentials(bind.system_id, bind.password)
        if status != CommandStatus.ESME_ROK:
            log.info("SMPP bind as %r refused: %s", bind.system_id, status.name)
            self._send(response, status, pdu.sequence)
            return
        self.bound = BINDS[CommandId(pdu.command_id)]
        self.system_id = bind.system_id
        log.info("SMPP %s bound as %r", self.bound, bind.system_id)
        self._send(response, CommandStatus.ESME_ROK, pdu.sequence,
                   cstring(SMSC_NAME) + tlv(Tag.SC_INTERFACE_VERSION, b"\x34"))

    def _submit(self, pdu: Pdu) -> None:
        reply = CommandId.SUBMIT_SM_RESP
        if self.bound not in ("tx", "trx"):
            self._send(reply, CommandStatus.ESME_RINVBNDSTS, pdu.sequence)
            return
        try:
            submit = parse_submit_sm(pdu.body)
            octets, segment = user_data(submit)
        except MalformedPduError:
            self._send(reply, CommandStatus.ESME_RINVMSGLEN, pdu.sequence)
            return
        action = self.simulator.control.take()
        if action.mode in FAILURE_STATUS:
            self._send(reply, FAILURE_STATUS[action.mode], pdu.sequence)
            return
        if action.mode is FailureMode.SLOW and not self.simulator.control.pause(action):
            self._send(reply, CommandStatus.ESME_RSYSERR, pdu.sequence)
            return
        status = self._check(submit, octets)
        if status != CommandStatus.ESME_ROK:
            self._send(reply, status, pdu.sequence)
            return
        message_id = secrets.token_hex(8)
        submitted_at = self.simulator.clock()
        undeliverable = action.mode is FailureMode.UNDELIVERABLE
        if segment is None:
            parts = [(message_id, octets)]
        else:
            reference, total, number = segment
            key = (self.system_id, submit.destination_addr, reference, total)
            parts = self.simulator.assemble(key, total, number, message_id, octets)
        if parts is not None:
            self.simulator.outbox.add(OutboxMessage(
                id=parts[0][0], to="+" + submit.destination_addr, sender=submit.source_addr,
                text=decode_text(submit.data_coding, b"".join(p[1] for p in parts)),
                transport="smpp", created_at=submitted_at, parts=len(parts),
                data_coding=submit.data_coding, part_ids=[p[0] for p in parts],
                status="undeliverable" if undeliverable else "delivered"))
        # Answer only once the outbox shows the message: tests read it right after.
        self._send(reply, CommandStatus.ESME_ROK, pdu.sequence, cstring(message_id))
        if submit.registered_delivery & 0x03:
            state = MessageState.UNDELIVERABLE if undeliverable else MessageState.DELIVERED
            self._receipt(message_id, submit, state, submitted_at)

    @staticmethod
    def _check(submit, octets: bytes) -> CommandStatus:
        if submit.dest_addr_ton != Ton.INTERNATIONAL or not re.fullmatch(
                r"[1-9]\d{6,14}", submit.destination_addr):
            return CommandStatus.ESME_RINVDSTADR
        if submit.data_coding not in SUPPORTED_CODINGS:
            return CommandStatus.ESME_RSUBMITFAIL
        if not octets or (submit.data_coding == DataCoding.UCS2 and len(octets) % 2):
            return CommandStatus.ESME_RINVMSGLEN
        return CommandStatus.ESME_ROK

    def _receipt(self, message_id: str, submit, state: MessageState,
                 submitted_at: datetime) -> None:
        if self.bound != "trx":
            return
        stamp = submitted_at.strftime("%y%m%d%H%M")
        done = self.simulator.clock().strftime("%y%m%d%H%M")
        error = "000" if state is MessageState.DELIVERED else "001"
        text = (f"id:{message_id} sub:001 dlvrd:{'001' if error == '000' else '000'} "
                f"submit date:{stamp} done date:{done} stat:{ReceiptStat.for_state(state).value} "
                f"err:{error} text:").encode("ascii")
        tlvs = (tlv(Tag.RECEIPTED_MESSAGE_ID, cstring(message_id))
                + tlv(Tag.MESSAGE_STATE, bytes((state,)))
                + tlv(Tag.NETWORK_ERROR_CODE, bytes((3,)) + int(error).to_bytes(2, "big")))
        body = deliver_sm_body(source=submit.destination_addr, destination=submit.source_addr,
                               esm_class=EsmClass.DELIVERY_RECEIPT, text=text, tlvs=tlvs)
        self.sequence += 1
        self._send(CommandId.DELIVER_SM, CommandStatus.ESME_ROK, self.sequence, body)
