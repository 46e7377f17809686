"""The UserInfo endpoint (OpenID Connect Core §5.3) with Bearer tokens sent in the
Authorization header or the form body (RFC 6750 §2.1, §2.2) and its challenges (§3):
no error code when no token was sent (§3.1), `invalid_token` for a bad one, and
`insufficient_scope` naming the scope needed."""

from flask import jsonify
from flask import request

from ..models.accounts import find_account
from ..models.accounts import usable_account
from ..models.types import utcnow
from .access_tokens import load_access_token
from .claims import userinfo

REALM = "userinfo"
INVALID = ("invalid_token", "The access token is invalid, expired or revoked.", 401)


def userinfo_response():
    value, error = _bearer_token()
    if error:
        return _challenge(*error)
    row = load_access_token(value, utcnow())
    if row is None or row.subject is None:
        return _challenge(*INVALID)
    if "openid" not in row.scope.split():
        return _challenge("insufficient_scope", "The access token lacks the 'openid' scope.",
                          403, scope="openid")
    account = find_account(row.subject)
    if not usable_account(account):
        return _challenge(*INVALID)
    response = jsonify(userinfo(account, row.scope, row.claims))
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer_token():
    """(token, None) or (None, challenge arguments)."""
    header = request.headers.get("Authorization", "")
    in_form = request.method == "POST" and "access_token" in request.form
    if header and in_form:
        # RFC 6750 §2: a client MUST NOT use more than one method to send the token.
        return None, ("invalid_request", "Send the access token in one place only.", 400)
    if in_form:
        values = request.form.getlist("access_token")
        if len(values) > 1:
            return None, ("invalid_request", "Send one access token only.", 400)
        if not request.mimetype == "application/x-www-form-urlencoded":
            return None, ("invalid_request", "The form body must be urlencoded.", 400)
        return values[0], None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None, (None, "An access token is required.", 401)
    return value.strip(), None


def _challenge(error, description, status, scope=None):
    """A JSON error and its WWW-Authenticate challenge (RFC 6750 §3)."""
    response = jsonify(error=error or "invalid_token", error_description=description)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    params = [f'realm="{REALM}"']
    if error:
        params += [f'error="{error}"', f'error_description="{description}"']
    if scope:
        params.append(f'scope="{scope}"')
    response.headers["WWW-Authenticate"] = "Bearer " + ", ".join(params)
    return response
