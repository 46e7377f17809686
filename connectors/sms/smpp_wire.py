"""SMPP v3.4 PDU framing and the few bodies the simulator reads and writes.

Independent of the client library on purpose: the simulator checks what the
client really puts on the wire. Section numbers refer to SMPP v3.4 Issue 1.2.
"""

import struct
from dataclasses import dataclass
from dataclasses import field

from connectors.sms.encoding import GSM7_BASIC
from connectors.sms.encoding import GSM7_ESCAPE
from connectors.sms.encoding import GSM7_EXTENSION
from connectors.sms.smpp_codes import DataCoding
from connectors.sms.smpp_codes import Tag

HEADER = struct.Struct(">IIII")
MAX_PDU_LENGTH = 70_000
_GSM7_EXTENSION_DECODE = {value: char for char, value in GSM7_EXTENSION.items()}


class MalformedPduError(ValueError):
    """A PDU body does not follow §4."""


@dataclass(frozen=True)
class Pdu:
    command_id: int
    status: int
    sequence: int
    body: bytes = b""

    def encode(self) -> bytes:
        return HEADER.pack(HEADER.size + len(self.body), self.command_id, self.status,
                           self.sequence) + self.body


class BodyReader:
    """Reads mandatory parameters in order, then the TLVs (§3.1, §5.3)."""

    def __init__(self, body: bytes):
        self.body = body
        self.pos = 0

    def cstring(self, maximum: int) -> str:
        end = self.body.find(b"\0", self.pos, self.pos + maximum)
        if end < 0:
            raise MalformedPduError("C-Octet string too long or unterminated")
        value = self.body[self.pos:end]
        self.pos = end + 1
        return value.decode("latin-1")

    def byte(self) -> int:
        if self.pos >= len(self.body):
            raise MalformedPduError("body too short")
        self.pos += 1
        return self.body[self.pos - 1]

    def octets(self, length: int) -> bytes:
        if self.pos + length > len(self.body):
            raise MalformedPduError("body too short")
        self.pos += length
        return self.body[self.pos - length:self.pos]

    def tlvs(self) -> dict[int, bytes]:
        found = {}
        while self.pos < len(self.body):
            if self.pos + 4 > len(self.body):
                raise MalformedPduError("truncated TLV")
            tag, length = struct.unpack_from(">HH", self.body, self.pos)
            self.pos += 4
            found[tag] = self.octets(length)
        return found


def cstring(value: str) -> bytes:
    return value.encode("latin-1") + b"\0"


def tlv(tag: int, value: bytes) -> bytes:
    return struct.pack(">HH", tag, len(value)) + value


@dataclass(frozen=True)
class Bind:
    system_id: str
    password: str
    system_type: str
    interface_version: int


def parse_bind(body: bytes) -> Bind:
    """bind_transmitter / bind_receiver / bind_transceiver bodies (§4.1)."""
    reader = BodyReader(body)
    system_id = reader.cstring(16)
    password = reader.cstring(9)
    system_type = reader.cstring(13)
    version = reader.byte()
    reader.byte()
    reader.byte()
    reader.cstring(41)
    return Bind(system_id, password, system_type, version)


@dataclass(frozen=True)
class SubmitSm:
    source_addr: str
    dest_addr_ton: int
    destination_addr: str
    esm_class: int
    registered_delivery: int
    data_coding: int
    short_message: bytes
    tlvs: dict[int, bytes] = field(default_factory=dict)


def parse_submit_sm(body: bytes) -> SubmitSm:
    """submit_sm body (§4.4.1)."""
    reader = BodyReader(body)
    reader.cstring(6)                      # service_type
    reader.byte()                          # source_addr_ton
    reader.byte()                          # source_addr_npi
    source = reader.cstring(21)
    dest_ton = reader.byte()
    reader.byte()                          # dest_addr_npi
    destination = reader.cstring(21)
    esm_class = reader.byte()
    reader.byte()                          # protocol_id
    reader.byte()                          # priority_flag
    reader.cstring(17)                     # schedule_delivery_time
    reader.cstring(17)                     # validity_period
    registered_delivery = reader.byte()
    reader.byte()                          # replace_if_present_flag
    data_coding = reader.byte()
    reader.byte()                          # sm_default_msg_id
    short_message = reader.octets(reader.byte())
    return SubmitSm(source, dest_ton, destination, esm_class, registered_delivery, data_coding,
                    short_message, reader.tlvs())


def deliver_sm_body(*, source: str, destination: str, esm_class: int, text: bytes,
                    tlvs: bytes = b"") -> bytes:
    """deliver_sm body (§4.6.1) from the SMS centre to the ESME."""
    return (cstring("") + bytes((1, 1)) + cstring(source) + bytes((5, 0)) + cstring(destination)
            + bytes((esm_class, 0, 0)) + cstring("") + cstring("") + bytes((0, 0, 0, 0))
            + bytes((len(text),)) + text + tlvs)


def decode_text(data_coding: int, octets: bytes) -> str:
    """Decode user data per data_coding (§5.2.19); unknown codings are shown as hex."""
    if data_coding == DataCoding.UCS2:
        return octets.decode("utf-16-be", "replace")
    if data_coding == DataCoding.SMSC_DEFAULT:
        return _gsm7_decode(octets)
    if data_coding == DataCoding.IA5:
        return octets.decode("ascii", "replace")
    if data_coding == DataCoding.LATIN1:
        return octets.decode("latin-1")
    return f"[data_coding {data_coding}] {octets.hex()}"


def _gsm7_decode(octets: bytes) -> str:
    chars = []
    escaped = False
    for octet in octets:
        if escaped:
            chars.append(_GSM7_EXTENSION_DECODE.get(octet, " "))
            escaped = False
        elif octet == GSM7_ESCAPE:
            escaped = True
        elif octet < len(GSM7_BASIC):
            chars.append(GSM7_BASIC[octet])
        else:
            chars.append("?")
    return "".join(chars)


def user_data(submit: SubmitSm) -> tuple[bytes, tuple[int, int, int] | None]:
    """The message octets and, for a segment, (reference, total, number).

    Reads the concatenation information from a user data header (esm_class UDHI,
    IEI 0x00 or 0x08) or from the ``sar_*`` TLVs; a ``message_payload`` TLV
    replaces ``short_message``.
    """
    octets = submit.short_message
    if Tag.MESSAGE_PAYLOAD in submit.tlvs:
        if octets:
            raise MalformedPduError("both short_message and message_payload")
        return submit.tlvs[Tag.MESSAGE_PAYLOAD], None
    if submit.esm_class & 0x40:
        if not octets or octets[0] + 1 > len(octets):
            raise MalformedPduError("bad user data header")
        header, octets = octets[1:octets[0] + 1], octets[octets[0] + 1:]
        position = 0
        while position + 2 <= len(header):
            iei, length = header[position], header[position + 1]
            value = header[position + 2:position + 2 + length]
            if iei == 0x00 and length == 3:
                return octets, (value[0], value[1], value[2])
            if iei == 0x08 and length == 4:
                return octets, (value[0] << 8 | value[1], value[2], value[3])
            position += 2 + length
        return octets, None
    sar = [submit.tlvs.get(tag) for tag in
           (Tag.SAR_MSG_REF_NUM, Tag.SAR_TOTAL_SEGMENTS, Tag.SAR_SEGMENT_SEQNUM)]
    if all(value is not None for value in sar):
        reference, total, number = (int.from_bytes(value, "big") for value in sar)
        return octets, (reference, total, number)
    return octets, None
