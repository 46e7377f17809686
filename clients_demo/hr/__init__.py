"""HR platform for government employees: my job data, service statement, CV, and
grievances (submit, track by number, see the result). Any Bawaba login opens it; filing a
grievance needs level 2. Reviewers (HR_REVIEWERS, a list of `sub` values) decide
grievances at level 2."""

from datetime import date

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
from . import records
from .messages import MESSAGES

NAV = [("hr.job", "My job"), ("hr.statement", "Service statement"), ("hr.cv_page", "My CV"),
       ("hr.grievances", "Grievances")]
LIMIT = 2000

bp = Blueprint("hr", __name__, template_folder="templates")


def create_app(config=None):
    config = {"HR_REVIEWERS": [], **(config or {})}
    app = create_rp_app(__name__, "hr", "HR platform for government employees", config,
                        records.SCHEMA, MESSAGES, NAV)
    app.add_url_rule("/", "home", home)
    app.register_blueprint(bp)
    app.jinja_env.globals["status_label"] = records.STATUS_LABELS.get
    return app


def home():
    return render_template("hr/home.html")


def _now():
    return int(current_app.extensions["demo_clock"]())


def _me():
    local = current_session()
    return records.employee(local.sub, local.name)


def _service_length(row):
    today = date.fromtimestamp(_now())
    years, months = records.service_length(row["hired_on"], today)
    return _("{years} years and {months} months", years=years, months=months)


@bp.get("/job")
@requires_login
def job():
    return render_template("hr/job.html", me=_me())


@bp.get("/statement")
@requires_login
def statement():
    me = _me()
    return render_template("hr/statement.html", me=me, length=_service_length(me))


@bp.get("/statement.txt")
@requires_login
def statement_download():
    me = _me()
    text = render_template("hr/statement.txt", me=me, length=_service_length(me),
                           today=date.fromtimestamp(_now()).isoformat())
    response = current_app.response_class(text, mimetype="text/plain")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="service-statement-{me["employee_number"]}.txt"'
    return response


@bp.route("/cv", methods=["GET", "POST"])
@requires_login
def cv_page():
    local = current_session()
    error = None
    if request.method == "POST":
        parts = [request.form.get(k, "").strip() for k in ("education", "experience", "skills")]
        if any(len(p) > LIMIT for p in parts):
            error = _("Each part of the CV may hold at most 2000 characters.")
        else:
            records.save_cv(local.sub, *parts, _now())
            flash(_("Your CV has been saved."))
            return redirect(url_for("hr.cv_page"), 303)
    return render_template("hr/cv.html", cv=records.cv(local.sub), form=request.form,
                           error=error), 400 if error else 200


@bp.get("/grievances")
@requires_login
def grievances():
    return render_template("hr/grievances.html",
                           rows=records.grievances_of(current_session().sub))


@bp.route("/grievances/new", methods=["GET", "POST"])
@requires_acr(LEVEL_2)
def new_grievance():
    local = current_session()
    error = None
    if request.method == "POST":
        subject = request.form.get("subject", "")
        description = request.form.get("description", "").strip()
        if subject not in records.SUBJECTS or not description or len(description) > LIMIT:
            error = _("Please choose a subject and describe the grievance (at most 2000 "
                      "characters).")
        else:
            number = records.file_grievance(local.sub, subject, description, local.acr, _now())
            flash(_("Your grievance has been filed."))
            return redirect(url_for("hr.grievance_page", number=number), 303)
    return render_template("hr/new_grievance.html", subjects=records.SUBJECTS,
                           form=request.form, error=error), 400 if error else 200


@bp.get("/grievances/track")
@requires_login
def track():
    number = request.args.get("number", "").strip().upper()
    if records.grievance(number, current_session().sub) is None:
        flash(_("No grievance with this number."))
        return render_template("hr/grievances.html",
                               rows=records.grievances_of(current_session().sub)), 404
    return redirect(url_for("hr.grievance_page", number=number), 303)


@bp.get("/grievances/<number>")
@requires_login
def grievance_page(number):
    row = records.grievance(number, current_session().sub) or abort(404)
    return render_template("hr/grievance.html", row=row)


def _reviewer():
    local = current_session()
    if local.sub not in current_app.config["HR_REVIEWERS"]:
        abort(403)
    return local


@bp.get("/review")
@requires_acr(LEVEL_2)
def review():
    _reviewer()
    return render_template("hr/review.html", rows=records.open_grievances())


@bp.post("/review/<number>")
@requires_acr(LEVEL_2)
def decide(number):
    local = _reviewer()
    decision = request.form.get("decision")
    result = request.form.get("result", "").strip()[:LIMIT]
    if decision not in records.DECISIONS or not result:
        abort(400)
    if not records.decide(number, decision, result, local.sub, _now()):
        abort(404)
    flash(_("The grievance has been decided."))
    return redirect(url_for("hr.review"), 303)


@bp.get("/api/grievances")
@requires_acr(LEVEL_2)
def api_grievances():
    rows = records.grievances_of(g.token_claims["sub"])
    return jsonify(grievances=[{k: row[k] for k in ("number", "subject", "status", "result")}
                               for row in rows])
