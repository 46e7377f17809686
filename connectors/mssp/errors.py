"""Mobile ID failures: one exception per :class:`~connectors.mssp.codes.Outcome`.

Each is a :class:`MobileIdError` (``outcome``, and ``code``: the ETSI code as text, or
``"timeout"``, ``"connection"``, ``"tls"``, ``"deadline"`` ...) and also a member of the
shared :mod:`connectors.errors` family, so generic handling still works: a cancelled
request is a :class:`~connectors.errors.RejectedError`, an MSSP that is down an
:class:`~connectors.errors.UnavailableError`, refused AP credentials a
:class:`~connectors.errors.CredentialsRejectedError`.
"""

from connectors.errors import ConnectorError
from connectors.errors import CredentialsRejectedError
from connectors.errors import NotFoundError
from connectors.errors import RejectedError
from connectors.errors import UnavailableError
from connectors.mssp.codes import FAULT_OUTCOMES
from connectors.mssp.codes import STATUS_OUTCOMES
from connectors.mssp.codes import FaultCode
from connectors.mssp.codes import Outcome
from connectors.mssp.codes import StatusCode

CONNECTOR = "mssp"


class MobileIdError(ConnectorError):
    """A Mobile ID signature request that ended without a usable signature."""

    outcome: Outcome

    def __init__(self, message: str, *, code: str | None = None, connector: str = CONNECTOR):
        super().__init__(message, connector=connector, code=code)


class UserCancelledError(MobileIdError, RejectedError):
    outcome = Outcome.USER_CANCELLED


class PinBlockedError(MobileIdError, RejectedError):
    outcome = Outcome.PIN_BLOCKED


class CardBlockedError(MobileIdError, RejectedError):
    outcome = Outcome.CARD_BLOCKED


class NoKeyError(MobileIdError, RejectedError):
    outcome = Outcome.NO_KEY


class SignatureFailedError(MobileIdError, RejectedError):
    outcome = Outcome.SIGNATURE_FAILED


class CertificateRevokedError(MobileIdError, RejectedError):
    outcome = Outcome.CERTIFICATE_REVOKED


class TransactionExpiredError(MobileIdError, RejectedError):
    outcome = Outcome.EXPIRED


class BadRequestError(MobileIdError, RejectedError):
    outcome = Outcome.BAD_REQUEST


class NotACustomerError(MobileIdError, NotFoundError):
    outcome = Outcome.NOT_A_CUSTOMER


class PhoneUnreachableError(MobileIdError, UnavailableError):
    outcome = Outcome.PHONE_UNREACHABLE


class UnknownClientError(MobileIdError, CredentialsRejectedError):
    outcome = Outcome.UNKNOWN_CLIENT


class MsspUnavailableError(MobileIdError, UnavailableError):
    outcome = Outcome.MSSP_UNAVAILABLE


class MalformedAnswerError(MobileIdError, UnavailableError):
    outcome = Outcome.MALFORMED_ANSWER


ERRORS = {cls.outcome: cls for cls in (
    UserCancelledError, PinBlockedError, CardBlockedError, NoKeyError, SignatureFailedError,
    CertificateRevokedError, TransactionExpiredError, BadRequestError, NotACustomerError,
    PhoneUnreachableError, UnknownClientError, MsspUnavailableError, MalformedAnswerError)}


def fault_error(code: FaultCode, reason: str = "") -> MobileIdError:
    """The exception for an MSSP fault (``reason`` is the MSSP's own short text)."""
    cls = ERRORS[FAULT_OUTCOMES[code]]
    return cls(f"MSSP fault {code.value} {code.name}" + (f": {reason}" if reason else ""),
               code=str(code.value))


def status_error(code: StatusCode) -> MobileIdError:
    """The exception for a final status that carries no usable signature (501, 503)."""
    return ERRORS[STATUS_OUTCOMES[code]](f"MSSP status {code.value} {code.name}",
                                         code=str(code.value))
