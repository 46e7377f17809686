"""Applications filed at a service centre: an operator acting for the citizen (RFC 8693
acting token, rp/acting_token.py) submits the licence application through the API; the
application is decided like one made on the pages and recorded with who acted, so the
citizen's history says "Submitted at <centre> by operator <sub> for you".

    POST /api/applications  Authorization: Bearer <acting token>
    {"national_id": "10293847", "birthdate": "1985-03-14"}
    -> 201 {"reference", "status", "approved", "reasons", "submitted_by": {"operator",
            "centre", "centre_name", "client_id"}}"""

import secrets
import time

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from ..rp import api_error
from ..rp.acting_token import acting_claims
from ..rp.session import store
from . import facts
from .rules import decide

SCHEMA = """
CREATE TABLE IF NOT EXISTS manpower_assisted (
    reference TEXT PRIMARY KEY,
    operator_sub TEXT NOT NULL,
    centre_id TEXT NOT NULL,
    centre_name TEXT NOT NULL,
    centre_name_ar TEXT,
    centre_client_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""
MESSAGES = {
    "Submitted at {centre} by operator {operator} for you.":
        "قُدّم في {centre} بواسطة الموظف {operator} نيابة عنك.",
}

bp = Blueprint("manpower_api", __name__)


def init_app(app):
    app.extensions["demo_store"].migrate(SCHEMA)
    app.extensions["demo_messages"]["ar"].update(MESSAGES)
    app.jinja_env.globals["submitted_by"] = submitted_by
    app.register_blueprint(bp)


def submitted_by(reference):
    """Who filed an application for its owner at a service centre (None: the owner)."""
    return store().one("SELECT * FROM manpower_assisted WHERE reference = ?", reference)


@bp.post("/api/applications")
def file_application():
    claims = acting_claims()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "invalid_request", "Send a JSON object (application/json).")
    national_id = body.get("national_id")
    birthdate = facts.parse_birthdate(body.get("birthdate"))
    if not (isinstance(national_id, str) and national_id.isascii() and national_id.isdigit()
            and 6 <= len(national_id) <= 12) or birthdate is None:
        return api_error(400, "invalid_request", "national_id (6 to 12 digits) and birthdate "
                                                 "(YYYY-MM-DD) are required.")
    cfg = current_app.config
    try:
        marital = current_app.extensions["manpower_registry"].marital_status(national_id,
                                                                             birthdate)
        income = current_app.extensions["manpower_income"].monthly_income(national_id)
    except facts.FactsUnavailableError as unavailable:
        current_app.logger.warning("facts unavailable: %s", unavailable)
        return api_error(503, "temporarily_unavailable",
                         f"The {unavailable.source} cannot be reached; try again later.")
    except facts.PersonNotFoundError:
        return api_error(400, "invalid_request", "The civil registry has no person with this "
                                                 "national ID and date of birth.")
    except facts.InvalidFactsError:
        return api_error(400, "invalid_request", "The national ID is not valid.")
    approved, reasons = decide(marital, income, cfg["MANPOWER_MIN_INCOME"])
    now = int(current_app.extensions["demo_clock"]())
    reference = f"MPA-{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.randbelow(10**6):06d}"
    status = "awaiting_payment" if approved else "rejected"
    act = claims["act"]
    centre = act["centre"]
    store().run(
        "INSERT INTO manpower_applications (reference, sub, applicant_name, national_id, "
        "marital_status, monthly_income, approved, reasons, fee, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        reference, claims["sub"], "", national_id, marital, f"{income:.3f}", int(approved),
        "\n".join(reasons), cfg["MANPOWER_FEE"], status, now)
    store().run(
        "INSERT INTO manpower_assisted (reference, operator_sub, centre_id, centre_name, "
        "centre_name_ar, centre_client_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        reference, act["sub"], centre["id"], str(centre.get("name") or centre["id"]),
        centre.get("name#ar"), act["client_id"], now)
    response = jsonify(reference=reference, status=status, approved=approved, reasons=reasons,
                       submitted_by={"operator": act["sub"], "centre": centre["id"],
                                     "centre_name": centre.get("name"),
                                     "client_id": act["client_id"]})
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response
