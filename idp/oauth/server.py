"""The authorization server: Authlib's Flask server with Bawaba's grants, client
authentication and endpoints registered."""

from authlib.integrations.flask_oauth2 import AuthorizationServer as FlaskAuthorizationServer
from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc6749 import OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from flask import current_app

from ..models.clients import find_client
from .client_auth import PrivateKeyJwt
from .grants import AuthorizationCodeGrant
from .grants import ClientCredentialsGrant
from .grants import RefreshTokenGrant
from .introspection import IntrospectionEndpoint
from .introspection import RevocationEndpoint
from .keys import KeyRing
from .pkce import S256CodeChallenge


class AuthorizationServer(FlaskAuthorizationServer):
    def create_oauth2_request(self, request):
        """Stored authorization parameters (a dict) become a request as well."""
        if isinstance(request, dict):
            oauth_request = OAuth2Request(
                "GET", current_app.config["IDP_ISSUER"] + "/authorize", headers={}
            )
            oauth_request.payload = BasicOAuth2Payload(request)
            return oauth_request
        return super().create_oauth2_request(request)

    def authenticate_client(self, request, methods, endpoint="token"):
        # RFC 6749 §5.2: a failed client authentication is 401 with WWW-Authenticate.
        try:
            return super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            error.status_code = 401
            raise


def init_app(app):
    authorization_server = AuthorizationServer()
    app.extensions["idp.authorization_server"] = authorization_server
    authorization_server.init_app(app, query_client=find_client, save_token=_saved_on_issue)
    authorization_server.register_client_auth_method("private_key_jwt", PrivateKeyJwt())
    authorization_server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge()])
    authorization_server.register_grant(RefreshTokenGrant)
    authorization_server.register_grant(ClientCredentialsGrant)
    authorization_server.register_endpoint(IntrospectionEndpoint)
    authorization_server.register_endpoint(RevocationEndpoint)
    app.extensions["idp.keys"] = KeyRing(app)

    from . import endpoints
    from . import logout

    endpoints.init_app(app)
    logout.init_app(app)


def _saved_on_issue(token, request):
    """Tokens are stored as they are issued (tokens.py); nothing is left to save."""


def authorization_server():
    return current_app.extensions["idp.authorization_server"]
