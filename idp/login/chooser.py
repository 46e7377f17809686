"""The login page: the methods able to satisfy what the relying party asked for."""

from flask import Blueprint
from flask import abort
from flask import render_template
from flask import request

from ..authn import registry
from ..models.clients import find_client
from ..oauth.claims import parse_claims_parameter
from ..oauth.claims import required_acrs
from ..oauth.transactions import get_transaction
from .consent import bp as consent_bp

bp = Blueprint("login", __name__)


def init_app(app):
    app.register_blueprint(bp)
    app.register_blueprint(consent_bp)


def transaction_or_404(tx_id):
    tx = get_transaction(tx_id)
    if tx is None:
        abort(404)
    return tx


def methods_for(tx):
    params = tx["params"]
    acrs = required_acrs(params.get("acr_values"), parse_claims_parameter(params.get("claims")))
    return registry.able_to_satisfy(acrs)


@bp.get("/login")
def choose():
    tx_id = request.args.get("tx")
    tx = transaction_or_404(tx_id)
    client = find_client(tx["params"].get("client_id"))
    return render_template(
        "login/choose.html", tx=tx_id, client=client, methods=methods_for(tx),
        login_hint=tx["params"].get("login_hint"),
    )
