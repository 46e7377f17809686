"""The wire format: ETSI TS 102 204 messages in the JSON/REST binding of Mobile ID services.

Every message is one JSON object ``POST``-ed to ``{base_url}/rest/service`` whose only
member names the message (``MSS_SignatureReq``, ``MSS_StatusReq``), answered by
``MSS_SignatureResp`` / ``MSS_StatusResp`` or by a ``Fault``; element names are the
XML schema's (TS 102 204 §7). Asynchronous client-server mode (§5.2):

1. ``MSS_SignatureReq`` (AP_Info, MSSP_Info, MobileUser, DataToBeSigned,
   DataToBeDisplayed, SignatureProfile, MSS_Format, MessagingMode, TimeOut) is answered
   at once with ``Status`` 100 REQUEST_OK and the ``MSSP_TransID``;
2. ``MSS_StatusReq`` (a new AP_TransID, the MSSP_TransID) is answered with 504
   OUTSTANDING_TRANSACTION until the phone has answered, then 500 SIGNATURE / 502
   VALID_SIGNATURE with ``MSS_Signature`` and the signer's chain, or a ``Fault``.

``Fault`` is the SOAP 1.2 fault in JSON: ``{"Fault": {"Code": {"Value": "env:Receiver",
"SubCode": {"Value": "mss:_401"}}, "Reason": "USER_CANCEL", "Detail": "..."}}``.

Signature format (``MSS_Format`` = :data:`PKCS1_FORMAT`): ``Base64Signature`` is the raw
signature by the SIM key over ``DataToBeSigned`` hashed with SHA-256: an ECDSA-Sig-Value
(DER, RFC 3279 §2.2.3) for EC keys, RSASSA-PKCS1-v1_5 for RSA keys. The signer's chain
(leaf first, no root) comes in ``ServiceResponses`` under :data:`CHAIN_SERVICE`, which
the request asks for in ``AdditionalServices``.
"""

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from cryptography import x509

from connectors.mssp.codes import FaultCode
from connectors.mssp.codes import StatusCode
from connectors.mssp.errors import MalformedAnswerError
from connectors.mssp.errors import fault_error

SERVICE_PATH = "/rest/service"
MAJOR_VERSION = "1"
MINOR_VERSION = "1"
ASYNC_CLIENT_SERVER = "asynchClientServer"
PKCS1_FORMAT = "http://mss.ficom.fi/TS102204/v1.0.0#PKCS1"
CHAIN_SERVICE = "urn:bawaba:mss:signing-certificate-chain"
DATA_MIME_TYPE = "application/octet-stream"
DATA_ENCODING = "BASE64"
DISPLAY_MIME_TYPE = "text/plain"
DISPLAY_ENCODING = "UTF-8"

MAX_DATA = 1024  # bytes of DataToBeSigned
MAX_DISPLAY = 160  # characters of DataToBeDisplayed
MAX_SIGNATURE = 1024
MAX_CHAIN = 4
MAX_CERTIFICATE = 16 * 1024
TRANS_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
FAULT_SUBCODE = re.compile(r"(?:[A-Za-z][A-Za-z0-9.-]*:)?_([0-9]{3})")
STATUS_VALUES = frozenset(code.value for code in StatusCode)
FAULT_VALUES = frozenset(code.value for code in FaultCode)


def verification_code(data: bytes) -> str:
    """The 4-digit code shown both beside the login form and on the phone: 6 bits from
    the start and 7 from the end of SHA-256(data), as Mobile-ID services do (0000-8191)."""
    digest = hashlib.sha256(data).digest()
    return f"{((digest[0] >> 2) << 7) | (digest[-1] & 0x7F):04d}"


def instant(now: datetime) -> str:
    """``xsd:dateTime`` in UTC with milliseconds."""
    return now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def b64decode(value: object, limit: int) -> bytes | None:
    """Strict base64 (RFC 4648 §4) of at most ``limit`` decoded bytes, else ``None``."""
    if not isinstance(value, str) or not value or len(value) > (limit + 2) // 3 * 4:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def dig(message: object, path: str, kind: type, error: Callable[[str], Exception]):
    """``message[a][b]...`` for ``path`` = ``"a/b"``, which must be a ``kind``."""
    value = message
    for name in path.split("/"):
        if not isinstance(value, dict) or name not in value:
            raise error(f"{path} missing")
        value = value[name]
    if kind is str and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # codes may come as numbers
    if not isinstance(value, kind) or isinstance(value, bool):
        raise error(f"{path} must be {kind.__name__}")
    return value


def ap_info(ap_id: str, ap_password: str | None, ap_trans_id: str, now: datetime) -> dict:
    info = {"AP_ID": ap_id, "AP_TransID": ap_trans_id, "Instant": instant(now)}
    if ap_password is not None:
        info["AP_PWD"] = ap_password
    return info


def header(ap_id, ap_password, ap_trans_id, now, mssp_id) -> dict:
    message = {"MajorVersion": MAJOR_VERSION, "MinorVersion": MINOR_VERSION,
               "AP_Info": ap_info(ap_id, ap_password, ap_trans_id, now)}
    message["MSSP_Info"] = {"MSSP_ID": {"URI": mssp_id}} if mssp_id else {}
    return message


def signature_request(*, ap_id: str, ap_password: str, ap_trans_id: str, now: datetime,
                      mssp_id: str, msisdn: str, data: bytes, display_text: str,
                      signature_profile: str, timeout: int) -> dict:
    return {"MSS_SignatureReq": {
        **header(ap_id, ap_password, ap_trans_id, now, mssp_id),
        "MobileUser": {"MSISDN": msisdn},
        "DataToBeSigned": {"MimeType": DATA_MIME_TYPE, "Encoding": DATA_ENCODING,
                           "Data": b64encode(data)},
        "DataToBeDisplayed": {"MimeType": DISPLAY_MIME_TYPE, "Encoding": DISPLAY_ENCODING,
                              "Data": display_text},
        "SignatureProfile": signature_profile,
        "MSS_Format": PKCS1_FORMAT,
        "MessagingMode": ASYNC_CLIENT_SERVER,
        "TimeOut": str(timeout),
        "AdditionalServices": [{"Description": CHAIN_SERVICE}],
    }}


def status_request(*, ap_id: str, ap_password: str, ap_trans_id: str, now: datetime,
                   mssp_id: str, mssp_trans_id: str) -> dict:
    return {"MSS_StatusReq": {**header(ap_id, ap_password, ap_trans_id, now, mssp_id),
                              "MSSP_TransID": mssp_trans_id}}


# Reading answers (the AP side)

def _malformed(detail: str) -> MalformedAnswerError:
    return MalformedAnswerError(f"malformed MSSP answer: {detail}", code="malformed")


def raise_for_fault(body: dict) -> None:
    """Raise the outcome's exception when ``body`` is a ``Fault``."""
    if "Fault" not in body:
        return
    subcode = dig(body, "Fault/Code/SubCode/Value", str, _malformed)
    match = FAULT_SUBCODE.fullmatch(subcode)
    if not match or int(match.group(1)) not in FAULT_VALUES:
        raise _malformed(f"unknown fault code {subcode[:16]!r}")
    code = FaultCode(int(match.group(1)))
    reason = body["Fault"].get("Reason")
    raise fault_error(code, reason[:40] if isinstance(reason, str) else "")


def _message(body: dict, name: str, ap_trans_id: str, msisdn: str) -> dict:
    raise_for_fault(body)
    message = dig(body, name, dict, _malformed)
    if dig(message, "AP_Info/AP_TransID", str, _malformed) != ap_trans_id:
        raise _malformed("AP_TransID does not match the request")
    if dig(message, "MobileUser/MSISDN", str, _malformed) != msisdn:
        raise _malformed("MSISDN does not match the request")
    return message


def _status(message: dict) -> StatusCode:
    value = dig(message, "Status/StatusCode/Value", str, _malformed)
    if value.isascii() and value.isdigit() and int(value) in STATUS_VALUES:
        return StatusCode(int(value))
    raise _malformed(f"unknown status code {value[:16]!r}")


def read_signature_response(body: dict, *, ap_trans_id: str, msisdn: str) -> str:
    """The MSSP_TransID of an accepted asynchronous request."""
    message = _message(body, "MSS_SignatureResp", ap_trans_id, msisdn)
    status = _status(message)
    if status is not StatusCode.REQUEST_OK:
        raise _malformed(f"status {status.value} in MSS_SignatureResp")
    mssp_trans_id = dig(message, "MSSP_TransID", str, _malformed)
    if not TRANS_ID.fullmatch(mssp_trans_id):
        raise _malformed("MSSP_TransID is not a transaction identifier")
    return mssp_trans_id


@dataclass(frozen=True)
class StatusAnswer:
    status: StatusCode
    signature: bytes | None = None
    chain: tuple[x509.Certificate, ...] = ()


def read_status_response(body: dict, *, ap_trans_id: str, msisdn: str,
                         mssp_trans_id: str) -> StatusAnswer:
    message = _message(body, "MSS_StatusResp", ap_trans_id, msisdn)
    if message.get("MSSP_TransID", mssp_trans_id) != mssp_trans_id:
        raise _malformed("MSSP_TransID does not match the request")
    status = _status(message)
    if status is StatusCode.REQUEST_OK:
        raise _malformed("status 100 in MSS_StatusResp")
    if status not in (StatusCode.SIGNATURE, StatusCode.VALID_SIGNATURE):
        return StatusAnswer(status)
    signature = b64decode(dig(message, "MSS_Signature/Base64Signature", str, _malformed),
                          MAX_SIGNATURE)
    if not signature:
        raise _malformed("Base64Signature is not base64")
    return StatusAnswer(status, signature, read_chain(message))


def read_chain(message: dict) -> tuple[x509.Certificate, ...]:
    services = message.get("ServiceResponses")
    entries = [s for s in services if isinstance(s, dict)
               and s.get("Description") == CHAIN_SERVICE] if isinstance(services, list) else []
    if len(entries) != 1:
        raise _malformed("no signing certificate chain")
    encoded = entries[0].get("X509Certificate")
    if not isinstance(encoded, list) or not 1 <= len(encoded) <= MAX_CHAIN:
        raise _malformed("X509Certificate must list 1-4 certificates")
    chain = []
    for item in encoded:
        der = b64decode(item, MAX_CERTIFICATE)
        if der is None:
            raise _malformed("certificate is not base64")
        try:
            chain.append(x509.load_der_x509_certificate(der))
        except ValueError:
            raise _malformed("certificate is not DER X.509") from None
    return tuple(chain)
