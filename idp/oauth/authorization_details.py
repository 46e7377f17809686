"""Rich Authorization Requests (RFC 9396): the `authorization_details` parameter of the
authorization request (§2, §3) and the one type this provider knows, `bawaba_mandate`
(docs/claims.md): acting for an establishment under a mandate.

A request entry is `{"type": "bawaba_mandate"}` with, optionally, `identifier` (the
establishment's commercial-registration number) and `actions` (the mandate permissions
the client needs). Anything else is refused with `invalid_authorization_details` (§5):
malformed JSON, an entry that is not an object or lacks `type`, an unknown type, more than
one `bawaba_mandate` entry, unknown members (among them what only the provider states:
`name`, `mandate_id`, `evidence`), unknown actions, a malformed identifier, or a client
not registered for the `establishment` scope."""

import json

from authlib.oauth2 import OAuth2Error

from ..mandates.permissions import PERMISSIONS

MANDATE_TYPE = "bawaba_mandate"
TYPES_SUPPORTED = (MANDATE_TYPE,)
ESTABLISHMENT_SCOPE = "establishment"
REQUEST_MEMBERS = frozenset({"type", "identifier", "actions"})
MAX_LENGTH = 2000


class InvalidAuthorizationDetailsError(OAuth2Error):
    """RFC 9396 §5."""

    error = "invalid_authorization_details"


def parse_authorization_details(raw, client_scopes):
    """The `bawaba_mandate` entry asked for ({"identifier", "actions"}, each None when not
    given), or None without the parameter."""
    if raw is None:
        return None
    if len(raw) > MAX_LENGTH:
        raise InvalidAuthorizationDetailsError("'authorization_details' is too long.")
    try:
        entries = json.loads(raw)
    except ValueError:
        raise InvalidAuthorizationDetailsError(
            "'authorization_details' is not valid JSON.") from None
    if not isinstance(entries, list) or not entries:
        raise InvalidAuthorizationDetailsError(
            "'authorization_details' must be a non-empty JSON array.")
    if not all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in entries):
        raise InvalidAuthorizationDetailsError("Each entry must be an object with a 'type'.")
    unknown = {e["type"] for e in entries} - set(TYPES_SUPPORTED)
    if unknown:
        raise InvalidAuthorizationDetailsError(
            f"Unsupported authorization details type: {sorted(unknown)[0]!r}.")
    if len(entries) > 1:
        raise InvalidAuthorizationDetailsError(
            f"Ask for one '{MANDATE_TYPE}' entry: one establishment per authorization.")
    if ESTABLISHMENT_SCOPE not in client_scopes:
        raise InvalidAuthorizationDetailsError(
            f"The client may not request '{MANDATE_TYPE}' authorization details.")
    return _mandate_entry(entries[0])


def _mandate_entry(entry):
    extra = set(entry) - REQUEST_MEMBERS
    if extra:
        raise InvalidAuthorizationDetailsError(
            f"'{MANDATE_TYPE}' does not take {sorted(extra)[0]!r}.")
    identifier = entry.get("identifier")
    if identifier is not None and not (
            isinstance(identifier, str) and identifier.isascii() and identifier.isdigit()
            and 7 <= len(identifier) <= 10):
        raise InvalidAuthorizationDetailsError(
            "'identifier' must be a commercial-registration number (7 to 10 digits).")
    actions = entry.get("actions")
    if actions is not None:
        if (not isinstance(actions, list) or not actions
                or not all(isinstance(a, str) and a in PERMISSIONS for a in actions)):
            raise InvalidAuthorizationDetailsError(
                "'actions' must be a non-empty list of mandate permissions.")
        actions = [p for p in PERMISSIONS if p in set(actions)]
    return {"identifier": identifier, "actions": actions}
