"""The person's own pages: who is logged in, the services they consented to, and
withdrawing that consent."""

from flask import Blueprint
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext

from .. import audit
from ..extensions import db
from ..login.consent import SCOPE_LABELS
from ..models.accounts import find_account
from ..models.clients import find_client
from ..models.consents import consents_of
from ..models.consents import find_consent
from ..models.tokens import revoke_families
from ..models.types import utcnow
from ..sessions import current_session

bp = Blueprint("account", __name__)


def init_app(app):
    app.register_blueprint(bp)


@bp.get("/")
def home():
    session = current_session()
    consents = []
    name = None
    if session is not None:
        consents = [(c, find_client(c.client_id)) for c in consents_of(session.subject)]
        account = find_account(session.subject)
        name = account.profile.get("name") if account is not None else None
    return render_template("account/home.html", session=session, consents=consents,
                           name=name, scope_labels=SCOPE_LABELS)


@bp.post("/account/consents/withdraw")
def withdraw_consent():
    """Withdraw the consent given to one client: its remembered scopes go and every token
    family it holds for this person is revoked, offline access included (303 back)."""
    session = current_session()
    if session is None:
        return redirect(url_for("account.home"), 303)
    client_id = request.form.get("client_id", "")
    consent = find_consent(session.subject, client_id)
    if consent is not None:
        db.session.delete(consent)
        revoke_families(utcnow(), "consent_withdrawn", subject=session.subject,
                        client_id=client_id)
        audit.record("consent_withdrawn", subject=session.subject, client_id=client_id)
        db.session.commit()
        client = find_client(client_id)
        flash(gettext("You withdrew your permission for %(name)s.",
                      name=client.name if client else client_id))
    return redirect(url_for("account.home"), 303)
