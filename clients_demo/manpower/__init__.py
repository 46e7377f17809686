"""Manpower licensing: a citizen applies for a licence to recruit a household worker. A
level-2 login (ID card or Mobile ID) is required; the facts come from the civil registry
and the social insurance system (manpower/facts.py), the rules decide at once
(manpower/rules.py), the fee is paid through the payment service (manpower/payments.py),
and the licence is issued and downloadable."""

import secrets
import time

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from ..rp import LEVEL_2
from ..rp import create_rp_app
from ..rp import current_session
from ..rp import requires_acr
from ..rp import requires_login
from ..rp.i18n import gettext as _
from ..rp.session import store
from . import api
from . import facts
from .messages import MESSAGES
from .payments import HttpPaymentGateway
from .payments import PaymentUnavailableError
from .rules import decide

SCHEMA = """
CREATE TABLE IF NOT EXISTS manpower_applications (
    reference TEXT PRIMARY KEY,
    sub TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    national_id TEXT NOT NULL,
    marital_status TEXT NOT NULL,
    monthly_income TEXT NOT NULL,
    approved INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    fee TEXT NOT NULL,
    status TEXT NOT NULL,
    payment_id TEXT,
    licence_number TEXT,
    issued_at INTEGER,
    created_at INTEGER NOT NULL
);
"""
DEFAULTS = {"DEMO_SCOPE": "openid profile national_id", "MANPOWER_FEE": "30.000",
            "MANPOWER_CURRENCY": "OMR", "MANPOWER_MIN_INCOME": "400.000", "PAYMENT_URL": None,
            "PAYMENT_API_KEY": "dev-payment-key"}
NAV = [("manpower.apply", "Apply for a licence")]
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")

bp = Blueprint("manpower", __name__, template_folder="templates")


def create_app(config=None):
    config = {**DEFAULTS, **(config or {})}
    if config.get("PAYMENT_URL"):
        config.setdefault("DEMO_FORM_ACTIONS", [config["PAYMENT_URL"]])
    app = create_rp_app(__name__, "manpower", "Manpower licensing", config, SCHEMA,
                        MESSAGES, NAV)
    app.extensions["manpower_registry"] = facts.registry_from_config(app.config)
    app.extensions["manpower_income"] = facts.income_from_config(app.config)
    app.extensions["manpower_payments"] = HttpPaymentGateway(
        app.config["PAYMENT_URL"], app.config["PAYMENT_API_KEY"],
        app.config["DEMO_HTTP_TIMEOUT"])
    app.add_url_rule("/", "home", home)
    app.register_blueprint(bp)
    api.init_app(app)
    return app


def home():
    return render_template("manpower/home.html")


def _now():
    return int(current_app.extensions["demo_clock"]())


def _claims():
    local = current_session()
    return {**local.claims, **local.userinfo}


@bp.route("/apply", methods=["GET", "POST"])
@requires_acr(LEVEL_2)
def apply():
    claims = _claims()
    known_id, known_birthdate = claims.get("national_id"), claims.get("birthdate")
    form, error = request.form, None
    if request.method == "POST":
        national_id = (known_id or form.get("national_id", "")).translate(DIGITS).strip()
        birthdate = facts.parse_birthdate(known_birthdate or form.get("birthdate", ""))
        if not (national_id.isascii() and national_id.isdigit() and 6 <= len(national_id) <= 12):
            error = _("Please enter a national ID of 6 to 12 digits.")
        elif birthdate is None:
            error = _("Please enter your date of birth.")
        else:
            try:
                return _decide(national_id, birthdate)
            except facts.FactsUnavailableError as unavailable:
                current_app.logger.warning("facts unavailable: %s", unavailable)
                return render_template("manpower/unavailable.html",
                                       source=unavailable.source), 503
            except facts.PersonNotFoundError:
                error = _("The civil registry has no person with this national ID and date "
                          "of birth.")
            except facts.InvalidFactsError:
                error = _("Please enter a national ID of 6 to 12 digits.")
    rows = store().all("SELECT * FROM manpower_applications WHERE sub = ? "
                       "ORDER BY created_at DESC", current_session().sub)
    return render_template("manpower/apply.html", form=form, error=error, rows=rows,
                           known_id=known_id, known_birthdate=known_birthdate), \
        400 if error else 200


def _decide(national_id, birthdate):
    cfg = current_app.config
    marital = current_app.extensions["manpower_registry"].marital_status(national_id, birthdate)
    income = current_app.extensions["manpower_income"].monthly_income(national_id)
    approved, reasons = decide(marital, income, cfg["MANPOWER_MIN_INCOME"])
    local = current_session()
    now = _now()
    reference = f"MPA-{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.randbelow(10**6):06d}"
    store().run(
        "INSERT INTO manpower_applications (reference, sub, applicant_name, national_id, "
        "marital_status, monthly_income, approved, reasons, fee, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        reference, local.sub, local.name, national_id, marital, f"{income:.3f}", int(approved),
        "\n".join(reasons), cfg["MANPOWER_FEE"], "awaiting_payment" if approved else "rejected",
        now)
    return redirect(url_for("manpower.application", reference=reference), 303)


def _own(reference):
    row = store().one("SELECT * FROM manpower_applications WHERE reference = ? AND sub = ?",
                      reference, current_session().sub)
    return row or abort(404)


@bp.get("/applications/<reference>")
@requires_login
def application(reference):
    return render_template("manpower/application.html", row=_own(reference))


@bp.post("/applications/<reference>/pay")
@requires_acr(LEVEL_2)
def pay(reference):
    row = _own(reference)
    if row["status"] != "awaiting_payment":
        return redirect(url_for("manpower.application", reference=reference), 303)
    cfg = current_app.config
    back = cfg["DEMO_BASE_URL"] + url_for("manpower.paid", reference=reference)
    try:
        payment = current_app.extensions["manpower_payments"].create(
            row["fee"], cfg["MANPOWER_CURRENCY"], "Household worker recruitment licence",
            reference, back)
    except PaymentUnavailableError as error:
        current_app.logger.warning("payment service unavailable: %s", error)
        return render_template("manpower/unavailable.html", source="payment"), 503
    store().run("UPDATE manpower_applications SET payment_id = ? WHERE reference = ?",
                payment.id, reference)
    return redirect(payment.pay_url, 303)


@bp.get("/applications/<reference>/paid")
@requires_login
def paid(reference):
    row = _own(reference)
    payment_id = request.args.get("payment_id")
    if row["status"] != "awaiting_payment" or not payment_id or payment_id != row["payment_id"]:
        return redirect(url_for("manpower.application", reference=reference), 303)
    try:
        payment = current_app.extensions["manpower_payments"].status(payment_id)
    except PaymentUnavailableError:
        return render_template("manpower/unavailable.html", source="payment"), 503
    if payment.status != "paid" or payment.reference != reference or payment.amount != row["fee"]:
        flash(_("The fee was not paid."))
        return redirect(url_for("manpower.application", reference=reference), 303)
    now = _now()
    number = f"HWL-{time.strftime('%Y', time.gmtime(now))}-{secrets.randbelow(10**8):08d}"
    store().run("UPDATE manpower_applications SET status = 'issued', licence_number = ?, "
                "issued_at = ? WHERE reference = ? AND status = 'awaiting_payment'",
                number, now, reference)
    flash(_("Your licence has been issued."))
    return redirect(url_for("manpower.licence", reference=reference), 303)


@bp.get("/licences/<reference>")
@requires_login
def licence(reference):
    row = _own(reference)
    if row["status"] != "issued":
        abort(404)
    return render_template("manpower/licence.html", row=row, issued=_date(row["issued_at"]))


@bp.get("/licences/<reference>.txt")
@requires_login
def licence_download(reference):
    row = _own(reference)
    if row["status"] != "issued":
        abort(404)
    text = render_template("manpower/licence.txt", row=row, issued=_date(row["issued_at"]))
    response = current_app.response_class(text, mimetype="text/plain")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="licence-{row["licence_number"]}.txt"'
    return response


@bp.get("/api/applications")
@requires_acr(LEVEL_2)
def api_applications():
    rows = store().all("SELECT reference, status, licence_number, approved FROM "
                       "manpower_applications WHERE sub = ? ORDER BY created_at DESC",
                       g.token_claims["sub"])
    return jsonify(applications=[dict(row) for row in rows])


def _date(timestamp):
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp)) if timestamp else ""
