"""Acting for an establishment: which of a person's mandates fit what a relying party
asked for, the snapshot a grant keeps of the choice (`delegation`), and what tokens state
from it while, and only while, the mandate is in force (docs/claims.md):

- `represents`: {"type": "establishment", "id": CR number, "name", "name#ar",
  "permissions", "mandate_id", "evidence"} in ID tokens, access tokens and introspection;
- `authorization_details` (RFC 9396): [{"type": "bawaba_mandate", "identifier", "name",
  "actions", "mandate_id", "evidence"}] in access tokens and introspection, when the
  client asked with `authorization_details`.

The permissions stated are the mandate's, narrowed to the `actions` asked for."""

from ..models.accounts import find_account
from ..models.mandates import active_mandates
from ..models.mandates import find_mandate

KIND = "mandate"


def options(subject, wanted, now):
    """The person's mandates in force that fit `wanted` ({"identifier", "actions"}): the
    establishment asked for, and at least one of the actions asked for."""
    account = find_account(subject)
    if account is None:
        return []
    found = active_mandates(account.national_id, subject, now)
    identifier = (wanted or {}).get("identifier")
    actions = (wanted or {}).get("actions")
    return [m for m in found
            if (identifier is None or m.establishment_cr == identifier)
            and (actions is None or set(actions) & set(m.permissions))]


def granted(mandate, wanted):
    actions = (wanted or {}).get("actions")
    return [p for p in mandate.permissions if actions is None or p in actions]


def snapshot(mandate, wanted, details):
    """The delegation a grant keeps: the mandate and the permissions granted."""
    return {"kind": KIND, "mandate_id": mandate.ref, "permissions": granted(mandate, wanted),
            "details": bool(details)}


def live_mandate(delegation, subject, now):
    """The mandate a delegation rests on while it is in force for `subject`, else None."""
    mandate = find_mandate(delegation.get("mandate_id"))
    if mandate is None or not mandate.is_active(now):
        return None
    account = find_account(subject)
    if mandate.agent_sub not in (None, subject) or account is None or (
            mandate.agent_sub is None and mandate.agent_national_id != account.national_id):
        return None
    return mandate


def represents(mandate, permissions):
    claim = {"type": "establishment", "id": mandate.establishment_cr,
             "name": mandate.establishment_name, "permissions": list(permissions),
             "mandate_id": mandate.ref, "evidence": mandate.evidence_ref}
    if mandate.establishment_name_ar:
        claim["name#ar"] = mandate.establishment_name_ar
    return claim


def authorization_details(mandate, permissions):
    return [{"type": "bawaba_mandate", "identifier": mandate.establishment_cr,
             "name": mandate.establishment_name, "actions": list(permissions),
             "mandate_id": mandate.ref, "evidence": mandate.evidence_ref}]


def stated(delegation, mandate, id_token=False):
    claims = {"represents": represents(mandate, delegation["permissions"])}
    if delegation.get("details") and not id_token:
        claims["authorization_details"] = authorization_details(mandate,
                                                                delegation["permissions"])
    return claims
