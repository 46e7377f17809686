"""What registration and SMS login share: the context of one request, reading the
national ID and date of birth, and the reasons a journey stops."""

from dataclasses import dataclass
from datetime import date

from connectors.civil_registry import normalise_national_id
from connectors.errors import InvalidDataError
from connectors.errors import RejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

from .. import audit
from ..extensions import db
from ..models.citizens import find_challenge
from ..otp.service import Request

CONNECTOR_ERRORS = (UnavailableError, ThrottledError)

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True)
class Context:
    """One request of a journey: the connections, who asks (`request`: browser binding,
    IP address, time) and for which relying party."""

    connections: object
    request: Request
    client_id: str | None = None

    @property
    def otp(self):
        return self.connections.otp

    @property
    def now(self):
        return self.request.now

    def audit(self, event, outcome="success", subject=None, **detail):
        audit.record(event, outcome, subject=subject, client_id=self.client_id,
                     now=self.now, **detail)


class FieldError(ValueError):
    """A form field is malformed: `field` names it, `reason` says how."""

    def __init__(self, field, reason):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlreadyRegisteredError(Exception):
    """The verified person already has an account (told only after the code)."""


class RegistrationExpiredError(Exception):
    """No verified registration waits for this browser (never verified, finished, or too
    old)."""


class AccountLockedError(Exception):
    """The account is locked; told only to someone who gave the password and the code."""


def parse_national_id(value):
    try:
        return normalise_national_id(value if isinstance(value, str) else "")
    except InvalidDataError:
        raise FieldError("national_id", "format") from None


def parse_birthdate(value, today):
    """A date of birth as the date input sends it (YYYY-MM-DD, Arabic-Indic digits read)."""
    text = (value or "").strip().translate(ARABIC_DIGITS) if isinstance(value, str) else ""
    if not text:
        raise FieldError("date_of_birth", "missing")
    try:
        born = date.fromisoformat(text)
    except ValueError:
        raise FieldError("date_of_birth", "format") from None
    if born > today or born.year < 1900:
        raise FieldError("date_of_birth", "range")
    return born


def connector_failed(ctx, error, purpose, subject=None):
    """Audit a connector failure, after undoing what the failed step wrote."""
    db.session.rollback()
    event = "registration" if error.connector == "civil_registry" else "code_sent"
    state = "throttled" if isinstance(error, ThrottledError) else "unavailable"
    ctx.audit(event, "failure", subject=subject, purpose=purpose,
              reason=f"{error.connector}_{state}", status=error.code)


def resend(ctx, purpose, public_id, subject_of):
    """A new code for the browser's challenge (see OtpService.resend_code); audited.
    `subject_of(challenge)` names the account, if any. A number the SMS centre refuses
    fails like a decoy would not: the challenge stays, with its old code."""
    challenge = find_challenge(public_id) if public_id else None
    subject = subject_of(challenge) if challenge is not None else None
    try:
        challenge = ctx.otp.resend_code(ctx.request, public_id)
    except CONNECTOR_ERRORS as error:
        connector_failed(ctx, error, purpose, subject)
        raise
    except (RejectedError, InvalidDataError) as error:
        db.session.rollback()
        ctx.audit("code_sent", "failure", subject=subject, purpose=purpose,
                  reason="sms_rejected", status=error.code)
        return None
    ctx.audit("code_sent", subject=subject, purpose=purpose, resend=True)
    return challenge
