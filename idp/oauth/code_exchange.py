"""The exchange of an authorization code on the token fast path (token_fast_path.py).

The checks are the full stack's (grants.AuthorizationCodeGrant with pkce.py), in its
order, on rows read from the bare connection: the code exists, belongs to the client, is
unused and unexpired; the redirect URI is the authorization request's; the code verifier
matches the S256 challenge (RFC 7636 §4.6); the account is usable and the login session
live. Any that fails hands the request on before anything is written, so that the full
stack answers it, and records a replayed code. Then the code is claimed, the token family
and tokens are issued by the full stack's functions (tokens.py, id_token.py) with the
same audit event, and all of it is committed at once; a code another request claimed
first is the full stack's to answer.

Codes issued with a delegation (an establishment's mandate, a service centre's work) and
codes whose `claims` ask for claims in the ID token go to the full stack: what those
tokens state takes more rows to decide."""

from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oauth2.rfc7636.challenge import CODE_VERIFIER_PATTERN
from authlib.oauth2.rfc7636.challenge import compare_s256_code_challenge

from .. import audit
from ..models.accounts import usable_account
from ..models.sessions import live_session
from ..models.types import digest
from ..models.types import utcnow
from .fast_paths import REQUEST_ID
from .id_token import issue_id_token
from .tokens import context_from
from .tokens import issue_tokens
from .tokens import new_family
from .tokens import new_family_id

CODE_FIELDS = frozenset({"code", "redirect_uri", "code_verifier"})
MAX_CODE_LENGTH = 256  # as models/codes.find_code


def exchange_code(path, connection, cursor, client, fields, environ):
    """The token response for the code in fields, or None to hand the request on."""
    value, verifier = fields.get("code"), fields.get("code_verifier")
    if not value or len(value) > MAX_CODE_LENGTH or not verifier:
        return None
    now = utcnow()
    rows = path.rows
    code = rows.one(rows.code, cursor, digest(value))
    if code is None or code.client_id != client.client_id or code.used_at is not None:
        return None
    if now >= code.expires_at or fields.get("redirect_uri") != code.redirect_uri:
        return None
    if not _verifier_matches(code, verifier):
        return None
    if code.delegation or (code.claims or {}).get("id_token"):
        return None
    session = rows.one(rows.session, cursor, code.sid)
    if not usable_account(rows.one(rows.account, cursor, code.subject)) \
            or not live_session(session):
        return None
    if not path.admitted("oauth.token", client.client_id, environ):
        return None

    code.family_id = new_family_id()
    if not rows.claim_code.claim(cursor, code.code_digest,
                                 {"used_at": now, "family_id": code.family_id}):
        connection.rollback()
        return None
    ctx = context_from(code)
    ctx.session_expires_at = session.expires_at
    store = rows.token_store(cursor)
    new_family(client, ctx, now, store)
    token = issue_tokens(client, ctx, client.check_grant_type("refresh_token"), now, store)
    if "openid" in scope_to_list(ctx.scope):
        token["id_token"] = issue_id_token(client, ctx, token["access_token"], code.nonce,
                                           now)
    rows.add_audit_event(cursor, audit.event_row(
        "token_issued", "success", ctx.subject, client.client_id, now,
        environ.get("REMOTE_ADDR"), environ[REQUEST_ID],
        {"grant_type": "authorization_code", "family": code.family_id}))
    connection.commit()
    return token


def _verifier_matches(code, verifier):
    """RFC 7636 §4.6 for the S256 challenge every code carries (pkce.py)."""
    return (code.code_challenge_method == "S256" and bool(code.code_challenge)
            and CODE_VERIFIER_PATTERN.match(verifier) is not None
            and compare_s256_code_challenge(verifier, code.code_challenge))
