"""The token endpoint's most frequent requests answered in front of Flask (fast_paths.py):
a client_credentials grant (RFC 6749 §4.4), the exchange of an authorization code
(§4.1.3, with PKCE, RFC 7636 §4.6) and a refresh (§6), by a client authenticating with its
secret (`client_secret_basic` or `client_secret_post`, §2.3.1).

An ordinary request here is an ordinary form (fast_forms.py) with nothing else than its
grant's own fields, from a client whose registration this worker already keeps. The
checks are the full stack's (server.py, grants.py), from the same functions and in its
order: the client's secret, its authentication method and grant type, then the grant's
own (code_exchange.py, token_refresh.py), then the token endpoint's rate limits. Tokens are
issued by the same functions as well (tokens.py), their rows written on the bare database
connection (models/fast_path_rows.py)."""

from authlib.consts import default_json_headers
from authlib.oauth2 import OAuth2Error

from ..models.types import utcnow
from .code_exchange import CODE_FIELDS
from .code_exchange import exchange_code
from .fast_forms import ordinary_form
from .fast_forms import secret_credentials
from .fast_paths import OK
from .fast_paths import FastPath
from .grants import check_client_scope
from .keys import key_ring
from .server import authorization_server
from .token_refresh import REFRESH_FIELDS
from .token_refresh import refresh_tokens
from .tokens import GrantContext
from .tokens import access_token_claims
from .tokens import access_token_row
from .tokens import bearer_response

CLIENT_CREDENTIALS = "client_credentials"
AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
# The fields of each grant's ordinary request, besides grant_type and the client's own.
GRANT_FIELDS = {CLIENT_CREDENTIALS: frozenset({"scope"}), AUTHORIZATION_CODE: CODE_FIELDS,
                REFRESH_TOKEN: REFRESH_FIELDS}


class TokenFastPath(FastPath):
    RESPONSE_HEADERS = default_json_headers  # as Authlib's endpoints answer

    def takes(self, environ):
        """(grant_type, auth method, client_id, client_secret, the grant's fields)."""
        fields = ordinary_form(environ, "/token")
        if fields is None:
            return None
        grant_type = fields.pop("grant_type", None)
        allowed = GRANT_FIELDS.get(grant_type)
        if allowed is None:
            return None
        credentials = secret_credentials(fields, environ.get("HTTP_AUTHORIZATION"), allowed)
        return credentials and (grant_type, *credentials, fields)

    def answer(self, request, environ):
        grant_type, method, client_id, secret, fields = request
        with self.connection() as connection:
            cursor = connection.cursor()
            client = self.current_client(cursor, client_id)
            if not client or not _client_may(client, method, secret, grant_type):
                return None
            if grant_type == CLIENT_CREDENTIALS:
                token = self._client_credentials(connection, cursor, client, fields, environ)
            else:
                grant = exchange_code if grant_type == AUTHORIZATION_CODE else refresh_tokens
                token = grant(self, connection, cursor, client, fields, environ)
        if token is None:
            return None
        return OK, [], self.flask_app.json.dumps(token).encode()  # as Authlib's Flask response

    def _client_credentials(self, connection, cursor, client, fields, environ):
        scope = fields.get("scope")
        try:
            authorization_server().validate_requested_scope(scope)
            check_client_scope(client, scope)
        except OAuth2Error:
            return None
        if not self.admitted("oauth.token", client.client_id, environ):
            return None
        cfg = self.flask_app.config
        now = utcnow()
        ctx = GrantContext(subject=None, scope=scope or "")
        claims = access_token_claims(cfg, client.client_id, ctx, now)
        access_token = key_ring().sign(claims, cfg["IDP_ACCESS_TOKEN_ALG"], typ="at+jwt")
        self.rows.token_store(cursor).add_access_token(
            **access_token_row(client, ctx, claims, now))
        connection.commit()
        return bearer_response(access_token, cfg["IDP_ACCESS_TOKEN_TTL"], ctx.scope)


def _client_may(client, method, secret, grant_type):
    """The full stack's client checks, in its order: True when each passes."""
    return (client.check_client_secret(secret)
            and client.check_endpoint_auth_method(method, "token")
            and client.check_grant_type(grant_type))
