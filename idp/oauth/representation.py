"""Whom the person acts for, in the authorization request (authorize.py): a client asks
with the `establishment` scope or an RFC 9396 `bawaba_mandate` entry
(authorization_details.py). After login, a person holding mandates that fit chooses on
the acting page (idp/login/acting.py) between themselves and one establishment; the
choice lives in the authorization transaction and becomes the code's `delegation`.
A person without a fitting mandate acts for themselves without being asked. Nothing a
client sends can set what the tokens state: only the person's choice among their own
mandates in force."""

from ..mandates import acting
from .authorization_details import ESTABLISHMENT_SCOPE
from .authorization_details import parse_authorization_details


def check(request, params):
    """Check 7 (after the scopes): read what the client asks for into
    request["representation"] ({"identifier", "actions", "details"}) or None; the person
    consents to it as to the `establishment` scope."""
    registered = (request["client"].scope or "").split()
    details = parse_authorization_details(params.get("authorization_details"), registered)
    scope_asked = ESTABLISHMENT_SCOPE in request["scope"].split()
    if details is None and not scope_asked:
        request["representation"] = None
        return
    request["representation"] = {**(details or {"identifier": None, "actions": None}),
                                 "details": details is not None}
    request["consent_scopes"] = sorted(set(request["consent_scopes"]) | {ESTABLISHMENT_SCOPE})


def choice_pending(request, session, tx, now):
    """True while the person holds fitting mandates and has not chosen for this request."""
    wanted = request.get("representation")
    if not wanted:
        return False
    chosen = (tx or {}).get("acting") or {}
    fitting = acting.options(session.subject, wanted, now)
    if chosen.get("sub") == session.subject:
        if chosen.get("self"):
            return False
        if any(m.ref == chosen.get("mandate") for m in fitting):
            return False
    return bool(fitting)


def delegation(request, session, tx, now):
    """The delegation the code keeps, or None when the person acts for themselves."""
    wanted = request.get("representation")
    chosen = (tx or {}).get("acting") or {}
    if not wanted or chosen.get("self") or chosen.get("sub") != session.subject:
        return None
    for mandate in acting.options(session.subject, wanted, now):
        if mandate.ref == chosen.get("mandate"):
            return acting.snapshot(mandate, wanted, wanted["details"])
    return None
