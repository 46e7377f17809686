"""Service centre console: an operator (level 2; the operator role once the provider
states roles) serves a walk-in citizen. Assisted work rests on OAuth 2.0 Token Exchange
(RFC 8693): the citizen's consent token is the `subject_token`, the operator's own access
token the `actor_token`, and the issued token names the citizen in `sub` and the operator
(and centre) in `act`. The console offers it only when the provider's discovery lists the
token-exchange grant; until then it explains the flow."""

import base64
import binascii
import json

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request

from ..rp import LEVEL_2
from ..rp import create_rp_app
from ..rp import current_session
from ..rp import requires_acr
from ..rp.i18n import gettext as _
from ..rp.provider import TOKEN_EXCHANGE
from ..rp.provider import ProviderError
from ..rp.provider import ProviderUnavailableError
from ..rp.provider import provider
from ..rp.session import store
from ..rp.tokens import live_access_token
from .messages import MESSAGES

SCHEMA = """
CREATE TABLE IF NOT EXISTS centre_assisted_work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operator_sub TEXT NOT NULL,
    citizen_sub TEXT,
    audience TEXT NOT NULL,
    act TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
"""
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:id_token",
                       "urn:ietf:params:oauth:token-type:jwt")
NAV = [("centre.console", "Console")]

bp = Blueprint("centre", __name__, template_folder="templates")


def create_app(config=None):
    # CENTRE_AUDIENCES: client_id -> title of the apps an operator may act in.
    config = {"CENTRE_AUDIENCES": {"demo-labour": "Labour office e-services",
                                   "demo-manpower": "Manpower licensing",
                                   "demo-hr": "HR platform for government employees"},
              **(config or {})}
    app = create_rp_app(__name__, "centre", "Service centre console", config, SCHEMA,
                        MESSAGES, NAV)
    app.add_url_rule("/", "home", home)
    app.register_blueprint(bp)
    return app


def home():
    return render_template("centre/home.html")


def exchange_offered():
    try:
        return provider().supports_grant(TOKEN_EXCHANGE)
    except ProviderUnavailableError:
        return False


def operator_role_missing():
    """Roles are checked once the provider states them (`roles` in claims_supported)."""
    if not provider().supports_claim("roles"):
        return False
    local = current_session()
    roles = local.userinfo.get("roles", local.claims.get("roles")) or []
    return "operator" not in roles


@bp.get("/console")
@requires_acr(LEVEL_2)
def console():
    rows = store().all("SELECT * FROM centre_assisted_work WHERE operator_sub = ? "
                       "ORDER BY id DESC", current_session().sub)
    return render_template("centre/console.html", offered=exchange_offered(), rows=rows,
                           no_role=operator_role_missing(), types=SUBJECT_TOKEN_TYPES,
                           audiences=current_app.config["CENTRE_AUDIENCES"], form={},
                           error=None)


@bp.post("/assist")
@requires_acr(LEVEL_2)
def assist():
    if not exchange_offered():
        return render_template("centre/not_offered.html"), 409
    if operator_role_missing():
        return render_template("centre/not_offered.html", no_role=True), 403
    form = request.form
    audiences = current_app.config["CENTRE_AUDIENCES"]
    subject_token = form.get("subject_token", "").strip()
    token_type = form.get("subject_token_type")
    audience = form.get("audience")
    if not subject_token or token_type not in SUBJECT_TOKEN_TYPES or audience not in audiences:
        return render_template("centre/console.html", offered=True, rows=[], no_role=False,
                               types=SUBJECT_TOKEN_TYPES, audiences=audiences, form=form,
                               error=_("Please paste the citizen's consent token.")), 400
    local = current_session()
    now = int(current_app.extensions["demo_clock"]())
    try:
        issued = provider().exchange_token(
            subject_token=subject_token, subject_token_type=token_type,
            actor_token=live_access_token(local, now), actor_token_type=ACCESS_TOKEN_TYPE,
            requested_token_type=ACCESS_TOKEN_TYPE, audience=audience)
    except ProviderError as error:
        _record(local.sub, None, audience, {}, "refused: " + error.code, now)
        return render_template("centre/refused.html", code=error.code), 400
    except ProviderUnavailableError:
        return render_template("rp/error.html", message=_(
            "Bawaba cannot be reached right now. Please try again in a few minutes.")), 503
    claims = _payload(issued.get("access_token", ""))
    _record(local.sub, claims.get("sub"), audience, claims.get("act") or {}, "issued", now)
    return render_template("centre/issued.html", claims=claims, audience=audiences[audience],
                           issued_type=issued.get("issued_token_type"))


def _record(operator, citizen, audience, act, outcome, now):
    store().run("INSERT INTO centre_assisted_work (operator_sub, citizen_sub, audience, act, "
                "outcome, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                operator, citizen, audience, json.dumps(act), outcome, now)


def _payload(token):
    """The claims of the issued token, for display (its audience is the target app, which
    validates it when it is presented there)."""
    try:
        segment = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    return value if isinstance(value, dict) else {}
