"""The "sms" login method (level 1): national ID and password, then the code sent by
text message to the mobile number on record (idp/citizens/signin.py). Registered when
IDP_LOGIN_METHODS holds "sms", together with registration (registration.py)."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..authn.assurance import LEVEL_1
from ..authn.registry import Authenticator
from ..authn.registry import register
from ..citizens import signin
from ..citizens.connections import EXTENSION
from ..citizens.connections import configure
from ..citizens.journey import CONNECTOR_ERRORS
from ..citizens.journey import AccountLockedError
from ..citizens.journey import FieldError
from ..citizens.journey import resend as resend_code
from ..extensions import db
from ..otp import codes
from . import registration
from .chooser import login_hint
from .citizen_pages import connector_message
from .citizen_pages import context
from .citizen_pages import held_challenge
from .citizen_pages import hold_challenge
from .citizen_pages import journey_tx
from .citizen_pages import message_for
from .citizen_pages import status_for
from .complete import finish_login

bp = Blueprint("sms_login", __name__)
PURPOSE = signin.PURPOSE
THROTTLES = (codes.AddressThrottledError, codes.NumberThrottledError)


def init_app(app):
    if "sms" not in app.config["IDP_LOGIN_METHODS"]:
        return
    connections = configure(app)
    if connections is None:
        return
    app.extensions[EXTENSION] = connections
    register(app, Authenticator("sms", _l("ID number, password and a code by text message"),
                                LEVEL_1, "sms_login.start"))
    app.register_blueprint(bp)
    app.register_blueprint(registration.bp)


def _login_page(tx_id, status=200, error=None, field_errors=None, national_id=""):
    return render_template("citizens/login.html", tx=tx_id, error=error,
                           field_errors=field_errors or {}, national_id=national_id), status


def _code_page(tx_id, status=200, error=None):
    return render_template("citizens/code.html", tx=tx_id, purpose=PURPOSE, error=error,
                           verify=url_for("sms_login.verify"),
                           resend=url_for("sms_login.resend"),
                           restart=url_for("sms_login.start", tx=tx_id)), status


@bp.get("/login/sms")
def start():
    tx_id, tx = journey_tx()
    hint = login_hint(tx) if tx else None
    prefill = hint if isinstance(hint, str) and hint.isdigit() and len(hint) <= 12 else ""
    return _login_page(tx_id, national_id=prefill)


@bp.post("/login/sms")
def submit():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    typed = request.form.get("national_id", "")[:64]
    try:
        challenge = signin.start(ctx, typed, request.form.get("password"))
    except FieldError as error:
        db.session.rollback()
        return _login_page(tx_id, 400, field_errors={error.field: message_for(error)},
                           national_id=typed)
    except THROTTLES as error:
        db.session.rollback()
        ctx.audit("code_sent", "failure", purpose=PURPOSE, reason=type(error).__name__)
        db.session.commit()
        return _login_page(tx_id, status_for(error), message_for(error), national_id=typed)
    except CONNECTOR_ERRORS as error:
        message, status = connector_message(error)
        return _login_page(tx_id, status, message, national_id=typed)
    hold_challenge(PURPOSE, tx_id, challenge.public_id)
    db.session.commit()
    return redirect(url_for("sms_login.code", tx=tx_id), 303)


@bp.get("/login/sms/code")
def code():
    tx_id, _ = journey_tx()
    return _code_page(tx_id)


@bp.post("/login/sms/code")
def verify():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    try:
        result = signin.confirm(ctx, held_challenge(PURPOSE, tx_id), request.form.get("code"))
    except codes.WrongCodeError as error:
        db.session.commit()
        return _code_page(tx_id, 400, gettext(
            "The ID number, password or code is not correct. Tries left for this code: "
            "%(tries)s.", tries=error.tries_left))
    except codes.OtpError as error:
        db.session.commit()
        return _code_page(tx_id, status_for(error), message_for(error))
    except AccountLockedError as error:
        db.session.commit()
        return _code_page(tx_id, 403, message_for(error))
    return finish_login(tx_id, result)


@bp.post("/login/sms/resend")
def resend():
    tx_id, tx = journey_tx()
    ctx = context(PURPOSE, tx_id, tx)
    try:
        resend_code(ctx, PURPOSE, held_challenge(PURPOSE, tx_id), signin.subject_of)
    except codes.OtpError as error:
        db.session.commit()
        return _code_page(tx_id, status_for(error), message_for(error))
    except CONNECTOR_ERRORS as error:
        message, status = connector_message(error)
        return _code_page(tx_id, status, message)
    db.session.commit()
    flash(gettext("If your details were right, we sent a new code. The previous code no "
                  "longer works."))
    return redirect(url_for("sms_login.code", tx=tx_id), 303)
