"""Who may call an administrators' API (the rules of the PKI API, idp/web/pki_admin.py,
for the others): a Bearer access token of this provider (RFC 6750) whose subject holds the
`admin` role, authenticated at level 2 as it holds now (idp/authn/levels.py). A missing or
dead token is 401 invalid_token; a weaker authentication 401
insufficient_user_authentication naming the acr needed (RFC 9470 §3); a subject without
the role 403 access_denied."""

from flask import request

from ..authn.assurance import LEVEL_2
from ..authn.assurance import satisfies
from ..authn.levels import held_acr
from ..models.accounts import find_account
from ..oauth.access_tokens import load_access_token

ADMIN_ROLE = "admin"


class AdminApiError(Exception):
    def __init__(self, status, error, description, headers=None):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = headers or {}


def require_admin(realm, now):
    """The administrator's Account, or AdminApiError. `subject` is set on the error once
    the token named someone, for the audit trail."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AdminApiError(401, "invalid_token", "Missing access token.",
                            {"WWW-Authenticate": f'Bearer realm="{realm}"'})
    row = load_access_token(value.strip(), now)
    account = find_account(row.subject) if row is not None and row.subject else None
    if account is None or account.locked_at is not None:
        raise challenge(realm, 401, "invalid_token", "The access token is invalid or expired.")
    if not satisfies(held_acr(row.acr, row.auth_time, now), [LEVEL_2]):
        error = challenge(realm, 401, "insufficient_user_authentication",
                          "Administration needs a level 2 authentication.",
                          f', acr_values="{LEVEL_2}"')
        error.subject = account.sub
        raise error
    if ADMIN_ROLE not in (account.roles or []):
        error = AdminApiError(403, "access_denied", "This account is not an administrator.")
        error.subject = account.sub
        raise error
    return account


def challenge(realm, status, error, description, extra=""):
    header = f'Bearer realm="{realm}", error="{error}", error_description="{description}"{extra}'
    return AdminApiError(status, error, description, {"WWW-Authenticate": header})
