"""ETSI TS 102 204 V1.1.2 §6.2.3 (Status / Fault codes) and the outcomes Bawaba shows.

The specification keeps one table of codes; its JSON/REST binding (see ``wire.py``)
carries 100 and 5xx in a ``Status`` element and the others in a ``Fault``, so they are
two Enums here. Every code maps to one :class:`Outcome`, the reason a login method
reports and audits.

A naming trap: ETSI's ``105 UNKNOWN_CLIENT`` is an unknown *end user* (the MSISDN is
not a Mobile ID customer), so it maps to :attr:`Outcome.NOT_A_CUSTOMER`;
:attr:`Outcome.UNKNOWN_CLIENT` is Bawaba itself being unknown to the MSSP (wrong AP_ID
or AP_PWD, ``104 UNAUTHORIZED_ACCESS``).
"""

import enum


class StatusCode(enum.IntEnum):
    """Codes of a successful exchange (``Status/StatusCode/@Value``)."""

    REQUEST_OK = 100
    SIGNATURE = 500
    REVOKED_CERTIFICATE = 501
    VALID_SIGNATURE = 502
    INVALID_SIGNATURE = 503
    OUTSTANDING_TRANSACTION = 504


class FaultCode(enum.IntEnum):
    """Codes of a failed exchange (``Fault/Code/SubCode/@Value``, ``mss:_<code>``)."""

    WRONG_PARAM = 101
    MISSING_PARAM = 102
    WRONG_DATA_LENGTH = 103
    UNAUTHORIZED_ACCESS = 104
    UNKNOWN_CLIENT = 105
    INAPPROPRIATE_DATA = 107
    INCOMPATIBLE_INTERFACE = 108
    UNSUPPORTED_PROFILE = 109
    EXPIRED_TRANSACTION = 208
    OTA_ERROR = 209
    USER_CANCEL = 401
    PIN_BLOCKED = 402
    CARD_BLOCKED = 403
    NO_KEY_FOUND = 404
    PB_SIGNATURE_PROCESS = 406
    NO_CERT_FOUND = 422
    CRL_PB = 423
    CRL_EXPIRED = 424
    ERROR_CERTIFICATE = 425
    INTERNAL_ERROR = 900

    @property
    def sender(self) -> bool:
        """A fault caused by the request (SOAP ``env:Sender``, HTTP 400) rather than by
        the MSSP or the phone (``env:Receiver``, HTTP 500)."""
        return self < 200


class Outcome(enum.Enum):
    """What happened to a Mobile ID signature request, as the login method sees it."""

    OUTSTANDING = "outstanding"  # the phone has not answered yet: poll again
    SIGNED = "signed"
    USER_CANCELLED = "user_cancelled"
    PIN_BLOCKED = "pin_blocked"
    CARD_BLOCKED = "card_blocked"
    NO_KEY = "no_key"  # no Mobile ID key or certificate on the SIM
    SIGNATURE_FAILED = "signature_failed"  # the phone or SIM failed to sign
    CERTIFICATE_REVOKED = "certificate_revoked"
    EXPIRED = "expired"
    PHONE_UNREACHABLE = "phone_unreachable"
    NOT_A_CUSTOMER = "not_a_customer"
    UNKNOWN_CLIENT = "unknown_client"  # the MSSP refused our AP credentials
    BAD_REQUEST = "bad_request"  # the MSSP refused our request's content
    MSSP_UNAVAILABLE = "mssp_unavailable"
    MALFORMED_ANSWER = "malformed_answer"


FAULT_OUTCOMES = {
    FaultCode.WRONG_PARAM: Outcome.BAD_REQUEST,
    FaultCode.MISSING_PARAM: Outcome.BAD_REQUEST,
    FaultCode.WRONG_DATA_LENGTH: Outcome.BAD_REQUEST,
    FaultCode.UNAUTHORIZED_ACCESS: Outcome.UNKNOWN_CLIENT,
    FaultCode.UNKNOWN_CLIENT: Outcome.NOT_A_CUSTOMER,
    FaultCode.INAPPROPRIATE_DATA: Outcome.BAD_REQUEST,
    FaultCode.INCOMPATIBLE_INTERFACE: Outcome.BAD_REQUEST,
    FaultCode.UNSUPPORTED_PROFILE: Outcome.BAD_REQUEST,
    FaultCode.EXPIRED_TRANSACTION: Outcome.EXPIRED,
    FaultCode.OTA_ERROR: Outcome.PHONE_UNREACHABLE,
    FaultCode.USER_CANCEL: Outcome.USER_CANCELLED,
    FaultCode.PIN_BLOCKED: Outcome.PIN_BLOCKED,
    FaultCode.CARD_BLOCKED: Outcome.CARD_BLOCKED,
    FaultCode.NO_KEY_FOUND: Outcome.NO_KEY,
    FaultCode.PB_SIGNATURE_PROCESS: Outcome.SIGNATURE_FAILED,
    FaultCode.NO_CERT_FOUND: Outcome.NO_KEY,
    FaultCode.CRL_PB: Outcome.MSSP_UNAVAILABLE,
    FaultCode.CRL_EXPIRED: Outcome.MSSP_UNAVAILABLE,
    FaultCode.ERROR_CERTIFICATE: Outcome.MSSP_UNAVAILABLE,
    FaultCode.INTERNAL_ERROR: Outcome.MSSP_UNAVAILABLE,
}

STATUS_OUTCOMES = {
    StatusCode.OUTSTANDING_TRANSACTION: Outcome.OUTSTANDING,
    StatusCode.SIGNATURE: Outcome.SIGNED,
    StatusCode.VALID_SIGNATURE: Outcome.SIGNED,
    StatusCode.REVOKED_CERTIFICATE: Outcome.CERTIFICATE_REVOKED,
    StatusCode.INVALID_SIGNATURE: Outcome.SIGNATURE_FAILED,
}
