"""What tokens state about the person, decided in one place for every grant as tokens are
issued or refreshed, and for introspection (docs/claims.md):

1. the level (`acr`) the authentication still holds (idp/authn/levels.py: level 2 lapses
   to level 1 after IDP_LEVEL2_TTL);
2. whom the person acts for (`delegation` of the grant): an establishment under a mandate
   (`represents`, `authorization_details`, idp/mandates/acting.py), only while the
   mandate is in force. A grant whose mandate was revoked or ended is refused at the
   token endpoint (`invalid_grant`) and inactive at introspection: it is never stated;
3. service-centre work (idp/assisted/tokens.py): `may_act` in the citizen's consent token,
   `act` in the token exchanged for it, each with its own `aud`, while the work allows."""

from authlib.oauth2.rfc6749 import InvalidGrantError

from ..assisted import tokens as assisted
from ..authn.levels import held_acr
from ..mandates import acting

MANDATE_ENDED = "The mandate this grant acts under is no longer in force."
WORK_ENDED = "The assisted work this token belongs to is over."


def token_statements(ctx, now):
    """Apply the policies to a grant context about to be issued (ctx.acr may drop); the
    claims to add to its access token. Raises InvalidGrantError for a delegation that no
    longer holds."""
    if ctx.subject is None:
        return {}
    ctx.acr = held_acr(ctx.acr, ctx.auth_time, now)
    return _delegated(ctx.delegation, ctx.subject, now)


def id_token_statements(ctx, now):
    """The delegation claims of an ID token issued with the access token of ctx."""
    if ctx.subject is None or not ctx.delegation:
        return {}
    return _delegated(ctx.delegation, ctx.subject, now, id_token=True)


def introspection_statements(token, now):
    """The members introspection states about a live token's person, or None when what
    the token stated no longer holds (the token is then inactive)."""
    stated = {"acr": held_acr(token.acr, token.auth_time, now), "auth_time": token.auth_time}
    try:
        stated.update(_delegated(token.delegation, token.subject, now))
    except InvalidGrantError:
        return None
    return stated


def _delegated(delegation, subject, now, id_token=False):
    if not delegation:
        return {}
    kind = delegation.get("kind")
    if kind == acting.KIND:
        mandate = acting.live_mandate(delegation, subject, now)
        if mandate is None:
            raise InvalidGrantError(MANDATE_ENDED)
        return acting.stated(delegation, mandate, id_token)
    if kind in (assisted.CONSENT, assisted.ACT) and not id_token:
        read = assisted.consent_claims if kind == assisted.CONSENT else assisted.act_claims
        stated = read(delegation, subject, now)
        if stated is None:
            raise InvalidGrantError(WORK_ENDED)
        return stated
    raise InvalidGrantError("The grant's delegation is not understood.")
