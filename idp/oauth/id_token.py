"""ID tokens (OpenID Connect Core §2, §3.1.3.6, §12.2) and their hash claims; signed with
the client's `id_token_signed_response_alg` (ES256 by default, RS256 or EdDSA)."""

import base64
import hashlib

from flask import current_app

from ..models.accounts import find_account
from .claims import released_claims
from .keys import key_ring
from .statements import id_token_statements

HASHES = {"ES256": hashlib.sha256, "RS256": hashlib.sha256, "EdDSA": hashlib.sha512}


def half_hash(value, alg):
    """at_hash / c_hash: left half of the hash of the ASCII value, base64url (§3.1.3.6)."""
    digest = HASHES[alg](value.encode()).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


def issue_id_token(client, ctx, access_token, nonce, now):
    cfg = current_app.config
    alg = client.id_token_signed_response_alg or cfg["IDP_DEFAULT_ID_TOKEN_ALG"]
    iat = int(now.timestamp())
    claims = {
        "iss": cfg["IDP_ISSUER"],
        "sub": ctx.subject,
        "aud": client.client_id,
        "exp": iat + cfg["IDP_ID_TOKEN_TTL"],
        "iat": iat,
        "auth_time": ctx.auth_time,
        "acr": ctx.acr,
        "amr": list(ctx.amr or []),
        "sid": ctx.sid or None,  # none after the session of an offline grant ended
        "azp": client.client_id,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    if nonce:
        claims["nonce"] = nonce
    if access_token:
        claims["at_hash"] = half_hash(access_token, alg)
    claims.update(id_token_statements(ctx, now))  # whom the person acts for
    requested = (ctx.claims or {}).get("id_token")
    if requested:
        account = find_account(ctx.subject)
        if account is not None:
            claims.update(released_claims(account, "", requested))
    return key_ring().sign(claims, alg)
