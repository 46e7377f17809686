"""The administrators' API for mandates (JSON, idp/web/admin_auth.py rules): list and show
mandates, the review queue of certified-letter requests (approve, reject), revocation.
Every call is audited (`mandates_admin`), refused ones included; the changes themselves
leave their own events (idp/mandates/service.py). Domain failures carry their code:
400/403/404/409 with `error` = the reason (e.g. `not_pending`, `letter_withdrawn`), 503
`temporarily_unavailable` when the chamber cannot be reached."""

from flask import Blueprint
from flask import current_app
from flask import g
from flask import jsonify
from flask import request
from werkzeug.exceptions import BadRequest

from connectors.chamber import LetterRejectedError
from connectors.errors import ThrottledError
from connectors.errors import UnavailableError

from .. import audit
from ..extensions import csrf
from ..extensions import db
from ..mandates import CHAMBER
from ..mandates import errors
from ..mandates import service
from ..models.mandates import find_mandate
from ..models.mandates import search_mandates
from ..models.types import utcnow
from .admin_auth import AdminApiError
from .admin_auth import require_admin

bp = Blueprint("mandates_admin", __name__, url_prefix="/admin/api/mandates")
REALM = "mandates"
STATES = ("pending", "active", "scheduled", "expired", "rejected", "revoked")


def init_app(app):
    app.register_blueprint(bp)
    csrf.exempt(bp)  # bearer tokens, no cookies


@bp.before_request
def authenticate():
    g.mandates_admin = None
    try:
        g.mandates_admin = require_admin(REALM, utcnow()).sub
    except AdminApiError as error:
        g.mandates_admin = getattr(error, "subject", None)
        raise


@bp.errorhandler(AdminApiError)
def api_error(error):
    return _error(error.status, error.error, error.description, error.headers)


@bp.errorhandler(errors.MandateError)
def mandate_error(error):
    return _error(error.status, error.code, str(error.detail or error.code))


@bp.errorhandler(LetterRejectedError)
def letter_error(error):
    return _error(422, error.code, str(error))


@bp.errorhandler(UnavailableError)
@bp.errorhandler(ThrottledError)
def chamber_error(error):
    return _error(503, "temporarily_unavailable", "The chamber of commerce cannot be reached.")


@bp.get("")
def list_mandates():
    args = request.args
    state = args.get("state")
    if state is not None and state not in STATES:
        raise AdminApiError(400, "invalid_request", f"state must be one of {', '.join(STATES)}.")
    now = utcnow()
    rows = [m.to_dict(now) for m in search_mandates(
        agent_national_id=args.get("agent"), establishment_cr=args.get("establishment"))]
    if state is not None:
        rows = [r for r in rows if r["state"] == state]
    _audit("list", **{k: v for k, v in args.items() if k in ("state", "agent", "establishment")})
    return _ok(rows)


@bp.get("/<ref>")
def show(ref):
    mandate = find_mandate(ref)
    if mandate is None:
        raise errors.UnknownMandateError()
    _audit("show", mandate=ref)
    return _ok(mandate.to_dict(utcnow()))


@bp.post("/<ref>/approve")
def approve(ref):
    chamber = current_app.extensions.get(CHAMBER)
    if chamber is None:
        raise UnavailableError("no chamber configured", connector="chamber")
    mandate = service.approve(chamber, ref, g.mandates_admin, utcnow())
    _audit("approve", mandate=ref)
    return _ok(mandate.to_dict(utcnow()))


@bp.post("/<ref>/reject")
def reject(ref):
    mandate = service.reject(ref, g.mandates_admin, _json().get("reason"), utcnow())
    _audit("reject", mandate=ref)
    return _ok(mandate.to_dict(utcnow()))


@bp.post("/<ref>/revoke")
def revoke(ref):
    mandate = service.revoke(ref, g.mandates_admin, _json().get("reason"), utcnow())
    _audit("revoke", mandate=ref)
    return _ok(mandate.to_dict(utcnow()))


def _json():
    if not request.is_json:
        raise AdminApiError(400, "invalid_request", "Send a JSON object (application/json).")
    try:
        body = request.get_json()
    except BadRequest:
        body = None
    if not isinstance(body, dict):
        raise AdminApiError(400, "invalid_request", "The body must be a JSON object.")
    return body


def _audit(action, **detail):
    audit.record("mandates_admin", subject=g.mandates_admin, action=action, **detail)


def _ok(data, status=200):
    db.session.commit()
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status, error, description, headers=None):
    # Refusals the domain audited (mandate_refused) are kept; nothing else was written.
    db.session.commit()
    audit.record("mandates_admin", "failure", subject=g.get("mandates_admin"),
                 action=request.endpoint, status=status, error=error)
    db.session.commit()
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response
