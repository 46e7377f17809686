"""The acting page of the login journey: a person holding mandates that fit what the
relying party asked for chooses to act for themselves or for one establishment. The
choice is stored in the authorization transaction (`acting`); the authorization then
resumes. Choosing an establishment one holds no fitting mandate in force for is refused
(400, audited `acting`, failure)."""

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext

from .. import audit
from ..extensions import db
from ..mandates import acting
from ..mandates.notices import last_day
from ..mandates.permissions import PERMISSIONS
from ..models.clients import find_client
from ..models.types import utcnow
from ..oauth.authorization_details import InvalidAuthorizationDetailsError
from ..oauth.authorization_details import parse_authorization_details
from ..oauth.transactions import require_transaction
from ..oauth.transactions import update_transaction
from ..sessions import current_session

bp = Blueprint("acting", __name__)


def _context():
    """(tx_id, tx, session, client, fitting mandates), or None without a session."""
    tx_id = request.values.get("tx")
    tx = require_transaction(tx_id)
    session = current_session()
    if session is None:
        return None
    client = find_client(tx["params"].get("client_id"))
    wanted = _wanted(tx, client)
    return tx_id, tx, session, client, acting.options(session.subject, wanted, utcnow()), wanted


def _wanted(tx, client):
    """What the client asked for (already checked by the authorize endpoint)."""
    registered = (client.scope or "").split() if client else []
    try:
        details = parse_authorization_details(tx["params"].get("authorization_details"),
                                              registered)
    except InvalidAuthorizationDetailsError:  # refused by the authorize endpoint already
        details = None
    return details or {"identifier": None, "actions": None}


def _page(context, error=None, status=200):
    tx_id, _, _, client, fitting, wanted = context
    return render_template("login/acting.html", tx=tx_id, client=client, mandates=fitting,
                           granted={m.ref: acting.granted(m, wanted) for m in fitting},
                           permissions=PERMISSIONS, last_day=last_day, error=error), status


@bp.get("/login/acting")
def choose():
    context = _context()
    if context is None:
        return redirect(url_for("oauth.resume", tx=request.args.get("tx")), 303)
    return _page(context)


@bp.post("/login/acting")
def decide():
    context = _context()
    if context is None:
        return redirect(url_for("oauth.resume", tx=request.form.get("tx")), 303)
    tx_id, _, session, client, fitting, _ = context
    choice = request.form.get("acting", "")
    client_id = client.client_id if client else None
    if choice == "self":
        update_transaction(tx_id, acting={"sub": session.subject, "self": True})
        audit.record("acting", subject=session.subject, client_id=client_id, choice="self")
        db.session.commit()
        return redirect(url_for("oauth.resume", tx=tx_id), 303)
    mandate = next((m for m in fitting if m.ref == choice), None)
    if mandate is None:
        audit.record("acting", "failure", subject=session.subject, client_id=client_id,
                     reason="no_fitting_mandate", choice=choice[:40])
        db.session.commit()
        return _page(context, gettext("You hold no mandate in force for this establishment "
                                      "that this service can use."), 400)
    update_transaction(tx_id, acting={"sub": session.subject, "mandate": mandate.ref})
    audit.record("acting", subject=session.subject, client_id=client_id, choice="mandate",
                 mandate=mandate.ref, establishment=mandate.establishment_cr)
    db.session.commit()
    return redirect(url_for("oauth.resume", tx=tx_id), 303)
