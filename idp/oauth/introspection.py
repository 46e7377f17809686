"""Token introspection (RFC 7662) and revocation (RFC 7009).

Introspection answers for tokens issued to the calling client, and for any token when the
caller is a resource server registered with the `introspection` scope; public clients may
not introspect. Revocation takes any client's own tokens, public clients included; a
refresh token takes its whole family with it (RFC 7009 §2.1)."""

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint as BaseRevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as BaseIntrospectionEndpoint
from flask import current_app

from .. import audit
from ..extensions import db
from ..models.tokens import find_refresh_token
from ..models.tokens import revoke_family
from ..models.types import utcnow
from .access_tokens import load_access_token
from .grants import CONFIDENTIAL_AUTH_METHODS
from .statements import introspection_statements

INTROSPECTION_SCOPE = "introspection"
TOKEN_TYPES = ("access_token", "refresh_token")


class UnsupportedTokenTypeError(OAuth2Error):
    """RFC 7009 §2.2.1, an error response of RFC 6749 §5.2: status 400. (Authlib's class
    of the same name is a 401 Bearer challenge.)"""

    error = "unsupported_token_type"


def check_params(request):
    """`token` is required; a `token_type_hint` must be one this provider knows."""
    if "token" not in request.form:
        raise InvalidRequestError("Missing 'token' in request.")
    hint = request.form.get("token_type_hint")
    if hint and hint not in TOKEN_TYPES:
        raise UnsupportedTokenTypeError(
            "Unsupported 'token_type_hint': use access_token or refresh_token."
        )


def find_token(value, hint):
    """An access or refresh token row, trying the hinted type first (RFC 7009 §2.1)."""
    now = utcnow()
    loaders = [_access, _refresh]
    if hint == "refresh_token":
        loaders.reverse()
    for load in loaders:
        row = load(value, now)
        if row is not None:
            return row
    return None


def _access(value, now):
    return load_access_token(value, now)


def _refresh(value, now):
    row = find_refresh_token(value)
    return row if row is not None and row.is_active(now) else None


class IntrospectionEndpoint(BaseIntrospectionEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS

    def check_params(self, request, client):
        check_params(request)

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        return may_introspect(token, client)

    def create_introspection_payload(self, token):
        if not token or not token.is_active(utcnow()):
            return {"active": False}
        return self.introspect_token(token)

    def introspect_token(self, token):
        return introspection_payload(token, utcnow())


def may_introspect(token, client):
    """A client sees its own tokens; a resource server with the `introspection` scope sees
    every token."""
    return token.client_id == client.client_id or INTROSPECTION_SCOPE in (
        scope_to_list(client.scope) or []
    )


def introspection_payload(token, now):
    """RFC 7662 §2.2: what is said of a live token (`token_type` names its kind)."""
    issuer = current_app.config["IDP_ISSUER"]
    payload = {
        "active": True,
        "iss": issuer,
        "client_id": token.client_id,
        "scope": token.scope,
        "token_type": "Bearer" if token.token_type == "access_token" else "refresh_token",
        "iat": int(token.issued_at.timestamp()),
        "exp": int(token.expires_at.timestamp()),
        "sub": token.subject or token.client_id,
    }
    if token.token_type == "access_token":
        payload["jti"] = token.jti
        payload["aud"] = current_app.config.get("IDP_ACCESS_TOKEN_AUDIENCE") or issuer
    if token.subject:
        stated = introspection_statements(token, now)
        if stated is None:  # what it stated no longer holds (mandate, assisted work)
            return {"active": False}
        payload.update(stated)
        if token.sid:
            payload["sid"] = token.sid
    return payload


class RevocationEndpoint(BaseRevocationEndpoint):
    CLIENT_AUTH_METHODS = CONFIDENTIAL_AUTH_METHODS + ["none"]

    def check_params(self, request, client):
        check_params(request)

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        now = utcnow()
        token.revoked_at = now
        if token.token_type == "refresh_token":
            # RFC 7009 §2.1: revoking a refresh token also invalidates its access tokens.
            revoke_family(token.family_id, "revoked", now)
        audit.record("token_revoked", subject=token.subject, client_id=token.client_id,
                     token_type=token.token_type)
        db.session.commit()
