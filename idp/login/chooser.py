"""The login page: the methods able to satisfy what the relying party asked for."""

from flask import Blueprint
from flask import render_template
from flask import request

from ..authn import registry
from ..authn.assurance import is_known
from ..models.clients import find_client
from ..oauth.claims import ClaimsParameterError
from ..oauth.claims import parse_claims_parameter
from ..oauth.claims import required_acrs
from ..oauth.transactions import require_transaction
from .acting import bp as acting_bp
from .consent import bp as consent_bp

bp = Blueprint("login", __name__)


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(acting_bp)
    app.register_blueprint(consent_bp)


def methods_for(tx):
    """The login methods whose acr meets what the transaction's request requires."""
    params = tx["params"]
    try:
        claims = parse_claims_parameter(params.get("claims"))
    except ClaimsParameterError:  # refused by the authorize endpoint before any transaction
        claims = None
    acrs = [a for a in required_acrs(params.get("acr_values"), claims) if is_known(a)]
    return registry.able_to_satisfy(acrs)


def login_hint(tx):
    """The relying party's `login_hint` (OpenID Connect Core §3.1.2.1) for login methods
    that can prefill who is logging in."""
    return tx["params"].get("login_hint")


@bp.get("/login")
def choose():
    tx_id = request.args.get("tx")
    tx = require_transaction(tx_id)
    client = find_client(tx["params"].get("client_id"))
    return render_template(
        "login/choose.html", tx=tx_id, client=client, methods=methods_for(tx),
        login_hint=login_hint(tx),
    )
