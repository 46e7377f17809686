"""The MSSP side of ``wire.py``: checks requests and answers them (the simulator's core).

Requests are checked the way an MSSP does (TS 102 204 §6.2.3): the AP's identifier and
password (104), the message and its members (101, 102), the data's MIME type and
encoding (107) and size (103), the signature profile (109). Faults go with HTTP 400 when
the request is at fault (``env:Sender``) and HTTP 500 otherwise (``env:Receiver``), as
in the SOAP 1.2 HTTP binding. Development only.
"""

import hmac
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from cryptography.hazmat.primitives.serialization import Encoding

from connectors.errors import InvalidMsisdnError
from connectors.msisdn import normalise_msisdn
from connectors.mssp import wire
from connectors.mssp.codes import FaultCode
from connectors.mssp.codes import StatusCode
from connectors.mssp.handset import HandsetFault
from connectors.mssp.handset import Handsets
from connectors.mssp.handset import State

DEFAULT_TIMEOUT = 120
MAX_TIMEOUT = 600


class Refused(Exception):
    def __init__(self, code: FaultCode, detail: str):
        super().__init__(detail)
        self.code = code


def _missing(detail: str) -> Refused:
    return Refused(FaultCode.MISSING_PARAM, detail)


def fault(code: FaultCode, detail: str) -> tuple[int, dict]:
    side = "env:Sender" if code.sender else "env:Receiver"
    return (400 if code.sender else 500), {"Fault": {
        "Code": {"Value": side, "SubCode": {"Value": f"mss:_{code.value}"}},
        "Reason": code.name, "Detail": detail}}


def status(code: StatusCode) -> dict:
    return {"StatusCode": {"Value": str(code.value)}, "StatusMessage": code.name}


@dataclass
class Service:
    handsets: Handsets
    ap_id: str
    ap_password: str
    mssp_id: str
    signature_profiles: tuple[str, ...]
    clock = staticmethod(lambda: datetime.now(UTC))

    def handle(self, body: object) -> tuple[int, dict]:
        """(HTTP status, JSON answer) for one request body."""
        try:
            if not isinstance(body, dict) or len(body) != 1:
                raise Refused(FaultCode.WRONG_PARAM, "one MSS message expected")
            name, message = next(iter(body.items()))
            if name == "MSS_SignatureReq":
                return 200, self.signature(message)
            if name == "MSS_StatusReq":
                return 200, self.status(message)
            raise Refused(FaultCode.WRONG_PARAM, f"unsupported message {name[:40]!r}")
        except Refused as refused:
            return fault(refused.code, str(refused))

    def _authenticate(self, message: object) -> dict:
        info = wire.dig(message, "AP_Info", dict, _missing)
        ap_id = wire.dig(info, "AP_ID", str, _missing)
        password = wire.dig(info, "AP_PWD", str, _missing)
        wire.dig(info, "Instant", str, _missing)
        trans_id = wire.dig(info, "AP_TransID", str, _missing)
        good = hmac.compare_digest(ap_id.encode(), self.ap_id.encode())
        good &= hmac.compare_digest(password.encode(), self.ap_password.encode())
        if not good:
            raise Refused(FaultCode.UNAUTHORIZED_ACCESS, "unknown AP or wrong password")
        if not wire.TRANS_ID.fullmatch(trans_id):
            raise Refused(FaultCode.WRONG_PARAM, "bad AP_TransID")
        return {"AP_ID": ap_id, "AP_TransID": trans_id, "Instant": info["Instant"]}

    def _header(self, ap_info: dict) -> dict:
        return {"MajorVersion": wire.MAJOR_VERSION, "MinorVersion": wire.MINOR_VERSION,
                "AP_Info": ap_info,
                "MSSP_Info": {"MSSP_ID": {"URI": self.mssp_id},
                              "Instant": wire.instant(self.clock())}}

    def signature(self, message: object) -> dict:
        ap_info = self._authenticate(message)
        try:
            msisdn = normalise_msisdn(wire.dig(message, "MobileUser/MSISDN", str, _missing),
                                      default_region=None)
        except InvalidMsisdnError:
            raise Refused(FaultCode.WRONG_PARAM, "MSISDN is not an E.164 number") from None
        data = self._data_to_be_signed(message)
        display = wire.dig(message, "DataToBeDisplayed/Data", str, _missing)
        if not 1 <= len(display) <= wire.MAX_DISPLAY:
            raise Refused(FaultCode.WRONG_DATA_LENGTH, "DataToBeDisplayed too long")
        profile = wire.dig(message, "SignatureProfile", str, _missing)
        if profile not in self.signature_profiles:
            raise Refused(FaultCode.UNSUPPORTED_PROFILE, "unsupported SignatureProfile")
        if wire.dig(message, "MessagingMode", str, _missing) != wire.ASYNC_CLIENT_SERVER:
            raise Refused(FaultCode.WRONG_PARAM, "only asynchClientServer is supported")
        if message.get("MSS_Format", wire.PKCS1_FORMAT) != wire.PKCS1_FORMAT:
            raise Refused(FaultCode.WRONG_PARAM, "unsupported MSS_Format")
        timeout = str(message.get("TimeOut", DEFAULT_TIMEOUT))
        if not (timeout.isascii() and timeout.isdigit() and 1 <= int(timeout) <= MAX_TIMEOUT):
            raise Refused(FaultCode.WRONG_PARAM, "TimeOut must be 1-600 seconds")
        try:
            tx = self.handsets.submit(msisdn, data, display, int(timeout))
        except HandsetFault as refused:
            raise Refused(refused.code, str(refused)) from None
        return {"MSS_SignatureResp": {
            **self._header(ap_info), "MSSP_TransID": tx.id, "MobileUser": {"MSISDN": msisdn},
            "SignatureProfile": profile, "Status": status(StatusCode.REQUEST_OK)}}

    @staticmethod
    def _data_to_be_signed(message: dict) -> bytes:
        dtbs = wire.dig(message, "DataToBeSigned", dict, _missing)
        if dtbs.get("MimeType") != wire.DATA_MIME_TYPE \
                or dtbs.get("Encoding") != wire.DATA_ENCODING:
            raise Refused(FaultCode.INAPPROPRIATE_DATA, "DataToBeSigned must be base64 "
                                                        "application/octet-stream")
        data = wire.b64decode(wire.dig(dtbs, "Data", str, _missing), wire.MAX_DATA * 2)
        if data is None:
            raise Refused(FaultCode.WRONG_PARAM, "DataToBeSigned is not base64")
        if not 1 <= len(data) <= wire.MAX_DATA:
            raise Refused(FaultCode.WRONG_DATA_LENGTH, "DataToBeSigned too long")
        return data

    def status(self, message: object) -> dict:
        ap_info = self._authenticate(message)
        trans_id = wire.dig(message, "MSSP_TransID", str, _missing)
        tx = self.handsets.status(trans_id)
        if tx is None:
            raise Refused(FaultCode.WRONG_PARAM, "unknown MSSP_TransID")
        if tx.state is State.FAILED:
            raise Refused(tx.fault, tx.fault.name.lower())
        answer = {**self._header(ap_info), "MSSP_TransID": tx.id,
                  "MobileUser": {"MSISDN": tx.msisdn}}
        if tx.state is State.PENDING:
            return {"MSS_StatusResp": {**answer,
                                       "Status": status(StatusCode.OUTSTANDING_TRANSACTION)}}
        return {"MSS_StatusResp": {
            **answer,
            "MSS_Signature": {"Base64Signature": wire.b64encode(tx.signature)},
            "Status": status(StatusCode.VALID_SIGNATURE),
            "ServiceResponses": [{"Description": wire.CHAIN_SERVICE, "X509Certificate": [
                wire.b64encode(c.public_bytes(Encoding.DER)) for c in tx.chain]}],
        }}

