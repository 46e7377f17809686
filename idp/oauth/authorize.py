"""The authorization endpoint (RFC 6749 §3.1, OpenID Connect Core §3.1.2).

`authorize` runs the checks below in this order; the order is the policy:
1. Authlib validates client, redirect_uri (exact match), response_type, PKCE S256 and nonce;
   until client and redirect_uri are known good, errors go to a page, never a redirect.
2. Bawaba's request checks (`check_request`): repeated parameters, request objects,
   response_mode, scope, prompt, max_age, claims, acr_values, id_token_hint.
3. The interaction decision (`needs_login`, `needs_consent`): the session, prompt, max_age,
   id_token_hint subject and the assurance the request requires.
4. A code for the session, with `state` byte-exact and `iss` (RFC 9207)."""

import secrets
from datetime import timedelta

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core.errors import ConsentRequiredError
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
from ..models import AuthorizationCode
from ..models.consents import find_consent
from ..models.sessions import record_session_client
from ..models.types import digest
from ..models.types import utcnow
from ..sessions import current_session
from .claims import ClaimsParameterError
from .claims import parse_claims_parameter
from .claims import required_acrs
from .keys import InvalidJwtError
from .keys import key_ring
from .server import authorization_server
from .transactions import close_transaction
from .transactions import get_transaction
from .transactions import open_transaction

PROMPTS = {"none", "login", "consent"}


class UnmetAuthenticationRequirementsError(OAuth2Error):
    """OpenID Connect Core 1.0 errata set 2, §3.1.2.6."""

    error = "unmet_authentication_requirements"


class AuthorizationRequestError(Exception):
    """An error that must not be redirected: shown to the person instead."""

    def __init__(self, error):
        super().__init__(error.error)
        self.error = error


def authorize(params, tx_id=None):
    """Handle an authorization request (fresh or resumed); returns a response."""
    try:
        grant = authorization_server().get_consent_grant(params)
    except OAuth2Error as error:
        if error.redirect_uri:
            return error_redirect(error.redirect_uri, error, params.get("state"))
        raise AuthorizationRequestError(error) from None
    redirect_uri = grant.redirect_uri
    state = params.get("state")
    try:
        request = check_request(grant, params)
        tx = get_transaction(tx_id) if tx_id else None
        now = utcnow()
        session = current_session(now)
        login_reason = needs_login(request, session, tx, now)
        if login_reason:
            return _ask_login(request, params, login_reason)
        if needs_consent(request, session, tx):
            if "none" in request["prompt"]:
                raise ConsentRequiredError()
            return redirect(url_for("consent.show", tx=tx_id or open_transaction(params)), 303)
        response = _issue_code(grant, request, session, params, now)
        if tx_id:
            close_transaction(tx_id)
        return response
    except OAuth2Error as error:
        audit.record("authorize", "failure", client_id=grant.client.client_id, error=error.error)
        db.session.commit()
        return error_redirect(redirect_uri, error, state)


def error_redirect(redirect_uri, error, state):
    params = [("error", error.error)]
    if error.description:
        params.append(("error_description", error.description))
    if state is not None:
        params.append(("state", state))
    params.append(("iss", current_app.config["IDP_ISSUER"]))
    return redirect(add_params_to_uri(redirect_uri, params), 302)


def check_request(grant, params):
    """Parameter checks beyond Authlib's; returns the parsed request."""
    for unsupported, error in (
        ("request", RequestNotSupportedError),
        ("request_uri", RequestURINotSupportedError),
        ("registration", RegistrationNotSupportedError),
    ):
        if params.get(unsupported):
            raise error()
    if params.get("response_mode", "query") != "query":
        raise InvalidRequestError("Only response_mode=query is supported.")
    scopes = scope_to_list(params.get("scope")) or []
    if set(scopes) - set(scope_to_list(grant.client.scope) or []):
        raise InvalidScopeError("The client may not request this scope.")
    prompt = set(params.get("prompt", "").split())
    if prompt - PROMPTS:
        raise InvalidRequestError("Unsupported 'prompt' value.")
    if "none" in prompt and len(prompt) > 1:
        raise InvalidRequestError("'prompt=none' cannot be combined with other values.")
    max_age = params.get("max_age")
    if max_age is not None:
        if not max_age.isdigit() or len(max_age) > 9:
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
    if params.get("id_token_hint"):
        hint_subject = _id_token_hint_subject(params["id_token_hint"], grant.client.client_id)
    return {
        "client": grant.client,
        "redirect_uri": grant.redirect_uri,
        "scope": " ".join(scopes),
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
        claims = key_ring().verify(token)
    except InvalidJwtError:
        raise InvalidRequestError("Invalid 'id_token_hint'.") from None
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if claims.get("iss") != current_app.config["IDP_ISSUER"] or client_id not in audiences:
        raise InvalidRequestError("Invalid 'id_token_hint'.")
    return claims.get("sub")


def needs_login(request, session, tx, now):
    """Why the person must (re-)authenticate, or None."""
    if session is None:
        return "no_session"
    fresh = tx is not None and tx.get("sid") == session.sid
    if "login" in request["prompt"] and not fresh:
        return "prompt_login"
    max_age = request["max_age"]
    if max_age is not None and not fresh and now.timestamp() - session.auth_time > max_age:
        return "max_age"
    if request["hint_subject"] and request["hint_subject"] != session.subject:
        return "other_subject"
    if not satisfies(session.acr, request["acrs"]):
        return "step_up"
    return None


def _ask_login(request, params, reason):
    if "none" in request["prompt"]:
        raise LoginRequiredError()
    if not registry.able_to_satisfy(request["acrs"]):
        raise UnmetAuthenticationRequirementsError(
            "No login method can satisfy the requested acr."
        )
    tx_id = open_transaction(params)
    return redirect(url_for("login.choose", tx=tx_id), 303)


def needs_consent(request, session, tx):
    scopes = set(scope_to_list(request["scope"]) or [])
    if tx is not None and set(tx.get("consented", [])) >= scopes:
        return False
    if "consent" in request["prompt"]:
        return True
    remembered = find_consent(session.subject, request["client"].client_id)
    return remembered is None or not set(remembered.scopes) >= scopes


def _issue_code(grant, request, session, params, now):
    client = request["client"]
    code = secrets.token_urlsafe(32)
    db.session.add(
        AuthorizationCode(
            code_digest=digest(code),
            client_id=client.client_id,
            redirect_uri=request["redirect_uri"],
            scope=request["scope"],
            subject=session.subject,
            sid=session.sid,
            nonce=params.get("nonce"),
            claims=request["claims"],
            code_challenge=params["code_challenge"],
            code_challenge_method=params["code_challenge_method"],
            auth_time=session.auth_time,
            acr=session.acr,
            amr=list(session.amr or []),
            expires_at=now + timedelta(seconds=current_app.config["IDP_CODE_TTL"]),
        )
    )
    record_session_client(session.sid, client.client_id)
    audit.record("authorize", subject=session.subject, client_id=client.client_id)
    db.session.commit()
    location = [("code", code)]
    if params.get("state") is not None:
        location.append(("state", params["state"]))
    location.append(("iss", current_app.config["IDP_ISSUER"]))
    return redirect(add_params_to_uri(request["redirect_uri"], location), 302)
