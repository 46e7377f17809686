"""Claims (OpenID Connect Core §5): which scope releases which claim, the `claims`
request parameter (§5.5), and the userinfo response (§5.3)."""

import json

from authlib.oauth2.rfc6749 import scope_to_list

SCOPE_CLAIMS = {
    "profile": (
        "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
        "gender", "birthdate", "locale", "zoneinfo", "updated_at",
        # Arabic names as language-tagged claims (§5.2); nationality (ISO 3166-1 alpha-2).
        "name#ar", "given_name#ar", "family_name#ar", "nationality",
    ),
    "email": ("email", "email_verified"),
    "phone": ("phone_number", "phone_number_verified"),
    "national_id": ("national_id",),  # the civil registry's ID number (docs/citizens.md)
}
SCOPES_SUPPORTED = ("openid", "profile", "email", "phone", "national_id", "offline_access",
                    "establishment")
PROTOCOL_CLAIMS = ("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr",
                   "sid", "at_hash", "azp")
# Whom the person acts for (idp/oauth/statements.py): stated by the provider from the
# person's own choice, never requested (a `claims` member naming them is dropped).
DELEGATION_CLAIMS = ("represents", "act", "may_act")
CLAIMS_SUPPORTED = (PROTOCOL_CLAIMS + DELEGATION_CLAIMS
                    + tuple(c for cs in SCOPE_CLAIMS.values() for c in cs))
# Claims this provider states itself; a request can never set them.
PROVIDER_CLAIMS = frozenset(PROTOCOL_CLAIMS)
# The scope that releases each claim about the person.
CLAIM_SCOPE = {claim: scope for scope, claims in SCOPE_CLAIMS.items() for claim in claims}


class ClaimsParameterError(ValueError):
    pass


def parse_claims_parameter(raw):
    """Validate the `claims` parameter; returns {"userinfo": {...}, "id_token": {...}}."""
    if raw is None or raw == "":
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ClaimsParameterError("The 'claims' parameter is not valid JSON.") from None
    if not isinstance(value, dict) or set(value) - {"userinfo", "id_token"}:
        raise ClaimsParameterError("The 'claims' parameter must hold 'userinfo' and/or 'id_token'.")
    parsed = {}
    for target, members in value.items():
        if not isinstance(members, dict):
            raise ClaimsParameterError(f"'claims.{target}' must be an object.")
        for spec in members.values():
            if spec is not None and not _valid_spec(spec):
                raise ClaimsParameterError("The 'claims' parameter holds an invalid claim request.")
        parsed[target] = members
    return parsed


def _valid_spec(spec):
    if not isinstance(spec, dict):
        return False
    if "essential" in spec and not isinstance(spec["essential"], bool):
        return False
    return "values" not in spec or isinstance(spec["values"], list)


def required_acrs(acr_values, claims):
    """The acr values the request requires: `acr_values` plus an essential `acr` claim."""
    required = scope_to_list(acr_values) or []
    for target in ("id_token", "userinfo"):
        spec = ((claims or {}).get(target) or {}).get("acr")
        if isinstance(spec, dict) and spec.get("essential"):
            if "value" in spec:
                required.append(spec["value"])
            required.extend(spec.get("values") or [])
    return required


def restrict_claims(claims, allowed_scopes):
    """The `claims` parameter without the claims about the person that none of
    `allowed_scopes` (the client's registered scopes) releases: a `claims` member may ask
    for a claim without its scope (§5.5), never for one the client may not have."""
    if claims is None:
        return None
    allowed = set(allowed_scopes)
    return {
        target: {name: spec for name, spec in members.items()
                 if name in PROVIDER_CLAIMS or CLAIM_SCOPE.get(name) in allowed}
        for target, members in claims.items()
    }


def scopes_reached(claims):
    """The scopes whose claims a (restricted) `claims` parameter asks for: the person
    consents to these as if they had been requested as scopes."""
    return {CLAIM_SCOPE[name] for members in (claims or {}).values() for name in members
            if name in CLAIM_SCOPE}


def released_claims(account, scope, requested=None):
    """Claims about the account released by the scopes and by `claims` members."""
    profile = account.profile or {}
    names = set()
    for s in scope_to_list(scope) or []:
        names.update(SCOPE_CLAIMS.get(s, ()))
    names.update(n for n in (requested or {}) if n in CLAIM_SCOPE)
    return {n: profile[n] for n in sorted(names) if n in profile}


def userinfo(account, scope, claims_parameter=None):
    requested = (claims_parameter or {}).get("userinfo")
    return {"sub": account.sub, **released_claims(account, scope, requested)}
