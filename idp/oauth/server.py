"""The authorization server: Authlib's Flask server with Bawaba's grants, client
authentication and endpoints registered.

Requests to the token, introspection and revocation endpoints are checked here before any
grant sees them (RFC 6749 §3.2): parameters in the form body only, none repeated, and a
`grant_type` present. Every error leaves with a description (STYLE: JSON errors)."""

import base64
import binascii

from authlib.integrations.flask_oauth2 import AuthorizationServer as FlaskAuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import current_app
from flask import g
from flask import request as flask_request

from ..models.client_cache import cached_client
from ..models.clients import find_client
from .ciba_grant import CibaGrant
from .client_auth import PrivateKeyJwt
from .grants import AuthorizationCodeGrant
from .grants import ClientCredentialsGrant
from .grants import RefreshTokenGrant
from .introspection import IntrospectionEndpoint
from .introspection import RevocationEndpoint
from .keys import KeyRing
from .parameters import reject_repeated
from .pkce import S256CodeChallenge
from .token_exchange import TokenExchangeGrant

DESCRIPTIONS = {
    "invalid_request": "The request is missing a parameter or is malformed.",
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The grant is invalid, expired, revoked or belongs to another client.",
    "unauthorized_client": "The client is not allowed to use this grant type.",
    "unsupported_grant_type": "This grant type is not supported.",
    "invalid_scope": "The requested scope is invalid or exceeds what was granted.",
    "unsupported_token_type": "This token type is not supported.",
}


class AuthorizationServer(FlaskAuthorizationServer):
    def create_oauth2_request(self, request):
        """Stored authorization parameters (a dict) become a request as well."""
        if isinstance(request, OAuth2Request):
            return request
        if isinstance(request, dict):
            oauth_request = OAuth2Request(
                "GET", current_app.config["IDP_ISSUER"] + "/authorize", headers={}
            )
            oauth_request.payload = BasicOAuth2Payload(request)
            return oauth_request
        return super().create_oauth2_request(request)

    def create_token_response(self, request=None):
        oauth_request = self.create_oauth2_request(request)
        try:
            check_body_parameters()
            if not oauth_request.form.get("grant_type"):
                raise InvalidRequestError("Missing 'grant_type' in request.")
        except OAuth2Error as error:
            return self.handle_error_response(oauth_request, error)
        return super().create_token_response(oauth_request)

    def create_endpoint_response(self, name, request=None):
        try:
            check_body_parameters()
        except OAuth2Error as error:
            return self.handle_error_response(self.create_oauth2_request(request), error)
        return super().create_endpoint_response(name, request)

    def handle_error_response(self, request, error):
        if not error.description:
            error.description = DESCRIPTIONS.get(error.error, error.error)
        return super().handle_error_response(request, error)

    def authenticate_client(self, request, methods, endpoint="token"):
        # RFC 6749 §2.3: "The client MUST NOT use more than one authentication method in
        # each request."
        form = request.form
        basic = _basic_credentials(request.headers.get("Authorization", ""))
        presented = [
            basic is not None,
            "client_secret" in form,
            "client_assertion" in form or "client_assertion_type" in form,
        ]
        if sum(presented) > 1:
            raise InvalidRequestError("Use one client authentication method per request.")
        if basic is False:
            raise InvalidClientError(status_code=401, description="Malformed Basic credentials.")
        # RFC 6749 §5.2: a failed client authentication is 401 with WWW-Authenticate.
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            error.status_code = 401
            raise


def check_body_parameters():
    """RFC 6749 §3.2: parameters travel in the form body (never the URL, where secrets
    leak into logs) and none may appear twice."""
    if flask_request.args:
        raise InvalidRequestError("Send the parameters in the request body, not the URL.")
    reject_repeated(flask_request.form)


def _basic_credentials(header):
    """None without Basic credentials, False when they are not base64 of UTF-8 text
    (RFC 7617 §2), else True. Authlib decodes them itself once they are known readable."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return True


def init_app(app):
    authorization_server = AuthorizationServer()
    app.extensions["idp.authorization_server"] = authorization_server
    authorization_server.init_app(app, query_client=request_client, save_token=_saved_on_issue)
    authorization_server.register_client_auth_method("private_key_jwt", PrivateKeyJwt())
    authorization_server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge()])
    authorization_server.register_grant(RefreshTokenGrant)
    authorization_server.register_grant(ClientCredentialsGrant)
    authorization_server.register_grant(CibaGrant)
    authorization_server.register_grant(TokenExchangeGrant)
    authorization_server.register_endpoint(IntrospectionEndpoint)
    authorization_server.register_endpoint(RevocationEndpoint)
    app.extensions["idp.keys"] = KeyRing(app)

    from . import ciba
    from . import endpoints
    from . import fast_paths
    from . import logout

    ciba.init_app(app)
    endpoints.init_app(app)
    logout.init_app(app)
    fast_paths.init_app(app)


def request_client(client_id):
    """The client named by this request, read once per request (the authorization endpoint
    and Authlib's checks behind it both ask for it) from the worker's copies."""
    if not isinstance(client_id, str):
        return find_client(client_id)
    clients = g.setdefault("oauth_clients", {})
    if client_id not in clients:
        clients[client_id] = cached_client(client_id)
    return clients[client_id]


def remember_request_client(client):
    """For a caller that has just read the current registration itself (a fast path):
    request_client answers with it for the rest of the request."""
    g.setdefault("oauth_clients", {})[client.client_id] = client


def _saved_on_issue(token, request):
    """Tokens are stored as they are issued (tokens.py); nothing is left to save."""


def authorization_server():
    return current_app.extensions["idp.authorization_server"]
