"""Number normalisation and SMS text encoding, checked against the specifications."""

import pytest

from connectors.errors import InvalidMsisdnError
from connectors.msisdn import normalise_msisdn
from connectors.sms.encoding import concatenation_header
from connectors.sms.encoding import encode_text
from connectors.sms.smpp_codes import DataCoding
from connectors.sms.smpp_wire import decode_text


@pytest.mark.parametrize(("raw", "expected"), [
    ("+96891234567", "+96891234567"),
    ("+968 9123 4567", "+96891234567"),
    ("0096891234567", "+96891234567"),
    ("91234567", "+96891234567"),                 # national, default region OM
    ("٩١٢٣٤٥٦٧", "+96891234567"),                 # Arabic-Indic digits
    ("+۹۶۸۹۱۲۳۴۵۶۷", "+96891234567"),             # Extended Arabic-Indic digits
    ("+971 50 123 4567", "+971501234567"),
])
def test_numbers_are_normalised_to_e164(raw, expected):
    assert normalise_msisdn(raw) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("", "missing telephone number"),
    (None, "missing telephone number"),
    ("+96812", "not a valid telephone number"),
    ("+96824123456", "not a mobile number"),      # Muscat landline
    ("+96891234567 ext. 5", "telephone number has an extension"),
    ("call me", "not a telephone number"),
    ("9" * 40, "telephone number too long"),
])
def test_bad_numbers_are_invalid(raw, reason):
    with pytest.raises(InvalidMsisdnError) as caught:
        normalise_msisdn(raw, field="mobile", connector="civil_registry")
    assert str(caught.value) == f"mobile: {reason}"
    assert (caught.value.field, caught.value.connector) == ("mobile", "civil_registry")


def test_international_form_required_without_default_region():
    with pytest.raises(InvalidMsisdnError):
        normalise_msisdn("91234567", default_region=None)


def test_gsm_default_alphabet_octets():
    # 3GPP TS 23.038 §6.2.1: '@' is 0x00, '$' 0x02, '€' is escape 0x1B then 0x65.
    encoded = encode_text("@$€ A")
    assert encoded.data_coding is DataCoding.SMSC_DEFAULT
    assert encoded.payload == b"\x00\x02\x1b\x65\x20\x41"


def test_arabic_is_ucs2_big_endian():
    encoded = encode_text("رمز")
    assert encoded.data_coding is DataCoding.UCS2
    assert encoded.payload == bytes.fromhex("0631 0645 0632".replace(" ", ""))


@pytest.mark.parametrize(("text", "sizes"), [
    ("a" * 160, [160]),
    ("a" * 161, [153, 8]),
    ("ب" * 70, [140]),
    ("ب" * 71, [134, 8]),
])
def test_segment_sizes(text, sizes):
    assert [len(segment) for segment in encode_text(text).segments] == sizes


def test_gsm_escape_is_not_split():
    text = "a" * 152 + "€" + "b" * 10
    segments = encode_text(text).segments
    assert [len(s) for s in segments] == [152, 12]
    assert "".join(decode_text(0, s) for s in segments) == text


def test_surrogate_pair_is_not_split():
    text = "ب" * 66 + "😀" + "ب" * 5
    segments = encode_text(text).segments
    assert [len(s) for s in segments] == [132, 14]
    assert "".join(s.decode("utf-16-be") for s in segments) == text


def test_too_long_message_is_refused():
    with pytest.raises(ValueError):
        encode_text("ب" * 67 * 256)


def test_concatenation_header():
    assert concatenation_header(0x1A5, 3, 2) == bytes((5, 0, 3, 0xA5, 3, 2))
