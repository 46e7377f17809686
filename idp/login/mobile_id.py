"""Login with Mobile ID (level 2; amr hwk, pin, mca, mfa), offered when IDP_LOGIN_METHODS
names "mobile-id".

The citizen enters the national ID and mobile number; the provider asks the operator's
MSSP to have a fresh challenge signed on that phone (idp/mobileid/signing.py) and shows the
verification code the phone shows too. The waiting page asks the status endpoint every
few seconds (static/mobile-id.js); each call takes the request one step further. A signed
answer is verified (signature over the challenge sent, SIM certificate, national ID), then
the session starts. The request is bound to the authorization transaction (the signed
session cookie holds its reference) and is used once.

    GET  /login/mobile-id?tx=…        the form
    POST /login/mobile-id             form: tx, national_id, msisdn → 303 to the waiting page
    GET  /login/mobile-id/wait?tx=…   the waiting page with the verification code
    POST /login/mobile-id/status      form: tx → JSON {"state": "pending", "interval"} |
                                      {"state": "done", "location"} |
                                      {"state": "failed", "message", "retry"}
    POST /login/mobile-id/check       form: tx; the same step without JavaScript
    POST /login/mobile-id/cancel      form: tx

The POSTs need the CSRF token (a form field, or the X-CSRFToken header). The status
calls live on a blueprint of their own, so polling does not count as login attempts."""

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from connectors.civil_registry import normalise_national_id
from connectors.errors import InvalidDataError
from connectors.msisdn import normalise_msisdn
from connectors.mssp.codes import Outcome
from connectors.mssp.errors import MobileIdError

from .. import audit
from ..authn import registry
from ..authn.assurance import LEVEL_2
from ..authn.registry import Authenticator
from ..extensions import db
from ..mobileid import operators as mobile_operators
from ..mobileid import signing
from ..mobileid.outcomes import message_for
from ..mobileid.outcomes import status_for
from ..mobileid.verification import MobileIdVerificationError
from ..models.clients import find_client
from ..models.mobile_id import DONE
from ..models.mobile_id import PENDING
from ..models.mobile_id import find_mobile_request
from ..models.types import utcnow
from ..oauth.transactions import get_transaction
from ..oauth.transactions import require_transaction
from ..oauth.transactions import update_transaction
from .complete import finish_login

bp = Blueprint("mobile_id_login", __name__)
wait_bp = Blueprint("mobile_id_wait", __name__)
METHOD = signing.METHOD
REQUEST_KEY = "mobile_id"
UNSENT = (Outcome.NOT_A_CUSTOMER, Outcome.NO_KEY)  # read like a wrong number
SERVICE_NAME_MAX = 60


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(wait_bp)
    if METHOD in app.config["IDP_LOGIN_METHODS"]:
        offer(app)


def offer(app):
    """Build the operators' clients from app.config and offer the method."""
    mobile_operators.configure(app)
    registry.register(app, Authenticator(METHOD, _l("Mobile ID"), LEVEL_2,
                                         "mobile_id_login.start"))


@bp.before_request
@wait_bp.before_request
def only_when_offered():
    if registry.find(METHOD) is None:
        abort(404)


@bp.get("/login/mobile-id")
def start():
    from .chooser import login_hint

    tx_id = request.args.get("tx")
    tx = require_transaction(tx_id)
    hint = login_hint(tx)
    values = {}
    if isinstance(hint, str) and len(hint) <= 32:
        values["msisdn" if hint.startswith("+") else "national_id"] = hint
    return _form(tx_id, values=values)


@bp.post("/login/mobile-id")
def submit():
    tx_id = request.form.get("tx")
    tx = require_transaction(tx_id)
    values = {name: request.form.get(name, "")[:64] for name in ("national_id", "msisdn")}
    errors = {}
    try:
        national_id = normalise_national_id(values["national_id"])
    except InvalidDataError:
        errors["national_id"] = gettext("Enter your national ID number: 6 to 12 digits.")
    try:
        msisdn = normalise_msisdn(values["msisdn"])
    except InvalidDataError:
        errors["msisdn"] = gettext("Enter your mobile number, for example +968 9123 4567.")
    if errors:
        return _form(tx_id, 400, values=values, field_errors=errors)
    client = find_client(tx["params"].get("client_id"))
    now = utcnow()
    where = {"national_id": national_id, "transaction_id": tx_id,
             "client_id": client.client_id if client else None}
    try:
        row = signing.start("login", msisdn, _display_text(client), now, **where)
    except MobileIdError as error:
        db.session.rollback()
        if error.outcome not in UNSENT:
            return _refuse(tx_id, error.outcome.value, values, client, code=error.code)
        row = signing.start_unsent("login", msisdn, error.outcome.value, now, **where)
    update_transaction(tx_id, **{REQUEST_KEY: row.ref})
    db.session.commit()
    return redirect(url_for("mobile_id_login.wait", tx=tx_id), 303)


@bp.get("/login/mobile-id/wait")
def wait():
    tx_id = request.args.get("tx")
    row = _request_of(tx_id, require_transaction(tx_id))
    if row is None or row.state != PENDING:
        return redirect(url_for("mobile_id_login.start", tx=tx_id), 303)
    return _wait_page(tx_id, row)


@wait_bp.post("/login/mobile-id/status")
def status():
    tx_id = request.form.get("tx")
    state, value = _step(tx_id)
    if state == "pending":
        response = jsonify(state="pending", interval=_interval())
    elif state == "done":
        response = jsonify(state="done", location=value.headers["Location"])
        for cookie in value.headers.getlist("Set-Cookie"):
            response.headers.add("Set-Cookie", cookie)
    else:
        response = jsonify(state="failed", message=str(message_for(value)),
                           retry=url_for("mobile_id_login.start", tx=tx_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@wait_bp.post("/login/mobile-id/check")
def check():
    tx_id = request.form.get("tx")
    state, value = _step(tx_id)
    if state == "pending":
        return redirect(url_for("mobile_id_login.wait", tx=tx_id), 303)
    if state == "done":
        return value
    return _form(tx_id, status_for(value), error=message_for(value))


@wait_bp.post("/login/mobile-id/cancel")
def cancel():
    tx_id = request.form.get("tx")
    row = _request_of(tx_id, require_transaction(tx_id))
    update_transaction(tx_id, **{REQUEST_KEY: None})
    if row is not None and row.state == PENDING:
        signing.fail(row, "cancelled", utcnow())
    return _form(tx_id, error=message_for("cancelled"))


def _step(tx_id):
    """Take this transaction's request one step: ("pending", None), ("done", the
    finish_login response) or ("failed", reason)."""
    tx = require_transaction(tx_id)
    row = _request_of(tx_id, tx)
    if row is None:
        return "failed", "request_unknown"
    now = utcnow()
    step = signing.advance(row, now)
    if step.state == signing.SIGNED:
        try:
            account = signing.find_signer(step.validated)
        except MobileIdVerificationError as error:
            step = signing.fail(row, error.code, now, certificate=step.validated.certificate)
        else:
            result = signing.complete(row, step.validated, account, now)
            if result is not None:
                update_transaction(tx_id, **{REQUEST_KEY: None})
                return "done", finish_login(tx_id, result)
            step = signing.advance(row, now)
    if step.state in (PENDING, signing.SIGNED):
        return "pending", None
    if step.state == DONE:  # completed by another request of this browser
        if get_transaction(tx_id).get("sid"):
            return "done", redirect(url_for("oauth.resume", tx=tx_id), 303)
        return "pending", None
    update_transaction(tx_id, **{REQUEST_KEY: None})
    return "failed", step.reason


def _request_of(tx_id, tx):
    row = find_mobile_request(tx.get(REQUEST_KEY))
    if row is None or row.purpose != "login" or row.transaction_id != tx_id:
        return None
    return row


def _refuse(tx_id, reason, values, client, code=None):
    """The MSSP refused the request outright: audit and show the form again."""
    audit.record("login", "failure", client_id=client.client_id if client else None,
                 method=METHOD, reason=reason, purpose="login", mssp_code=code)
    db.session.commit()
    current_app.logger.info("mobile id login refused: %s (%s), request %s", reason, code,
                            audit.request_id())
    return _form(tx_id, status_for(reason), values=values, error=message_for(reason))


def _display_text(client):
    """What the phone shows: the service and the verification code (at most 160
    characters, as the MSSP accepts)."""
    name = "".join(c for c in (client.name if client else "") if c.isprintable())
    name = name[:SERVICE_NAME_MAX]

    def text(code):
        if name:
            return gettext("Log in to %(service)s with Bawaba? Code %(code)s", service=name,
                           code=code)
        return gettext("Log in with Bawaba? Code %(code)s", code=code)

    return text


def _interval():
    """Seconds between the page's status calls: the MSSP's polling interval, at least 1."""
    clients = mobile_operators.operators().clients.values()
    return max(1, min(c.settings.poll_interval for c in clients))


def _form(tx_id, status=200, values=None, field_errors=None, error=None):
    tx = get_transaction(tx_id)
    client = find_client(tx["params"].get("client_id")) if tx else None
    return render_template("login/mobile_id.html", tx=tx_id, client=client,
                           values=values or {}, field_errors=field_errors or {},
                           error=error), status


def _wait_page(tx_id, row):
    tx = get_transaction(tx_id)
    client = find_client(tx["params"].get("client_id")) if tx else None
    return render_template("login/mobile_id_wait.html", tx=tx_id, client=client,
                           code=row.verification_code, interval=_interval(),
                           failed=message_for("request_unknown"))
