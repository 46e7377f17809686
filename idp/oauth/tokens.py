"""Token issuance: JWT access tokens (RFC 9068) and rotating refresh tokens
(RFC 6749 §6, OAuth 2.0 Security BCP §4.14.2), grouped in token families."""

import secrets
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta

from authlib.oauth2.rfc6749 import scope_to_list
from flask import current_app

from ..models import tokens as session_store
from ..models.types import digest
from ..models.types import new_secret
from .keys import key_ring
from .statements import token_statements

OFFLINE_ACCESS = "offline_access"


@dataclass
class GrantContext:
    """Who the tokens speak for and how strongly they were authenticated."""

    subject: str | None
    scope: str  # of the access token (and ID token)
    grant_scope: str | None = None  # of the refresh token, when a refresh narrowed `scope`
    acr: str | None = None
    amr: list = field(default_factory=list)
    auth_time: int | None = None
    sid: str | None = None
    claims: dict | None = None  # the `claims` request parameter
    delegation: dict | None = None  # whom the person acts for (statements.py)
    family_id: str | None = None
    session_expires_at: object = None


def new_family_id():
    return secrets.token_urlsafe(18)


def new_family(client, ctx, now, store=session_store):
    """Store the token family of ctx: ctx.family_id when one was reserved (the code grant
    names it as it claims the code), else a new one. Returns its id, also ctx.family_id.
    `store` writes the rows: the request's database session, or a fast path's connection
    (models/fast_path_rows.py)."""
    offline = OFFLINE_ACCESS in scope_to_list(ctx.scope)
    family_id = ctx.family_id or new_family_id()
    store.add_family(
        id=family_id,
        client_id=client.client_id,
        subject=ctx.subject,
        sid=None if offline else ctx.sid,
        created_at=now,
        revoked_at=None,
        revoked_reason=None,
    )
    ctx.family_id = family_id
    return family_id


def issue_tokens(client, ctx, include_refresh_token, now, store=session_store):
    cfg = current_app.config
    stated = token_statements(ctx, now)  # level policy, delegation (statements.py)
    claims = access_token_claims(cfg, client.client_id, ctx, now)
    if ctx.subject:
        # RFC 9068 §2.2.1: how the person authenticated, when known.
        authentication = {"auth_time": ctx.auth_time, "acr": ctx.acr, "sid": ctx.sid}
        claims.update({k: v for k, v in authentication.items() if v is not None})
        claims.update(stated)
    access_token = key_ring().sign(claims, cfg["IDP_ACCESS_TOKEN_ALG"], typ="at+jwt")
    store.add_access_token(**access_token_row(client, ctx, claims, now))
    token = bearer_response(access_token, cfg["IDP_ACCESS_TOKEN_TTL"], ctx.scope)
    if include_refresh_token and ctx.family_id:
        token["refresh_token"] = _issue_refresh_token(client, ctx, now, store)
    return token


def access_token_claims(cfg, client_id, ctx, now):
    """The RFC 9068 §2.2 claims every access token carries (a new `jti`)."""
    issuer = cfg["IDP_ISSUER"]
    iat = int(now.timestamp())
    return {
        "iss": issuer,
        "sub": ctx.subject or client_id,
        "aud": cfg.get("IDP_ACCESS_TOKEN_AUDIENCE") or issuer,
        "exp": iat + cfg["IDP_ACCESS_TOKEN_TTL"],
        "iat": iat,
        "jti": secrets.token_urlsafe(18),
        "client_id": client_id,
        "scope": ctx.scope,
    }


def access_token_row(client, ctx, claims, now):
    """The stored row of the access token with these claims: its columns by name."""
    expires_at = now + timedelta(seconds=claims["exp"] - claims["iat"])
    return {"jti": claims["jti"], "family_id": ctx.family_id,
            **_grant_columns(client, ctx, now, expires_at)}


def bearer_response(access_token, ttl, scope):
    """The token response's members (RFC 6749 §5.1) for an access token."""
    return {"token_type": "Bearer", "access_token": access_token, "expires_in": ttl,
            "scope": scope}


def _issue_refresh_token(client, ctx, now, store):
    """RFC 6749 §6: a new refresh token has the scope of the grant, however narrow the
    access token issued with it."""
    cfg = current_app.config
    scope = ctx.grant_scope or ctx.scope
    offline = OFFLINE_ACCESS in scope_to_list(scope)
    expires_at = now + timedelta(
        seconds=cfg["IDP_OFFLINE_REFRESH_TOKEN_TTL" if offline else "IDP_REFRESH_TOKEN_TTL"]
    )
    if not offline and ctx.session_expires_at is not None:
        expires_at = min(expires_at, ctx.session_expires_at)
    value = new_secret()
    columns = _grant_columns(client, ctx, now, expires_at)
    columns["scope"] = scope
    store.add_refresh_token(token_digest=digest(value), family_id=ctx.family_id,
                            rotated_at=None, **columns)
    return value


def _grant_columns(client, ctx, now, expires_at):
    return {
        "client_id": client.client_id,
        "subject": ctx.subject,
        "scope": ctx.scope,
        "acr": ctx.acr,
        "amr": list(ctx.amr or []),
        "auth_time": ctx.auth_time,
        "sid": ctx.sid,
        "claims": ctx.claims,
        "delegation": ctx.delegation,
        "issued_at": now,
        "expires_at": expires_at,
        "revoked_at": None,
    }


def context_from(row, scope=None):
    """The grant context of a stored code or refresh token, optionally with a narrower scope."""
    return GrantContext(
        subject=row.subject,
        scope=row.scope if scope is None else scope,
        grant_scope=row.scope,
        acr=row.acr,
        amr=list(row.amr or []),
        auth_time=row.auth_time,
        sid=row.sid,
        claims=row.claims,
        delegation=row.delegation,
        family_id=getattr(row, "family_id", None),
    )
