"""The authorization endpoint (RFC 6749 §3.1 and §4.1, OpenID Connect Core §3.1.2).

`authorize` runs the checks below in this order; the order is the policy.

Until the client and its redirect URI are known good, an error is a page, never a redirect
(RFC 6749 §4.1.2.1):
1. No parameter repeated (endpoints.py) or holding control characters; an empty parameter
   counts as omitted (RFC 6749 §3.1).
2. `client_id` names a registered client.
3. `redirect_uri` is present and exactly one the client registered (no normalisation).

From here an error is a redirect to that URI with `state` byte-exact and `iss` (RFC 9207):
4. `response_type` is present and is `code`, and the client may use it; PKCE with S256
   (Authlib with pkce.py).
5. Request objects and registration are not supported; `response_mode` is `query`.
6. `scope` is present and registered for the client.
7. `prompt`, `max_age`, `claims`, `acr_values` (some known value; `acr_values` are treated
   as required, like an essential `acr` claim), `id_token_hint` (an ID token this provider
   issued to this client), `authorization_details` (RFC 9396, authorization_details.py).
8. Login (`login_reason`): no session, `prompt=login`, `max_age` exceeded, a session of
   another subject than `id_token_hint`, or an acr below the required one. With
   `prompt=none` that is `login_required`; when no login method can reach the required acr
   it is `unmet_authentication_requirements`. A login made for this very request never
   loops: if it still falls short, the request ends with an error, so a code never carries
   a lower acr than required.
9. Whom the person acts for (representation.py), when the client asks with the
   `establishment` scope or `authorization_details` (checked at 7) and the person holds
   fitting mandates: the acting page; with `prompt=none` that is `interaction_required`.
   Then consent (`needs_consent`) for the scopes, and for those the `claims` parameter
   reaches; with `prompt=none` that is `consent_required`.
10. A code for the session."""

import re
import secrets
from datetime import timedelta

from authlib.common.urls import url_encode
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749 import UnsupportedResponseTypeError
from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core.errors import ConsentRequiredError
from authlib.oidc.core.errors import InteractionRequiredError
from authlib.oidc.core.errors import LoginRequiredError
from authlib.oidc.core.errors import RegistrationNotSupportedError
from authlib.oidc.core.errors import RequestNotSupportedError
from authlib.oidc.core.errors import RequestURINotSupportedError
from flask import current_app
from flask import redirect
from flask import url_for

from .. import audit
from ..authn import registry
from ..authn.assurance import is_known
from ..authn.assurance import satisfies
from ..extensions import db
from ..models.codes import add_code
from ..models.consents import find_consent
from ..models.sessions import record_session_client
from ..models.types import digest
from ..models.types import utcnow
from ..sessions import current_session
from . import representation
from .claims import ClaimsParameterError
from .claims import parse_claims_parameter
from .claims import required_acrs
from .claims import restrict_claims
from .claims import scopes_reached
from .keys import InvalidJwtError
from .keys import key_ring
from .server import authorization_server
from .server import request_client
from .transactions import TransactionTooLargeError
from .transactions import close_transaction
from .transactions import get_transaction
from .transactions import open_transaction
from .transactions import update_transaction

PROMPTS = {"none", "login", "consent"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """OpenID Connect Core 1.0 errata set 2, §3.1.2.6."""

    error = "unmet_authentication_requirements"


class AuthorizationRequestError(Exception):
    """An error that must not be redirected: shown to the person instead."""

    def __init__(self, error):
        super().__init__(error.error)
        self.error = error


def authorize(params, tx_id=None):
    """Handle an authorization request (fresh, or resumed from transaction `tx_id`);
    returns a response."""
    params = {k: v for k, v in params.items() if v != ""}
    client, redirect_uri = check_client(params)
    state = params.get("state")
    try:
        _authlib_checks(params)
        request = check_request(client, params)
        representation.check(request, params)
        return _interact(request, params, tx_id)
    except OAuth2Error as error:
        audit.record("authorize", "failure", client_id=client.client_id, error=error.error)
        db.session.commit()
        return error_redirect(redirect_uri, error, state)


def check_client(params):
    """Checks 1-3; returns the client and the redirect URI errors may go to."""
    if any(CONTROL_CHARACTERS.search(v) for v in params.values()):
        _refuse(InvalidRequestError("Parameters may not contain control characters."))
    if "client_id" not in params:
        _refuse(InvalidClientError(description="Missing 'client_id' parameter."))
    client = request_client(params["client_id"])
    if client is None:
        _refuse(InvalidClientError(description="The client does not exist on this server."))
    redirect_uri = params.get("redirect_uri")
    if redirect_uri is None:
        _refuse(InvalidRequestError("Missing 'redirect_uri' parameter."))
    if not client.check_redirect_uri(redirect_uri):
        _refuse(InvalidRequestError("The 'redirect_uri' is not registered for this client."))
    return client, redirect_uri


def _refuse(error):
    raise AuthorizationRequestError(error)


def _authlib_checks(params):
    """Check 4: response type, the client's right to it, and PKCE."""
    if "response_type" not in params:
        raise InvalidRequestError("Missing 'response_type' parameter.")
    if params["response_type"] != "code":
        raise UnsupportedResponseTypeError(None, "Only response_type=code is supported.")
    authorization_server().get_consent_grant(params)


def error_redirect(redirect_uri, error, state):
    params = [("error", error.error)]
    if error.description:
        params.append(("error_description", str(error.description)))
    if state is not None:
        params.append(("state", state))
    params.append(("iss", current_app.config["IDP_ISSUER"]))
    return redirect(_with_query(redirect_uri, params), 302)


def _with_query(uri, params):
    """The registered URI, its own query kept byte for byte (RFC 6749 §3.1.2), plus params."""
    separator = "&" if "?" in uri else "?"
    return uri + separator + url_encode(params)


def check_request(client, params):
    """Checks 5-7; returns the parsed request."""
    for unsupported, error in (
        ("request", RequestNotSupportedError),
        ("request_uri", RequestURINotSupportedError),
        ("registration", RegistrationNotSupportedError),
    ):
        if unsupported in params:
            raise error()
    if params.get("response_mode", "query") != "query":
        raise InvalidRequestError("Only response_mode=query is supported.")
    scopes = scope_to_list(params.get("scope")) or []
    if not scopes:
        raise InvalidScopeError("The 'scope' parameter is required.")
    registered = scope_to_list(client.scope) or []
    if set(scopes) - set(registered):
        raise InvalidScopeError("The client may not request this scope.")
    prompt = set(params.get("prompt", "").split())
    if prompt - PROMPTS:
        raise InvalidRequestError("Unsupported 'prompt' value.")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequestError("'prompt=none' cannot be combined with other values.")
    max_age = params.get("max_age")
    if max_age is not None:
        if not re.fullmatch(r"[0-9]{1,9}", max_age):
            raise InvalidRequestError("'max_age' must be a non-negative integer.")
        max_age = int(max_age)
    try:
        claims = parse_claims_parameter(params.get("claims"))
    except ClaimsParameterError as error:
        raise InvalidRequestError(str(error)) from None
    acrs = required_acrs(params.get("acr_values"), claims)
    if acrs and not any(is_known(a) for a in acrs):
        raise UnmetAuthenticationRequirementsError("No supported acr value was requested.")
    hint_subject = None
    if "id_token_hint" in params:
        hint_subject = _id_token_hint_subject(params["id_token_hint"], client.client_id)
    claims = restrict_claims(claims, registered)
    return {
        "client": client,
        "redirect_uri": params["redirect_uri"],
        "scope": " ".join(scopes),
        "consent_scopes": sorted(set(scopes) | scopes_reached(claims)),
        "prompt": prompt,
        "max_age": max_age,
        "claims": claims,
        "acrs": [a for a in acrs if is_known(a)],
        "hint_subject": hint_subject,
    }


def _id_token_hint_subject(token, client_id):
    """The subject of an ID token this provider issued to this client (expiry ignored:
    OpenID Connect Core §3.1.2.1)."""
    try:
        claims = key_ring().verify(token, typ="JWT")
    except InvalidJwtError:
        raise InvalidRequestError("Invalid 'id_token_hint'.") from None
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if claims.get("iss") != current_app.config["IDP_ISSUER"] or client_id not in audiences:
        raise InvalidRequestError("Invalid 'id_token_hint'.")
    if not isinstance(claims.get("sub"), str):
        raise InvalidRequestError("Invalid 'id_token_hint'.")
    return claims["sub"]


def _interact(request, params, tx_id):
    """Checks 8-10: ask for login or consent, or issue the code."""
    tx = get_transaction(tx_id) if tx_id else None
    now = utcnow()
    session = current_session(now)
    fresh = session is not None and tx is not None and tx.get("sid") == session.sid
    reason = login_reason(request, session, fresh, now)
    if reason and fresh:
        # The login made for this request fell short: end it rather than loop.
        if reason == "step_up":
            raise UnmetAuthenticationRequirementsError(
                "The login did not reach the assurance the service requires."
            )
        raise LoginRequiredError("Someone other than the person the service expected logged in.")
    if reason:
        if "none" in request["prompt"]:
            raise LoginRequiredError()
        if not registry.able_to_satisfy(request["acrs"]):
            raise UnmetAuthenticationRequirementsError(
                "No login method can satisfy the requested acr."
            )
        return redirect(url_for("login.choose", tx=_transaction(params, tx_id, sid=None)), 303)
    if representation.choice_pending(request, session, tx, now):
        if "none" in request["prompt"]:
            raise InteractionRequiredError("The person must choose whom they act for.")
        return redirect(url_for("acting.choose", tx=_transaction(params, tx_id)), 303)
    if needs_consent(request, session, tx):
        if "none" in request["prompt"]:
            raise ConsentRequiredError()
        tx_id = _transaction(params, tx_id, ask=request["consent_scopes"])
        return redirect(url_for("consent.show", tx=tx_id), 303)
    request["delegation"] = representation.delegation(request, session, tx, now)
    response = _issue_code(request, session, params, now)
    if tx_id:
        close_transaction(tx_id)
    return response


def _transaction(params, tx_id, **changes):
    """The open transaction for this request, updated, or a new one."""
    if tx_id and get_transaction(tx_id) is not None:
        update_transaction(tx_id, **changes)
        return tx_id
    try:
        return open_transaction(params, **changes)
    except TransactionTooLargeError:
        raise InvalidRequestError("The authorization request is too large.") from None


def login_reason(request, session, fresh, now):
    """Why the person must (re-)authenticate, or None. A login made for this request
    (`fresh`) answers `prompt=login` and `max_age`."""
    if session is None:
        return "no_session"
    if "login" in request["prompt"] and not fresh:
        return "prompt_login"
    max_age = request["max_age"]
    if max_age is not None and not fresh and now.timestamp() - session.auth_time > max_age:
        return "max_age"
    if request["hint_subject"] is not None and request["hint_subject"] != session.subject:
        return "other_subject"
    if not satisfies(session.acr, request["acrs"]):
        return "step_up"
    return None


def needs_consent(request, session, tx, find=find_consent):
    """True unless this person approved these scopes, on this request or remembered
    (`find` reads what is remembered); `prompt=consent` asks again even when remembered."""
    scopes = set(request["consent_scopes"])
    given = (tx or {}).get("consent") or {}
    if given.get("sub") == session.subject and set(given.get("scopes", [])) >= scopes:
        return False
    if "consent" in request["prompt"]:
        return True
    remembered = find(session.subject, request["client"].client_id)
    return remembered is None or not set(remembered.scopes) >= scopes


def _issue_code(request, session, params, now):
    code, columns = new_code(request, session, params, now)
    add_code(**columns)
    record_session_client(session.sid, request["client"].client_id)
    audit.record("authorize", subject=session.subject, client_id=request["client"].client_id)
    db.session.commit()
    return redirect(code_location(request, params, code), 302)


def new_code(request, session, params, now):
    """A new code for the session and its row's columns (stored by the caller)."""
    code = secrets.token_urlsafe(32)
    return code, {
        "code_digest": digest(code),
        "client_id": request["client"].client_id,
        "redirect_uri": request["redirect_uri"],
        "scope": request["scope"],
        "subject": session.subject,
        "sid": session.sid,
        "nonce": params.get("nonce"),
        "claims": request["claims"],
        "code_challenge": params["code_challenge"],
        "code_challenge_method": params["code_challenge_method"],
        "auth_time": session.auth_time,
        "acr": session.acr,
        "amr": list(session.amr or []),
        "delegation": request["delegation"],
        "expires_at": now + timedelta(seconds=current_app.config["IDP_CODE_TTL"]),
        "used_at": None,
        "family_id": None,
    }


def code_location(request, params, code):
    """The redirect URI with the code, `state` byte-exact and `iss` (RFC 9207)."""
    location = [("code", code)]
    if params.get("state") is not None:
        location.append(("state", params["state"]))
    location.append(("iss", current_app.config["IDP_ISSUER"]))
    return _with_query(request["redirect_uri"], location)
