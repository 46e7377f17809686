"""The end of every login method: start the session and resume the authorization."""

from flask import redirect
from flask import request
from flask import url_for

from ..authn.evidence import record_evidence
from ..extensions import db
from ..models.types import utcnow
from ..oauth.transactions import close_transaction
from ..oauth.transactions import get_transaction
from ..oauth.transactions import update_transaction
from ..sessions import set_cookie
from ..sessions import start_session


def finish_login(tx_id, result):
    """Turn an AuthenticationResult into a session, with its evidence, and go back to the
    authorization request that asked for it (303, OpenID Connect Core §3.1.2.5 flow)."""
    tx = get_transaction(tx_id)
    client_id = tx["params"].get("client_id") if tx else None
    result = record_evidence(result, utcnow(), client_id, request.remote_addr,
                             request.user_agent.string)
    record, cookie = start_session(result, client_id=client_id)
    db.session.commit()
    if tx is not None and tx.get("return_to"):  # a login for Bawaba's own pages
        close_transaction(tx_id)
        response = redirect(tx["return_to"], 303)
    elif tx is not None:
        update_transaction(tx_id, sid=record.sid)
        response = redirect(url_for("oauth.resume", tx=tx_id), 303)
    else:
        response = redirect(url_for("account.home"), 303)
    set_cookie(response, cookie)
    return response
