"""What the registration and SMS login pages share: the journey (`tx`) and the browser's
binding of its codes, and the words the person reads for each reason a step stops.

A browser holds a random secret in its signed session; a code is bound to that secret,
the journey's purpose and its authorization transaction, so a code asked for in one
browser (or one journey) never works in another. The challenge ids the browser waits on
are kept in the same place, never in the forms."""

import logging

from flask import current_app
from flask import request
from flask import session
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from connectors.errors import CredentialsRejectedError
from connectors.errors import ThrottledError

from ..citizens import journey
from ..citizens import passwords
from ..citizens.connections import connections
from ..citizens.connections import hash_key
from ..extensions import db
from ..models.types import new_secret
from ..models.types import utcnow
from ..oauth.transactions import TransactionExpiredError
from ..oauth.transactions import get_transaction
from ..otp import codes
from ..otp.service import Request

log = logging.getLogger(__name__)

SESSION_KEY = "otp"
KEEP_CHALLENGES = 4

FIELD_MESSAGES = {
    ("national_id", "format"): _l("Enter your national ID number: 6 to 12 digits."),
    ("date_of_birth", "missing"): _l("Enter your date of birth."),
    ("date_of_birth", "format"): _l("Enter your date of birth as year, month and day, "
                                    "for example 1985-03-14."),
    ("date_of_birth", "range"): _l("Enter a real date of birth, in the past."),
    ("password", "missing"): _l("Enter your password."),
}
MESSAGES = {
    codes.AddressThrottledError: _l("Too many codes were asked for from your network. "
                                    "Try again in an hour."),
    codes.NumberThrottledError: _l("Too many codes were asked for with these details. "
                                   "Try again in an hour."),
    codes.CodeExpiredError: _l("This code has expired. Ask for a new code."),
    codes.CodeUsedError: _l("This code has already been used. Start again to get a new "
                            "code."),
    codes.TooManyTriesError: _l("This code was entered wrongly too many times. Ask for a "
                                "new code."),
    codes.NoChallengeError: _l("No code is waiting for this page: it may have been asked "
                               "for in another browser or tab, or it has gone. Start again."),
    journey.RegistrationExpiredError: _l("Your registration has expired. Start again."),
    journey.AlreadyRegisteredError: _l("You already have a Bawaba account. Log in with your "
                                       "ID number and password."),
    journey.AccountLockedError: _l("Your account is locked after too many failed attempts. "
                                   "Contact the Bawaba help desk to unlock it."),
    passwords.PasswordCommonError: _l("This password is too common and easy to guess. "
                                      "Choose another one."),
    passwords.PasswordRepetitiveError: _l("This password only repeats characters or follows "
                                          "a sequence. Choose another one."),
    passwords.PasswordHasIdError: _l("Your password must not contain your ID number."),
    passwords.PasswordMismatchError: _l("The two passwords are not the same."),
}
CONNECTOR_MESSAGES = {
    ("sms", False): _l("Text messages cannot be sent right now. Try again in a few minutes."),
    ("sms", True): _l("The text message service is busy. Try again in a few minutes."),
    ("civil_registry", False): _l("The civil registry cannot be reached right now. Try "
                                  "again in a few minutes."),
    ("civil_registry", True): _l("The civil registry is busy. Try again in a few minutes."),
}
STATUS = {codes.AddressThrottledError: 429, codes.NumberThrottledError: 429,
          codes.ResendTooSoonError: 429}


def message_for(error):
    """What the person reads for `error`, in the page's language."""
    if isinstance(error, journey.FieldError):
        return FIELD_MESSAGES[(error.field, error.reason)]
    if isinstance(error, codes.ResendTooSoonError):
        return gettext("You can ask for a new code in %(seconds)s seconds.",
                       seconds=error.wait)
    if isinstance(error, passwords.PasswordTooShortError):
        return gettext("Choose a password of at least %(count)s characters.",
                       count=error.minimum)
    if isinstance(error, passwords.PasswordTooLongError):
        return gettext("Choose a password of at most %(count)s characters.",
                       count=error.maximum)
    return MESSAGES[type(error)]


def status_for(error):
    return STATUS.get(type(error), 400)


def journey_tx():
    """The authorization transaction of this journey: (tx_id, tx), or (None, None) for a
    journey begun without a relying party. An expired `tx` ends on the error page."""
    tx_id = request.values.get("tx") or None
    if tx_id is None:
        return None, None
    tx = get_transaction(tx_id)
    if tx is None:
        raise TransactionExpiredError()
    return tx_id, tx


def context(purpose, tx_id, tx):
    """The Context of this request for a journey with `purpose`."""
    cfg = current_app.config
    state = session.get(SESSION_KEY) or {}
    if not state.get("b"):
        state = {"b": new_secret(16), "c": {}}
        session[SESSION_KEY] = state
    binding = codes.binding_digest(hash_key(cfg), state["b"], f"{purpose}:{tx_id or ''}")
    client_id = tx["params"].get("client_id") if tx else None
    return journey.Context(connections(current_app), Request(binding, request.remote_addr,
                                                             utcnow()), client_id)


def held_challenge(purpose, tx_id):
    return ((session.get(SESSION_KEY) or {}).get("c") or {}).get(f"{purpose}:{tx_id or ''}")


def hold_challenge(purpose, tx_id, public_id):
    state = dict(session.get(SESSION_KEY) or {})
    held = {k: v for k, v in (state.get("c") or {}).items() if k != f"{purpose}:{tx_id or ''}"}
    held[f"{purpose}:{tx_id or ''}"] = public_id
    state["c"] = dict(list(held.items())[-KEEP_CHALLENGES:])
    session[SESSION_KEY] = state


def connector_message(error):
    """(message, 503) for a connector failure the journey already audited."""
    db.session.commit()
    if isinstance(error, CredentialsRejectedError):
        log.error("%s refused our credentials: %s", error.connector, error)
    connector = error.connector if error.connector == "civil_registry" else "sms"
    return CONNECTOR_MESSAGES[(connector, isinstance(error, ThrottledError))], 503
