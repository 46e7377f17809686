"""Service centre console: an operator (level 2; an operator of the centre at Bawaba, as
`idp centres operators add` grants it) serves a walk-in citizen, driving Bawaba's
assisted-work API (docs/service-centres.md) with the operator's own access token:

1. start the work for the citizen's national ID and a service (its client_id);
2. the citizen reads the 6-digit code Bawaba sent to their phone; the operator enters it
   and receives the consent token;
3. the console exchanges it (RFC 8693: subject = consent, actor = the operator's access
   token, audience = the service) for an acting token, and submits the request to the
   service's API with it;
4. the operator completes the work, and the acting token stops being active.

Who may act is Bawaba's decision: its refusals (403 access_denied, unauthorized_client,
…) are shown to the operator as they come. The citizen receives an SMS at each step."""

import base64
import binascii
import json

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from ..rp import LEVEL_2
from ..rp import create_rp_app
from ..rp import current_session
from ..rp import requires_acr
from ..rp.i18n import gettext as _
from ..rp.provider import ProviderError
from ..rp.provider import ProviderUnavailableError
from ..rp.session import store
from ..rp.tokens import live_access_token
from . import assisted_api
from .assisted_api import RefusedError
from .messages import MESSAGES
from .messages import REFUSALS

SCHEMA = """
CREATE TABLE IF NOT EXISTS centre_work (
    ref TEXT PRIMARY KEY,
    operator_sub TEXT NOT NULL,
    national_id TEXT NOT NULL,
    service TEXT NOT NULL,
    state TEXT NOT NULL,
    subject_token TEXT,
    acting_token TEXT,
    citizen_sub TEXT,
    act TEXT,
    result TEXT,
    created_at INTEGER NOT NULL
);
"""
# Local states: Bawaba's (awaiting_consent, consented, exchanged, completed) and
# "submitted" once the service accepted the request.
AWAITING, CONSENTED, EXCHANGED, SUBMITTED, COMPLETED = (
    "awaiting_consent", "consented", "exchanged", "submitted", "completed")
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
NAV = [("centre.console", "Console")]

bp = Blueprint("centre", __name__, template_folder="templates")


def create_app(config=None):
    # CENTRE_SERVICES: client_id -> {"title": …, "api": URL of the service's API taking
    # an acting token, where the console submits the request}.
    config = {"CENTRE_SERVICES": {}, **(config or {})}
    app = create_rp_app(__name__, "centre", "Service centre console", config, SCHEMA,
                        MESSAGES, NAV)
    app.add_url_rule("/", "home", home)
    app.register_blueprint(bp)
    return app


def home():
    return render_template("centre/home.html")


@bp.errorhandler(ProviderUnavailableError)
def unavailable(error):
    current_app.logger.warning("assisted work: %s", error)
    return render_template("rp/error.html", message=_(
        "Bawaba cannot be reached right now. Please try again in a few minutes.")), 503


def _services():
    return current_app.config["CENTRE_SERVICES"]


def _now():
    return int(current_app.extensions["demo_clock"]())


def _operator_token():
    return live_access_token(current_session(), _now())


@bp.get("/console")
@requires_acr(LEVEL_2)
def console():
    return _console_page()


def _console_page(refusal=None, status=200, form=None):
    rows = store().all("SELECT * FROM centre_work WHERE operator_sub = ? "
                       "ORDER BY created_at DESC, rowid DESC", current_session().sub)
    return render_template("centre/console.html", services=_services(), rows=rows,
                           form=form or {}, refusal=refusal, by="bawaba",
                           explain=REFUSALS), status


@bp.post("/work")
@requires_acr(LEVEL_2)
def start_work():
    form = request.form
    national_id = form.get("national_id", "").translate(DIGITS).strip()
    service = form.get("service")
    if service not in _services() or not (national_id.isascii() and national_id.isdigit()
                                          and 6 <= len(national_id) <= 12):
        return _console_page(RefusedError(400, "invalid_form"), 400, form)
    try:
        answer = assisted_api.start(_operator_token(), national_id, service)
    except (RefusedError, ProviderError) as refusal:
        return _console_page(_refusal(refusal), _status(refusal), form)
    store().run("INSERT INTO centre_work (ref, operator_sub, national_id, service, state, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)", answer["id"], current_session().sub,
                national_id, service, answer.get("state", AWAITING), _now())
    return redirect(url_for("centre.work", ref=answer["id"]), 303)


@bp.get("/work/<ref>")
@requires_acr(LEVEL_2)
def work(ref):
    return _work_page(_own(ref))


def _work_page(row, refusal=None, by="bawaba", status=200):
    stated = None
    try:
        stated = assisted_api.show(_operator_token(), row["ref"])
    except (RefusedError, ProviderError) as error:
        current_app.logger.info("assisted work %s not shown: %s", row["ref"], error)
    return render_template("centre/work.html", row=row, stated=stated or {},
                           service=_services().get(row["service"], {}),
                           act=json.loads(row["act"]) if row["act"] else {},
                           result=json.loads(row["result"]) if row["result"] else {},
                           refusal=refusal, by=by, explain=REFUSALS), status


def _own(ref):
    row = store().one("SELECT * FROM centre_work WHERE ref = ? AND operator_sub = ?", ref,
                      current_session().sub)
    return row or abort(404)


def _update(ref, **values):
    names = ", ".join(f"{name} = ?" for name in values)
    store().run(f"UPDATE centre_work SET {names} WHERE ref = ?", *values.values(), ref)
    return store().one("SELECT * FROM centre_work WHERE ref = ?", ref)


@bp.post("/work/<ref>/consent")
@requires_acr(LEVEL_2)
def consent(ref):
    row = _own(ref)
    code = request.form.get("code", "").translate(DIGITS).strip()
    try:
        answer = assisted_api.consent(_operator_token(), ref, code)
    except (RefusedError, ProviderError) as refusal:
        return _work_page(row, _refusal(refusal), status=_status(refusal))
    _update(ref, state=CONSENTED, subject_token=answer["subject_token"])
    return redirect(url_for("centre.work", ref=ref), 303)


@bp.post("/work/<ref>/submit")
@requires_acr(LEVEL_2)
def submit(ref):
    """Exchange the consent for an acting token (once), then file the request with it."""
    row = _own(ref)
    service = _services().get(row["service"])
    if service is None or row["state"] not in (CONSENTED, EXCHANGED):
        return redirect(url_for("centre.work", ref=ref), 303)
    if row["state"] == CONSENTED:
        try:
            issued = assisted_api.exchange(row["subject_token"], _operator_token(),
                                           row["service"])
        except (RefusedError, ProviderError) as refusal:
            return _work_page(row, _refusal(refusal), status=_status(refusal))
        claims = _payload(issued["access_token"])
        row = _update(ref, state=EXCHANGED, subject_token=None,
                      acting_token=issued["access_token"], citizen_sub=claims.get("sub"),
                      act=json.dumps(claims.get("act") or {}))
    body = {"national_id": row["national_id"], "birthdate": request.form.get("birthdate", "")}
    try:
        answer = assisted_api.submit(service["api"], row["acting_token"], body)
    except RefusedError as refusal:
        return _work_page(row, refusal, by="service", status=_status(refusal))
    _update(ref, state=SUBMITTED, result=json.dumps(answer))
    return redirect(url_for("centre.work", ref=ref), 303)


@bp.post("/work/<ref>/complete")
@requires_acr(LEVEL_2)
def complete(ref):
    row = _own(ref)
    try:
        assisted_api.complete(_operator_token(), ref)
    except (RefusedError, ProviderError) as refusal:
        return _work_page(row, _refusal(refusal), status=_status(refusal))
    _update(ref, state=COMPLETED, subject_token=None, acting_token=None)
    return redirect(url_for("centre.work", ref=ref), 303)


def _refusal(error):
    if isinstance(error, ProviderError):  # the token endpoint (refresh of the operator)
        return RefusedError(400, error.code, error.description)
    return error


def _status(refusal):
    return refusal.status if isinstance(refusal, RefusedError) and \
        400 <= refusal.status < 500 else 400


def _payload(token):
    """The claims of the acting token, for display (the service validates it)."""
    try:
        segment = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return value if isinstance(value, dict) else {}
