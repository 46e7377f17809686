"""The service centres' API for assisted work (JSON), called by a centre's client with
its operator's access token (Bearer, RFC 6750): the token was issued to a registered
centre's client, its subject is an operator of that centre, and it holds level 2 now.
Otherwise 401 invalid_token, 403 unauthorized_client (not a centre's client), 403
access_denied (not an operator), 401 insufficient_user_authentication (RFC 9470, with
acr_values).

- `POST /assisted-work` {"national_id", "service"}: the citizen gets a code by SMS naming
  the centre and the service; 201 {"id", "state", "expires_in"}.
- `POST /assisted-work/<id>/consent` {"code"}: the code the citizen gave; 200
  {"subject_token", "subject_token_type", "expires_in", "may_act"} for the token exchange.
- `POST /assisted-work/<id>/complete`: the work is done; its tokens stop being active.
- `GET /assisted-work/<id>`: where it stands.
Only the operator who started a piece of work at that centre may continue it (404
otherwise). Errors are `{"error", "error_description"}`; the steps are audited."""

from flask import Blueprint
from flask import g
from flask import jsonify
from flask import request
from werkzeug.exceptions import BadRequest

from .. import audit
from ..assisted import tokens as assisted_tokens
from ..assisted import work as assisted
from ..authn.assurance import LEVEL_2
from ..authn.assurance import satisfies
from ..authn.levels import held_acr
from ..extensions import csrf
from ..extensions import db
from ..models.centres import centre_of_client
from ..models.centres import find_work
from ..models.centres import is_operator
from ..models.types import utcnow
from ..oauth.access_tokens import load_access_token
from ..oauth.token_exchange import ACCESS_TOKEN_TYPE
from .admin_auth import AdminApiError
from .admin_auth import challenge

bp = Blueprint("assisted", __name__, url_prefix="/assisted-work")
REALM = "assisted-work"


def init_app(app):
    app.register_blueprint(bp)
    csrf.exempt(bp)  # bearer tokens, no cookies


@bp.before_request
def authenticate():
    now = utcnow()
    g.operator = g.centre = None
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AdminApiError(401, "invalid_token", "Missing access token.",
                            {"WWW-Authenticate": f'Bearer realm="{REALM}"'})
    row = load_access_token(value.strip(), now)
    if row is None or row.subject is None:
        raise challenge(REALM, 401, "invalid_token", "The access token is invalid or expired.")
    centre = centre_of_client(row.client_id)
    if centre is None:
        raise AdminApiError(403, "unauthorized_client",
                            "The token was not issued to a service centre's client.")
    if not is_operator(centre.id, row.subject):
        raise AdminApiError(403, "access_denied", "This account is not an operator of the "
                                                  "centre.")
    g.operator_acr = held_acr(row.acr, row.auth_time, now)
    if not satisfies(g.operator_acr, [LEVEL_2]):
        raise challenge(REALM, 401, "insufficient_user_authentication",
                        "Assisted work needs a level 2 authentication.",
                        f', acr_values="{LEVEL_2}"')
    g.operator, g.centre = row.subject, centre


@bp.errorhandler(AdminApiError)
def api_error(error):
    return _error(error.status, error.error, error.description, error.headers)


@bp.errorhandler(assisted.AssistedWorkError)
def work_error(error):
    return _error(error.status, error.error, error.description)


@bp.post("")
def start():
    body = _json()
    work = assisted.start(g.centre, g.operator, g.operator_acr, body.get("national_id"),
                          body.get("service"), utcnow())
    return _ok({"id": work.ref, "state": work.state,
                "expires_in": int((work.expires_at - work.created_at).total_seconds())}, 201)


@bp.get("/<ref>")
def show(ref):
    return _ok(_work(ref).to_dict())


@bp.post("/<ref>/consent")
def consent(ref):
    work = _work(ref)
    now = utcnow()
    token = assisted.consent(work, _json().get("code"), now)
    return _ok({"subject_token": token["access_token"],
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "expires_in": int((work.expires_at - now).total_seconds()),
                "may_act": assisted_tokens.may_act(work)})


@bp.post("/<ref>/complete")
def complete(ref):
    return _ok(assisted.complete(_work(ref), utcnow()).to_dict())


def _work(ref):
    work = find_work(ref)
    if work is None or work.centre_id != g.centre.id or work.operator_sub != g.operator:
        raise AdminApiError(404, "not_found", "No such assisted work.")
    return work


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


def _ok(data, status=200):
    db.session.commit()
    response = jsonify(data)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _error(status, error, description, headers=None):
    db.session.commit()  # the failed step's audit event and counted tries stay
    if status in (401, 403):
        audit.record("assisted_work", "failure", subject=g.get("operator"),
                     step=request.endpoint, status=status, error=error)
        db.session.commit()
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response
