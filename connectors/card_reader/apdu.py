"""Smart card commands and answers (ISO/IEC 7816-4): command APDUs short and extended
(§5.1), status words (§5.1.3) and BER-TLV data objects (§5.2.2), as the emulator needs them."""

import enum

SHORT_MAX = 256


class Status(enum.IntEnum):
    """Status words (ISO/IEC 7816-4 §5.1.3) this card answers with."""

    OK = 0x9000
    WRONG_LENGTH = 0x6700
    SECURITY_NOT_SATISFIED = 0x6982
    PIN_BLOCKED = 0x6983
    CONDITIONS_NOT_SATISFIED = 0x6985
    WRONG_DATA = 0x6A80
    NOT_FOUND = 0x6A82
    WRONG_P1P2 = 0x6A86
    INS_NOT_SUPPORTED = 0x6D00
    CLA_NOT_SUPPORTED = 0x6E00


def tlv(tag, value):
    """A BER-TLV with definite length (ISO/IEC 7816-4 §5.2.2)."""
    size = len(value)
    if size < 0x80:
        length = bytes([size])
    elif size < 0x100:
        length = bytes([0x81, size])
    else:
        length = bytes([0x82]) + size.to_bytes(2, "big")
    return tag + length + value


def read_tlvs(data):
    """Top-level BER-TLVs of data as {tag: value}; single- and two-byte tags."""
    items, i = {}, 0
    while i < len(data):
        tag = data[i:i + 1]
        i += 1
        if tag[0] & 0x1F == 0x1F:
            tag += data[i:i + 1]
            i += 1
        if i >= len(data):
            raise ValueError("truncated TLV")
        size = data[i]
        i += 1
        if size & 0x80:
            count = size & 0x7F
            size = int.from_bytes(data[i:i + count], "big")
            i += count
        if i + size > len(data):
            raise ValueError("truncated TLV")
        items[tag] = data[i:i + size]
        i += size
    return items


class Apdu:
    """A command APDU (ISO/IEC 7816-4 §5.1), short or extended."""

    def __init__(self, raw):
        if len(raw) < 4:
            raise ValueError("APDU shorter than its header")
        self.cla, self.ins, self.p1, self.p2 = raw[:4]
        body = raw[4:]
        self.data, self.le, self.extended = b"", None, False
        if len(body) == 1:
            self.le = body[0] or SHORT_MAX
        elif len(body) == 3 and body[0] == 0:
            self.extended, self.le = True, int.from_bytes(body[1:], "big") or 65536
        elif body and body[0] == 0 and len(body) > 3:
            self.extended = True
            size = int.from_bytes(body[1:3], "big")
            self.data = body[3:3 + size]
            rest = body[3 + size:]
            if len(self.data) != size or len(rest) not in (0, 2):
                raise ValueError("bad extended APDU length")
            if rest:
                self.le = int.from_bytes(rest, "big") or 65536
        elif body:
            size = body[0]
            self.data = body[1:1 + size]
            rest = body[1 + size:]
            if len(self.data) != size or len(rest) > 1:
                raise ValueError("bad APDU length")
            if rest:
                self.le = rest[0] or SHORT_MAX

    @property
    def chained(self):
        return bool(self.cla & 0x10)


def response(data=b"", status=Status.OK):
    return bytes(data) + int(status).to_bytes(2, "big")
