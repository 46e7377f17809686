"""OpenID Connect Client-Initiated Backchannel Authentication (CIBA) Core 1.0: the
backchannel authentication endpoint (§7), with the Mobile ID phone as the authentication
device. Poll and ping token delivery (§5); push is not offered.

`POST /bc-authorize` checks, in this order (§7.1, §13):
1. body parameters only, none repeated; client authentication as at the token endpoint
   (invalid_client, 401);
2. the client is registered for the CIBA grant (unauthorized_client);
3. no signed request object; `scope` with `openid`, within the client's (invalid_request,
   invalid_scope);
4. exactly one hint, and it is `login_hint`: a national ID number, or a mobile number in
   international form (+…) (invalid_request);
5. `binding_message`, at most BINDING_MESSAGE_MAX printable characters
   (invalid_binding_message); `requested_expiry` a positive integer; `acr_values` with a
   value this provider knows (Mobile ID reaches level 2); `client_notification_token` for
   ping clients (invalid_request);
6. the person: a national ID needs a registered citizen with a mobile number on record, a
   mobile number needs a Mobile ID customer (unknown_user_id); the MSSP must accept the
   signature request (access_denied 403, temporarily_unavailable 503).

The answer is `auth_req_id`, `expires_in` (the requested expiry, at most the MSSP's
TimeOut) and `interval`. A background thread (ciba_delivery.py) follows the phone's answer
and pings ping clients; the token endpoint (ciba_grant.py) hands out the tokens."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import InvalidScopeError
from authlib.oauth2.rfc6749 import UnauthorizedClientError
from authlib.oauth2.rfc6749 import scope_to_list
from flask import Blueprint
from flask import abort
from flask import current_app
from flask import jsonify

from connectors.civil_registry import normalise_national_id
from connectors.errors import InvalidDataError
from connectors.errors import RejectedError
from connectors.msisdn import normalise_msisdn
from connectors.mssp.codes import Outcome
from connectors.mssp.errors import BadRequestError
from connectors.mssp.errors import MobileIdError

from .. import audit
from ..authn import registry
from ..authn.assurance import is_known
from ..extensions import csrf
from ..extensions import db
from ..mobileid import signing
from ..mobileid.operators import operators
from ..models.citizens import find_citizen
from ..models.clients import CIBA_GRANT
from ..models.mobile_id import PENDING
from ..models.mobile_id import CibaRequest
from ..models.types import utcnow
from . import ciba_delivery
from .grants import CLIENT_AUTH_METHODS
from .server import authorization_server
from .server import check_body_parameters

PATH = "/bc-authorize"
DEFAULTS = {
    "IDP_CIBA_INTERVAL": 5,  # seconds clients wait between token requests (§7.3)
    "IDP_CIBA_NOTIFY_ATTEMPTS": 3,  # ping deliveries tried per request
}
BINDING_MESSAGE_MAX = 80
NOTIFICATION_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]{1,1024}=*")  # RFC 6750 b64token
bp = Blueprint("ciba", __name__)


class UnknownUserIdError(OAuth2Error):
    error = "unknown_user_id"
    description = "The login_hint names nobody who can authenticate with Mobile ID."


class InvalidBindingMessageError(OAuth2Error):
    error = "invalid_binding_message"
    description = (f"The binding_message must be 1-{BINDING_MESSAGE_MAX} printable "
                   "characters.")


class CibaAccessDeniedError(OAuth2Error):
    error = "access_denied"
    status_code = 403
    description = "The authentication request was refused."


class TemporarilyUnavailableError(OAuth2Error):
    error = "temporarily_unavailable"
    status_code = 503
    description = "Mobile ID is not available right now; try again later."


@dataclass(frozen=True)
class CibaParameters:
    scope: str
    national_id: str | None
    msisdn: str | None
    binding_message: str | None
    requested_expiry: int | None
    acr_values: str | None
    notification_token: str | None


def init_app(app):
    for key, value in DEFAULTS.items():
        app.config[key] = int(app.config.get(key, value))
    app.register_blueprint(bp)
    csrf.exempt(bp)


def offered():
    """CIBA works when Mobile ID, its authentication device, is offered."""
    return operators() is not None and registry.find(signing.METHOD) is not None


def advertise(metadata):
    """Discovery metadata (CIBA Core §4), only while CIBA works."""
    if offered():
        issuer = current_app.config["IDP_ISSUER"]
        metadata["grant_types_supported"] = [*metadata["grant_types_supported"], CIBA_GRANT]
        metadata.update({
            "backchannel_authentication_endpoint": issuer + PATH,
            "backchannel_token_delivery_modes_supported": ["poll", "ping"],
            "backchannel_user_code_parameter_supported": False,
        })
    return metadata


@bp.post(PATH)
def backchannel_authentication():
    if not offered():
        abort(404)
    server = authorization_server()
    oauth_request = server.create_oauth2_request(None)
    try:
        check_body_parameters()
        client = server.authenticate_client(oauth_request, CLIENT_AUTH_METHODS,
                                            "backchannel_authentication")
        params = check_request(client, oauth_request.form)
        ciba = begin(client, params, utcnow())
    except OAuth2Error as error:
        db.session.rollback()
        return server.handle_error_response(oauth_request, error)
    ciba_delivery.launch(current_app._get_current_object(), ciba)
    expires_in = round((ciba.expires_at - ciba.created_at).total_seconds())
    response = jsonify(auth_req_id=ciba.auth_req_id, expires_in=expires_in,
                       interval=ciba.interval)
    response.headers["Cache-Control"] = "no-store"
    return response


def check_request(client, form):
    """Checks 2-5; the request's parameters."""
    if not client.check_grant_type(CIBA_GRANT):
        raise UnauthorizedClientError("The client is not registered for CIBA.")
    if form.get("request") or form.get("request_uri"):
        raise InvalidRequestError("Signed authentication requests are not supported.")
    scope = form.get("scope")
    if not scope:
        raise InvalidRequestError("Missing 'scope' parameter.")
    scopes = scope_to_list(scope)
    if "openid" not in scopes:
        raise InvalidScopeError("The scope must include openid.")
    if set(scopes) - set(scope_to_list(client.scope) or []):
        raise InvalidScopeError("The scope exceeds what the client may ask for.")
    hints = [name for name in ("login_hint", "login_hint_token", "id_token_hint")
             if form.get(name)]
    if len(hints) != 1:
        raise InvalidRequestError("Send exactly one of login_hint, login_hint_token and "
                                  "id_token_hint.")
    if hints != ["login_hint"]:
        raise InvalidRequestError("Only login_hint is supported.")
    national_id, msisdn = parse_login_hint(form["login_hint"])
    binding = form.get("binding_message")
    if binding is not None and (not binding.strip() or len(binding) > BINDING_MESSAGE_MAX
                                or not binding.isprintable()):
        raise InvalidBindingMessageError()
    expiry = form.get("requested_expiry")
    if expiry is not None and not (expiry.isascii() and expiry.isdigit() and 0 < int(expiry)
                                   <= 86400):
        raise InvalidRequestError("requested_expiry must be a positive number of seconds.")
    acr_values = form.get("acr_values")
    if acr_values is not None and not any(is_known(a) for a in acr_values.split()):
        raise InvalidRequestError("None of the acr_values is supported.")
    token = None
    if client.backchannel_token_delivery_mode == "ping":
        token = form.get("client_notification_token")
        if not token or not NOTIFICATION_TOKEN.fullmatch(token):
            raise InvalidRequestError("Ping clients must send a client_notification_token "
                                      "(a bearer token of at most 1024 characters).")
    return CibaParameters(" ".join(dict.fromkeys(scopes)), national_id, msisdn, binding,
                          int(expiry) if expiry else None, acr_values, token)


def parse_login_hint(value):
    """(national ID, None) or (None, MSISDN) from a login_hint."""
    try:
        if value.startswith("+"):
            return None, normalise_msisdn(value, default_region=None)
        return normalise_national_id(value), None
    except InvalidDataError:
        raise InvalidRequestError("login_hint must be a national ID number or a mobile "
                                  "number in international form (+...).") from None


def begin(client, params, now):
    """Check 6: find the person's phone and ask it to sign; the stored CibaRequest."""
    msisdn = params.msisdn
    if params.national_id is not None:
        citizen = find_citizen(params.national_id)
        if citizen is None or citizen.account.locked_at is not None or not citizen.phone_number:
            _refused(client, "citizen_unknown")
            raise UnknownUserIdError()
        msisdn = citizen.phone_number
    try:
        row = signing.start("ciba", msisdn, _display_text(client, params.binding_message), now,
                            national_id=params.national_id, client_id=client.client_id)
    except MobileIdError as error:
        _refused(client, error.outcome.value, code=error.code)
        if error.outcome in (Outcome.NOT_A_CUSTOMER, Outcome.NO_KEY):
            raise UnknownUserIdError() from None
        if isinstance(error, RejectedError) and not isinstance(error, BadRequestError):
            raise CibaAccessDeniedError() from None
        raise TemporarilyUnavailableError() from None
    timeout = operators().client(row.operator).settings.transaction_timeout
    expires_in = min(params.requested_expiry or timeout, timeout)
    ciba = CibaRequest(
        auth_req_id=secrets.token_urlsafe(32), client_id=client.client_id,
        mobile_id_request_id=row.id, scope=params.scope, acr_values=params.acr_values,
        binding_message=params.binding_message,
        delivery_mode=client.backchannel_token_delivery_mode,
        notification_token=params.notification_token,
        interval=current_app.config["IDP_CIBA_INTERVAL"], state=PENDING, created_at=now,
        expires_at=now + timedelta(seconds=expires_in))
    db.session.add(ciba)
    audit.record("ciba_requested", client_id=client.client_id, now=now,
                 mode=ciba.delivery_mode, operator=row.operator,
                 mssp_trans_id=row.mssp_trans_id,
                 hint="national_id" if params.national_id else "msisdn")
    db.session.commit()
    return ciba


def _refused(client, reason, code=None):
    db.session.rollback()
    audit.record("login", "failure", client_id=client.client_id, method=signing.METHOD,
                 reason=reason, purpose="ciba", mssp_code=code)
    db.session.commit()


def _display_text(client, binding_message):
    """What the phone shows (at most 160 characters): the binding message or the service,
    and the verification code."""
    if binding_message:
        return lambda code: f"Bawaba: {binding_message} (code {code})"
    name = "".join(c for c in client.name if c.isprintable())[:60]
    return lambda code: f"Bawaba: log in to {name}? (code {code})"
