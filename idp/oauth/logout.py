"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): end the session, tell the
relying parties, and return to a registered post_logout_redirect_uri (exact match)."""

import logging
import threading

from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import InvalidRequestError
from flask import Blueprint
from flask import current_app
from flask import redirect
from flask import render_template
from flask import request
from flask import session as flask_session
from flask import url_for

from ..extensions import csrf
from ..extensions import db
from ..models.clients import find_client
from ..sessions import clear_cookie
from ..sessions import current_session
from ..sessions import end_session
from .authorize import AuthorizationRequestError
from .backchannel import deliver_due
from .keys import InvalidJwtError
from .keys import key_ring

log = logging.getLogger(__name__)
bp = Blueprint("logout", __name__)


def init_app(app):
    app.register_blueprint(bp)
    csrf.exempt(rp_logout)


@bp.route("/logout", methods=["GET", "POST"])
def rp_logout():
    """The end_session_endpoint. Without an id_token_hint for the current session the
    person confirms, so a third-party page cannot log them out silently."""
    params = request.values
    hint = _hint_claims(params.get("id_token_hint"))
    client = _client(params.get("client_id"), hint)
    target = _post_logout_target(client, params.get("post_logout_redirect_uri"),
                                 params.get("state"))
    session = current_session()
    if session is not None and hint is not None and hint.get("sid") == session.sid:
        return _logout(session, target)
    if session is None:
        return _done(target)
    flask_session["logout_target"] = target
    return render_template("logout/confirm.html", client=client)


@bp.post("/logout/confirm")
def end_session_confirmed():
    target = flask_session.pop("logout_target", None)
    session = current_session()
    if session is None:
        return _done(target)
    return _logout(session, target)


@bp.post("/account/logout")
def account_logout():
    session = current_session()
    if session is None:
        return _done(None)
    return _logout(session, None)


def _logout(session, target):
    end_session(session, "logout")
    db.session.commit()
    _deliver_in_background(current_app._get_current_object())
    response = _done(target)
    clear_cookie(response)
    return response


def _done(target):
    if target:
        return redirect(target, 303)
    return redirect(url_for("logout.logged_out"), 303)


@bp.get("/logout/done")
def logged_out():
    return render_template("logout/done.html")


def _hint_claims(token):
    if not token:
        return None
    invalid = AuthorizationRequestError(InvalidRequestError("Invalid 'id_token_hint'."))
    try:
        # An ID token (typ JWT), not an access or logout token; expiry does not matter (§2).
        claims = key_ring().verify(token, typ="JWT")
    except InvalidJwtError:
        raise invalid from None
    if (
        claims.get("iss") != current_app.config["IDP_ISSUER"]
        or not claims.get("aud")
        or not isinstance(claims.get("sub"), str)
    ):
        raise invalid
    return claims


def _client(client_id, hint):
    hinted = hint.get("aud") if hint else None
    if isinstance(hinted, list):
        hinted = hinted[0] if len(hinted) == 1 else None
    if client_id and hinted and client_id != hinted:
        raise AuthorizationRequestError(
            InvalidRequestError("'client_id' does not match the 'id_token_hint'.")
        )
    client_id = client_id or hinted
    return find_client(client_id) if client_id else None


def _post_logout_target(client, uri, state):
    if not uri:
        return None
    if client is None or uri not in client.post_logout_redirect_uris:
        raise AuthorizationRequestError(
            InvalidRequestError("'post_logout_redirect_uri' is not registered for this client.")
        )
    return add_params_to_uri(uri, [("state", state)]) if state else uri


def _deliver_in_background(app):
    """Send the logout tokens now rather than at the next housekeeping round; what fails
    here is retried there."""

    def run():
        with app.app_context():
            try:
                deliver_due()
            except Exception:  # a daemon thread has nobody to raise to
                db.session.rollback()
                log.exception("back-channel logout delivery failed; housekeeping retries it")

    threading.Thread(target=run, name="backchannel-logout", daemon=True).start()
