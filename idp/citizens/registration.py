"""Registration at level 1: national ID and date of birth, checked against the civil
registry; a code sent to the mobile number on record there (never typed by the person);
the right code; a password of the person's choosing; the account.

Nothing tells whether an identity exists before the code is entered: an unknown ID, a
wrong date of birth, a registry record without a usable mobile number and a number the
SMS centre refuses all get a decoy challenge and the same "if the details match, we sent
a code" answer as a real send (the audit trail records the real reason)."""

import hmac

from connectors.civil_registry.registry import parse_person
from connectors.errors import InvalidDataError
from connectors.errors import RejectedError

from ..authn.assurance import LEVEL_1
from ..extensions import db
from ..models import Account
from ..models import Citizen
from ..models.citizens import find_challenge
from ..models.citizens import find_citizen
from ..otp import codes
from ..otp.service import registration_window
from .journey import CONNECTOR_ERRORS
from .journey import AlreadyRegisteredError
from .journey import RegistrationExpiredError
from .journey import connector_failed
from .journey import parse_birthdate
from .journey import parse_national_id
from .passwords import check_password
from .passwords import hash_password
from .profile import claims_from_person
from .profile import person_record

PURPOSE = "register"


def start(ctx, national_id_text, birthdate_text):
    """Look the person up and send the code; returns the (possibly decoy) challenge.
    Raises FieldError, the throttling errors of `codes`, and the registry's or gateway's
    UnavailableError / ThrottledError (audited)."""
    national_id = parse_national_id(national_id_text)
    born = parse_birthdate(birthdate_text, ctx.now.date())
    ctx.otp.check_address(ctx.request)
    try:
        return _send(ctx, national_id, born)
    except CONNECTOR_ERRORS as error:
        connector_failed(ctx, error, PURPOSE)
        raise


def _send(ctx, national_id, born):
    try:
        person = ctx.connections.registry.lookup(national_id, born)
    except InvalidDataError as error:
        ctx.audit("code_sent", "failure", purpose=PURPOSE, reason="registry_record",
                  field=error.field)
        return _decoy(ctx, national_id)
    if person is None:
        ctx.audit("code_sent", "failure", purpose=PURPOSE, reason="no_match")
        return _decoy(ctx, national_id)
    try:
        challenge = ctx.otp.send_code(ctx.request, PURPOSE, msisdn=person.mobile,
                                      payload=person_record(person))
    except (RejectedError, InvalidDataError) as error:
        db.session.rollback()
        ctx.audit("code_sent", "failure", purpose=PURPOSE, reason="sms_rejected",
                  status=error.code)
        return _decoy(ctx, national_id)
    ctx.audit("code_sent", purpose=PURPOSE)
    return challenge


def _decoy(ctx, national_id):
    return ctx.otp.send_code(ctx.request, PURPOSE, national_id=national_id)


def confirm(ctx, public_id, code):
    """Accept the code; raises the reasons of `codes.check_code`."""
    try:
        challenge = ctx.otp.verify_code(ctx.request, public_id, code)
    except codes.WrongCodeError as error:
        ctx.audit("code_failed", "failure", purpose=PURPOSE, tries_left=error.tries_left)
        raise
    except codes.OtpError as error:
        ctx.audit("code_failed", "failure", purpose=PURPOSE, reason=type(error).__name__)
        raise
    return challenge


def verified(ctx, public_id):
    """The verified registration this browser may finish; raises RegistrationExpiredError
    or AlreadyRegisteredError (the person proved the number: they may know)."""
    challenge = find_challenge(public_id) if public_id else None
    if (challenge is None or not hmac.compare_digest(challenge.binding, ctx.request.binding)
            or challenge.payload is None or not registration_window(challenge, ctx.now)):
        raise RegistrationExpiredError()
    if find_citizen(challenge.payload["national_id"]) is not None:
        raise AlreadyRegisteredError()
    return challenge


def finish(ctx, public_id, password, confirmation):
    """Create the level-1 account; returns it. Raises RegistrationExpiredError,
    AlreadyRegisteredError, or the PasswordRejectedError of the chosen password."""
    challenge = verified(ctx, public_id)
    person = parse_person(challenge.payload)
    chosen = check_password(password, confirmation, national_id=person.national_id,
                            min_length=ctx.connections.password_min_length)
    account = db.session.execute(
        db.select(Account).filter_by(national_id=person.national_id)
    ).scalar_one_or_none()
    if account is None:
        account = Account(national_id=person.national_id)
        db.session.add(account)
    account.profile = claims_from_person(person, ctx.now)
    db.session.flush()
    db.session.add(Citizen(account_id=account.id, national_id=person.national_id,
                           password_hash=hash_password(chosen), phone_number=person.mobile,
                           phone_verified_at=challenge.used_at, registered_at=ctx.now,
                           password_changed_at=ctx.now, failed_attempts=0))
    challenge.payload = None
    ctx.audit("registration", subject=account.sub, method="sms", acr=LEVEL_1)
    return account
