"""The person's own pages: who is logged in, the services they consented to, and
withdrawing that consent."""

from flask import Blueprint
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for

from .. import audit
from ..extensions import db
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
    if session is not None:
        consents = [(c, find_client(c.client_id)) for c in consents_of(session.subject)]
    return render_template("account/home.html", session=session, consents=consents)


@bp.post("/account/consents/withdraw")
def withdraw_consent():
    session = current_session()
    if session is None:
        return redirect(url_for("account.home"), 303)
    client_id = request.form.get("client_id", "")
    consent = find_consent(session.subject, client_id)
    if consent is not None:
        db.session.delete(consent)
        # Withdrawn consent ends the client's access, offline access included.
        revoke_families(utcnow(), "consent_withdrawn", subject=session.subject,
                        client_id=client_id)
        audit.record("consent_withdrawn", subject=session.subject, client_id=client_id)
        db.session.commit()
    return redirect(url_for("account.home"), 303)
