"""Consent (OpenID Connect Core §3.1.2.4): what the relying party will receive; the
decision is remembered per client and scope set until withdrawn."""

from authlib.oauth2.rfc6749 import AccessDeniedError
from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import lazy_gettext as _l

from .. import audit
from ..extensions import db
from ..models import Consent
from ..models.clients import find_client
from ..models.consents import find_consent
from ..models.types import utcnow
from ..oauth.authorize import error_redirect
from ..oauth.transactions import TransactionExpiredError
from ..oauth.transactions import close_transaction
from ..oauth.transactions import require_transaction
from ..oauth.transactions import update_transaction
from ..sessions import current_session

bp = Blueprint("consent", __name__)

SCOPE_LABELS = {
    "openid": _l("Know who you are (your account identifier)"),
    "profile": _l("See your name, date of birth and gender"),
    "email": _l("See your email address"),
    "phone": _l("See your mobile number"),
    "national_id": _l("See your national ID number"),
    "offline_access": _l("Keep access while you are away"),
    "establishment": _l("Know the establishment you choose to act for, and your mandate"),
}


def _context():
    """The transaction, session and client behind the consent page; None when the
    session has ended meanwhile (the request then asks for login again)."""
    tx_id = request.values.get("tx")
    tx = require_transaction(tx_id)
    session = current_session()
    client = find_client(tx["params"].get("client_id"))
    if client is None:
        raise TransactionExpiredError()
    if session is None:
        return None
    return tx_id, tx, session, client


def _scopes(tx):
    """What the person is asked to share: the scopes and those the `claims` parameter
    reaches (set by the authorize endpoint)."""
    return tx.get("ask") or tx["params"].get("scope", "").split()


@bp.get("/consent")
def show():
    context = _context()
    if context is None:
        return redirect(url_for("oauth.resume", tx=request.args.get("tx")), 303)
    tx_id, tx, session, client = context
    scopes = _scopes(tx)
    return render_template("login/consent.html", tx=tx_id, client=client, scopes=scopes,
                           scope_labels=SCOPE_LABELS)


@bp.post("/consent")
def decide():
    context = _context()
    if context is None:
        return redirect(url_for("oauth.resume", tx=request.form.get("tx")), 303)
    tx_id, tx, session, client = context
    params = tx["params"]
    scopes = _scopes(tx)
    if request.form.get("decision") != "allow":
        audit.record("consent", "denied", subject=session.subject, client_id=client.client_id)
        db.session.commit()
        close_transaction(tx_id)
        error = AccessDeniedError("The person declined the request.")
        response = error_redirect(params["redirect_uri"], error, params.get("state"))
        response.status_code = 303
        return response
    remembered = find_consent(session.subject, client.client_id)
    if remembered is None:
        remembered = Consent(subject=session.subject, client_id=client.client_id, scopes=[])
        db.session.add(remembered)
    remembered.scopes = sorted(set(remembered.scopes) | set(scopes))
    remembered.granted_at = utcnow()
    audit.record("consent", subject=session.subject, client_id=client.client_id, scopes=scopes)
    db.session.commit()
    update_transaction(tx_id, consent={"sub": session.subject, "scopes": scopes})
    return redirect(url_for("oauth.resume", tx=tx_id), 303)
