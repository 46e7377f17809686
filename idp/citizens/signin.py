"""SMS login at level 1: national ID and password, then a code sent to the mobile number
on record. The result: acr level 1, amr `pwd`, `sms`, `otp`, `mfa` (RFC 8176 §2).

The first step never says whether the ID exists or the password is right: an unknown ID
(after checking the password against a dummy hash, the same work) and a wrong password
get a decoy challenge, so the answer is always "if your details are right, we sent a
code". Only the code step fails, with the same message for all three. Someone who gets
the password and the code right on a locked account is told it is locked.

Failures (a wrong password, a wrong code of a real challenge) are counted per account;
OTP_MAX_FAILURES consecutive ones lock it until an administrator unlocks it
(`idp citizens unlock`); a successful login resets the count."""

from connectors.errors import InvalidDataError
from connectors.errors import RejectedError

from ..authn.assurance import LEVEL_1
from ..authn.result import AuthenticationResult
from ..extensions import db
from ..models import Citizen
from ..models.citizens import find_challenge
from ..models.citizens import find_citizen
from ..otp import codes
from .journey import CONNECTOR_ERRORS
from .journey import AccountLockedError
from .journey import FieldError
from .journey import connector_failed
from .journey import parse_national_id
from .passwords import hash_password
from .passwords import normalise
from .passwords import verify_nothing
from .passwords import verify_password

PURPOSE = "login"
METHOD = "sms"
AMR = ("pwd", "sms", "otp", "mfa")


def start(ctx, national_id_text, password):
    """Check the password and send the code (or a decoy); returns the challenge. Raises
    FieldError for a malformed ID, the throttling errors of `codes`, and the gateway's
    UnavailableError / ThrottledError (audited)."""
    national_id = parse_national_id(national_id_text)
    if not isinstance(password, str) or not password:
        raise FieldError("password", "missing")
    ctx.otp.check_address(ctx.request)
    citizen = find_citizen(national_id)
    subject = citizen.account.sub if citizen is not None else None
    try:
        return _send(ctx, national_id, password, citizen)
    except CONNECTOR_ERRORS as error:
        connector_failed(ctx, error, PURPOSE, subject)
        raise


def _send(ctx, national_id, password, citizen):
    if citizen is None:
        verify_nothing(password)
        ctx.audit("login", "failure", method=METHOD, reason="unknown_id")
        return _decoy(ctx, national_id)
    subject = citizen.account.sub
    matches, rehash = verify_password(citizen.password_hash, password)
    if not matches:
        ctx.audit("login", "failure", subject=subject, method=METHOD, reason="password")
        record_failure(ctx, citizen)
        return _decoy(ctx, national_id)
    if rehash:
        citizen.password_hash = hash_password(normalise(password))
    try:
        challenge = ctx.otp.send_code(ctx.request, PURPOSE, msisdn=citizen.phone_number,
                                      citizen_id=citizen.id)
    except (RejectedError, InvalidDataError) as error:
        db.session.rollback()
        ctx.audit("code_sent", "failure", subject=subject, purpose=PURPOSE,
                  reason="sms_rejected", status=error.code)
        return _decoy(ctx, national_id)
    ctx.audit("code_sent", subject=subject, purpose=PURPOSE)
    return challenge


def _decoy(ctx, national_id):
    return ctx.otp.send_code(ctx.request, PURPOSE, national_id=national_id)


def subject_of(challenge):
    """The account a login challenge is for (None for a decoy)."""
    citizen = db.session.get(Citizen, challenge.citizen_id) if challenge.citizen_id else None
    return citizen.account.sub if citizen is not None else None


def confirm(ctx, public_id, code):
    """Accept the code and return the AuthenticationResult. Raises the reasons of
    `codes.check_code` and AccountLockedError."""
    try:
        challenge = ctx.otp.verify_code(ctx.request, public_id, code)
    except codes.OtpError as error:
        _code_failed(ctx, public_id, error)
        raise
    citizen = db.session.get(Citizen, challenge.citizen_id) if challenge.citizen_id else None
    if citizen is None:  # a decoy's code cannot be known; a deleted account
        raise codes.NoChallengeError()
    subject = citizen.account.sub
    if citizen.locked_at is not None or citizen.account.locked_at is not None:
        ctx.audit("login", "failure", subject=subject, method=METHOD, reason="locked")
        raise AccountLockedError()
    citizen.failed_attempts = 0
    citizen.last_login_at = ctx.now
    if citizen.phone_verified_at is None:  # a number set by the help desk, now proven
        citizen.phone_verified_at = ctx.now
        account = citizen.account
        account.profile = {**account.profile, "phone_number": citizen.phone_number,
                           "phone_number_verified": True}
    evidence = {"sms_message_id": challenge.message_id,
                "sms_reference": f"{challenge.public_id}.{challenge.sends}"}
    return AuthenticationResult(subject, METHOD, LEVEL_1, AMR, int(ctx.now.timestamp()),
                                evidence=evidence)


def _code_failed(ctx, public_id, error):
    challenge = find_challenge(public_id) if public_id else None
    citizen = (db.session.get(Citizen, challenge.citizen_id)
               if challenge is not None and challenge.citizen_id else None)
    subject = citizen.account.sub if citizen is not None else None
    detail = ({"tries_left": error.tries_left} if isinstance(error, codes.WrongCodeError)
              else {"reason": type(error).__name__})
    ctx.audit("code_failed", "failure", subject=subject, purpose=PURPOSE, **detail)
    if isinstance(error, codes.WrongCodeError) and citizen is not None:
        record_failure(ctx, citizen)


def record_failure(ctx, citizen):
    """Count a consecutive failure, in the database itself; lock at the limit."""
    db.session.execute(db.update(Citizen).where(Citizen.id == citizen.id).values(
        failed_attempts=Citizen.failed_attempts + 1, last_failure_at=ctx.now))
    db.session.refresh(citizen, ["failed_attempts"])
    if citizen.locked_at is None and codes.locks_account(citizen.failed_attempts,
                                                         ctx.otp.policy):
        citizen.locked_at = ctx.now
        citizen.lock_reason = "failures"
        ctx.audit("lock", "success", subject=citizen.account.sub, reason="failures",
                  failures=citizen.failed_attempts)
