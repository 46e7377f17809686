"""Labour office e-services: an establishment's services (work permits, exit permits,
absence reports, profession changes, transfers, visa cancellations). Every service needs
a level-2 login; once the provider offers mandates (it advertises `represents` or
`authorization_details`), also a mandate for the establishment with the service's
permission. Shows who acts for which establishment and keeps the history of requests.

`python -m clients_demo.labour` is started by the launcher; tests call `create_app`."""

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
from ..rp import api_error
from ..rp import create_rp_app
from ..rp import current_session
from ..rp import requires_acr
from ..rp.i18n import gettext as _
from ..rp.provider import ProviderUnavailableError
from ..rp.provider import provider
from ..rp.representation import representation_of
from ..rp.session import store
from .services import BY_CODE
from .services import MESSAGES
from .services import SERVICES

SCHEMA = """
CREATE TABLE IF NOT EXISTS labour_requests (
    reference TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    sub TEXT NOT NULL,
    agent_name TEXT NOT NULL,
    establishment_id TEXT,
    establishment_name TEXT,
    worker TEXT NOT NULL,
    details TEXT NOT NULL,
    acr TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
NAV = [("labour.services", "Establishment services"), ("labour.history", "Request history")]

bp = Blueprint("labour", __name__, template_folder="templates")


def create_app(config=None):
    app = create_rp_app(__name__, "labour", "Labour office e-services", config, SCHEMA,
                        MESSAGES, NAV)
    app.add_url_rule("/", "home", home)
    app.register_blueprint(bp)
    return app


def home():
    return render_template("labour/home.html", services=SERVICES)


def mandates_offered():
    """True once the provider states representation in its tokens (issue: mandates)."""
    try:
        metadata = provider().metadata()
    except ProviderUnavailableError:
        return True  # fail closed: without the provider nobody is logged in anyway
    return ("represents" in metadata.get("claims_supported", [])
            or bool(metadata.get("authorization_details_types_supported")))


def acting_for():
    """The representation stated by the page's session or the API's access token."""
    if request.path.startswith("/api/"):
        return representation_of(g.token_claims)
    local = current_session()
    return representation_of({**local.claims, **local.userinfo})


def may_use(service, represents):
    if not mandates_offered():
        return True
    return represents is not None and represents.allows(service.permission)


@bp.get("/services")
@requires_acr(LEVEL_2)
def services():
    represents = acting_for()
    return render_template("labour/services.html", services=SERVICES, represents=represents,
                           mandates=mandates_offered(),
                           allowed={s.code for s in SERVICES if may_use(s, represents)})


@bp.route("/services/<code>", methods=["GET", "POST"])
@requires_acr(LEVEL_2)
def service(code):
    svc = BY_CODE.get(code) or abort(404)
    represents = acting_for()
    if not may_use(svc, represents):
        return render_template("labour/refused.html", service=svc, represents=represents), 403
    form, error = request.form, None
    if request.method == "POST":
        error, worker, details = _validate(form.get("worker", ""), form.get("details", ""))
        if error is None:
            local = current_session()
            reference = _record(svc, local.sub, local.name, represents, worker, details,
                                local.acr, "web")
            flash(_("Request received"))
            return redirect(url_for("labour.request_page", reference=reference), 303)
    return render_template("labour/service.html", service=svc, represents=represents,
                           form=form, error=error), 400 if error else 200


@bp.get("/requests")
@requires_acr(LEVEL_2)
def history():
    local = current_session()
    represents = acting_for()
    return render_template("labour/history.html", rows=_history(local.sub, represents),
                           represents=represents, titles=_titles())


@bp.get("/requests/<reference>")
@requires_acr(LEVEL_2)
def request_page(reference):
    local = current_session()
    row = _visible(reference, local.sub, acting_for()) or abort(404)
    return render_template("labour/request.html", row=row, titles=_titles())


@bp.get("/api/services")
@requires_acr(LEVEL_2)
def api_services():
    represents = acting_for()
    return jsonify(services=[{"code": s.code, "permission": s.permission, "title": s.title,
                              "allowed": may_use(s, represents)} for s in SERVICES],
                   acting_for=represents.establishment_id if represents else None)


@bp.post("/api/requests")
@requires_acr(LEVEL_2)
def api_submit():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return api_error(400, "invalid_request", "The body must be a JSON object.")
    svc = BY_CODE.get(body.get("service"))
    if svc is None:
        return api_error(400, "invalid_request", "Unknown service.")
    represents = acting_for()
    if not may_use(svc, represents):
        return api_error(403, "insufficient_scope", "No mandate covers this service.",
                         'Bearer error="insufficient_scope"')
    error, worker, details = _validate(str(body.get("worker", "")), str(body.get("details", "")))
    if error is not None:
        return api_error(400, "invalid_request", error)
    claims = g.token_claims
    reference = _record(svc, claims["sub"], claims["sub"], represents, worker, details,
                        claims.get("acr", ""), "api")
    response = jsonify(reference=reference, service=svc.code, status="submitted")
    response.status_code = 201
    return response


@bp.get("/api/requests")
@requires_acr(LEVEL_2)
def api_history():
    rows = _history(g.token_claims["sub"], acting_for())
    return jsonify(requests=[dict(row) for row in rows])


def _validate(worker, details):
    worker = worker.translate(DIGITS).strip()
    if not (worker.isascii() and worker.isdigit() and 6 <= len(worker) <= 12):
        return _("Please enter the worker's civil or residence number (6 to 12 digits)."), \
            worker, details
    if len(details) > 500:
        return _("The details are too long (500 characters at most)."), worker, details
    return None, worker, details.strip()


def _record(svc, sub, name, represents, worker, details, acr, channel):
    now = int(current_app.extensions["demo_clock"]())
    reference = f"LAB-{time.strftime('%Y%m%d', time.gmtime(now))}-{secrets.randbelow(10**6):06d}"
    store().run(
        "INSERT INTO labour_requests (reference, service, sub, agent_name, establishment_id, "
        "establishment_name, worker, details, acr, channel, status, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'submitted', ?)",
        reference, svc.code, sub, name, represents.establishment_id if represents else None,
        represents.establishment_name if represents else None, worker, details, acr, channel,
        now)
    return reference


def _history(sub, represents):
    if represents is not None:
        return store().all("SELECT * FROM labour_requests WHERE establishment_id = ? "
                           "ORDER BY created_at DESC, reference", represents.establishment_id)
    return store().all("SELECT * FROM labour_requests WHERE sub = ? AND establishment_id IS "
                       "NULL ORDER BY created_at DESC, reference", sub)


def _visible(reference, sub, represents):
    row = store().one("SELECT * FROM labour_requests WHERE reference = ?", reference)
    if row is None:
        return None
    if represents is not None:
        return row if row["establishment_id"] == represents.establishment_id else None
    return row if row["sub"] == sub and row["establishment_id"] is None else None


def _titles():
    return {s.code: s.title for s in SERVICES}
