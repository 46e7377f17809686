"""Refreshing tokens on the token fast path (token_fast_path.py): rotation of a refresh
token (RFC 6749 §6, RFC 9700 §4.14.2) with a fresh ID token (OpenID Connect Core §12.2).

The checks are the full stack's (grants.RefreshTokenGrant with Authlib's), in its order,
on rows read from the bare connection: the refresh token is live (neither rotated, revoked
nor expired, nor its family revoked) and, unless offline, its login session too; it
belongs to the client; a requested scope is within the grant's; the account is usable.
Any that fails hands the request on before anything is written, so that the full stack
answers it, and revokes the family of a replayed token. Then the token is rotated, the
new tokens are issued by the full stack's functions (tokens.py, id_token.py) with the same
audit event, and all of it is committed at once; a token another request rotated first is
the full stack's to answer.

Grants that act for someone (a mandate, a service centre's work) and grants whose `claims`
ask for claims in the ID token go to the full stack."""

from authlib.oauth2.rfc6749 import scope_to_list

from .. import audit
from ..models.accounts import usable_account
from ..models.sessions import live_session
from ..models.tokens import refresh_token_live
from ..models.types import digest
from ..models.types import utcnow
from .fast_paths import REQUEST_ID
from .id_token import issue_id_token
from .tokens import context_from
from .tokens import issue_tokens

REFRESH_FIELDS = frozenset({"refresh_token", "scope"})
MAX_TOKEN_LENGTH = 256  # as models/tokens.find_refresh_token


def refresh_tokens(path, connection, cursor, client, fields, environ):
    """The token response for the refresh token in fields, or None to hand it on."""
    value = fields.get("refresh_token")
    if not value or len(value) > MAX_TOKEN_LENGTH:
        return None
    now = utcnow()
    rows = path.rows
    old = rows.one(rows.refresh_token, cursor, digest(value))
    if old is None or not refresh_token_live(old.revoked_at, old.rotated_at, old.expires_at,
                                             old.family_revoked_at, now):
        return None
    if old.family_sid is not None \
            and not live_session(rows.one(rows.session, cursor, old.family_sid)):
        return None
    if old.client_id != client.client_id:
        return None
    requested = scope_to_list(fields.get("scope")) or []
    if not set(requested) <= set(scope_to_list(old.scope) or []):
        return None
    if old.delegation or (old.claims or {}).get("id_token"):
        return None
    if not usable_account(rows.one(rows.account, cursor, old.subject)):
        return None
    session_live = old.sid is None or live_session(rows.one(rows.session, cursor, old.sid))
    if not path.admitted("oauth.token", client.client_id, environ):
        return None

    if not rows.rotate_refresh_token.claim(cursor, old.token_digest, {"rotated_at": now}):
        connection.rollback()
        return None
    # RFC 6749 §6: an omitted scope means the scope originally granted.
    ctx = context_from(old, scope=" ".join(requested) or old.scope)
    ctx.session_expires_at = old.expires_at
    if not session_live:
        ctx.sid = None  # offline access after the session ended: no sid to speak of
    token = issue_tokens(client, ctx, True, now, rows.token_store(cursor))
    if "openid" in scope_to_list(ctx.scope):
        token["id_token"] = issue_id_token(client, ctx, token["access_token"], None, now)
    rows.add_audit_event(cursor, audit.event_row(
        "token_refreshed", "success", ctx.subject, client.client_id, now,
        environ.get("REMOTE_ADDR"), environ[REQUEST_ID], {"family": ctx.family_id}))
    connection.commit()
    return token
