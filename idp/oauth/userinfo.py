"""The UserInfo endpoint (OpenID Connect Core §5.3) with Bearer tokens (RFC 6750 §2.1,
§2.2 and §3)."""

from flask import jsonify
from flask import request

from ..models.accounts import find_account
from ..models.types import utcnow
from .access_tokens import load_access_token
from .claims import userinfo


def userinfo_response():
    value, error = _bearer_token()
    if error:
        return _challenge(*error)
    row = load_access_token(value, utcnow())
    if row is None or row.subject is None:
        return _challenge("invalid_token", "The access token is invalid or expired.")
    if "openid" not in row.scope.split():
        return _challenge("insufficient_scope", "The access token lacks the 'openid' scope.", 403)
    account = find_account(row.subject)
    if account is None or account.locked_at is not None:
        return _challenge("invalid_token", "The access token is invalid or expired.")
    response = jsonify(userinfo(account, row.scope, row.claims))
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer_token():
    header = request.headers.get("Authorization", "")
    from_form = request.method == "POST" and "access_token" in request.form
    if header and from_form:
        return None, ("invalid_request", "Send the token in one place only.", 400)
    if from_form:
        return request.form["access_token"], None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None, (None, None, 401)
    return value.strip(), None


def _challenge(error, description, status=401):
    if error is None:
        response = jsonify(error="invalid_token", error_description="Missing access token.")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="userinfo"'
        return response
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    response.headers["WWW-Authenticate"] = (
        f'Bearer realm="userinfo", error="{error}", error_description="{description}"'
    )
    return response
