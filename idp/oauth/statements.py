"""What tokens state about the person, decided in one place for every grant as tokens are
issued or refreshed, and for introspection (docs/claims.md):

1. the level (`acr`) the authentication still holds (idp/authn/levels.py: level 2 lapses
   to level 1 after IDP_LEVEL2_TTL)."""

from ..authn.levels import held_acr


def token_statements(ctx, now):
    """Apply the policies to a grant context about to be issued (ctx.acr may drop); the
    claims to add to its access token."""
    if ctx.subject is None:
        return {}
    ctx.acr = held_acr(ctx.acr, ctx.auth_time, now)
    return {}


def introspection_statements(token, now):
    """The members introspection states about a live token's person."""
    return {"acr": held_acr(token.acr, token.auth_time, now), "auth_time": token.auth_time}
