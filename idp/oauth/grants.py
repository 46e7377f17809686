"""Grants at the token endpoint: authorization code (RFC 6749 §4.1 with OpenID Connect
Core §3.1.3), refresh token with rotation and reuse detection (RFC 6749 §6, Security BCP
RFC 9700 §4.14.2) and a fresh ID token (OpenID Connect Core §12.2), and client
credentials (RFC 6749 §4.4)."""

from authlib.oauth2.rfc6749 import InvalidGrantError
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749 import scope_to_list

from .. import audit
from ..extensions import db
from ..models.accounts import find_account
from ..models.accounts import usable_account
from ..models.codes import claim_code
from ..models.codes import find_code
from ..models.sessions import find_session
from ..models.sessions import live_session
from ..models.tokens import claim_refresh_token
from ..models.tokens import find_refresh_token
from ..models.tokens import revoke_family
from ..models.types import utcnow
from .id_token import issue_id_token
from .tokens import GrantContext
from .tokens import context_from
from .tokens import issue_tokens
from .tokens import new_family
from .tokens import new_family_id

CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
CONFIDENTIAL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt"]


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def save_authorization_code(self, code, request):
        # The authorize endpoint stores codes itself (it knows the session); see authorize.py.
        raise NotImplementedError

    def query_authorization_code(self, code, client):
        now = utcnow()
        row = find_code(code)
        if row is None or row.client_id != client.client_id:
            return None
        if row.used_at is not None or not claim_code(row, now, new_family_id()):
            # RFC 6749 §4.1.2: a reused code revokes what it was exchanged for.
            db.session.rollback()
            row = find_code(code)
            if row.family_id:
                revoke_family(row.family_id, "code_reuse", now)
            audit.record("code_reuse", "failure", subject=row.subject, client_id=client.client_id)
            db.session.commit()
            return None
        if now >= row.expires_at:
            db.session.commit()
            raise InvalidGrantError("The authorization code has expired.")
        return row

    def delete_authorization_code(self, authorization_code):
        pass  # kept (used) until it expires, for reuse detection

    def authenticate_user(self, authorization_code):
        account = find_account(authorization_code.subject)
        if not usable_account(account):
            return None
        session = find_session(authorization_code.sid)
        if not live_session(session):
            raise InvalidGrantError("The login session has ended.")
        self.session_expires_at = session.expires_at
        return account

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None,
                       include_refresh_token=True):
        now = utcnow()
        code = self.request.authorization_code
        ctx = context_from(code)
        ctx.session_expires_at = self.session_expires_at
        family_id = new_family(self.client, ctx, now)  # the id the claimed code names
        token = issue_tokens(self.client, ctx, include_refresh_token, now)
        if "openid" in scope_to_list(ctx.scope):
            token["id_token"] = issue_id_token(
                self.client, ctx, token["access_token"], code.nonce, now
            )
        audit.record("token_issued", subject=ctx.subject, client_id=self.client.client_id,
                     grant_type="authorization_code", family=family_id)
        db.session.commit()
        return token


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        now = utcnow()
        row = find_refresh_token(refresh_token)
        if row is None:
            return None
        if row.rotated_at is not None:
            # Reuse of a rotated token: someone holds a copy. Revoke the whole family.
            revoke_family(row.family_id, "refresh_reuse", now)
            audit.record("refresh_reuse", "failure", subject=row.subject,
                         client_id=row.client_id, family=row.family_id)
            db.session.commit()
            return None
        if not row.is_active(now):
            return None
        if row.family.sid is not None and not _session_live(row.family.sid):
            return None
        return row

    def authenticate_user(self, refresh_token):
        account = find_account(refresh_token.subject)
        if not usable_account(account):
            raise InvalidGrantError("The account can no longer be used.")
        return account

    def issue_token(self, user, refresh_token):
        now = utcnow()
        if not claim_refresh_token(refresh_token, now):
            db.session.rollback()
            raise InvalidGrantError("The refresh token was used concurrently.")
        # RFC 6749 §6: an omitted scope means the scope originally granted.
        scope = " ".join(scope_to_list(self.request.payload.scope) or []) or refresh_token.scope
        ctx = context_from(refresh_token, scope=scope)
        ctx.session_expires_at = refresh_token.expires_at
        if ctx.sid is not None and not _session_live(ctx.sid):
            ctx.sid = None  # offline access after the session ended: no sid to speak of
        token = issue_tokens(self.client, ctx, True, now)
        if "openid" in scope_to_list(scope):
            # OpenID Connect Core §12.2: same iss, sub, aud, azp and auth_time; new iat; no
            # nonce, which belonged to the authentication request.
            token["id_token"] = issue_id_token(
                self.client, ctx, token["access_token"], None, now
            )
        audit.record("token_refreshed", subject=ctx.subject, client_id=self.client.client_id,
                     family=ctx.family_id)
        db.session.commit()
        return token

    def revoke_old_credential(self, refresh_token):
        pass  # rotated atomically in issue_token


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    # A public client is identified (method "none") so that it hears unauthorized_client
    # (RFC 6749 §5.2): Client.check_grant_type never lets it use this grant.
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH_METHODS

    def validate_token_request(self):
        super().validate_token_request()
        check_client_scope(self.client, self.request.payload.scope)

    def generate_token(self, user=None, scope=None, grant_type=None, expires_in=None,
                       include_refresh_token=True):
        now = utcnow()
        ctx = GrantContext(subject=None, scope=scope or "")
        token = issue_tokens(self.client, ctx, False, now)
        db.session.commit()
        return token


def check_client_scope(client, scope):
    """A client acting for itself may ask for its registered scopes, never a person's."""
    requested = scope_to_list(scope) or []
    if {"openid", "offline_access"} & set(requested):
        raise InvalidScopeError("User scopes cannot be granted to a client.")
    if requested and set(requested) - set(scope_to_list(client.scope) or []):
        raise InvalidScopeError()


def _session_live(sid):
    return live_session(find_session(sid))
