"""Registration pages (idp/citizens/registration.py): national ID and date of birth, the
code sent to the mobile number on record at the civil registry, a password; then the
person logs in with the new account. Registered by the "sms" login method (sms.py)."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from ..citizens import registration
from ..citizens.journey import CONNECTOR_ERRORS
from ..citizens.journey import AlreadyRegisteredError
from ..citizens.journey import FieldError
from ..citizens.journey import RegistrationExpiredError
from ..citizens.journey import resend as resend_code
from ..citizens.passwords import MAX_LENGTH
from ..citizens.passwords import PasswordRejectedError
from ..extensions import db
from ..otp import codes
from .citizen_pages import connector_message
from .citizen_pages import context
from .citizen_pages import held_challenge
from .citizen_pages import hold_challenge
from .citizen_pages import journey_tx
from .citizen_pages import message_for
from .citizen_pages import status_for

bp = Blueprint("registration", __name__)
PURPOSE = registration.PURPOSE
THROTTLES = (codes.AddressThrottledError, codes.NumberThrottledError)


def _form_page(tx_id, status=200, error=None, field_errors=None, values=None):
    return render_template("citizens/register.html", tx=tx_id, error=error,
                           field_errors=field_errors or {}, values=values or {}), status


def _code_page(tx_id, status=200, error=None):
    return render_template("citizens/code.html", tx=tx_id, purpose=PURPOSE, error=error,
                           verify=url_for("registration.verify"),
                           resend=url_for("registration.resend"),
                           restart=url_for("registration.start", tx=tx_id)), status


def _password_page(tx_id, ctx, status=200, error=None):
    return render_template("citizens/password.html", tx=tx_id, error=error,
                           min_length=ctx.connections.password_min_length,
                           max_length=MAX_LENGTH), status


def _already_registered(tx_id, error):
    db.session.commit()
    flash(message_for(error))
    return redirect(url_for("sms_login.start", tx=tx_id), 303)


@bp.get("/register")
def start():
    tx_id, _ = journey_tx()
    return _form_page(tx_id)


@bp.post("/register")
def submit():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    values = {"national_id": request.form.get("national_id", "")[:64],
              "date_of_birth": request.form.get("date_of_birth", "")[:32]}
    try:
        challenge = registration.start(ctx, values["national_id"], values["date_of_birth"])
    except FieldError as error:
        db.session.rollback()
        return _form_page(tx_id, 400, field_errors={error.field: message_for(error)},
                          values=values)
    except THROTTLES as error:
        db.session.rollback()
        ctx.audit("code_sent", "failure", purpose=PURPOSE, reason=type(error).__name__)
        db.session.commit()
        return _form_page(tx_id, status_for(error), message_for(error), values=values)
    except CONNECTOR_ERRORS as error:
        message, status = connector_message(error)
        return _form_page(tx_id, status, message, values=values)
    hold_challenge(PURPOSE, tx_id, challenge.public_id)
    db.session.commit()
    return redirect(url_for("registration.code", tx=tx_id), 303)


@bp.get("/register/code")
def code():
    tx_id, _ = journey_tx()
    return _code_page(tx_id)


@bp.post("/register/code")
def verify():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    try:
        registration.confirm(ctx, held_challenge(PURPOSE, tx_id), request.form.get("code"))
    except codes.WrongCodeError as error:
        db.session.commit()
        return _code_page(tx_id, 400, gettext(
            "The code is not correct. Tries left for this code: %(tries)s.",
            tries=error.tries_left))
    except codes.OtpError as error:
        db.session.commit()
        return _code_page(tx_id, status_for(error), message_for(error))
    db.session.commit()
    return redirect(url_for("registration.password", tx=tx_id), 303)


@bp.post("/register/resend")
def resend():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    try:
        resend_code(ctx, PURPOSE, held_challenge(PURPOSE, tx_id), lambda challenge: None)
    except codes.OtpError as error:
        db.session.commit()
        return _code_page(tx_id, status_for(error), message_for(error))
    except CONNECTOR_ERRORS as error:
        message, status = connector_message(error)
        return _code_page(tx_id, status, message)
    db.session.commit()
    flash(gettext("If your details matched, we sent a new code. The previous code no "
                  "longer works."))
    return redirect(url_for("registration.code", tx=tx_id), 303)


@bp.get("/register/password")
def password():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    try:
        registration.verified(ctx, held_challenge(PURPOSE, tx_id))
    except RegistrationExpiredError as error:
        return _form_page(tx_id, 400, message_for(error))
    except AlreadyRegisteredError as error:
        return _already_registered(tx_id, error)
    return _password_page(tx_id, ctx)


@bp.post("/register/password")
def choose_password():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    try:
        registration.finish(ctx, held_challenge(PURPOSE, tx_id), request.form.get("password"),
                            request.form.get("confirmation"))
        db.session.commit()
    except IntegrityError:  # the same person finishing in two tabs at once
        db.session.rollback()
        return _already_registered(tx_id, AlreadyRegisteredError())
    except RegistrationExpiredError as error:
        db.session.rollback()
        return _form_page(tx_id, 400, message_for(error))
    except AlreadyRegisteredError as error:
        db.session.rollback()
        return _already_registered(tx_id, error)
    except PasswordRejectedError as error:
        db.session.rollback()
        return _password_page(tx_id, ctx, 400, message_for(error))
    flash(gettext("Your Bawaba account is ready. Log in with your ID number and the "
                  "password you chose."))
    return redirect(url_for("sms_login.start", tx=tx_id), 303)
