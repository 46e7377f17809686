"""Short message text encoding and segmentation (3GPP TS 23.038, TS 23.040 §9.2.3.24.1).

Text that fits the GSM 7-bit default alphabet is sent with data_coding 0, one
septet per octet (as SMPP carries it); anything else, Arabic included, as UCS-2
big endian with data_coding 8. A message too long for one SMS is split into
segments small enough to leave room for a concatenation header (6 octets), never
in the middle of a GSM escape sequence or a UTF-16 surrogate pair.
"""

from dataclasses import dataclass

from connectors.sms.smpp_codes import DataCoding

# GSM 03.38 default alphabet; index = septet value. 0x1B is the escape to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = {
    "\f": 0x0A, "^": 0x14, "{": 0x28, "}": 0x29, "\\": 0x2F, "[": 0x3C, "~": 0x3D, "]": 0x3E,
    "|": 0x40, "€": 0x65,
}
GSM7_ESCAPE = 0x1B

SINGLE_OCTETS = 140                 # user data of one SMS
SINGLE_GSM7_SEPTETS = 160
CONCAT_HEADER_OCTETS = 6            # UDH: length, IEI 0x00, IE length 3, ref, total, seq
SEGMENT_GSM7_SEPTETS = 153          # (140 - 6) * 8 / 7, rounded down
SEGMENT_UCS2_OCTETS = SINGLE_OCTETS - CONCAT_HEADER_OCTETS
MAX_SEGMENTS = 255

_GSM7_INDEX = {char: index for index, char in enumerate(GSM7_BASIC) if index != GSM7_ESCAPE}


@dataclass(frozen=True)
class EncodedText:
    """A message encoded for SMPP: the whole payload and its segments (one if it fits)."""

    data_coding: DataCoding
    payload: bytes
    segments: tuple[bytes, ...]


def gsm7_encode(text: str) -> bytes | None:
    """GSM 7-bit default alphabet, unpacked (one septet per octet); ``None`` if impossible."""
    out = bytearray()
    for char in text:
        if char in _GSM7_INDEX:
            out.append(_GSM7_INDEX[char])
        elif char in GSM7_EXTENSION:
            out += bytes((GSM7_ESCAPE, GSM7_EXTENSION[char]))
        else:
            return None
    return bytes(out)


def encode_text(text: str, *, allow_gsm7: bool = True) -> EncodedText:
    """Encode ``text`` and split it into segments; ``ValueError`` if it needs > 255."""
    if not text:
        raise ValueError("empty message")
    gsm7 = gsm7_encode(text) if allow_gsm7 else None
    if gsm7 is not None:
        if len(gsm7) <= SINGLE_GSM7_SEPTETS:
            segments = (gsm7,)
        else:
            segments = _split(gsm7, SEGMENT_GSM7_SEPTETS, _gsm7_cut)
        return EncodedText(DataCoding.SMSC_DEFAULT, gsm7, segments)
    ucs2 = text.encode("utf-16-be")
    if len(ucs2) <= SINGLE_OCTETS:
        segments = (ucs2,)
    else:
        segments = _split(ucs2, SEGMENT_UCS2_OCTETS, _ucs2_cut)
    return EncodedText(DataCoding.UCS2, ucs2, segments)


def _gsm7_cut(data: bytes, end: int) -> int:
    # Do not separate an escape octet from the character it introduces.
    return end - 1 if data[end - 1] == GSM7_ESCAPE else end


def _ucs2_cut(data: bytes, end: int) -> int:
    # Do not separate a high surrogate from its low surrogate.
    return end - 2 if 0xD8 <= data[end - 2] <= 0xDB else end


def _split(data: bytes, size: int, cut) -> tuple[bytes, ...]:
    segments = []
    start = 0
    while start < len(data):
        end = min(start + size, len(data))
        if end < len(data):
            end = cut(data, end)
        segments.append(data[start:end])
        start = end
    if len(segments) > MAX_SEGMENTS:
        raise ValueError("message too long")
    return tuple(segments)


def concatenation_header(reference: int, total: int, sequence: int) -> bytes:
    """The 8-bit-reference concatenated SMS user data header (TS 23.040 §9.2.3.24.1)."""
    return bytes((0x05, 0x00, 0x03, reference & 0xFF, total, sequence))
